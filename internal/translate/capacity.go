package translate

import (
	"errors"
	"fmt"
	"sort"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// capacityProvider puts the tasks on the provider's nodes: its nodeSelector merged with the
// runtime platform's, its tolerations added, its RuntimeClass set. A provider that selects
// another os or architecture than the task needs is an error rather than a Pod that never
// schedules.
func (t *translation) capacityProvider() error {
	p := t.in.CapacityProvider
	if p == nil {
		return nil
	}
	for _, k := range sortedKeys(p.NodeSelector) {
		v := p.NodeSelector[k]
		if cur, ok := t.pod.NodeSelector[k]; ok && cur != v {
			return fmt.Errorf("capacity provider %s selects nodes with %s=%s, but the task needs %s=%s (runtimePlatform)", p.Name, k, v, k, cur)
		}
		if t.pod.NodeSelector == nil {
			t.pod.NodeSelector = map[string]string{}
		}
		t.pod.NodeSelector[k] = v
	}
	for _, tol := range p.Tolerations {
		t.pod.Tolerations = append(t.pod.Tolerations, *tol.DeepCopy())
	}
	if p.RuntimeClassName != "" {
		t.pod.RuntimeClassName = ptr.To(p.RuntimeClassName)
	}
	return nil
}

// ProviderShare is how many of a Service's tasks run on one capacity provider.
type ProviderShare struct {
	CapacityProvider string
	Count            int32
}

// SplitTasks splits desired tasks over a capacity provider strategy as ECS does: the provider
// with a base gets up to base tasks first; the rest are shared by weight, each provider
// getting the whole part of its share and the tasks left over going to the largest remainders
// (ties to the earlier provider in the strategy). A provider with weight 0 gets only its
// base. The shares are in strategy order, one per item.
func SplitTasks(strategy []ecsv1.CapacityProviderStrategyItem, desired int32) ([]ProviderShare, error) {
	if len(strategy) == 0 {
		return nil, errors.New("the capacity provider strategy is empty")
	}
	shares := make([]ProviderShare, len(strategy))
	rest := int64(max(desired, 0))
	based := -1
	var total int64
	for i, item := range strategy {
		shares[i].CapacityProvider = item.CapacityProvider
		if b := ptr.Deref(item.Base, 0); b > 0 {
			if based >= 0 {
				return nil, fmt.Errorf("only one capacity provider in a strategy can have a base, but %s and %s both have one", strategy[based].CapacityProvider, item.CapacityProvider)
			}
			based = i
			n := min(int64(b), rest)
			shares[i].Count = int32(n)
			rest -= n
		}
		total += int64(ptr.Deref(item.Weight, 0))
	}
	if rest == 0 {
		return shares, nil
	}
	if total == 0 {
		return nil, fmt.Errorf("%d tasks are left after the base, but every capacity provider in the strategy has weight 0", rest)
	}
	type part struct {
		i         int
		remainder int64
	}
	var parts []part
	given := int64(0)
	for i, item := range strategy {
		w := int64(ptr.Deref(item.Weight, 0))
		whole := rest * w / total
		shares[i].Count += int32(whole)
		given += whole
		parts = append(parts, part{i, rest * w % total})
	}
	sort.SliceStable(parts, func(a, b int) bool { return parts[a].remainder > parts[b].remainder })
	for k := int64(0); k < rest-given; k++ {
		shares[parts[k].i].Count++
	}
	return shares, nil
}

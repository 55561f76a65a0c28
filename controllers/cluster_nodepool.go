package controllers

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// +kubebuilder:rbac:groups=karpenter.sh,resources=nodepools,verbs=get;list;watch;create;update;patch;delete

// nodePoolGVK is Karpenter's NodePool; it is used only when Karpenter is installed.
var nodePoolGVK = schema.GroupVersionKind{Group: "karpenter.sh", Version: "v1", Kind: "NodePool"}

// desiredNodePools makes, for each EC2 capacity provider with a node class, a Karpenter
// NodePool whose nodes belong to the Cluster's tenant alone: labelled and tainted
// ecs.operator.dev/tenant=<tenant>, with the provider's node selector as requirements.
func desiredNodePools(c *ecsv1.Cluster) []*unstructured.Unstructured {
	tenant := string(c.Spec.Tenant)
	var out []*unstructured.Unstructured
	for _, p := range c.Spec.CapacityProviders {
		if p.Type != ecsv1.CapacityProviderEC2 || p.NodeClassName == "" {
			continue
		}
		labels := map[string]any{ecsv1.LabelTenant: tenant, ecsv1.LabelCluster: shared.LabelValue(c.Name)}
		keys := make([]string, 0, len(p.NodeSelector))
		for k := range p.NodeSelector {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		requirements := []any{}
		for _, k := range keys {
			requirements = append(requirements, map[string]any{"key": k, "operator": "In", "values": []any{p.NodeSelector[k]}})
		}
		np := &unstructured.Unstructured{Object: map[string]any{
			"spec": map[string]any{
				"template": map[string]any{
					"metadata": map[string]any{"labels": labels},
					"spec": map[string]any{
						"nodeClassRef": map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": p.NodeClassName},
						"taints":       []any{map[string]any{"key": ecsv1.LabelTenant, "value": tenant, "effect": "NoSchedule"}},
						"requirements": requirements,
					},
				},
			},
		}}
		np.SetGroupVersionKind(nodePoolGVK)
		np.SetName(fmt.Sprintf("%s-%s", c.Name, shared.DNSLabel(p.Name)))
		np.SetLabels(clusterLabels(c))
		np.SetOwnerReferences([]metav1.OwnerReference{clusterOwnerRef(c)})
		out = append(out, np)
	}
	return out
}

// applyNodePools writes the Cluster's NodePools when Karpenter's NodePool kind is served.
func (r *ClusterReconciler) applyNodePools(ctx context.Context, c *ecsv1.Cluster) error {
	pools := desiredNodePools(c)
	if len(pools) == 0 {
		return nil
	}
	if _, err := r.RESTMapper().RESTMapping(nodePoolGVK.GroupKind(), nodePoolGVK.Version); err != nil {
		if meta.IsNoMatchError(err) {
			return nil // no Karpenter: whoever makes the nodes labels and taints them (docs/tenancy.md)
		}
		return err
	}
	for _, np := range pools {
		current := &unstructured.Unstructured{}
		current.SetGroupVersionKind(nodePoolGVK)
		var cur client.Object
		switch err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(np), current); {
		case err == nil:
			cur = current
		case client.IgnoreNotFound(err) != nil:
			return err
		}
		if err := r.Applier.ApplyOwned(ctx, np, cur); err != nil {
			return err
		}
	}
	return nil
}

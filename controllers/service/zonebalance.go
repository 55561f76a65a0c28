package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// annotationDeletionCost is the ReplicaSet controller's scale-in preference: among otherwise
// equal Pods, the one with the lower cost is deleted first.
const annotationDeletionCost = "controller.kubernetes.io/pod-deletion-cost"

// zoneLabel is the zone of a node.
const zoneLabel = "topology.kubernetes.io/zone"

// scaleInCosts orders a scale-in as ECS does with availabilityZoneRebalancing: tasks leave the
// zones that have the most, one at a time, so the tasks that stay are balanced over the zones.
// The i-th task of a zone (oldest first) costs -i: the newest task of the fullest zone goes
// first. Tasks without a node, or on a node without a zone, share one zone "".
func scaleInCosts(pods []*corev1.Pod, zoneOf func(node string) string) map[string]int {
	byZone := map[string][]*corev1.Pod{}
	for _, p := range pods {
		z := zoneOf(p.Spec.NodeName)
		byZone[z] = append(byZone[z], p)
	}
	costs := map[string]int{}
	for _, ps := range byZone {
		slices.SortFunc(ps, func(a, b *corev1.Pod) int {
			if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		for i, p := range ps {
			costs[p.Name] = -i
		}
	}
	return costs
}

// orderScaleIn sets the deletion cost of the running tasks a workload selects before it is
// scaled in, so that its ReplicaSet stops tasks in the fullest zones first. It writes only when
// a scale-in comes and only the costs that changed.
func (r *Reconciler) orderScaleIn(ctx context.Context, pods []corev1.Pod, selector map[string]string) error {
	sel := labels.SelectorFromSet(selector)
	var running []*corev1.Pod
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && sel.Matches(labels.Set(p.Labels)) {
			running = append(running, p)
		}
	}
	zones := map[string]string{}
	zoneOf := func(name string) string {
		if name == "" {
			return ""
		}
		if z, ok := zones[name]; ok {
			return z
		}
		node := &corev1.Node{}
		if err := r.Get(ctx, client.ObjectKey{Name: name}, node); err == nil {
			zones[name] = node.Labels[zoneLabel]
		}
		return zones[name]
	}
	for name, cost := range scaleInCosts(running, zoneOf) {
		value := strconv.Itoa(cost)
		i := slices.IndexFunc(running, func(p *corev1.Pod) bool { return p.Name == name })
		pod := running[i]
		if pod.Annotations[annotationDeletionCost] == value {
			continue
		}
		patch := client.MergeFrom(pod.DeepCopy())
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[annotationDeletionCost] = value
		if err := r.Patch(ctx, pod, patch); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("ordering the scale-in of task %s: %w", pod.Name, err)
		}
	}
	return nil
}

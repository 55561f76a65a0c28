package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// nodeLabelValues lists the nodes once and returns the values each label has across them,
// sorted, so that memberOf regular expressions (=~, !~) expand to the values that exist.
func nodeLabelValues(ctx context.Context, c client.Reader) (func(string) []string, error) {
	nodes := &corev1.NodeList{}
	if err := c.List(ctx, nodes); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	values := map[string][]string{}
	for _, n := range nodes.Items {
		for k, v := range n.Labels {
			if !slices.Contains(values[k], v) {
				values[k] = append(values[k], v)
			}
		}
	}
	for k := range values {
		slices.Sort(values[k])
	}
	return func(label string) []string { return values[label] }, nil
}

// nodeLabelsChanged lets through node events that can change what a memberOf expression
// matches: nodes that come, go, or change labels.
var nodeLabelsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return !mapsEqual(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

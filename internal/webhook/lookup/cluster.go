// Package lookup holds the cache reads the webhooks share.
package lookup

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// ClusterNamespace is the namespace of a Cluster's workloads: spec.namespace or its name.
func ClusterNamespace(c *ecsv1.Cluster) string {
	if c.Spec.Namespace != "" {
		return c.Spec.Namespace
	}
	return c.Name
}

// ClusterOfNamespace finds the Cluster whose workloads live in namespace; nil when none does.
// Clusters are few (100 per cell group), so the cached list is scanned rather than indexed.
func ClusterOfNamespace(ctx context.Context, r client.Reader, namespace string) (*ecsv1.Cluster, error) {
	list := &ecsv1.ClusterList{}
	if err := r.List(ctx, list); err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	for i := range list.Items {
		if ClusterNamespace(&list.Items[i]) == namespace {
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

package pod

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// clusterOfNamespace finds the Cluster whose namespace this is; nil when none.
func clusterOfNamespace(ctx context.Context, r client.Reader, namespace string) (*ecsv1.Cluster, error) {
	list := &ecsv1.ClusterList{}
	if err := r.List(ctx, list); err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	for i := range list.Items {
		c := &list.Items[i]
		ns := c.Spec.Namespace
		if ns == "" {
			ns = c.Name
		}
		if ns == namespace {
			return c, nil
		}
	}
	return nil, nil
}

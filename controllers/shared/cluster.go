package shared

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// ClusterForNamespace finds the Cluster whose namespace this is; nil when there is none.
func ClusterForNamespace(ctx context.Context, c client.Reader, namespace string) (*ecsv1.Cluster, error) {
	list := &ecsv1.ClusterList{}
	if err := c.List(ctx, list, client.MatchingFields{IndexClusterNamespace: namespace}); err != nil {
		return nil, fmt.Errorf("finding the cluster of namespace %s: %w", namespace, err)
	}
	var cluster *ecsv1.Cluster
	for i := range list.Items {
		if cluster == nil || OlderThan(&list.Items[i], cluster) {
			cluster = &list.Items[i]
		}
	}
	return cluster, nil
}

// PodSecurity is the Pod Security level a Cluster's tasks must pass; empty (restricted, the
// Cluster default) outside a Cluster's namespace.
func PodSecurity(cluster *ecsv1.Cluster) ecsv1.PodSecurityLevel {
	if cluster == nil {
		return ""
	}
	return cluster.Spec.PodSecurity
}

package workload

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// validateClusterNamespace admits ECS workloads only in the namespace of an ACTIVE or
// PROVISIONING Cluster, and returns that Cluster.
func validateClusterNamespace(ctx context.Context, r client.Reader, namespace string) (*ecsv1.Cluster, *field.Error, error) {
	cluster, err := lookup.ClusterOfNamespace(ctx, r, namespace)
	if err != nil {
		return nil, nil, err
	}
	path := field.NewPath("metadata", "namespace")
	if cluster == nil {
		return nil, field.Forbidden(path, fmt.Sprintf("namespace %q is not an ECS cluster namespace: create it in the namespace of an ECS Cluster", namespace)), nil
	}
	switch cluster.Status.Status {
	case "", ecsv1.ClusterProvisioning, ecsv1.ClusterActive:
		return cluster, nil, nil
	default:
		return nil, field.Forbidden(path, fmt.Sprintf("namespace %q belongs to ECS cluster %s, which is %s", namespace, cluster.Name, cluster.Status.Status)), nil
	}
}

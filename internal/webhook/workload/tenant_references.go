package workload

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// validateTaskDefinitionReference lets a Service or Task use a task definition of another
// namespace only when both namespaces belong to the same tenant: the tenant wall.
func validateTaskDefinitionReference(ctx context.Context, r client.Reader, cluster *ecsv1.Cluster, reference string) (*field.Error, error) {
	path := field.NewPath("spec", "taskDefinition")
	ref, err := ecs.ParseReference(reference)
	if err != nil {
		return field.Invalid(path, reference, err.Error()), nil
	}
	if ref.Namespace == "" || ref.Namespace == cluster.Status.Namespace || ref.Namespace == lookup.ClusterNamespace(cluster) {
		return nil, nil
	}
	other, err := lookup.ClusterOfNamespace(ctx, r, ref.Namespace)
	if err != nil {
		return nil, err
	}
	if other == nil || other.Spec.Tenant != cluster.Spec.Tenant {
		return field.Forbidden(path, fmt.Sprintf("namespace %q belongs to another tenant: a task definition can only be used from clusters of tenant %s", ref.Namespace, cluster.Spec.Tenant)), nil
	}
	return nil, nil
}

// validateCapacityProviders lets a Service or Task name only its own Cluster's capacity
// providers: another tenant's nodes are behind the wall.
func validateCapacityProviders(cluster *ecsv1.Cluster, strategy ecsv1.CapacityProviderStrategy) field.ErrorList {
	known := map[string]bool{}
	for _, p := range cluster.Spec.CapacityProviders {
		known[p.Name] = true
	}
	var errs field.ErrorList
	for i, item := range strategy {
		if !known[item.CapacityProvider] {
			errs = append(errs, field.NotFound(field.NewPath("spec", "capacityProviderStrategy").Index(i).Child("capacityProvider"),
				fmt.Sprintf("%s (cluster %s has no such capacity provider)", item.CapacityProvider, cluster.Name)))
		}
	}
	return errs
}

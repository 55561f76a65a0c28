package shared

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// Cache field indexes, so that the reconcilers find related objects without listing a
// namespace and filtering.
const (
	// IndexFamily indexes TaskDefinitions by their effective family.
	IndexFamily = "ecs.operator.dev/family"
	// IndexTaskDefinitionRef indexes Services and Tasks by the "namespace/family" they run.
	IndexTaskDefinitionRef = "ecs.operator.dev/task-definition-ref"
	// IndexTaskSetService indexes TaskSets by their Service's name.
	IndexTaskSetService = "ecs.operator.dev/task-set-service"
	// IndexClusterNamespace indexes Clusters by the namespace that holds their workloads.
	IndexClusterNamespace = "ecs.operator.dev/cluster-namespace"
)

// SetupIndexes registers the field indexes the reconcilers use. Call it once per manager,
// before the reconcilers are set up.
func SetupIndexes(ctx context.Context, mgr manager.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &ecsv1.TaskDefinition{}, IndexFamily, func(o client.Object) []string {
		return []string{EffectiveFamily(o.(*ecsv1.TaskDefinition))}
	}); err != nil {
		return fmt.Errorf("indexing TaskDefinitions by family: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1.Service{}, IndexTaskDefinitionRef, func(o client.Object) []string {
		return taskDefinitionRefKeys(o.GetNamespace(), string(o.(*ecsv1.Service).Spec.TaskDefinition))
	}); err != nil {
		return fmt.Errorf("indexing Services by task definition: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1.Task{}, IndexTaskDefinitionRef, func(o client.Object) []string {
		return taskDefinitionRefKeys(o.GetNamespace(), string(o.(*ecsv1.Task).Spec.TaskDefinition))
	}); err != nil {
		return fmt.Errorf("indexing Tasks by task definition: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1.TaskSet{}, IndexTaskDefinitionRef, func(o client.Object) []string {
		return taskDefinitionRefKeys(o.GetNamespace(), string(o.(*ecsv1.TaskSet).Spec.TaskDefinition))
	}); err != nil {
		return fmt.Errorf("indexing TaskSets by task definition: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1.TaskSet{}, IndexTaskSetService, func(o client.Object) []string {
		return []string{o.(*ecsv1.TaskSet).Spec.Service}
	}); err != nil {
		return fmt.Errorf("indexing TaskSets by service: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1.Cluster{}, IndexClusterNamespace, func(o client.Object) []string {
		return []string{ClusterNamespace(o.(*ecsv1.Cluster))}
	}); err != nil {
		return fmt.Errorf("indexing Clusters by namespace: %w", err)
	}
	return nil
}

// taskDefinitionRefKeys is the index key of a reference: "namespace/family".
func taskDefinitionRefKeys(namespace, reference string) []string {
	ref, err := ecs.ParseReference(reference)
	if err != nil {
		return nil
	}
	return []string{RefKey(namespace, ref)}
}

func RefKey(namespace string, ref ecs.Reference) string {
	if ref.Namespace != "" {
		namespace = ref.Namespace
	}
	return namespace + "/" + ref.Family
}

// ClusterNamespace is the namespace of a Cluster's workloads: spec.namespace or its name.
func ClusterNamespace(c *ecsv1.Cluster) string {
	if c.Spec.Namespace != "" {
		return c.Spec.Namespace
	}
	return c.Name
}

package workload

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// defaultMaxTasksPerService is ECS's quota of tasks per service.
const defaultMaxTasksPerService = 5000

// validateDesiredCount keeps a Service's desiredCount within the Cluster's maxTasksPerService.
func validateDesiredCount(cluster *ecsv1.Cluster, svc *ecsv1.Service) *field.Error {
	limit := int32(defaultMaxTasksPerService)
	if q := cluster.Spec.Quota; q != nil && q.MaxTasksPerService != nil {
		limit = *q.MaxTasksPerService
	}
	if d := ptr.Deref(svc.Spec.DesiredCount, 0); d > limit {
		return field.Invalid(field.NewPath("spec", "desiredCount"), d,
			fmt.Sprintf("exceeds cluster %s's maxTasksPerService of %d", cluster.Name, limit))
	}
	return nil
}

// workloadUse is what a Cluster's namespace already runs.
type workloadUse struct {
	services int32
	tasks    int32 // desired tasks of Services plus Tasks not yet stopped
}

func countUse(ctx context.Context, r client.Reader, namespace string, exclude client.Object) (workloadUse, error) {
	var use workloadUse
	services := &ecsv1.ServiceList{}
	if err := r.List(ctx, services, client.InNamespace(namespace)); err != nil {
		return use, fmt.Errorf("listing services: %w", err)
	}
	for _, s := range services.Items {
		if exclude != nil && s.UID == exclude.GetUID() && s.UID != "" {
			continue
		}
		use.services++
		use.tasks += ptr.Deref(s.Spec.DesiredCount, 0)
	}
	tasks := &ecsv1.TaskList{}
	if err := r.List(ctx, tasks, client.InNamespace(namespace)); err != nil {
		return use, fmt.Errorf("listing tasks: %w", err)
	}
	for _, t := range tasks.Items {
		if t.Status.LastStatus != ecsv1.TaskStopped {
			use.tasks++
		}
	}
	return use, nil
}

// validateServiceQuota keeps Services within maxServices and their tasks within maxTasks.
func validateServiceQuota(ctx context.Context, r client.Reader, cluster *ecsv1.Cluster, svc *ecsv1.Service, creating bool) (field.ErrorList, error) {
	q := cluster.Spec.Quota
	if q == nil || (q.MaxServices == nil && q.MaxTasks == nil) {
		return nil, nil
	}
	use, err := countUse(ctx, r, svc.Namespace, svc)
	if err != nil {
		return nil, err
	}
	var errs field.ErrorList
	if creating && q.MaxServices != nil && use.services+1 > *q.MaxServices {
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"),
			fmt.Sprintf("cluster %s already has %d services, its maxServices", cluster.Name, use.services)))
	}
	if q.MaxTasks != nil && use.tasks+ptr.Deref(svc.Spec.DesiredCount, 0) > *q.MaxTasks {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "desiredCount"),
			fmt.Sprintf("cluster %s would run %d tasks, more than its maxTasks of %d", cluster.Name, use.tasks+ptr.Deref(svc.Spec.DesiredCount, 0), *q.MaxTasks)))
	}
	return errs, nil
}

// validateTaskQuota keeps a new Task within the Cluster's maxTasks.
func validateTaskQuota(ctx context.Context, r client.Reader, cluster *ecsv1.Cluster, task *ecsv1.Task) (*field.Error, error) {
	q := cluster.Spec.Quota
	if q == nil || q.MaxTasks == nil {
		return nil, nil
	}
	use, err := countUse(ctx, r, task.Namespace, nil)
	if err != nil {
		return nil, err
	}
	if use.tasks+1 > *q.MaxTasks {
		return field.Forbidden(field.NewPath("metadata", "name"),
			fmt.Sprintf("cluster %s already runs %d tasks, its maxTasks", cluster.Name, use.tasks)), nil
	}
	return nil, nil
}

package workload

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// TaskSetValidator admits task sets in cluster namespaces, of a Service there that uses the
// EXTERNAL deployment controller, within the tenant wall.
type TaskSetValidator struct {
	Reader client.Reader
	// Live reads a Service the cache has not seen yet: an external controller creates the
	// Service and its first task set back to back.
	Live client.Reader
}

// ValidateCreate validates a new TaskSet.
func (v *TaskSetValidator) ValidateCreate(ctx context.Context, ts *ecsv1.TaskSet) (admission.Warnings, error) {
	return v.validate(ctx, ts)
}

// ValidateUpdate validates a scaled TaskSet (the rest of its spec is immutable, by CEL).
func (v *TaskSetValidator) ValidateUpdate(ctx context.Context, _, ts *ecsv1.TaskSet) (admission.Warnings, error) {
	if !ts.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return v.validate(ctx, ts)
}

// ValidateDelete admits every deletion.
func (v *TaskSetValidator) ValidateDelete(context.Context, *ecsv1.TaskSet) (admission.Warnings, error) {
	return nil, nil
}

func (v *TaskSetValidator) validate(ctx context.Context, ts *ecsv1.TaskSet) (admission.Warnings, error) {
	cluster, nsErr, err := validateClusterNamespace(ctx, v.Reader, ts.Namespace)
	if err != nil {
		return nil, err
	}
	if nsErr != nil {
		return nil, invalid("TaskSet", ts.Name, field.ErrorList{nsErr})
	}
	var errs field.ErrorList
	if e, err := validateTaskSetService(ctx, v.Reader, v.Live, ts); err != nil {
		return nil, err
	} else if e != nil {
		errs = append(errs, e)
	}
	refErr, err := validateTaskDefinitionReference(ctx, v.Reader, cluster, string(ts.Spec.TaskDefinition))
	if err != nil {
		return nil, err
	}
	if refErr != nil {
		errs = append(errs, refErr)
	}
	errs = append(errs, validateCapacityProviders(cluster, ts.Spec.CapacityProviderStrategy)...)
	return nil, invalid("TaskSet", ts.Name, errs)
}

// validateTaskSetService admits a task set only into a Service of its namespace that an
// external controller deploys, as CreateTaskSet does.
func validateTaskSetService(ctx context.Context, cached, live client.Reader, ts *ecsv1.TaskSet) (*field.Error, error) {
	path := field.NewPath("spec", "service")
	svc := &ecsv1.Service{}
	key := client.ObjectKey{Namespace: ts.Namespace, Name: ts.Spec.Service}
	err := cached.Get(ctx, key, svc)
	if apierrors.IsNotFound(err) && live != nil {
		err = live.Get(ctx, key, svc)
	}
	switch {
	case apierrors.IsNotFound(err):
		return field.NotFound(path, ts.Spec.Service), nil
	case err != nil:
		return nil, err
	}
	if c := svc.Spec.DeploymentController; c == nil || c.Type != ecsv1.DeploymentControllerExternal {
		return field.Invalid(path, ts.Spec.Service, fmt.Sprintf("service %s does not use the EXTERNAL deployment controller: only such a service takes task sets", svc.Name)), nil
	}
	return nil, nil
}

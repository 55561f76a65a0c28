package workload

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-taskdefinition,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=taskdefinitions,verbs=create;update,versions=v1alpha1,name=vtaskdefinition.ecs.operator.dev,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-service,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=services,verbs=create;update,versions=v1alpha1,name=vservice.ecs.operator.dev,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-taskset,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=tasksets,verbs=create;update,versions=v1alpha1,name=vtaskset.ecs.operator.dev,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-task,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=tasks,verbs=create,versions=v1alpha1,name=vtask.ecs.operator.dev,admissionReviewVersions=v1

// SetupWithManager registers the validating webhooks of TaskDefinitions, Services, Tasks and
// TaskSets on
// the manager's webhook server; they read the manager's cache.
func SetupWithManager(mgr ctrl.Manager) error {
	r := mgr.GetClient()
	if err := ctrl.NewWebhookManagedBy(mgr, &ecsv1.TaskDefinition{}).WithValidator(&TaskDefinitionValidator{Reader: r}).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &ecsv1.Service{}).WithValidator(&ServiceValidator{Reader: r}).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &ecsv1.Task{}).WithValidator(&TaskValidator{Reader: r}).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &ecsv1.TaskSet{}).WithValidator(&TaskSetValidator{Reader: r, Live: mgr.GetAPIReader()}).Complete(); err != nil {
		return err
	}
	setupScale(mgr)
	return nil
}

// invalid turns field errors into the API server's Invalid answer, naming every field.
func invalid(kind, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(ecsv1.GroupVersion.WithKind(kind).GroupKind(), name, errs)
}

// TaskDefinitionValidator admits task definitions in cluster namespaces that ECS would accept.
type TaskDefinitionValidator struct{ Reader client.Reader }

// ValidateCreate validates a new TaskDefinition.
func (v *TaskDefinitionValidator) ValidateCreate(ctx context.Context, td *ecsv1.TaskDefinition) (admission.Warnings, error) {
	return v.validate(ctx, td)
}

// ValidateUpdate validates a changed TaskDefinition.
func (v *TaskDefinitionValidator) ValidateUpdate(ctx context.Context, _, td *ecsv1.TaskDefinition) (admission.Warnings, error) {
	return v.validate(ctx, td)
}

// ValidateDelete admits every deletion.
func (v *TaskDefinitionValidator) ValidateDelete(context.Context, *ecsv1.TaskDefinition) (admission.Warnings, error) {
	return nil, nil
}

func (v *TaskDefinitionValidator) validate(ctx context.Context, td *ecsv1.TaskDefinition) (admission.Warnings, error) {
	_, nsErr, err := validateClusterNamespace(ctx, v.Reader, td.Namespace)
	if err != nil {
		return nil, err
	}
	var errs field.ErrorList
	if nsErr != nil {
		errs = append(errs, nsErr)
	}
	errs = append(errs, ValidateTaskDefinitionSpec(&td.Spec)...)
	return nil, invalid("TaskDefinition", td.Name, errs)
}

// ValidateTaskDefinitionSpec runs the ECS rules of a task definition that need more than CEL:
// Fargate sizes, container sizes within the task, memberOf expressions, dependsOn cycles,
// secret sources.
func ValidateTaskDefinitionSpec(spec *ecsv1.TaskDefinitionSpec) field.ErrorList {
	path := field.NewPath("spec")
	var errs field.ErrorList
	errs = append(errs, validateFargateSize(spec, path)...)
	errs = append(errs, validateContainerSizes(spec, path)...)
	errs = append(errs, validateTaskDefinitionPlacement(spec, path)...)
	errs = append(errs, validateDependsOnCycles(spec, path)...)
	errs = append(errs, validateSecretSources(spec, path)...)
	return errs
}

// ServiceValidator admits Services in cluster namespaces within the Cluster's quotas and
// tenant wall.
type ServiceValidator struct{ Reader client.Reader }

// ValidateCreate validates a new Service.
func (v *ServiceValidator) ValidateCreate(ctx context.Context, svc *ecsv1.Service) (admission.Warnings, error) {
	return v.validate(ctx, svc, true)
}

// ValidateUpdate validates a changed Service.
func (v *ServiceValidator) ValidateUpdate(ctx context.Context, _, svc *ecsv1.Service) (admission.Warnings, error) {
	return v.validate(ctx, svc, false)
}

// ValidateDelete admits every deletion: a Service drains.
func (v *ServiceValidator) ValidateDelete(context.Context, *ecsv1.Service) (admission.Warnings, error) {
	return nil, nil
}

func (v *ServiceValidator) validate(ctx context.Context, svc *ecsv1.Service, creating bool) (admission.Warnings, error) {
	if !svc.DeletionTimestamp.IsZero() {
		return nil, nil // a draining Service's finalizer and status must always get through
	}
	cluster, nsErr, err := validateClusterNamespace(ctx, v.Reader, svc.Namespace)
	if err != nil {
		return nil, err
	}
	if nsErr != nil {
		return nil, invalid("Service", svc.Name, field.ErrorList{nsErr})
	}
	var errs field.ErrorList
	if svc.Spec.TaskDefinition != "" {
		refErr, err := validateTaskDefinitionReference(ctx, v.Reader, cluster, string(svc.Spec.TaskDefinition))
		if err != nil {
			return nil, err
		}
		if refErr != nil {
			errs = append(errs, refErr)
		}
	}
	if e := validateDesiredCount(cluster, svc); e != nil {
		errs = append(errs, e)
	}
	quota, err := validateServiceQuota(ctx, v.Reader, cluster, svc, creating)
	if err != nil {
		return nil, err
	}
	errs = append(errs, quota...)
	errs = append(errs, validateCapacityProviders(cluster, svc.Spec.CapacityProviderStrategy)...)
	errs = append(errs, validatePlacementConstraints(svc.Spec.PlacementConstraints, field.NewPath("spec", "placementConstraints"))...)
	return nil, invalid("Service", svc.Name, errs)
}

// TaskValidator admits Tasks in cluster namespaces within the Cluster's quota and tenant wall.
type TaskValidator struct{ Reader client.Reader }

// ValidateCreate validates a new Task.
func (v *TaskValidator) ValidateCreate(ctx context.Context, task *ecsv1.Task) (admission.Warnings, error) {
	cluster, nsErr, err := validateClusterNamespace(ctx, v.Reader, task.Namespace)
	if err != nil {
		return nil, err
	}
	if nsErr != nil {
		return nil, invalid("Task", task.Name, field.ErrorList{nsErr})
	}
	var errs field.ErrorList
	refErr, err := validateTaskDefinitionReference(ctx, v.Reader, cluster, string(task.Spec.TaskDefinition))
	if err != nil {
		return nil, err
	}
	if refErr != nil {
		errs = append(errs, refErr)
	}
	quotaErr, err := validateTaskQuota(ctx, v.Reader, cluster, task)
	if err != nil {
		return nil, err
	}
	if quotaErr != nil {
		errs = append(errs, quotaErr)
	}
	errs = append(errs, validateCapacityProviders(cluster, task.Spec.CapacityProviderStrategy)...)
	errs = append(errs, validatePlacementConstraints(task.Spec.PlacementConstraints, field.NewPath("spec", "placementConstraints"))...)
	return nil, invalid("Task", task.Name, errs)
}

// ValidateUpdate admits updates: a Task's spec is immutable (CEL), its status is the operator's.
func (v *TaskValidator) ValidateUpdate(context.Context, *ecsv1.Task, *ecsv1.Task) (admission.Warnings, error) {
	return nil, nil
}

// ValidateDelete admits every deletion.
func (v *TaskValidator) ValidateDelete(context.Context, *ecsv1.Task) (admission.Warnings, error) {
	return nil, nil
}

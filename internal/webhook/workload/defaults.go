package workload

import (
	"context"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/webhook/admit"
	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// +kubebuilder:webhook:path=/mutate-ecs-operator-dev-v1alpha1-taskdefinition,mutating=true,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=taskdefinitions,verbs=create;update,versions=v1alpha1,name=mtaskdefinition.ecs.operator.dev,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/mutate-ecs-operator-dev-v1alpha1-service,mutating=true,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=services,verbs=create,versions=v1alpha1,name=mservice.ecs.operator.dev,admissionReviewVersions=v1

// SetupDefaultersWithManager registers the mutating webhooks of TaskDefinitions and Services.
func SetupDefaultersWithManager(mgr ctrl.Manager) error {
	server := mgr.GetWebhookServer()
	server.Register(taskDefinitionDefaulterPath, admit.Defaulter[*ecsv1.TaskDefinition](mgr.GetScheme(), &TaskDefinitionDefaulter{Reader: mgr.GetClient()}))
	server.Register(serviceDefaulterPath, admit.Defaulter[*ecsv1.Service](mgr.GetScheme(), &ServiceDefaulter{}))
	return nil
}

// maxContainers is the schema's bound of spec.containerDefinitions (ECS's 10).
const maxContainers = 10

// The paths of the markers above.
const (
	taskDefinitionDefaulterPath = "/mutate-ecs-operator-dev-v1alpha1-taskdefinition"
	serviceDefaulterPath        = "/mutate-ecs-operator-dev-v1alpha1-service"
)

// TaskDefinitionDefaulter fills in ECS's defaults that depend on other fields, and gives every
// container of a tenant's task definition TENANT_ID, so that it shows in every revision and in
// an export to ECS JSON.
type TaskDefinitionDefaulter struct{ Reader client.Reader }

// Default mutates a TaskDefinition being written.
func (d *TaskDefinitionDefaulter) Default(ctx context.Context, td *ecsv1.TaskDefinition) error {
	// Mutating webhooks run before the schema is checked: a task definition of more containers
	// than the schema allows is refused by it, and defaulting each would only cost memory.
	if len(td.Spec.ContainerDefinitions) > maxContainers {
		return nil
	}
	DefaultTaskDefinitionSpec(&td.Spec)
	cluster, err := lookup.ClusterOfNamespace(ctx, d.Reader, td.Namespace)
	if err != nil || cluster == nil {
		return err
	}
	for i := range td.Spec.ContainerDefinitions {
		c := &td.Spec.ContainerDefinitions[i]
		found := false
		for _, e := range c.Environment {
			if e.Name == "TENANT_ID" {
				found = true
			}
		}
		if !found {
			c.Environment = append(c.Environment, ecsv1.KeyValuePair{Name: "TENANT_ID", Value: string(cluster.Spec.Tenant)})
		}
	}
	return nil
}

// DefaultTaskDefinitionSpec applies ECS's defaults that CEL cannot: essential true when unset,
// networkMode awsvpc for FARGATE.
func DefaultTaskDefinitionSpec(spec *ecsv1.TaskDefinitionSpec) {
	for i := range spec.ContainerDefinitions {
		if spec.ContainerDefinitions[i].Essential == nil {
			spec.ContainerDefinitions[i].Essential = ptr.To(true)
		}
	}
	if spec.NetworkMode == "" && requires(spec, "FARGATE") {
		spec.NetworkMode = ecsv1.NetworkModeAwsVpc
	}
}

// ServiceDefaulter applies ECS's DAEMON deployment defaults (maximumPercent 100,
// minimumHealthyPercent 0) where the schema put REPLICA's (200, 100), and puts ecs-operator's
// finalizer on the new Service, so that the Service controller need not write it: a new
// Service then costs no extra write. Without webhooks the controller adds it.
type ServiceDefaulter struct{}

// Default mutates a Service being created.
func (ServiceDefaulter) Default(_ context.Context, svc *ecsv1.Service) error {
	DefaultServiceSpec(&svc.Spec)
	controllerutil.AddFinalizer(svc, ecsv1.Finalizer)
	return nil
}

// DefaultServiceSpec replaces the schema's REPLICA deployment defaults of a DAEMON service with
// ECS's DAEMON defaults. A DAEMON service that asks for exactly 200/100 gets 100/0 too: ECS
// does not surge daemon tasks, so 200 has no meaning for it.
func DefaultServiceSpec(spec *ecsv1.ServiceSpec) {
	if spec.SchedulingStrategy != ecsv1.SchedulingDaemon {
		return
	}
	dc := spec.DeploymentConfiguration
	if dc == nil {
		dc = &ecsv1.DeploymentConfiguration{}
		spec.DeploymentConfiguration = dc
	}
	if ptr.Deref(dc.MaximumPercent, 200) == 200 && ptr.Deref(dc.MinimumHealthyPercent, 100) == 100 {
		dc.MaximumPercent, dc.MinimumHealthyPercent = ptr.To[int32](100), ptr.To[int32](0)
	}
}

package crd

import (
	"testing"
)

func validTaskSet(ns string) func() obj {
	return func() obj {
		o := fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskSet
spec:
  service: web
  externalId: argo-rollouts/web-7c9f
  taskDefinition: web:4
  launchType: FARGATE
  scale:
    value: 50.0
    unit: PERCENT
  loadBalancers:
  - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web-green/1
    containerName: app
    containerPort: 8080
`)
		o.set("metadata.namespace", ns)
		return o
	}
}

func TestTaskSetValidation(t *testing.T) {
	ns := newNamespace(t)
	runCases(t, validTaskSet(ns), []crdCase{
		{name: "a task set as CreateTaskSet takes it is accepted"},
		{name: "service is required", mutate: remove("spec.service"), wantErr: "spec.service: Required value"},
		{name: "taskDefinition is required", mutate: remove("spec.taskDefinition"), wantErr: "spec.taskDefinition: Required value"},
		{name: "a scale over 100 percent is rejected", mutate: setTo("spec.scale.value", 100.5), wantErr: "spec.scale.value: Invalid value: 100.5"},
		{name: "a scale unit other than PERCENT is rejected", mutate: setTo("spec.scale.unit", "COUNT"), wantErr: `spec.scale.unit: Unsupported value: "COUNT"`},
		{name: "launchType with a capacity provider strategy is rejected", mutate: setTo("spec.capacityProviderStrategy", []any{map[string]any{"capacityProvider": "spot", "weight": 1}}), wantErr: "launchType and capacityProviderStrategy cannot both be set"},
		{name: "scaling a task set is accepted (UpdateTaskSet)", update: setTo("spec.scale.value", 100)},
		{name: "changing the task definition is rejected", update: setTo("spec.taskDefinition", "web:5"), wantErr: "taskDefinition is immutable: create a new task set"},
		{name: "moving a task set to another service is rejected", update: setTo("spec.service", "api"), wantErr: "service is immutable"},
		{name: "changing the load balancers is rejected", update: setTo("spec.loadBalancers[0].containerPort", 9090), wantErr: "loadBalancers are immutable"},
		{name: "removing the launch type is rejected", update: remove("spec.launchType"), wantErr: "only scale can change once a task set exists"},
	})
}

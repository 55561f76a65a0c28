package crd

import (
	"testing"
)

func validTask(ns string) func() obj {
	return func() obj {
		o := fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: Task
spec:
  taskDefinition: migrate:4
  launchType: FARGATE
  startedBy: release-pipeline
  group: family:migrate
  overrides:
    cpu: "0.5 vCPU"
    memory: "1GB"
    containerOverrides:
    - name: app
      command: ["bin/rails", "db:migrate"]
      environment:
      - name: RAILS_ENV
        value: production
      memory: 512
`)
		o.set("metadata.namespace", ns)
		return o
	}
}

func TestTaskValidation(t *testing.T) {
	ns := newNamespace(t)
	runCases(t, validTask(ns), []crdCase{
		{name: "a task with overrides is accepted"},
		{name: "taskDefinition is required", mutate: remove("spec.taskDefinition"), wantErr: "spec.taskDefinition: Required value"},
		{name: "an override of one container twice is rejected", mutate: setTo("spec.overrides.containerOverrides", []any{map[string]any{"name": "app"}, map[string]any{"name": "app"}}), wantErr: "a container may be overridden only once"},
		{name: "an override cpu that is no ECS form is rejected", mutate: setTo("spec.overrides.cpu", "half"), wantErr: `spec.overrides.cpu: Invalid value: "half"`},
		{name: "launchType with a capacity provider strategy is rejected", mutate: setTo("spec.capacityProviderStrategy", []any{map[string]any{"capacityProvider": "spot", "weight": 1}}), wantErr: "launchType and capacityProviderStrategy cannot both be set"},
		{name: "an unknown launch type is rejected", mutate: setTo("spec.launchType", "BATCH"), wantErr: `spec.launchType: Unsupported value: "BATCH"`},
		{name: "changing a task's spec is rejected", update: setTo("spec.overrides.cpu", "1 vCPU"), wantErr: "a Task's spec is immutable: run a new Task instead"},
		{name: "changing a task's labels is accepted", update: setTo("metadata.labels", map[string]any{"team": "a"})},
	})
}

package crd

import (
	"strings"
	"testing"
)

func validCluster() obj {
	return fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: Cluster
spec:
  tenant: tenant-a
  capacityProviders:
  - name: on-demand
    type: EC2
    nodeSelector:
      node.kubernetes.io/instance-type: m6i.large
  - name: FARGATE_SPOT
    type: FARGATE_SPOT
    tolerations:
    - key: virtual-kubelet.io/provider
      operator: Exists
      effect: NoSchedule
  defaultCapacityProviderStrategy:
  - capacityProvider: on-demand
    base: 2
    weight: 1
  - capacityProvider: FARGATE_SPOT
    weight: 3
  quota:
    cpu: "64"
    memory: 256Gi
    maxTasks: 500
    maxServices: 50
  settings:
  - name: containerInsights
    value: enabled
  serviceConnectDefaults:
    namespace: tenant-a.local
`)
}

func TestClusterValidation(t *testing.T) {
	runCases(t, validCluster, []crdCase{
		{name: "a cluster with capacity providers and a strategy is accepted",
			check: all2(expect("spec.quota.maxTasksPerService", 5000), expect("spec.podSecurity", "restricted"))},
		{name: "a minimal cluster gets the default quota and pod security", mutate: func(o obj) {
			delete(o, "spec")
			o.set("spec.tenant", "tenant-b")
		}, check: all2(expect("spec.quota.maxTasksPerService", 5000), expect("spec.podSecurity", "restricted"))},
		{name: "tenant is required", mutate: remove("spec.tenant"), wantErr: "spec.tenant: Required value"},
		{name: "a tenant that is not a DNS label is rejected", mutate: setTo("spec.tenant", "Tenant_A"), wantErr: `spec.tenant: Invalid value: "Tenant_A"`},
		{name: "changing the tenant is rejected", update: setTo("spec.tenant", "tenant-b"), wantErr: `spec.tenant: Invalid value: "tenant-b": tenant is immutable`},
		{name: "an update that keeps the tenant is accepted", update: setTo("spec.quota.maxTasks", 600)},
		{name: "setting cellGroup later is rejected", update: setTo("spec.cellGroup", "tier-1"), wantErr: "cellGroup is immutable"},
		{name: "changing cellGroup is rejected", mutate: setTo("spec.cellGroup", "cg-1"), update: setTo("spec.cellGroup", "cg-2"), wantErr: "cellGroup is immutable"},
		{name: "removing cellGroup is rejected", mutate: setTo("spec.cellGroup", "cg-1"), update: remove("spec.cellGroup"), wantErr: "cellGroup is immutable"},
		{name: "changing namespace is rejected", mutate: setTo("spec.namespace", "team-a"), update: setTo("spec.namespace", "team-b"), wantErr: "namespace is immutable"},
		{name: "setting namespace later is rejected", update: setTo("spec.namespace", "team-a"), wantErr: "namespace is immutable"},
		{name: "a namespace that is not a DNS label is rejected", mutate: setTo("spec.namespace", "team.a"), wantErr: `spec.namespace: Invalid value: "team.a"`},
		{name: "a cluster named like no namespace needs spec.namespace", mutate: setTo("metadata.name", "tenant.a.cluster"), wantErr: "needs spec.namespace"},
		{name: "a cluster named like no namespace with spec.namespace is accepted", mutate: all(setTo("metadata.name", "tenant.b.cluster"), setTo("spec.namespace", "tenant-b"))},
		{name: "a cluster with a 64-character name needs spec.namespace", mutate: setTo("metadata.name", strings.Repeat("a", 64)), wantErr: "needs spec.namespace"},
		{name: "a capacity provider type that ECS does not have is rejected", mutate: setTo("spec.capacityProviders[0].type", "SPOT"), wantErr: `spec.capacityProviders[0].type: Unsupported value: "SPOT"`},
		{name: "duplicate capacity provider names are rejected", mutate: setTo("spec.capacityProviders[1].name", "on-demand"), wantErr: "Duplicate value"},
		{name: "a strategy naming a missing capacity provider is rejected", mutate: setTo("spec.defaultCapacityProviderStrategy[1].capacityProvider", "FARGATE"), wantErr: "defaultCapacityProviderStrategy must name capacity providers of the cluster"},
		{name: "a strategy with two bases is rejected", mutate: setTo("spec.defaultCapacityProviderStrategy[1].base", 1), wantErr: "only one capacity provider in a strategy can have a base"},
		{name: "a strategy naming a provider twice is rejected", mutate: setTo("spec.defaultCapacityProviderStrategy[1].capacityProvider", "on-demand"), wantErr: "a capacity provider may appear only once in a strategy"},
		{name: "a weight above 1000 is rejected", mutate: setTo("spec.defaultCapacityProviderStrategy[1].weight", 1001), wantErr: "weight in body should be less than or equal to 1000"},
		{name: "maxTasksPerService 5000 is accepted", mutate: setTo("spec.quota.maxTasksPerService", 5000)},
		{name: "maxTasksPerService above the ECS quota is rejected", mutate: setTo("spec.quota.maxTasksPerService", 5001), wantErr: "spec.quota.maxTasksPerService: Invalid value: 5001"},
		{name: "a negative maxTasks is rejected", mutate: setTo("spec.quota.maxTasks", -1), wantErr: "spec.quota.maxTasks: Invalid value: -1"},
		{name: "a quota cpu that is no quantity is rejected", mutate: setTo("spec.quota.cpu", "lots"), wantErr: "spec.quota.cpu"},
		{name: "podSecurity baseline is accepted", mutate: setTo("spec.podSecurity", "baseline"), check: expect("spec.podSecurity", "baseline")},
		{name: "podSecurity open is rejected", mutate: setTo("spec.podSecurity", "open"), wantErr: `spec.podSecurity: Unsupported value: "open"`},
		{name: "an unknown cluster setting is rejected", mutate: setTo("spec.settings[0].name", "fargateEphemeralStorageKmsKey"), wantErr: `Unsupported value: "fargateEphemeralStorageKmsKey"`},
		{name: "a containerInsights value ECS does not have is rejected", mutate: setTo("spec.settings[0].value", "on"), wantErr: `spec.settings[0].value: Unsupported value: "on"`},
	})
}

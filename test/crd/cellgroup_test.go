package crd

import (
	"strings"
	"testing"
)

func validCellGroup() obj {
	return fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: CellGroup
spec:
  tier: 1
  cell: 2
  infraGroup: 3
  tenants:
  - name: tenant-a
    owners:
    - kind: Group
      apiGroup: rbac.authorization.k8s.io
      name: tenant-a-admins
  - name: tenant-b
  clusterTemplate:
    capacityProviders:
    - name: on-demand
      type: EC2
    defaultCapacityProviderStrategy:
    - capacityProvider: on-demand
      weight: 1
`)
}

func tenants(n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, map[string]any{"name": "t" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	return out
}

func TestCellGroupValidation(t *testing.T) {
	runCases(t, validCellGroup, []crdCase{
		{name: "a group with two tenants gets the default caps and deletion policy", check: all2(
			expect("spec.maxClusters", 100), expect("spec.maxClustersPerTenant", 5), expect("spec.tenantDeletionPolicy", "Retain"),
			expect("spec.clusterTemplate.podSecurity", "restricted"))},
		{name: "tier is required", mutate: remove("spec.tier"), wantErr: "spec.tier: Required value"},
		{name: "tier 0 is rejected", mutate: setTo("spec.tier", 0), wantErr: "spec.tier: Invalid value: 0"},
		{name: "cell 0 is rejected", mutate: setTo("spec.cell", 0), wantErr: "spec.cell: Invalid value: 0"},
		{name: "infraGroup -1 is rejected", mutate: setTo("spec.infraGroup", -1), wantErr: "spec.infraGroup: Invalid value: -1"},
		{name: "a tenant that is not a DNS label is rejected", mutate: setTo("spec.tenants[1].name", "Tenant B"), wantErr: `spec.tenants[1].name: Invalid value: "Tenant B"`},
		{name: "duplicate tenants are rejected", mutate: setTo("spec.tenants[1].name", "tenant-a"), wantErr: "Duplicate value"},
		{name: "maxClusters above 100 is rejected", mutate: setTo("spec.maxClusters", 101), wantErr: "spec.maxClusters: Invalid value: 101"},
		{name: "maxClustersPerTenant above maxClusters is rejected", mutate: all(setTo("spec.maxClusters", 3), setTo("spec.maxClustersPerTenant", 4)), wantErr: "maxClustersPerTenant cannot exceed maxClusters"},
		{name: "as many tenants as maxClusters are accepted", mutate: all(setTo("spec.maxClusters", 3), setTo("spec.maxClustersPerTenant", 1), setTo("spec.tenants", tenants(3)))},
		{name: "more tenants than maxClusters are rejected", mutate: all(setTo("spec.maxClusters", 2), setTo("spec.maxClustersPerTenant", 1), setTo("spec.tenants", tenants(3))), wantErr: "a CellGroup cannot hold more tenants than maxClusters"},
		{name: "a tenant whose cluster name fits in 63 characters is accepted", mutate: setTo("spec.tenants[1].name", strings.Repeat("b", 63-len("tier-1-cell-2-ig-3-")))},
		{name: "a tenant whose cluster name exceeds 63 characters is rejected", mutate: setTo("spec.tenants[1].name", strings.Repeat("b", 64-len("tier-1-cell-2-ig-3-"))), wantErr: "a tenant name is too long"},
		{name: "multi-digit tiers count in the cluster name length", mutate: all(setTo("spec.tier", 1000), setTo("spec.cell", 20), setTo("spec.tenants[1].name", strings.Repeat("b", 64-len("tier-1000-cell-20-ig-3-")))), wantErr: "a tenant name is too long"},
		{name: "tenantDeletionPolicy Delete is accepted", mutate: setTo("spec.tenantDeletionPolicy", "Delete")},
		{name: "tenantDeletionPolicy Orphan is rejected", mutate: setTo("spec.tenantDeletionPolicy", "Orphan"), wantErr: `spec.tenantDeletionPolicy: Unsupported value: "Orphan"`},
		{name: "a template strategy naming a missing provider is rejected", mutate: setTo("spec.clusterTemplate.defaultCapacityProviderStrategy[0].capacityProvider", "spot"), wantErr: "defaultCapacityProviderStrategy must name capacity providers of the cluster"},
		{name: "adding a tenant is accepted", update: setTo("spec.tenants", tenants(3))},
		{name: "changing the tier is rejected", update: setTo("spec.tier", 2), wantErr: "tier, cell and infraGroup are immutable"},
		{name: "changing the infraGroup is rejected", update: setTo("spec.infraGroup", 4), wantErr: "tier, cell and infraGroup are immutable"},
	})
}

package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// defaultMaxClustersPerTenant is the cap of a tenant whose Cluster names no CellGroup (or one
// that does not exist), and CellGroup's default.
const defaultMaxClustersPerTenant = 5

// validateTenantCap keeps a tenant's Clusters, counted across all CellGroups and standalone
// Clusters, within the maxClustersPerTenant of the new Cluster's CellGroup. Clusters being
// deleted do not count.
func validateTenantCap(c *ecsv1.Cluster, group *ecsv1.CellGroup, others []ecsv1.Cluster) *field.Error {
	limit := int32(defaultMaxClustersPerTenant)
	if group != nil && group.Spec.MaxClustersPerTenant > 0 {
		limit = group.Spec.MaxClustersPerTenant
	}
	n := 0
	for i := range others {
		o := &others[i]
		if o.Spec.Tenant == c.Spec.Tenant && o.DeletionTimestamp.IsZero() {
			n++
		}
	}
	if n+1 > int(limit) {
		return field.Forbidden(field.NewPath("spec", "tenant"),
			fmt.Sprintf("tenant %s already has %s; maxClustersPerTenant is %d", c.Spec.Tenant, clusters(n), limit))
	}
	return nil
}

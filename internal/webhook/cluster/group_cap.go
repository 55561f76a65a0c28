package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// defaultMaxClusters is CellGroup's default maxClusters: the target groups of one load balancer.
const defaultMaxClusters = 100

// validateGroupCap keeps a new Cluster from taking its CellGroup beyond maxClusters. Clusters
// being deleted do not count.
func validateGroupCap(group *ecsv1.CellGroup, others []ecsv1.Cluster) *field.Error {
	if group == nil {
		return nil
	}
	limit := int32(defaultMaxClusters)
	if group.Spec.MaxClusters > 0 {
		limit = group.Spec.MaxClusters
	}
	n := 0
	for i := range others {
		o := &others[i]
		if o.Spec.CellGroup == group.Name && o.DeletionTimestamp.IsZero() {
			n++
		}
	}
	if n+1 > int(limit) {
		return field.Forbidden(field.NewPath("spec", "cellGroup"),
			fmt.Sprintf("cell group %s already has %s; maxClusters is %d", group.Name, clusters(n), limit))
	}
	return nil
}

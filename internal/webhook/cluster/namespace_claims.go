package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// validateNamespaceClaims denies a Cluster the namespace of another Cluster (its spec.namespace
// or, without one, its name), also of one being deleted: that one still holds its namespace.
func validateNamespaceClaims(c *ecsv1.Cluster, others []ecsv1.Cluster) *field.Error {
	ns := namespaceOf(c)
	for i := range others {
		if namespaceOf(&others[i]) == ns {
			return field.Forbidden(field.NewPath("spec", "namespace"),
				fmt.Sprintf("namespace %q is already the namespace of cluster %s", ns, others[i].Name))
		}
	}
	return nil
}

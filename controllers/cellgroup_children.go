package controllers

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// tenantClusterName is the name of a tenant's Cluster in a CellGroup, the cell pattern's
// tier-<tier>-cell-<cell>-ig-<infraGroup>-<tenant>.
func tenantClusterName(cg *ecsv1.CellGroup, tenant ecsv1.TenantName) string {
	return fmt.Sprintf("tier-%d-cell-%d-ig-%d-%s", cg.Spec.Tier, cg.Spec.Cell, cg.Spec.InfraGroup, tenant)
}

// desiredTenantCluster is a tenant's Cluster: the group's clusterTemplate, owned by the group.
func desiredTenantCluster(cg *ecsv1.CellGroup, tenant ecsv1.TenantName) *ecsv1.Cluster {
	return &ecsv1.Cluster{
		TypeMeta: metav1.TypeMeta{APIVersion: ecsv1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{
			Name: tenantClusterName(cg, tenant),
			Labels: map[string]string{
				ecsv1.LabelTenant:    string(tenant),
				ecsv1.LabelCellGroup: shared.LabelValue(cg.Name),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cg, ecsv1.GroupVersion.WithKind("CellGroup"))},
		},
		Spec: ecsv1.ClusterSpec{
			Tenant:          tenant,
			CellGroup:       cg.Name,
			ClusterSettings: *cg.Spec.ClusterTemplate.DeepCopy(),
		},
	}
}

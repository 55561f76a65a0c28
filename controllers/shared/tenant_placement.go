package shared

import (
	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// WithTenantNodes returns the capacity provider a task runs on, with the tenant's dedicated
// nodes added when it is of type EC2: tenants never share a node, because co-located tasks of
// different tenants share page cache and can OOM each other. Those nodes carry the label and
// NoSchedule taint ecs.operator.dev/tenant=<tenant>. FARGATE providers keep their shared
// serverless pool, where the platform isolates each pod.
func WithTenantNodes(p *ecsv1.CapacityProvider, cluster *ecsv1.Cluster) *ecsv1.CapacityProvider {
	if p == nil || cluster == nil || p.Type != ecsv1.CapacityProviderEC2 {
		return p
	}
	out := p.DeepCopy()
	tenant := string(cluster.Spec.Tenant)
	if out.NodeSelector == nil {
		out.NodeSelector = map[string]string{}
	}
	out.NodeSelector[ecsv1.LabelTenant] = tenant
	out.Tolerations = append(out.Tolerations, corev1.Toleration{
		Key: ecsv1.LabelTenant, Operator: corev1.TolerationOpEqual, Value: tenant, Effect: corev1.TaintEffectNoSchedule,
	})
	return out
}

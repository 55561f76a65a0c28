package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// The environment every task of a tenant carries.
const (
	envTenantID   = "TENANT_ID"
	envECSCluster = "ECS_CLUSTER"
)

// addTenantEnv gives every container and init container TENANT_ID and ECS_CLUSTER, unless
// already set (a different TENANT_ID is then refused by the validating webhook).
func addTenantEnv(pod *corev1.Pod, cluster *ecsv1.Cluster) {
	add := func(cs []corev1.Container) {
		for i := range cs {
			setEnvIfAbsent(&cs[i], envTenantID, string(cluster.Spec.Tenant))
			setEnvIfAbsent(&cs[i], envECSCluster, cluster.Name)
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
}

func setEnvIfAbsent(c *corev1.Container, name, value string) {
	for _, e := range c.Env {
		if e.Name == name {
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
}

// validateTenantEnv refuses a TENANT_ID that is not the namespace's tenant.
func validateTenantEnv(pod *corev1.Pod, cluster *ecsv1.Cluster) field.ErrorList {
	var errs field.ErrorList
	check := func(p *field.Path, cs []corev1.Container) {
		for i, c := range cs {
			for j, e := range c.Env {
				if e.Name == envTenantID && (e.ValueFrom != nil || e.Value != string(cluster.Spec.Tenant)) {
					errs = append(errs, field.Forbidden(p.Index(i).Child("env").Index(j),
						fmt.Sprintf("TENANT_ID must be %q, the tenant of cluster %s", cluster.Spec.Tenant, cluster.Name)))
				}
			}
		}
	}
	spec := field.NewPath("spec")
	check(spec.Child("initContainers"), pod.Spec.InitContainers)
	check(spec.Child("containers"), pod.Spec.Containers)
	return errs
}

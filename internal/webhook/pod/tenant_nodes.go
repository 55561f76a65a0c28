package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// placeOnClusterCapacity puts a Pod the operator did not make on the cluster's default
// capacity: the first provider of its default strategy (or its only provider), with the
// tenant's dedicated nodes for EC2 capacity. The operator's own Pods already carry their
// provider's placement.
func placeOnClusterCapacity(pod *corev1.Pod, cluster *ecsv1.Cluster) {
	if pod.Labels[ecsv1.LabelManagedBy] == ecsv1.ManagedByValue {
		return
	}
	var provider *ecsv1.CapacityProvider
	if s := cluster.Spec.DefaultCapacityProviderStrategy; len(s) > 0 {
		for i := range cluster.Spec.CapacityProviders {
			if cluster.Spec.CapacityProviders[i].Name == s[0].CapacityProvider {
				provider = &cluster.Spec.CapacityProviders[i]
			}
		}
	} else if len(cluster.Spec.CapacityProviders) == 1 {
		provider = &cluster.Spec.CapacityProviders[0]
	}
	if provider == nil {
		return
	}
	if pod.Spec.NodeSelector == nil {
		pod.Spec.NodeSelector = map[string]string{}
	}
	for k, v := range provider.NodeSelector {
		if _, set := pod.Spec.NodeSelector[k]; !set {
			pod.Spec.NodeSelector[k] = v
		}
	}
	pod.Spec.Tolerations = append(pod.Spec.Tolerations, provider.Tolerations...)
	if provider.Type == ecsv1.CapacityProviderEC2 {
		tenant := string(cluster.Spec.Tenant)
		if _, set := pod.Spec.NodeSelector[ecsv1.LabelTenant]; !set {
			// An explicit choice is left for the validating webhook to judge.
			pod.Spec.NodeSelector[ecsv1.LabelTenant] = tenant
		}
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
			Key: ecsv1.LabelTenant, Operator: corev1.TolerationOpEqual, Value: tenant, Effect: corev1.TaintEffectNoSchedule,
		})
	}
	if pod.Spec.RuntimeClassName == nil && provider.RuntimeClassName != "" {
		rc := provider.RuntimeClassName
		pod.Spec.RuntimeClassName = &rc
	}
}

// validateTenantNodes refuses Pods that select or tolerate nodes dedicated to another tenant:
// tenants never share a node.
func validateTenantNodes(pod *corev1.Pod, cluster *ecsv1.Cluster) field.ErrorList {
	tenant := string(cluster.Spec.Tenant)
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if v, ok := pod.Spec.NodeSelector[ecsv1.LabelTenant]; ok && v != tenant {
		errs = append(errs, field.Forbidden(spec.Child("nodeSelector").Key(ecsv1.LabelTenant),
			fmt.Sprintf("selects nodes of tenant %q; pods of cluster %s run only on tenant %q's nodes", v, cluster.Name, tenant)))
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for i, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for j, req := range term.MatchExpressions {
				if req.Key != ecsv1.LabelTenant {
					continue
				}
				if req.Operator != corev1.NodeSelectorOpIn || len(req.Values) != 1 || req.Values[0] != tenant {
					errs = append(errs, field.Forbidden(spec.Child("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
						"nodeSelectorTerms").Index(i).Child("matchExpressions").Index(j),
						fmt.Sprintf("may select nodes of other tenants; pods of cluster %s run only on tenant %q's nodes", cluster.Name, tenant)))
				}
			}
		}
	}
	for i, t := range pod.Spec.Tolerations {
		p := spec.Child("tolerations").Index(i)
		switch {
		case t.Key == "" && t.Operator == corev1.TolerationOpExists:
			errs = append(errs, field.Forbidden(p, "tolerates every taint, including other tenants' dedicated nodes"))
		case t.Key == ecsv1.LabelTenant && (t.Operator == corev1.TolerationOpExists || t.Value != tenant):
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("tolerates nodes of other tenants; pods of cluster %s may tolerate only %s=%s", cluster.Name, ecsv1.LabelTenant, tenant)))
		}
	}
	return errs
}

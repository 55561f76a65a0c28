package controllers

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// driftCase edits one object ecs-operator owns by hand, then checks that it is back.
type driftCase struct {
	name     string
	obj      client.Object
	edit     func(client.Object)
	reverted func(client.Object) error
}

func TestDrift_HandEditsOfOwnedObjectsAreReverted(t *testing.T) {
	suffix := newNamespace(t)
	cluster := &ecsv1.Cluster{}
	cluster.Name = "drift-" + suffix
	cluster.Spec.Tenant = "drift"
	cluster.Spec.Quota = &ecsv1.ClusterQuota{CPU: ptr.To(resource.MustParse("8"))}
	mustCreate(t, cluster)
	ns := cluster.Name
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterActive {
			return fmt.Errorf("cluster %s", st.Status)
		}
		return nil
	})
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 2)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

	for _, tc := range []driftCase{
		{"Deployment replicas", &appsv1.Deployment{}, func(o client.Object) {
			o.(*appsv1.Deployment).Spec.Replicas = ptr.To[int32](7)
		}, func(o client.Object) error {
			if r := *o.(*appsv1.Deployment).Spec.Replicas; r != 2 {
				return fmt.Errorf("replicas %d", r)
			}
			return nil
		}},
		{"Deployment managed-by label", &appsv1.Deployment{}, func(o client.Object) {
			delete(o.GetLabels(), ecsv1.LabelManagedBy)
		}, func(o client.Object) error {
			if o.GetLabels()[ecsv1.LabelManagedBy] != ecsv1.ManagedByValue {
				return fmt.Errorf("labels %v", o.GetLabels())
			}
			return nil
		}},
		{"PodDisruptionBudget", &policyv1.PodDisruptionBudget{}, func(o client.Object) {
			o.(*policyv1.PodDisruptionBudget).Spec.MinAvailable = ptr.To(intstr.FromInt32(0))
		}, func(o client.Object) error {
			if m := o.(*policyv1.PodDisruptionBudget).Spec.MinAvailable; m == nil || m.IntValue() != 2 {
				return fmt.Errorf("minAvailable %v", m)
			}
			return nil
		}},
		{"load balancer Service", &corev1.Service{}, func(o client.Object) {
			o.(*corev1.Service).Spec.Selector = map[string]string{"app": "someone-else"}
		}, func(o client.Object) error {
			if o.(*corev1.Service).Spec.Selector["app"] != "" {
				return fmt.Errorf("selector %v", o.(*corev1.Service).Spec.Selector)
			}
			return nil
		}},
		{"NetworkPolicy", &networkingv1.NetworkPolicy{}, func(o client.Object) {
			o.(*networkingv1.NetworkPolicy).Spec.PodSelector = *metav1LabelSelector("app", "x")
		}, func(o client.Object) error {
			if len(o.(*networkingv1.NetworkPolicy).Spec.PodSelector.MatchLabels) != 0 {
				return fmt.Errorf("podSelector %v", o.(*networkingv1.NetworkPolicy).Spec.PodSelector)
			}
			return nil
		}},
		{"Role", &rbacv1.Role{}, func(o client.Object) {
			o.(*rbacv1.Role).Rules = append(o.(*rbacv1.Role).Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
		}, func(o client.Object) error {
			for _, r := range o.(*rbacv1.Role).Rules {
				for _, res := range r.Resources {
					if res == "secrets" && len(r.Verbs) == 1 && r.Verbs[0] == "get" && len(r.Resources) == 1 {
						return fmt.Errorf("the added rule is still there")
					}
				}
			}
			return nil
		}},
		{"ResourceQuota", &corev1.ResourceQuota{}, func(o client.Object) {
			o.(*corev1.ResourceQuota).Spec.Hard[corev1.ResourceRequestsCPU] = resource.MustParse("800")
		}, func(o client.Object) error {
			if q := o.(*corev1.ResourceQuota).Spec.Hard[corev1.ResourceRequestsCPU]; q.Cmp(resource.MustParse("8")) != 0 {
				return fmt.Errorf("requests.cpu %s", q.String())
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := map[string]string{
				"Deployment replicas": "web", "Deployment managed-by label": "web", "PodDisruptionBudget": "web",
				"load balancer Service": "web-8080", "NetworkPolicy": policyDenyIngress, "Role": clusterTenantRoleName,
				"ResourceQuota": clusterQuotaName,
			}[tc.name]
			eventually(t, "the object exists", func() error { return k8s.Get(t.Context(), key(name), tc.obj) })
			tc.edit(tc.obj)
			if err := k8s.Update(t.Context(), tc.obj); err != nil {
				t.Fatalf("editing by hand: %v", err)
			}
			eventually(t, "the edit is reverted", func() error {
				if err := k8s.Get(t.Context(), key(name), tc.obj); err != nil {
					return err
				}
				return tc.reverted(tc.obj)
			})
		})
	}
}

func metav1LabelSelector(k, v string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

package controllers

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// asUser is a client that acts as a tenant's user, with only the RBAC the operator gave them.
func asUser(t *testing.T, name string) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: name}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTenantRBAC_KubectlMTBLevel1 checks the kubectl-mtb Level 1 items that RBAC and the
// Cluster's objects answer, as a tenant owner: their own namespace works; another tenant's,
// cluster-scoped resources, and the quota do not.
func TestTenantRBAC_KubectlMTBLevel1(t *testing.T) {
	suffix := strings.TrimPrefix(newNamespace(t), "ctrl-test-")
	cg := &ecsv1.CellGroup{}
	cg.Name = "mtb-" + suffix
	cg.Spec.Tier, cg.Spec.Cell, cg.Spec.InfraGroup = 7, 7, 1
	alice, bob := "alice-"+suffix, "bob-"+suffix
	cg.Spec.Tenants = []ecsv1.Tenant{
		{Name: "ta", Owners: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: alice}}},
		{Name: "tb", Owners: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: bob}}},
	}
	cg.Spec.ClusterTemplate.Quota = &ecsv1.ClusterQuota{CPU: ptr.To(resource.MustParse("4"))}
	mustCreate(t, cg)
	cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not ready: %+v", st)
		}
		return nil
	})
	nsA, nsB := tenantClusterName(cg, "ta"), tenantClusterName(cg, "tb")
	a := asUser(t, alice)

	td := newTaskDefinition(nsA, "web", "nginx")
	eventually(t, "alice manages task definitions in her cluster", func() error { return a.Create(t.Context(), td) })

	checks := []struct {
		name string
		do   func() error
	}{
		{"reading another tenant's task definitions", func() error {
			return a.List(t.Context(), &ecsv1.TaskDefinitionList{}, client.InNamespace(nsB))
		}},
		{"creating in another tenant's cluster", func() error { return a.Create(t.Context(), newTaskDefinition(nsB, "web", "nginx")) }},
		{"listing namespaces (cluster-scoped)", func() error { return a.List(t.Context(), &corev1.NamespaceList{}) }},
		{"creating a Cluster (cluster-scoped)", func() error {
			c := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "mine-" + suffix}}
			c.Spec.Tenant = "ta"
			return a.Create(t.Context(), c)
		}},
		{"listing nodes", func() error { return a.List(t.Context(), &corev1.NodeList{}) }},
		{"changing the quota", func() error {
			q := &corev1.ResourceQuota{}
			if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: nsA, Name: clusterQuotaName}, q); err != nil {
				return err
			}
			q.Spec.Hard[corev1.ResourceRequestsCPU] = resource.MustParse("400")
			return a.Update(t.Context(), q)
		}},
		{"removing the tenant's own RBAC", func() error {
			return a.DeleteAllOf(t.Context(), &rbacv1.RoleBinding{}, client.InNamespace(nsA))
		}},
		{"deleting the network policies", func() error {
			return a.DeleteAllOf(t.Context(), &networkingv1.NetworkPolicy{}, client.InNamespace(nsA))
		}},
	}
	for _, c := range checks {
		t.Run(c.name+" is forbidden", func(t *testing.T) {
			if err := c.do(); !apierrors.IsForbidden(err) {
				t.Fatalf("want Forbidden, got %v", err)
			}
		})
	}
}

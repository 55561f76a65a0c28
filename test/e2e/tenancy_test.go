package e2e

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestCellGroup_EachTenantGetsAnActiveClusterWithNamespaceQuotaAndNetworkPolicies(t *testing.T) {
	g := NewWithT(t)
	for tenant, ns := range map[string]string{tenantA: namespaceA, tenantB: namespaceB} {
		var cl ecsv1.Cluster
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Name: ns}, &cl)).To(Succeed())
		g.Expect(cl.Status.Status).To(Equal(ecsv1.ClusterActive), tenant)
		g.Expect(string(cl.Spec.Tenant)).To(Equal(tenant))

		var namespace corev1.Namespace
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Name: ns}, &namespace)).To(Succeed())
		g.Expect(namespace.Labels).To(HaveKeyWithValue(ecsv1.LabelTenant, tenant))

		var quotas corev1.ResourceQuotaList
		g.Expect(admin.List(t.Context(), &quotas, client.InNamespace(ns))).To(Succeed())
		g.Expect(quotas.Items).To(HaveLen(1))
		g.Expect(quotas.Items[0].Spec.Hard).To(HaveKey(corev1.ResourceName("requests.cpu")))
		g.Expect(quotas.Items[0].Spec.Hard).To(HaveKey(corev1.ResourcePods))

		var policies networkingv1.NetworkPolicyList
		g.Expect(admin.List(t.Context(), &policies, client.InNamespace(ns))).To(Succeed())
		g.Expect(len(policies.Items)).To(BeNumerically(">=", 2), "default-deny and same-tenant policies")
	}
}

func TestTenantWall_ATenantCannotTouchTheOtherTenantsCluster(t *testing.T) {
	g := NewWithT(t)
	// Tenant A's developer works in A's namespace...
	apply(t, asA, taskDefinition(namespaceA, "wall", "wall", "nginx"))
	// ...but cannot write into, read from or change B's.
	err := applyAs(t.Context(), asA, taskDefinition(namespaceB, "intruder", "intruder", "nginx"))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "creating in B's namespace: %v", err)
	var tds ecsv1.TaskDefinitionList
	err = asA.List(t.Context(), &tds, client.InNamespace(namespaceB))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing B's task definitions: %v", err)
	var clB ecsv1.Cluster
	g.Expect(admin.Get(t.Context(), client.ObjectKey{Name: namespaceB}, &clB)).To(Succeed())
	patch := client.MergeFrom(clB.DeepCopy())
	clB.Spec.Tenant = tenantA
	err = asA.Patch(t.Context(), &clB, patch)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "taking B's Cluster: %v", err)
	var pods corev1.PodList
	err = asA.List(t.Context(), &pods, client.InNamespace(namespaceB))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing B's pods: %v", err)
	// B's developer cannot reach into A either.
	err = applyAs(t.Context(), asB, taskDefinition(namespaceA, "intruder", "intruder", "nginx"))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "B creating in A's namespace: %v", err)
}

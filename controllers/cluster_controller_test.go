package controllers

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

func clusterStatus(t *testing.T, c *ecsv1.Cluster, check func(ecsv1.ClusterStatus) error) {
	t.Helper()
	eventually(t, "cluster status", func() error {
		if err := get(t, c); err != nil {
			return err
		}
		return check(c.Status)
	})
}

func TestCluster_ProvisionsTheTenantNamespaceWithQuotaPoliciesAndRBAC(t *testing.T) {
	suffix := strings.TrimPrefix(newNamespace(t), "ctrl-test-")
	cg := &ecsv1.CellGroup{}
	cg.Name = "cg-" + suffix
	cg.Spec.Tier, cg.Spec.Cell, cg.Spec.InfraGroup = 1, 1, 1
	cg.Spec.Tenants = []ecsv1.Tenant{{Name: "tenant-a", Owners: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "tenant-a-devs"}}}}
	mustCreate(t, cg)

	cluster := &ecsv1.Cluster{}
	cluster.Name = "tenant-a-" + suffix
	cluster.Spec.Tenant = "tenant-a"
	cluster.Spec.CellGroup = cg.Name
	cluster.Spec.PodSecurity = ecsv1.PodSecurityBaseline
	cluster.Spec.Quota = &ecsv1.ClusterQuota{CPU: ptr.To(resource.MustParse("8")), MaxTasks: ptr.To[int32](50), MaxServices: ptr.To[int32](5)}
	mustCreate(t, cluster)

	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterActive || !shared.IsReady(st.Conditions) || st.Namespace != cluster.Name {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	ns := &corev1.Namespace{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: cluster.Name}, ns); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		ecsv1.LabelTenant: "tenant-a", ecsv1.LabelCluster: cluster.Name, ecsv1.LabelCellGroup: cg.Name,
		"pod-security.kubernetes.io/enforce": "baseline",
	} {
		if ns.Labels[k] != v {
			t.Errorf("namespace label %s=%q, want %q", k, ns.Labels[k], v)
		}
	}
	quota := &corev1.ResourceQuota{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns.Name, Name: clusterQuotaName}, quota); err != nil {
		t.Fatal(err)
	}
	if quota.Spec.Hard.Pods().Value() != 50 || quota.Spec.Hard.Name("requests.cpu", resource.DecimalSI).String() != "8" ||
		quota.Spec.Hard.Name("count/services.ecs.operator.dev", resource.DecimalSI).Value() != 5 {
		t.Errorf("quota %v", quota.Spec.Hard)
	}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns.Name, Name: clusterLimitRangeName}, &corev1.LimitRange{}); err != nil {
		t.Errorf("limit range: %v", err)
	}
	for _, name := range []string{policyDenyIngress, policySameTenant, policyDNSEgress} {
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns.Name, Name: name}, &networkingv1.NetworkPolicy{}); err != nil {
			t.Errorf("network policy %s: %v", name, err)
		}
	}
	rb := &rbacv1.RoleBinding{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns.Name, Name: clusterTenantRoleBinding}, rb); err != nil {
		t.Fatal(err)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Name != "tenant-a-devs" || rb.RoleRef.Name != clusterTenantRoleName {
		t.Errorf("role binding %+v", rb)
	}
}

func TestCluster_ANamespaceThatIsNotItsOwnFailsTheCluster(t *testing.T) {
	taken := newNamespace(t)
	cluster := &ecsv1.Cluster{}
	cluster.Name = "thief-" + taken
	cluster.Spec.Tenant = "tenant-b"
	cluster.Spec.Namespace = taken
	mustCreate(t, cluster)
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterFailed || !strings.Contains(shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled), "Namespace "+taken+" already exists") {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

func TestCluster_DeletionDrainsServicesBeforeTheNamespace(t *testing.T) {
	suffix := strings.TrimPrefix(newNamespace(t), "ctrl-test-")
	cluster := &ecsv1.Cluster{}
	cluster.Name = "gone-" + suffix
	cluster.Spec.Tenant = "tenant-c"
	mustCreate(t, cluster)
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterActive {
			return fmt.Errorf("status %s", st.Status)
		}
		return nil
	})
	td := newTaskDefinition(cluster.Name, "web", "nginx")
	td.Spec.Volumes = []ecsv1.Volume{{Name: "shared", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-0badc0de"}}}
	td.Spec.ContainerDefinitions[0].MountPoints = []ecsv1.MountPoint{{SourceVolume: "shared", ContainerPath: "/mnt/shared"}}
	mustCreate(t, td)
	svc := newService(cluster.Name, "web", "web", 1)
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	volumes := func() ([]corev1.PersistentVolume, error) {
		list := &corev1.PersistentVolumeList{}
		err := k8s.List(t.Context(), list, client.MatchingLabels{shared.LabelClaimNamespace: cluster.Name})
		return list.Items, err
	}
	eventually(t, "the EFS volume", func() error {
		pvs, err := volumes()
		if err == nil && len(pvs) != 1 {
			err = fmt.Errorf("%d volumes", len(pvs))
		}
		return err
	})
	if err := k8s.Delete(t.Context(), cluster); err != nil {
		t.Fatal(err)
	}
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterDeprovisioning {
			return fmt.Errorf("status %s", st.Status)
		}
		return nil
	})
	// The Service drains and goes; then the namespace is deleted (envtest has no namespace
	// controller to finish that, so the test stops at the request).
	eventually(t, "the namespace is being deleted", func() error {
		ns := &corev1.Namespace{}
		if err := k8s.Get(t.Context(), client.ObjectKey{Name: cluster.Name}, ns); err != nil {
			return err
		}
		if ns.DeletionTimestamp.IsZero() {
			return fmt.Errorf("namespace not deleted yet")
		}
		return nil
	})
	if err := get(t, svc); err == nil {
		t.Fatal("the service still exists after the namespace deletion began")
	}
	// The cluster-scoped volumes reserved for the namespace's claims do not outlive it.
	eventually(t, "the EFS volume is deleted", func() error {
		pvs, err := volumes()
		for _, pv := range pvs {
			if pv.DeletionTimestamp.IsZero() {
				return fmt.Errorf("volume %s is not being deleted", pv.Name)
			}
		}
		return err
	})
}

// nodePoolCRD is a minimal stand-in for Karpenter's NodePool CRD, enough for the API server to
// serve the kind.
func nodePoolCRD() *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "nodepools.karpenter.sh"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "karpenter.sh", Scope: apiextensionsv1.ClusterScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "nodepools", Singular: "nodepool", Kind: "NodePool", ListKind: "NodePoolList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve}}}},
		},
	}
}

func TestCluster_KarpenterNodePoolsDedicateNodesToTheTenant(t *testing.T) {
	if err := k8s.Create(t.Context(), nodePoolCRD()); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	suffix := strings.TrimPrefix(newNamespace(t), "ctrl-test-")
	cluster := &ecsv1.Cluster{}
	cluster.Name = "karp-" + suffix
	cluster.Spec.Tenant = "tenant-k"
	cluster.Spec.CapacityProviders = []ecsv1.CapacityProvider{
		{Name: "on-demand", Type: ecsv1.CapacityProviderEC2, NodeClassName: "default", NodeSelector: map[string]string{"karpenter.sh/capacity-type": "on-demand"}},
		{Name: "FARGATE", Type: ecsv1.CapacityProviderFargate},
	}
	mustCreate(t, cluster)
	np := &unstructured.Unstructured{}
	np.SetGroupVersionKind(schema.GroupVersionKind{Group: "karpenter.sh", Version: "v1", Kind: "NodePool"})
	eventually(t, "the NodePool", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Name: cluster.Name + "-on-demand"}, np)
	})
	taints, _, _ := unstructured.NestedSlice(np.Object, "spec", "template", "spec", "taints")
	labels, _, _ := unstructured.NestedStringMap(np.Object, "spec", "template", "metadata", "labels")
	class, _, _ := unstructured.NestedString(np.Object, "spec", "template", "spec", "nodeClassRef", "name")
	if len(taints) != 1 || labels[ecsv1.LabelTenant] != "tenant-k" || class != "default" {
		t.Fatalf("node pool %v", np.Object["spec"])
	}
}

package controllers

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// Names of the objects a Cluster puts in its namespace.
const (
	clusterQuotaName         = "ecs-cluster-quota"
	clusterLimitRangeName    = "ecs-cluster-defaults"
	clusterTenantRoleName    = "ecs-tenant"
	clusterTenantRoleBinding = "ecs-tenant-owners"
	policyDenyIngress        = "ecs-default-deny-ingress"
	policySameTenant         = "ecs-allow-same-tenant"
	policyDNSEgress          = "ecs-allow-dns-egress"
)

// Pod Security Admission labels.
const (
	psaEnforce        = "pod-security.kubernetes.io/enforce"
	psaEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	psaWarn           = "pod-security.kubernetes.io/warn"
	psaAudit          = "pod-security.kubernetes.io/audit"
)

func clusterOwnerRef(c *ecsv1.Cluster) metav1.OwnerReference {
	return *metav1.NewControllerRef(c, ecsv1.GroupVersion.WithKind("Cluster"))
}

// clusterLabels mark everything of one tenant's cluster, and are what the webhooks and network
// policies key on.
func clusterLabels(c *ecsv1.Cluster) map[string]string {
	l := map[string]string{
		ecsv1.LabelTenant:  string(c.Spec.Tenant),
		ecsv1.LabelCluster: shared.LabelValue(c.Name),
	}
	if c.Spec.CellGroup != "" {
		l[ecsv1.LabelCellGroup] = shared.LabelValue(c.Spec.CellGroup)
	}
	return l
}

func podSecurityLevel(c *ecsv1.Cluster) string {
	if c.Spec.PodSecurity == "" {
		return string(ecsv1.PodSecurityRestricted)
	}
	return string(c.Spec.PodSecurity)
}

// desiredNamespace is the Cluster's namespace with the tenant labels and the Pod Security
// Standards level it enforces (and warns and audits at).
func desiredNamespace(c *ecsv1.Cluster) *corev1.Namespace {
	labels := clusterLabels(c)
	level := podSecurityLevel(c)
	labels[psaEnforce], labels[psaEnforceVersion], labels[psaWarn], labels[psaAudit] = level, "latest", level, level
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name: shared.ClusterNamespace(c), Labels: labels,
			OwnerReferences: []metav1.OwnerReference{clusterOwnerRef(c)},
		},
	}
}

func clusterChildMeta(c *ecsv1.Cluster, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: shared.ClusterNamespace(c), Labels: clusterLabels(c),
		OwnerReferences: []metav1.OwnerReference{clusterOwnerRef(c)},
	}
}

// desiredResourceQuota turns the Cluster's quota into a ResourceQuota: cpu and memory requests,
// tasks as Pods, Services as ECS Service objects. Nil when the quota sets none of them.
func desiredResourceQuota(c *ecsv1.Cluster) *corev1.ResourceQuota {
	q := c.Spec.Quota
	if q == nil {
		return nil
	}
	hard := corev1.ResourceList{}
	if q.CPU != nil {
		hard[corev1.ResourceRequestsCPU] = *q.CPU
	}
	if q.Memory != nil {
		hard[corev1.ResourceRequestsMemory] = *q.Memory
	}
	if q.MaxTasks != nil {
		hard[corev1.ResourcePods] = *resource.NewQuantity(int64(*q.MaxTasks), resource.DecimalSI)
	}
	if q.MaxServices != nil {
		hard["count/services.ecs.operator.dev"] = *resource.NewQuantity(int64(*q.MaxServices), resource.DecimalSI)
	}
	if len(hard) == 0 {
		return nil
	}
	return &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: clusterChildMeta(c, clusterQuotaName),
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}
}

// desiredLimitRange gives containers that request nothing a modest request, so that they count
// against the quota and the scheduler places them sensibly. It sets no default limit: an ECS
// container without memory has no hard limit of its own either.
func desiredLimitRange(c *ecsv1.Cluster) *corev1.LimitRange {
	return &corev1.LimitRange{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "LimitRange"},
		ObjectMeta: clusterChildMeta(c, clusterLimitRangeName),
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			DefaultRequest: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("128Mi"),
			},
		}}},
	}
}

// desiredNetworkPolicies isolate the tenant: no ingress by default, ingress from the namespaces
// of the same tenant, and DNS lookups allowed for any egress policy an operator adds.
// Ingress controllers live outside the tenant: allow them with an extra NetworkPolicy in the
// namespace (documented in docs/tenancy.md).
func desiredNetworkPolicies(c *ecsv1.Cluster) []*networkingv1.NetworkPolicy {
	all := metav1.LabelSelector{}
	sameTenant := &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1.LabelTenant: string(c.Spec.Tenant)}}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dnsPort := intstr.FromInt32(53)
	return []*networkingv1.NetworkPolicy{
		{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: clusterChildMeta(c, policyDenyIngress),
			Spec:       networkingv1.NetworkPolicySpec{PodSelector: all, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
		},
		{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: clusterChildMeta(c, policySameTenant),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: all,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sameTenant}}}},
			},
		},
		{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: clusterChildMeta(c, policyDNSEgress),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: all,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
				Egress: []networkingv1.NetworkPolicyEgressRule{
					{
						To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
							MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}}}},
						Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dnsPort}, {Protocol: &tcp, Port: &dnsPort}},
					},
					// Everything else stays open: ECS tasks reach the internet and AWS APIs; an
					// egress lock-down is the platform team's policy to add.
					{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}, {IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}}}},
					{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sameTenant}}},
				},
			},
		},
	}
}

// desiredTenantRole lets a tenant's owners run their ECS workloads in the namespace and read
// what those become, and nothing beyond the namespace.
func desiredTenantRole(c *ecsv1.Cluster) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: clusterChildMeta(c, clusterTenantRoleName),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{ecsv1.GroupVersion.Group}, Resources: []string{"taskdefinitions", "services", "services/scale", "tasks", "tasksets"},
				Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"},
				Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "endpoints", "events", "serviceaccounts", "persistentvolumeclaims"},
				Verbs: []string{"get", "list", "watch"}},
			// ECS's StopTask: a developer stops a service's task, and the service replaces it.
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets", "daemonsets", "controllerrevisions"},
				Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"policy"}, Resources: []string{"poddisruptionbudgets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

// desiredTenantRoleBinding binds the tenant's owners to the tenant Role; nil without owners.
func desiredTenantRoleBinding(c *ecsv1.Cluster, owners []rbacv1.Subject) *rbacv1.RoleBinding {
	if len(owners) == 0 {
		return nil
	}
	subjects := make([]rbacv1.Subject, 0, len(owners))
	for _, s := range owners {
		if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
			s.Namespace = shared.ClusterNamespace(c)
		}
		subjects = append(subjects, s)
	}
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: clusterChildMeta(c, clusterTenantRoleBinding),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: clusterTenantRoleName},
		Subjects:   subjects,
	}
}

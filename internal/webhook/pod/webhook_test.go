package pod

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// The Pod webhooks run in a manager behind a real kube-apiserver configured from config/webhook.
var (
	k8s    client.Client
	server *testenv.WebhookServer
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := testenv.StartWithWebhooks("pod-webhooks.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	// Objects go in as a tenant's user; system:masters so that only the webhooks, not RBAC,
	// decide (RBAC is proven by the controllers' kubectl-mtb test).
	if k8s, err = env.AsUser("dev@tenant.example.com", "system:masters"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	server, err = env.ServeWebhooks(func(_ context.Context, mgr ctrl.Manager) error { return SetupWithManager(mgr) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}

var seq int

// tenantNamespace makes a cluster namespace (labelled as the Cluster controller does) and its
// ACTIVE Cluster with an EC2 default capacity provider.
func tenantNamespace(t *testing.T, tenant string, podSecurity ecsv1.PodSecurityLevel) *ecsv1.Cluster {
	t.Helper()
	seq++
	name := fmt.Sprintf("%s-%d-%d", tenant, seq, time.Now().UnixNano()%100000)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{ecsv1.LabelTenant: tenant}}}
	if err := k8s.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	c := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Spec.Tenant = ecsv1.TenantName(tenant)
	c.Spec.PodSecurity = podSecurity
	c.Spec.CapacityProviders = []ecsv1.CapacityProvider{{Name: "on-demand", Type: ecsv1.CapacityProviderEC2}}
	c.Spec.DefaultCapacityProviderStrategy = ecsv1.CapacityProviderStrategy{{CapacityProvider: "on-demand", Weight: ptr.To[int32](1)}}
	if err := k8s.Create(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the webhook reads the manager's cache
	return c
}

func pod(ns string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "p-"}}
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: "nginx"}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func TestPodWebhook_EveryPodGetsTheTenantAndItsDedicatedNodes(t *testing.T) {
	c := tenantNamespace(t, "tenant-a", "")
	p := pod(c.Name, func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}} })
	if err := k8s.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	for _, ctr := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		env := map[string]string{}
		for _, e := range ctr.Env {
			env[e.Name] = e.Value
		}
		if env["TENANT_ID"] != "tenant-a" || env["ECS_CLUSTER"] != c.Name {
			t.Fatalf("container %s env %v", ctr.Name, env)
		}
	}
	if p.Spec.NodeSelector[ecsv1.LabelTenant] != "tenant-a" ||
		!slices.ContainsFunc(p.Spec.Tolerations, func(tol corev1.Toleration) bool { return tol.Key == ecsv1.LabelTenant && tol.Value == "tenant-a" }) {
		t.Fatalf("not placed on the tenant's nodes: %v %v", p.Spec.NodeSelector, p.Spec.Tolerations)
	}
}

func TestPodWebhook_TheTenantWall(t *testing.T) {
	c := tenantNamespace(t, "tenant-a", "")
	tests := []struct {
		name    string
		mutate  func(*corev1.Pod)
		wantErr string
	}{
		{"its own TENANT_ID is fine", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "TENANT_ID", Value: "tenant-a"}}
		}, ""},
		{"another TENANT_ID is refused", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "TENANT_ID", Value: "tenant-b"}}
		},
			`spec.containers[0].env[0]: Forbidden: TENANT_ID must be "tenant-a"`},
		{"selecting another tenant's nodes is refused", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{ecsv1.LabelTenant: "tenant-b"} },
			`spec.nodeSelector[ecs.operator.dev/tenant]: Forbidden: selects nodes of tenant "tenant-b"`},
		{"tolerating another tenant's nodes is refused", func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: ecsv1.LabelTenant, Operator: corev1.TolerationOpEqual, Value: "tenant-b", Effect: corev1.TaintEffectNoSchedule}}
		}, "spec.tolerations[0]: Forbidden: tolerates nodes of other tenants"},
		{"tolerating every taint is refused", func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}} },
			"spec.tolerations[0]: Forbidden: tolerates every taint"},
		{"node affinity to other tenants is refused", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: ecsv1.LabelTenant, Operator: corev1.NodeSelectorOpExists}}}}}}}
		}, "may select nodes of other tenants"},
		{"hostNetwork is refused", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, "spec.hostNetwork: Forbidden: the host's network is not allowed in cluster"},
		{"hostPID is refused", func(p *corev1.Pod) { p.Spec.HostPID = true }, "spec.hostPID: Forbidden"},
		{"hostIPC is refused", func(p *corev1.Pod) { p.Spec.HostIPC = true }, "spec.hostIPC: Forbidden"},
		{"hostPath is refused", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}}}
		}, "spec.volumes[0].hostPath: Forbidden: host paths are not allowed"},
		{"host ports are refused", func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		},
			"spec.containers[0].ports[0].hostPort: Forbidden"},
		{"privileged containers are refused", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
		}, "spec.containers[0].securityContext.privileged: Forbidden"},
		{"SYS_ADMIN is refused", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
		}, "capability SYS_ADMIN beyond the default set"},
		{"NET_BIND_SERVICE is a default capability", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}}}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(t.Context(), pod(c.Name, tc.mutate))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want admitted, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestPodWebhook_APrivilegedClusterMayUseTheHost(t *testing.T) {
	c := tenantNamespace(t, "tenant-p", ecsv1.PodSecurityPrivileged)
	if err := k8s.Create(t.Context(), pod(c.Name, func(p *corev1.Pod) { p.Spec.HostNetwork = true })); err != nil {
		t.Fatalf("hostNetwork in a privileged cluster was refused: %v", err)
	}
}

func TestPodWebhook_NamespacesThatAreNotClustersAreNotTouched(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plain-"}}
	if err := k8s.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	p := pod(ns.Name, func(p *corev1.Pod) { p.Spec.HostNetwork = true })
	if err := k8s.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Containers[0].Env) != 0 {
		t.Fatalf("a pod outside cluster namespaces was mutated: %v", p.Spec.Containers[0].Env)
	}
}

// enforce labels the cluster's namespace for Pod Security as the Cluster controller does, so
// that the API server's own Pod Security admission judges what the webhook produced.
func enforce(t *testing.T, ns, level string) {
	t.Helper()
	n := &corev1.Namespace{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: ns}, n); err != nil {
		t.Fatal(err)
	}
	n.Labels["pod-security.kubernetes.io/enforce"] = level
	if err := k8s.Update(t.Context(), n); err != nil {
		t.Fatal(err)
	}
}

func TestPodWebhook_TasksOfARestrictedClusterAreHardenedToPassPodSecurity(t *testing.T) {
	c := tenantNamespace(t, "tenant-r", ecsv1.PodSecurityRestricted)
	enforce(t, c.Name, "restricted")
	p := pod(c.Name, func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}} })
	if err := k8s.Create(t.Context(), p); err != nil {
		t.Fatalf("a task definition's pod, hardened, must pass restricted: %v", err)
	}
	if sc := p.Spec.SecurityContext; sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || !ptr.Deref(sc.RunAsNonRoot, false) {
		t.Fatalf("pod security context %+v", p.Spec.SecurityContext)
	}
	for _, ctr := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		sc := ctr.SecurityContext
		if sc == nil || ptr.Deref(sc.AllowPrivilegeEscalation, true) || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Fatalf("container %s security context %+v", ctr.Name, sc)
		}
	}

	// What the task definition asks for explicitly is kept, and Pod Security refuses it.
	root := pod(c.Name, func(p *corev1.Pod) {
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true)}
	})
	err := k8s.Create(t.Context(), root)
	if err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false`) {
		t.Fatalf("want Pod Security to refuse privilege escalation, got %v", err)
	}
}

func TestPodWebhook_TasksOfABaselineClusterAreLeftAsTheyAre(t *testing.T) {
	c := tenantNamespace(t, "tenant-b", ecsv1.PodSecurityBaseline)
	enforce(t, c.Name, "baseline")
	p := pod(c.Name)
	if err := k8s.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsNonRoot != nil {
		t.Fatalf("baseline pods keep running as their image says: %+v", p.Spec.SecurityContext)
	}
	if p.Spec.Containers[0].SecurityContext != nil {
		t.Fatalf("container security context %+v", p.Spec.Containers[0].SecurityContext)
	}
}

// This test stops the webhook server, so it runs last: with the webhook away, tenant Pods are
// refused (fail closed) while kube-system and other namespaces go on.
func TestPodWebhook_ZZ_WithTheWebhookAwayTenantPodsAreRefusedAndKubeSystemIsNot(t *testing.T) {
	c := tenantNamespace(t, "tenant-z", "")
	server.Stop()
	for deadline := time.Now().Add(20 * time.Second); server.Serving(); {
		if time.Now().After(deadline) {
			t.Fatal("the webhook server did not stop")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := k8s.Create(t.Context(), pod(c.Name)); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Fatalf("a tenant pod with the webhook away: want refused, got %v", err)
	}
	if err := k8s.Create(t.Context(), pod("kube-system")); err != nil {
		t.Fatalf("a kube-system pod with the webhook away was refused: %v", err)
	}
}

package namespace

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// operator writes as ecs-operator (the manager's own credentials); user is someone else with
// every permission (system:masters), so that only the webhook can stop them.
var operator, user client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := testenv.StartWithWebhooks("namespace-webhook.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	operator = env.Client
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "jane@tenant-a.example.com", Groups: []string{"system:masters"}}
	if user, err = client.New(cfg, client.Options{Scheme: env.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	server, err := env.ServeWebhooks(SetupWithManager)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}

var seq int

// clusterNamespace makes a cluster namespace the way the Cluster controller does, as the
// operator, with its Cluster.
func clusterNamespace(t *testing.T) *corev1.Namespace {
	t.Helper()
	seq++
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("tenant-a-%d-%d", seq, time.Now().UnixNano()%100000),
		Labels: map[string]string{ecsv1.LabelTenant: "tenant-a", "pod-security.kubernetes.io/enforce": "restricted"}}}
	if err := operator.Create(t.Context(), ns); err != nil {
		t.Fatalf("the operator could not create a cluster namespace: %v", err)
	}
	c := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: ns.Name}}
	c.Spec.Tenant = "tenant-a"
	if err := operator.Create(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the webhook reads the manager's cache
	return ns
}

func relabel(t *testing.T, c client.Client, ns *corev1.Namespace, change func(map[string]string)) error {
	t.Helper()
	fresh := &corev1.Namespace{}
	if err := operator.Get(t.Context(), client.ObjectKeyFromObject(ns), fresh); err != nil {
		t.Fatal(err)
	}
	change(fresh.Labels)
	return c.Update(t.Context(), fresh)
}

func TestNamespaceWebhook_OnlyTheOperatorChangesTheWallsLabels(t *testing.T) {
	ns := clusterNamespace(t)
	tests := []struct {
		name    string
		change  func(map[string]string)
		wantErr string
	}{
		{"removing the tenant label", func(l map[string]string) { delete(l, ecsv1.LabelTenant) },
			"metadata.labels[ecs.operator.dev/tenant]: Forbidden: only ecs-operator sets, changes or removes this label"},
		{"moving the namespace to another tenant", func(l map[string]string) { l[ecsv1.LabelTenant] = "tenant-b" }, "metadata.labels[ecs.operator.dev/tenant]: Forbidden"},
		{"relaxing Pod Security", func(l map[string]string) { l["pod-security.kubernetes.io/enforce"] = "privileged" },
			"metadata.labels[pod-security.kubernetes.io/enforce]: Forbidden"},
		{"adding a label of one's own is fine", func(l map[string]string) { l["team"] = "storefront" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := relabel(t, user, ns, tc.change)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want admitted, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
	if err := relabel(t, operator, ns, func(l map[string]string) { l["pod-security.kubernetes.io/enforce"] = "baseline" }); err != nil {
		t.Fatalf("the operator could not change its own label: %v", err)
	}
}

func TestNamespaceWebhook_NobodyElseMakesACLusterNamespace(t *testing.T) {
	spoof := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "spoof-", Labels: map[string]string{ecsv1.LabelTenant: "tenant-a"}}}
	err := user.Create(t.Context(), spoof)
	if err == nil || !strings.Contains(err.Error(), "metadata.labels[ecs.operator.dev/tenant]: Forbidden") {
		t.Fatalf("want a spoofed cluster namespace refused, got %v", err)
	}
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plain-"}}
	if err := user.Create(t.Context(), plain); err != nil {
		t.Fatalf("a plain namespace was refused: %v", err)
	}
}

func TestNamespaceWebhook_AClusterNamespaceIsNotDeletedUnderItsCluster(t *testing.T) {
	ns := clusterNamespace(t)
	err := user.Delete(t.Context(), ns)
	if err == nil || !strings.Contains(err.Error(), "holds ECS cluster "+ns.Name+": delete the Cluster") {
		t.Fatalf("want the deletion refused, got %v", err)
	}
}

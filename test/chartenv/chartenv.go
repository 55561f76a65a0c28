// Package chartenv runs the chart on the local cluster for the tests that need the operator as
// a platform team installs it: localcluster's ProcessNodes play the kubelet of two nodes whose
// Pods run the manager built from this tree as processes of this machine, with the args, env
// and mounts the chart renders, acting as the chart's ServiceAccount; the API server calls the
// webhooks through the chart's Service.
package chartenv

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

const (
	// Release is the release name the tests install the chart as, and Namespace its namespace.
	Release   = "ecs-operator"
	Namespace = "ecs-operator-system"
	// The chart's objects for that release.
	WebhookService = "ecs-operator-webhook"
	WebhookSecret  = "ecs-operator-webhook-cert"
	LeaseName      = "ecs-operator.ecs.operator.dev"
)

// ManagerPods select the manager's Pods of the release.
var ManagerPods = client.MatchingLabels{"app.kubernetes.io/instance": Release, "app.kubernetes.io/component": "manager"}

// Env is a local cluster ready for the chart.
type Env struct {
	Root, Dir string
	// HelmBinary is the helm the tests run.
	HelmBinary string
	// PodLog is what the chart's Pods printed, each line prefixed with the Pod's name.
	PodLog  string
	Cluster *localcluster.Cluster
	Nodes   *localcluster.ProcessNodes
	Client  client.Client
	// Values are the --set flags every helm call repeats: only what this machine needs.
	Values []string
	// WebhookPort is the port the webhook servers listen on.
	WebhookPort string
}

// Start builds the manager and starts a local cluster with two fleet nodes (tenant-a and
// tenant-b) and two process nodes (operator-1 and operator-2) for the chart's Pods; the test's
// cleanup stops them. ClusterDir, when set, keeps the cluster's state and logs there.
func Start(t *testing.T, clusterDir string) *Env {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Root: root, HelmBinary: helmBinary(t, root), Dir: t.TempDir()}
	hostIP := localcluster.FirstHostIP()
	if hostIP == "" {
		t.Fatal("this machine has no IPv4 address other than loopback, where the API server could reach the chart's Pods")
	}
	manager := filepath.Join(e.Dir, "manager")
	build := exec.Command("go", "build", "-o", manager, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", testenv.KubernetesVersion)
	}
	scheme, err := testenv.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	// No CRDs: the chart installs them.
	e.Cluster, err = localcluster.Start(t.Context(), localcluster.Options{
		Assets: assets, Scheme: scheme, Nodes: localcluster.Fleet("tenant-a", "tenant-b"), Dir: clusterDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Cluster.Stop(); err != nil {
			t.Errorf("stopping the local cluster: %v", err)
		}
	})
	e.Client = e.Cluster.Client
	e.PodLog = filepath.Join(e.Dir, "pods.log")
	podLog, err := os.Create(e.PodLog)
	if err != nil {
		t.Fatal(err)
	}
	e.Nodes, err = localcluster.StartProcessNodes(t.Context(), e.Client, localcluster.ProcessNodesOptions{
		Nodes: []string{"operator-1", "operator-2"}, Binary: manager, HostIP: hostIP,
		Kubeconfig: e.Cluster.Kubeconfig, Dir: filepath.Join(e.Dir, "pods"), Out: podLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Nodes.Stop(); err != nil {
			t.Logf("stopping the chart's processes: %v", err)
		}
		if t.Failed() {
			b, _ := os.ReadFile(e.PodLog)
			t.Logf("the chart's Pods' output (last 200 lines):\n%s", LastLines(string(b), 200))
		}
	})
	// The webhook server listens on every address of this machine: a port nothing holds.
	addr, err := localcluster.HostAddress(hostIP)
	if err != nil {
		t.Fatal(err)
	}
	_, e.WebhookPort, _ = net.SplitHostPort(addr)
	e.Values = []string{"--set", "webhooks.port=" + e.WebhookPort}
	return e
}

// Install runs helm install --wait of the chart in this tree with Values and extra flags.
func (e *Env) Install(t *testing.T, extra ...string) {
	t.Helper()
	args := append([]string{"install", Release, filepath.Join(e.Root, "charts", "ecs-operator"),
		"--namespace", Namespace, "--create-namespace", "--wait", "--timeout", "3m"}, e.Values...)
	e.Helm(t, append(args, extra...)...)
}

// Helm runs helm with args against the cluster, failing the test when it fails.
func (e *Env) Helm(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(e.HelmBinary, append(args, "--kubeconfig", e.Cluster.Kubeconfig)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Helm keeps its caches and configuration here, not in the user's home.
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(e.Dir, "helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(e.Dir, "helm", "config"), "HELM_DATA_HOME="+filepath.Join(e.Dir, "helm", "data"))
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Logf("helm %s took %s", args[0], time.Since(start).Round(100*time.Millisecond))
}

// NothingForbidden fails for every refusal of the API server in the output of the Pods whose
// names start with prefix: the chart's RBAC must be enough for everything they do.
func (e *Env) NothingForbidden(t *testing.T, prefix string) {
	t.Helper()
	e.NothingForbiddenExcept(t, prefix, nil)
}

// NothingForbiddenExcept is NothingForbidden, except for the lines skip says to skip.
func (e *Env) NothingForbiddenExcept(t *testing.T, prefix string, skip func(line string) bool) {
	t.Helper()
	b, err := os.ReadFile(e.PodLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) || (skip != nil && skip(line)) {
			continue
		}
		if strings.Contains(line, "forbidden") || strings.Contains(line, "Forbidden") {
			t.Errorf("the API server refused the chart's ServiceAccount: %s", line)
		}
	}
}

func helmBinary(t *testing.T, root string) string {
	t.Helper()
	if bin := os.Getenv("HELM"); bin != "" {
		return bin
	}
	matches, _ := filepath.Glob(filepath.Join(root, "bin", "helm-*"))
	if len(matches) == 0 {
		t.Fatal("no Helm in bin/: run make helm-lint first, which builds it")
	}
	return matches[len(matches)-1]
}

// LastLines are the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

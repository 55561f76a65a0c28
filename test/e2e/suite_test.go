// Package e2e proves ECS behaviour end to end: the operator binary runs with its webhooks
// against the local cluster (internal/localcluster: a real control plane with kube-scheduler,
// kube-controller-manager and kwok playing the kubelet of fake nodes), and the tests act as
// kubectl users would, mostly as a tenant's developer.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// The CellGroup every test works in: two tenants, each with its own Cluster and namespace.
const (
	cellGroup  = "tier-9-cell-1-ig-1"
	tenantA    = "e2e-a"
	tenantB    = "e2e-b"
	namespaceA = cellGroup + "-" + tenantA
	namespaceB = cellGroup + "-" + tenantB
	// developerA is a member of tenant A's owner group; developerB is tenant B's owner.
	developerA      = "alice@e2e-a.example.com"
	developerAGroup = "e2e-a-developers"
	developerB      = "bob@e2e-b.example.com"
)

var (
	cluster  *localcluster.Cluster
	operator *localcluster.Operator
	admin    client.Client
	// asA and asB act as the tenants' developers (impersonation, real RBAC and webhooks).
	asA, asB client.Client
	logDir   string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup: %v\n", err)
		teardown()
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: the operator's log is %s\n", filepath.Join(logDir, "operator.log"))
	}
	teardown()
	return code
}

func setup() error {
	ctx := context.Background()
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if logDir, err = os.MkdirTemp("", "ecs-e2e-"); err != nil {
		return err
	}
	manager := filepath.Join(logDir, "manager")
	build := exec.Command("go", "build", "-o", manager, "./cmd/manager")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the operator: %w", err)
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", testenv.KubernetesVersion)
	}
	scheme, err := testenv.Scheme()
	if err != nil {
		return err
	}
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		Assets: assets, Scheme: scheme,
		CRDDirs: []string{filepath.Join(root, "config", "crd", "bases")},
		Nodes:   localcluster.Fleet(tenantA, tenantB),
		// E2E_LEGACY_KUBELETS=true: nodes declare no features and restart containers by the
		// Pod's policy alone, as kubelets before v1.35 do.
		LegacyKubelets: legacyKubelets(),
	})
	if err != nil {
		return err
	}
	admin = cluster.Client
	out, err := os.Create(filepath.Join(logDir, "operator.log"))
	if err != nil {
		return err
	}
	// The ECS API on loopback, with a certificate of the test's own (the webhook rotation is off
	// in one of the runs).
	apiArgs, err := setupECSAPI(logDir)
	if err != nil {
		return err
	}
	webhookDir := filepath.Join(root, "config", "webhook")
	if !webhooksOn() {
		webhookDir = "" // ENABLE_WEBHOOKS=false: the operator's behaviour must not need them
	}
	operator, err = localcluster.StartOperator(ctx, admin, localcluster.OperatorOptions{
		Binary: manager, Kubeconfig: cluster.Kubeconfig,
		WebhookDir: webhookDir, CertDir: filepath.Join(logDir, "certs"),
		Out: out,
		// Tasks that cannot start are stopped sooner than the default 20 s, and tasks without a
		// health check count after 2 s instead of ECS's 40 s, and a bake time minute lasts a
		// second, to keep the suite short.
		Args: append([]string{"--task-start-timeout=5s", "--unchecked-task-wait=2s", "--bake-time-unit=1s"}, apiArgs...),
	})
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, out.Name())
	}
	if asA, err = impersonate(developerA, developerAGroup); err != nil {
		return err
	}
	if asB, err = impersonate(developerB); err != nil {
		return err
	}
	return createCellGroup(ctx)
}

func impersonate(user string, groups ...string) (client.Client, error) {
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
	s, err := testenv.Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

func teardown() {
	if operator != nil {
		_ = operator.Stop(10 * time.Second)
	}
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the local cluster: %v\n", err)
		}
	}
}

// legacyKubelets is true when E2E_LEGACY_KUBELETS=true: `make test` runs the suite once more on
// nodes whose kubelets predate container restart policies and declare no node features.
func legacyKubelets() bool {
	return os.Getenv("E2E_LEGACY_KUBELETS") == "true"
}

// webhooksOn is false when E2E_WEBHOOKS=false: `make test` runs the suite once with the
// operator's admission webhooks and once without, as on a cluster that cannot reach them.
func webhooksOn() bool {
	return os.Getenv("E2E_WEBHOOKS") != "false"
}

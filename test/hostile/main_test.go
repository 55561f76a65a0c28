// Package hostile sends the API server, with every webhook of the operator installed, objects
// built to break it: every schema rule of every CRD broken one at a time (generated from the
// CRDs themselves, on the samples), oversized strings and lists, deeply nested and oversized
// JSON. Each must be refused with a 4xx whose message names the field, never a 500, and the
// API server and the webhook server must keep serving.
package hostile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/internal/webhook/cluster"
	"github.com/ecs-operator/ecs-operator/internal/webhook/namespace"
	"github.com/ecs-operator/ecs-operator/internal/webhook/pod"
	"github.com/ecs-operator/ecs-operator/internal/webhook/workload"
)

var (
	env *testenv.Env
	// tenant writes as a tenant's developer; system:masters, so that the schema and the
	// webhooks decide, not RBAC.
	tenant client.Client
	// clusterNamespace is the samples' Cluster's namespace, where the namespaced samples live.
	clusterNamespace string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	env, err = testenv.StartWithWebhooks("manifests.yaml", "pod-webhooks.yaml", "namespace-webhook.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if tenant, err = env.AsUser("dev@tenant.example.com", "system:masters", "system:authenticated"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	server, err := env.ServeWebhooks(func(ctx context.Context, mgr ctrl.Manager) error {
		for _, setup := range []func(ctrl.Manager) error{workload.SetupWithManager, workload.SetupDefaultersWithManager, cluster.SetupWithManager, pod.SetupWithManager} {
			if err := setup(mgr); err != nil {
				return err
			}
		}
		return namespace.SetupWithManager(ctx, mgr)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	if err := createWorld(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// createWorld creates the samples' CellGroup and Cluster and the Cluster's namespace (no
// controller runs here to make it), so that the namespaced samples take every tenant check.
func createWorld(ctx context.Context) error {
	cg, cl := &ecsv1.CellGroup{}, &ecsv1.Cluster{}
	for file, obj := range map[string]client.Object{"ecs_v1alpha1_cellgroup.yaml": cg, "ecs_v1alpha1_cluster.yaml": cl} {
		if err := readSample(file, obj); err != nil {
			return err
		}
	}
	for _, obj := range []client.Object{cg, cl} {
		if err := env.Client.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s: %w", obj.GetName(), err)
		}
	}
	clusterNamespace = cl.Name
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: clusterNamespace, Labels: map[string]string{
		ecsv1.LabelCluster: cl.Name, ecsv1.LabelTenant: string(cl.Spec.Tenant),
	}}}
	return env.Client.Create(ctx, ns)
}

func readSample(file string, into any) error {
	b, err := os.ReadFile(filepath.Join(env.Root, "config", "samples", file))
	if err != nil {
		return err
	}
	return yaml.Unmarshal(b, into)
}

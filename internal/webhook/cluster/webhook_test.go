package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// These tests run the webhook server in a manager and send Clusters through a real
// kube-apiserver whose ValidatingWebhookConfiguration comes from config/webhook. No controller
// runs: the tests create CellGroups, Clusters and namespaces themselves.
var (
	k8s client.Client
	mgr ctrl.Manager
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := testenv.StartWithWebhooks("manifests.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client
	server, err := env.ServeWebhooks(func(_ context.Context, m ctrl.Manager) error { return SetupWithManager(m) },
		func(o *ctrl.Options) {
			// Like the operator's manager, cache only the namespaces the operator manages, so
			// that the tests prove a namespace missing from the cache is still found.
			o.Cache = cache.Options{ByObject: map[client.Object]cache.ByObject{
				&corev1.Namespace{}: {Label: labels.SelectorFromSet(labels.Set{ecsv1.LabelManagedBy: ecsv1.ManagedByValue})},
			}}
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	mgr = server.Manager
	return m.Run()
}

var seq int

// unique makes a name no other test uses: tenants and CellGroups are counted cluster-wide.
func unique(prefix string) string {
	seq++
	return fmt.Sprintf("%s-%d-%d", prefix, seq, time.Now().UnixNano()%100000)
}

// waitCached waits until the manager's cache holds obj as it was last written, since the
// webhook decides on what the cache holds.
func waitCached(t *testing.T, obj client.Object) {
	t.Helper()
	got := obj.DeepCopyObject().(client.Object)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := mgr.GetClient().Get(t.Context(), client.ObjectKeyFromObject(obj), got)
		if err == nil && got.GetResourceVersion() == obj.GetResourceVersion() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager's cache did not get %s at resourceVersion %s: %v", obj.GetName(), obj.GetResourceVersion(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustCreate creates obj, which the webhook must admit, and waits until the cache has it.
func mustCreate(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(t.Context(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.GetName(), err)
	}
	if _, isNamespace := obj.(*corev1.Namespace); !isNamespace {
		waitCached(t, obj)
	}
}

func cellGroup(t *testing.T, maxClusters, maxClustersPerTenant int32) string {
	t.Helper()
	g := &ecsv1.CellGroup{ObjectMeta: metav1.ObjectMeta{Name: unique("cg")}}
	g.Spec.Tier, g.Spec.Cell, g.Spec.InfraGroup = 1, 1, 1
	g.Spec.MaxClusters, g.Spec.MaxClustersPerTenant = maxClusters, maxClustersPerTenant
	mustCreate(t, g)
	return g.Name
}

func newCluster(tenant, group string) *ecsv1.Cluster {
	c := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: unique("c")}}
	c.Spec.Tenant = ecsv1.TenantName(tenant)
	c.Spec.CellGroup = group
	return c
}

// deleting makes a Cluster of tenant that is being deleted: a finalizer holds it (no controller
// runs to remove it) until the test ends.
func deleting(t *testing.T, tenant, group string) {
	t.Helper()
	c := newCluster(tenant, group)
	c.Finalizers = []string{"ecs.operator.dev/test-hold"}
	mustCreate(t, c)
	if err := k8s.Delete(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(c), c); err != nil {
		t.Fatal(err)
	}
	waitCached(t, c)
	t.Cleanup(func() {
		c.Finalizers = nil
		if err := k8s.Update(context.Background(), c); err != nil {
			t.Errorf("releasing %s: %v", c.Name, err)
		}
	})
}

func expectDenied(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want denied with %q, was admitted", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("want an error containing %q, got %v", want, err)
	}
}

// Each case fills the tenant's cap but for one slot: the next Cluster is admitted, the one after
// is denied with both numbers.
func TestWebhook_TenantCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup creates the Clusters already there and returns the CellGroup the new Clusters
		// name ("" for none).
		setup func(t *testing.T, tenant string) string
		want  string // %s is the tenant
	}{{
		name: "a Cluster without a CellGroup: the default cap of 5",
		setup: func(t *testing.T, tenant string) string {
			for range 4 {
				mustCreate(t, newCluster(tenant, ""))
			}
			return ""
		},
		want: "spec.tenant: Forbidden: tenant %s already has 5 clusters; maxClustersPerTenant is 5",
	}, {
		name: "the CellGroup's maxClustersPerTenant, counting the tenant's Clusters in other groups and standalone",
		setup: func(t *testing.T, tenant string) string {
			mustCreate(t, newCluster(tenant, ""))
			mustCreate(t, newCluster(tenant, cellGroup(t, 10, 5)))
			return cellGroup(t, 10, 3)
		},
		want: "spec.tenant: Forbidden: tenant %s already has 3 clusters; maxClustersPerTenant is 3",
	}, {
		name: "Clusters being deleted do not count",
		setup: func(t *testing.T, tenant string) string {
			g := cellGroup(t, 10, 2)
			mustCreate(t, newCluster(tenant, g))
			deleting(t, tenant, g)
			deleting(t, tenant, "")
			return g
		},
		want: "spec.tenant: Forbidden: tenant %s already has 2 clusters; maxClustersPerTenant is 2",
	}, {
		name: "other tenants' Clusters do not count",
		setup: func(t *testing.T, tenant string) string {
			g := cellGroup(t, 10, 1)
			mustCreate(t, newCluster(tenant+"-other", g))
			mustCreate(t, newCluster(tenant+"-other", ""))
			return g
		},
		want: "spec.tenant: Forbidden: tenant %s already has 1 cluster; maxClustersPerTenant is 1",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tenant := unique("tenant")
			group := tc.setup(t, tenant)
			mustCreate(t, newCluster(tenant, group))
			expectDenied(t, k8s.Create(t.Context(), newCluster(tenant, group)), fmt.Sprintf(tc.want, tenant))
		})
	}
}

func TestWebhook_GroupCap(t *testing.T) {
	g := cellGroup(t, 2, 1)
	// Clusters of other groups and standalone ones do not count against the group.
	mustCreate(t, newCluster(unique("tenant"), cellGroup(t, 5, 1)))
	mustCreate(t, newCluster(unique("tenant"), ""))
	deleting(t, unique("tenant"), g)
	mustCreate(t, newCluster(unique("tenant"), g))
	first := newCluster(unique("tenant"), g)
	mustCreate(t, first) // the group's second Cluster: at the cap
	expectDenied(t, k8s.Create(t.Context(), newCluster(unique("tenant"), g)),
		fmt.Sprintf("spec.cellGroup: Forbidden: cell group %s already has 2 clusters; maxClusters is 2", g))

	// A Cluster beyond both caps hears of both.
	err := k8s.Create(t.Context(), newCluster(string(first.Spec.Tenant), g))
	expectDenied(t, err, fmt.Sprintf("spec.tenant: Forbidden: tenant %s already has 1 cluster; maxClustersPerTenant is 1", first.Spec.Tenant))
	expectDenied(t, err, fmt.Sprintf("spec.cellGroup: Forbidden: cell group %s already has 2 clusters; maxClusters is 2", g))
}

func TestWebhook_CellGroupMustExist(t *testing.T) {
	mustCreate(t, newCluster(unique("tenant"), cellGroup(t, 100, 5)))
	missing := unique("missing")
	expectDenied(t, k8s.Create(t.Context(), newCluster(unique("tenant"), missing)),
		fmt.Sprintf(`spec.cellGroup: Not found: "%s"`, missing))
}

func TestWebhook_NamespaceNotTaken(t *testing.T) {
	managed := map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	with := func(extra map[string]string) map[string]string {
		l := map[string]string{}
		for k, v := range managed {
			l[k] = v
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	for _, tc := range []struct {
		name string
		// setup prepares what is already there for the new Cluster c and may change c.
		setup func(t *testing.T, c *ecsv1.Cluster)
		want  string // "" admits; else %[1]s is the namespace, %[2]s the Cluster, %[3]s the tenant
	}{{
		name:  "a namespace that does not exist",
		setup: func(*testing.T, *ecsv1.Cluster) {},
	}, {
		name: "its own namespace, labelled for it by the operator (a re-created Cluster)",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name,
				Labels: with(map[string]string{ecsv1.LabelCluster: c.Name, ecsv1.LabelTenant: string(c.Spec.Tenant)})}})
		},
	}, {
		name: "an existing namespace the operator does not manage (not in the manager's cache)",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name}})
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" already exists and does not belong to cluster %[2]s`,
	}, {
		name: "an existing namespace named in spec.namespace",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			c.Spec.Namespace = unique("ns")
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Spec.Namespace, Labels: with(nil)}})
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" already exists and does not belong to cluster %[2]s`,
	}, {
		name: "the namespace of another Cluster of the same tenant",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name,
				Labels: with(map[string]string{ecsv1.LabelCluster: "gone", ecsv1.LabelTenant: string(c.Spec.Tenant)})}})
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" already exists and does not belong to cluster %[2]s: it belongs to cluster gone`,
	}, {
		name: "a namespace of another tenant, even labelled with the Cluster's name",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name,
				Labels: with(map[string]string{ecsv1.LabelCluster: c.Name, ecsv1.LabelTenant: "tenant-b"})}})
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" already exists and does not belong to cluster %[2]s: it belongs to cluster %[2]s of tenant tenant-b`,
	}, {
		name: "a namespace labelled for another tenant only, not in the manager's cache",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name,
				Labels: map[string]string{ecsv1.LabelTenant: "tenant-b"}}})
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" already exists and does not belong to cluster %[2]s: it belongs to tenant tenant-b`,
	}, {
		name: "the default namespace of another Cluster, which has not made it yet",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			other := newCluster(unique("tenant"), "")
			mustCreate(t, other)
			c.Spec.Namespace = other.Name
			c.Labels = map[string]string{"other": other.Name}
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" is already the namespace of cluster %[4]s`,
	}, {
		name: "the spec.namespace of another Cluster, taken by name",
		setup: func(t *testing.T, c *ecsv1.Cluster) {
			other := newCluster(unique("tenant"), "")
			other.Spec.Namespace = c.Name
			mustCreate(t, other)
			c.Labels = map[string]string{"other": other.Name}
		},
		want: `spec.namespace: Forbidden: namespace "%[1]s" is already the namespace of cluster %[4]s`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(unique("tenant"), "")
			tc.setup(t, c)
			err := k8s.Create(t.Context(), c)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want admitted, got %v", err)
				}
				return
			}
			expectDenied(t, err, fmt.Sprintf(tc.want, namespaceOf(c), c.Name, c.Spec.Tenant, c.Labels["other"]))
		})
	}
}

// Updates are admitted even when the Cluster is now beyond a cap and its namespace exists
// unlabelled: the rules are for taking a place, not for keeping it.
func TestWebhook_UpdatesAreAdmitted(t *testing.T) {
	g := &ecsv1.CellGroup{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: cellGroup(t, 2, 2)}, g); err != nil {
		t.Fatal(err)
	}
	tenant := unique("tenant")
	c := newCluster(tenant, g.Name)
	mustCreate(t, c)
	mustCreate(t, newCluster(tenant, g.Name))
	g.Spec.MaxClusters, g.Spec.MaxClustersPerTenant = 1, 1
	if err := k8s.Update(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	waitCached(t, g)
	mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Name}})
	expectDenied(t, k8s.Create(t.Context(), newCluster(tenant, g.Name)), "maxClustersPerTenant is 1")

	c.Labels = map[string]string{"touched": "yes"}
	if err := k8s.Update(t.Context(), c); err != nil {
		t.Fatalf("an update of a Cluster beyond the lowered caps was refused: %v", err)
	}
	c.Status.Status = ecsv1.ClusterActive
	if err := k8s.Status().Update(t.Context(), c); err != nil {
		t.Fatalf("a status update was refused: %v", err)
	}
}

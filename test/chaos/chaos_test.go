// Package chaos proves the operator through the faults a production cluster has, installed by
// its chart on the local cluster (test/chartenv): two replicas, one leading, every one serving
// the webhooks. Each fault runs short in `make test` and long in `make chaos`
// (options_test.go); docs/reliability.md has the figures.
package chaos

import (
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/test/chartenv"
)

const (
	cellGroup = "tier-8-cell-1-ig-1"
	poll      = 200 * time.Millisecond
)

// tenant is one tenant's Cluster, acted on as its developer (real RBAC and webhooks).
type tenant struct {
	name, namespace string
	c               client.Client
}

type env struct {
	*chartenv.Env
	o       options
	tenants []tenant
	track   *tracker
	// restarts are when kube-apiserver was away or starting: a starting API server answers
	// 403 until its authorizer has synced, which is not the chart's RBAC.
	restarts []window
}

type window struct{ from, to time.Time }

// duringRestart says whether a line of the Pods' log was written while kube-apiserver was
// away or starting.
func (e *env) duringRestart(line string) bool {
	at, ok := lineTime(line)
	if !ok {
		return false
	}
	for _, w := range e.restarts {
		if !at.Before(w.from.Truncate(time.Second)) && !at.After(w.to) {
			return true
		}
	}
	return false
}

// The manager's own lines are JSON with "ts"; client-go's go through klog ("E1206 22:57:35.5").
var (
	zapTime  = regexp.MustCompile(`"ts":"([^"]+)"`)
	klogTime = regexp.MustCompile(`\| [EIWF](\d{4} \d{2}:\d{2}:\d{2}\.\d+)`)
)

// lineTime is when a line of the Pods' log was written.
func lineTime(line string) (time.Time, bool) {
	if m := zapTime.FindStringSubmatch(line); m != nil {
		at, err := time.Parse(time.RFC3339, m[1])
		return at, err == nil
	}
	if m := klogTime.FindStringSubmatch(line); m != nil {
		at, err := time.Parse("0102 15:04:05.999999", m[1])
		if err != nil {
			return time.Time{}, false
		}
		return at.AddDate(time.Now().UTC().Year(), 0, 0), true
	}
	return time.Time{}, false
}

func init() {
	ctrllog.SetLogger(logr.Discard())
}

func TestChaos(t *testing.T) {
	e := start(t)
	steps := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"killing the leader under churn loses, duplicates and orphans nothing", testLeaderLoss},
		{"an API server outage mid-rollout and mid-drain fails nothing and the replicas keep running", testAPIServerOutage},
		{"watches too old after an API server restart relist and lose no change", testWatchExpiry},
		{"a stalled etcd fails nothing and the replicas keep running", testEtcdStall},
		{"concurrent writers of a Service lose no spec change", testConflicts},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.run(t, e)
			e.track.expectNoViolations(t)
		})
	}
	t.Run("the chart's RBAC allowed everything the manager did", func(t *testing.T) { e.NothingForbiddenExcept(t, "", e.duringRestart) })
}

func start(t *testing.T) *env {
	e := &env{Env: chartenv.Start(t, os.Getenv("CHAOS_CLUSTER_DIR")), o: readOptions(t)}
	e.Install(t)
	g := NewWithT(t)
	scheme, err := testenv.Scheme()
	g.Expect(err).NotTo(HaveOccurred())
	var doc string
	// The tenants of the fleet's nodes (chartenv.Start).
	for _, name := range []string{"tenant-a", "tenant-b"} {
		group := name + "-developers"
		doc += fmt.Sprintf("  - name: %s\n    owners:\n    - kind: Group\n      apiGroup: rbac.authorization.k8s.io\n      name: %s\n", name, group)
		cfg := rest.CopyConfig(e.Cluster.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "dev@" + name + ".chaos.example.com", Groups: []string{group, "system:authenticated"}}
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		g.Expect(err).NotTo(HaveOccurred())
		e.tenants = append(e.tenants, tenant{name: name, namespace: cellGroup + "-" + name, c: c})
	}
	cg := &ecsv1.CellGroup{}
	g.Expect(yaml.Unmarshal([]byte(`
apiVersion: ecs.operator.dev/v1alpha1
kind: CellGroup
metadata:
  name: `+cellGroup+`
spec:
  tier: 8
  cell: 1
  infraGroup: 1
  maxClusters: 10
  maxClustersPerTenant: 2
  tenants:
`+doc+`  clusterTemplate:
    capacityProviders:
    - name: on-demand
      type: EC2
      nodeSelector:
        karpenter.sh/capacity-type: on-demand
    defaultCapacityProviderStrategy:
    - capacityProvider: on-demand
      weight: 1
    quota:
      cpu: "64"
      memory: 128Gi
      maxTasks: 200
      maxServices: 20
`), cg)).To(Succeed())
	g.Expect(e.Client.Create(t.Context(), cg)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKeyFromObject(cg), cg)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(cg.Status.Conditions, ecsv1.ConditionReady)).To(BeTrue(), "%+v", cg.Status.Conditions)
	}).WithTimeout(90 * time.Second).WithPolling(poll).Should(Succeed())
	// kube-controller-manager counts the operator's kinds in a quota made within its first
	// resync after the CRDs appeared only at the next one; until then creates are refused
	// ("status unknown for quota"), as on a fresh install (README).
	g.Eventually(func(g Gomega) {
		for _, tn := range e.tenants {
			var quotas corev1.ResourceQuotaList
			g.Expect(e.Client.List(t.Context(), &quotas, client.InNamespace(tn.namespace))).To(Succeed())
			g.Expect(quotas.Items).NotTo(BeEmpty())
			for _, q := range quotas.Items {
				for name := range q.Spec.Hard {
					g.Expect(q.Status.Used).To(HaveKey(name), "quota %s/%s", q.Namespace, q.Name)
				}
			}
		}
	}).WithTimeout(90 * time.Second).WithPolling(poll).Should(Succeed())
	e.track = startTracker(t, e.Cluster.Config, scheme)
	return e
}

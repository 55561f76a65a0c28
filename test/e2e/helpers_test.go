package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

const (
	// converge is how long the stack gets to act on a change: controllers, scheduler and kwok.
	converge = 90 * time.Second
	poll     = 100 * time.Millisecond
)

// createCellGroup makes the two tenants' infra group, as a platform admin would, and waits
// until both Clusters are ACTIVE.
func createCellGroup(ctx context.Context) error {
	if err := applyAs(ctx, admin, `
apiVersion: ecs.operator.dev/v1alpha1
kind: CellGroup
metadata:
  name: `+cellGroup+`
spec:
  tier: 9
  cell: 1
  infraGroup: 1
  maxClusters: 10
  maxClustersPerTenant: 2
  tenants:
  - name: `+tenantA+`
    owners:
    - kind: Group
      apiGroup: rbac.authorization.k8s.io
      name: `+developerAGroup+`
  - name: `+tenantB+`
    owners:
    - kind: User
      apiGroup: rbac.authorization.k8s.io
      name: `+developerB+`
  clusterTemplate:
    capacityProviders:
    - name: on-demand
      type: EC2
      nodeSelector:
        karpenter.sh/capacity-type: on-demand
    - name: FARGATE
      type: FARGATE
      nodeSelector:
        type: virtual-kubelet
      tolerations:
      - key: virtual-kubelet.io/provider
        operator: Exists
        effect: NoSchedule
    defaultCapacityProviderStrategy:
    - capacityProvider: on-demand
      weight: 1
    quota:
      cpu: "64"
      memory: 128Gi
      maxTasks: 200
      maxServices: 20
`); err != nil {
		return err
	}
	deadline := time.Now().Add(converge)
	for {
		var cg ecsv1.CellGroup
		err := admin.Get(ctx, client.ObjectKey{Name: cellGroup}, &cg)
		if err == nil && meta.IsStatusConditionTrue(cg.Status.Conditions, "Ready") {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("its Ready condition is not True")
			}
			return fmt.Errorf("CellGroup %s not Ready within %s (status %+v): %w", cellGroup, converge, cg.Status, err)
		}
		time.Sleep(poll)
	}
}

// applyAs server-side-applies YAML documents as c's user, like `kubectl apply --server-side`.
func applyAs(ctx context.Context, c client.Client, docs string) error {
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return fmt.Errorf("parsing %q: %w", doc, err)
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

func apply(t *testing.T, c client.Client, docs string) {
	t.Helper()
	if err := applyAs(t.Context(), c, docs); err != nil {
		t.Fatal(err)
	}
}

// service reads a Service and checks it with check until it passes.
func waitService(t *testing.T, ns, name string, timeout time.Duration, check func(g Gomega, st ecsv1.ServiceStatus)) ecsv1.ServiceStatus {
	t.Helper()
	var svc ecsv1.Service
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, &svc)).To(Succeed())
		check(g, svc.Status)
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	return svc.Status
}

func steady(g Gomega, st ecsv1.ServiceStatus) {
	g.Expect(meta.IsStatusConditionTrue(st.Conditions, "Ready")).To(BeTrue(), "Ready condition: %+v", st.Conditions)
}

func eventMessages(st ecsv1.ServiceStatus) []string {
	out := make([]string, len(st.Events))
	for i, e := range st.Events {
		out[i] = e.Message
	}
	return out
}

// tasksOf lists the live (not terminating, not finished) Pods of a Service.
func tasksOf(ctx context.Context, g Gomega, ns, service string) []corev1.Pod {
	var pods corev1.PodList
	g.Expect(admin.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1.LabelService: service})).To(Succeed())
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, p)
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// taskDefinition is a small task definition of one essential container, as YAML.
func taskDefinition(ns, name, family, image string) string {
	return fmt.Sprintf(`
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: %s
  namespace: %s
spec:
  family: %s
  cpu: "256"
  memory: "512"
  runtimePlatform:
    cpuArchitecture: X86_64
    operatingSystemFamily: LINUX
  containerDefinitions:
  - name: app
    image: %s
    essential: true
    portMappings:
    - name: http
      containerPort: 8080
`, name, ns, family, image)
}

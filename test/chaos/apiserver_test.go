package chaos

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/test/chartenv"
)

// replicas are the manager's running processes, by Pod, once both are ready: a fault must find
// the operator steady, not one replica still in the back-off of a kill before.
func (e *env) replicas(t *testing.T) map[string]*localcluster.Process {
	t.Helper()
	var pods map[string]bool
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		if pods, err = e.managerPods(t.Context()); err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, r := range pods {
			if r {
				ready++
			}
		}
		if ready == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas are not both ready within 90s: %v", pods)
		}
		time.Sleep(poll)
	}
	out := map[string]*localcluster.Process{}
	for name := range pods {
		if p := e.Nodes.Process(chartenv.Namespace, name); p != nil {
			out[name] = p
		}
	}
	if len(out) != 2 {
		t.Fatalf("%d manager processes run, want 2", len(out))
	}
	return out
}

// expectSameReplicas fails when a replica's process exited or was restarted since before.
func (e *env) expectSameReplicas(t *testing.T, before map[string]*localcluster.Process) {
	t.Helper()
	for pod, p := range before {
		select {
		case <-p.Done():
			t.Errorf("replica %s exited: %v", pod, p.Err())
		default:
		}
		if now := e.Nodes.Process(chartenv.Namespace, pod); now != p {
			t.Errorf("replica %s was restarted", pod)
		}
	}
}

// outage stops kube-apiserver for down, checking every second that no replica exits, and
// returns when it is ready again.
func (e *env) outage(t *testing.T, down time.Duration) time.Time {
	t.Helper()
	replicas := e.replicas(t)
	stopped := time.Now()
	if err := e.Cluster.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s stopped kube-apiserver for %s", stopped.Format(time.TimeOnly), down)
	for time.Since(stopped) < down {
		time.Sleep(time.Second)
		e.expectSameReplicas(t, replicas)
	}
	if err := e.Cluster.StartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	ready := time.Now()
	e.restarts = append(e.restarts, window{stopped, ready.Add(5 * time.Second)})
	t.Logf("%s kube-apiserver ready again", ready.Format(time.TimeOnly))
	e.expectSameReplicas(t, replicas)
	return ready
}

func (e *env) service(t *testing.T, ns, name string) *ecsv1.Service {
	t.Helper()
	svc := &ecsv1.Service{}
	if err := e.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

func testAPIServerOutage(t *testing.T, e *env) {
	ctx, g := t.Context(), NewWithT(t)
	tn := e.tenants[0]
	const rolling = "rolling"
	g.Expect(createTaskDefinition(ctx, tn.c, tn.namespace, rolling)).To(Succeed())
	for name, count := range map[string]int32{"rollout": 4, "drain": 3} {
		svc := &ecsv1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: tn.namespace, Name: name},
			Spec:       ecsv1.ServiceSpec{TaskDefinition: ecsv1.TaskDefinitionReference(rolling), DesiredCount: ptr.To(count)},
		}
		g.Expect(tn.c.Create(ctx, svc)).To(Succeed())
	}
	e.waitConverged(t, time.Now(), time.Now().Add(90*time.Second))

	// Mid-rollout: a new revision is rolling out to both Services.
	td := &ecsv1.TaskDefinition{}
	g.Expect(yaml.Unmarshal([]byte(taskDefinitionYAML(tn.namespace, rolling, 1)), td)).To(Succeed())
	g.Expect(tn.c.Patch(ctx, td, client.Merge)).To(Succeed())
	g.Eventually(func() int { return len(e.service(t, tn.namespace, "rollout").Status.Deployments) }).
		WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(Equal(2), "the rollout did not start")
	// Mid-drain: the other Service is deleted and drains its tasks.
	g.Expect(tn.c.Delete(ctx, &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: tn.namespace, Name: "drain"}})).To(Succeed())
	drain := &ecsv1.Service{}
	err := e.Client.Get(ctx, client.ObjectKey{Namespace: tn.namespace, Name: "drain"}, drain)
	t.Logf("stopping the API server with Service rollout at %s and Service drain %s", rolloutStates(e.service(t, tn.namespace, "rollout").Status.Deployments), drainState(drain, err))

	ready := e.outage(t, e.o.apiDown)
	took := e.waitConverged(t, ready, ready.Add(e.o.afterOutage))
	t.Logf("API server outage: %s down mid-rollout and mid-drain; no replica exited; converged %.1fs after the API server was ready", e.o.apiDown, took.Seconds())
	g.Expect(e.service(t, tn.namespace, "rollout").Status.TaskDefinition).To(Equal(rolling+":2"), "the new revision is not the PRIMARY")
}

func drainState(svc *ecsv1.Service, err error) string {
	if apierrors.IsNotFound(err) {
		return "already gone"
	}
	return fmt.Sprintf("%s with %d running", svc.Status.Status, svc.Status.RunningCount)
}

// testWatchExpiry restarts the API server and changes objects the moment it is back, before
// the operator's watches resume: they resume from resource versions the new API server's watch
// cache no longer has ("too old resource version", 410), so the operator must relist and find
// the changes there.
func testWatchExpiry(t *testing.T, e *env) {
	ctx, g := t.Context(), NewWithT(t)
	tn := e.tenants[1]
	var before ecsv1.ServiceList
	g.Expect(e.Client.List(ctx, &before, client.InNamespace(tn.namespace))).To(Succeed())
	g.Expect(len(before.Items)).To(BeNumerically(">=", 3), "the churn left fewer than 3 Services")
	scaled, drifted, deleted := before.Items[0], before.Items[1], before.Items[2]
	oldRV := before.ResourceVersion
	// A write after oldRV, so that it is older than anything the restarted API server has.
	g.Expect(tn.c.Patch(ctx, &scaled, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"desiredCount":1}}`)))).To(Succeed())

	replicas := e.replicas(t)
	stopped := time.Now()
	g.Expect(e.Cluster.StopAPIServer()).To(Succeed())
	g.Expect(e.Cluster.StartAPIServer(ctx)).To(Succeed())
	ready := time.Now()
	e.restarts = append(e.restarts, window{stopped, ready.Add(5 * time.Second)})
	// Changes the operator can only learn from a relist.
	g.Expect(tn.c.Patch(ctx, &scaled, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"desiredCount":3}}`)))).To(Succeed())
	var deployments appsv1.DeploymentList
	g.Expect(e.Client.List(ctx, &deployments, client.InNamespace(tn.namespace), client.MatchingLabels{ecsv1.LabelService: drifted.Name})).To(Succeed())
	g.Expect(deployments.Items).NotTo(BeEmpty())
	for i := range deployments.Items {
		g.Expect(e.Client.Delete(ctx, &deployments.Items[i])).To(Succeed())
	}
	g.Expect(tn.c.Delete(ctx, &deleted)).To(Succeed())
	g.Expect(tn.c.Create(ctx, &ecsv1.Task{
		ObjectMeta: metav1.ObjectMeta{Namespace: tn.namespace, Name: "after-restart"},
		Spec:       ecsv1.TaskSpec{TaskDefinition: family},
	})).To(Succeed())

	// Any watch resuming from before the restart is told to relist.
	expectTooOld(t, e, tn.namespace, oldRV)

	took := e.waitConverged(t, ready, ready.Add(e.o.afterOutage))
	e.expectSameReplicas(t, replicas)
	g.Expect(ptr.Deref(e.service(t, tn.namespace, scaled.Name).Spec.DesiredCount, 0)).To(BeEquivalentTo(3))
	t.Logf("watch expiry: a watch from before the restart got 410; the scale, the deleted Deployment, the deleted Service and the new Task made right after it converged %.1fs after the API server was ready", took.Seconds())
}

func expectTooOld(t *testing.T, e *env, ns, rv string) {
	t.Helper()
	scheme, err := testenv.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	wc, err := client.NewWithWatch(e.Cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(t.Context(), &ecsv1.ServiceList{}, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return
		}
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case ev := <-w.ResultChan():
		status, ok := ev.Object.(*metav1.Status)
		if ev.Type != watch.Error || !ok || status.Code != http.StatusGone {
			t.Fatalf("a watch from resource version %s after the restart got %s %T, want 410 Gone", rv, ev.Type, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("a watch from resource version %s after the restart got nothing, want 410 Gone", rv)
	}
}

// testEtcdStall freezes etcd while the tenants' Services are scaled: the API server holds and
// then times out every request, which no replica may take for a lost election.
func testEtcdStall(t *testing.T, e *env) {
	ctx, g := t.Context(), NewWithT(t)
	tn := e.tenants[0]
	var services ecsv1.ServiceList
	g.Expect(e.Client.List(ctx, &services, client.InNamespace(tn.namespace))).To(Succeed())
	g.Expect(services.Items).NotTo(BeEmpty())
	svc := services.Items[0]
	g.Expect(tn.c.Patch(ctx, &svc, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"desiredCount":2}}`)))).To(Succeed())
	replicas := e.replicas(t)
	stalled := time.Now()
	g.Expect(e.Cluster.StallEtcd(ctx, e.o.etcdStall)).To(Succeed())
	thawed := time.Now()
	e.restarts = append(e.restarts, window{stalled, thawed.Add(5 * time.Second)})
	t.Logf("%s etcd stalled for %s", stalled.Format(time.TimeOnly), e.o.etcdStall)
	took := e.waitConverged(t, thawed, thawed.Add(e.o.afterOutage))
	e.expectSameReplicas(t, replicas)
	t.Logf("etcd stall: %s frozen; no replica exited; converged %.1fs after it was thawed", e.o.etcdStall, took.Seconds())
}

package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func service(ns, name, td string, desired int, extra string) string {
	return fmt.Sprintf(`
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: %s
  namespace: %s
spec:
  taskDefinition: %s
  desiredCount: %d
%s`, name, ns, td, desired, extra)
}

// rolloutWatch samples a Service's live tasks while it rolls out: the most that existed at
// once and the fewest that were ready.
type rolloutWatch struct {
	mu                 sync.Mutex
	maxTasks, minReady int
	stop               chan struct{}
	done               chan struct{}
}

func watchRollout(t *testing.T, ns, svc string) *rolloutWatch {
	w := &rolloutWatch{minReady: 1 << 30, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		g := NewGomega(func(message string, _ ...int) { t.Errorf("watching the rollout: %s", message) })
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			pods := tasksOf(t.Context(), g, ns, svc)
			ready := 0
			for i := range pods {
				if podReady(&pods[i]) {
					ready++
				}
			}
			w.mu.Lock()
			w.maxTasks, w.minReady = max(w.maxTasks, len(pods)), min(w.minReady, ready)
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *rolloutWatch) Stop() (maxTasks, minReady int) {
	close(w.stop)
	<-w.done
	return w.maxTasks, w.minReady
}

func TestService_SteadyStateScaleAndARolloutWithinItsPercentages(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "shop-v1", "shop", "nginx:1.27"))
	apply(t, asA, service(ns, "shop", "shop", 3, `  deploymentConfiguration:
    maximumPercent: 150
    minimumHealthyPercent: 60
`))

	st := waitService(t, ns, "shop", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(3)))
	})
	g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("(service shop) has reached a steady state.")))
	started := 0
	for _, m := range eventMessages(st) {
		if strings.HasPrefix(m, "(service shop) has started ") {
			started += strings.Count(m, "(task shop-")
		}
	}
	g.Expect(started).To(Equal(3), "tasks reported started: %q", eventMessages(st))
	g.Expect(tasksOf(t.Context(), g, ns, "shop")).To(HaveLen(3))
	for _, p := range tasksOf(t.Context(), g, ns, "shop") {
		g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		g.Expect(p.Spec.NodeName).To(HavePrefix(tenantA+"-"), "EC2 tasks run on the tenant's own nodes")
	}

	// kubectl scale ecssvc/shop --replicas=5, through the scale subresource.
	scale := &autoscalingv1.Scale{}
	svc := &ecsv1.Service{}
	svc.Namespace, svc.Name = ns, "shop"
	g.Expect(asA.SubResource("scale").Get(t.Context(), svc, scale)).To(Succeed())
	scale.Spec.Replicas = 5
	g.Expect(asA.SubResource("scale").Update(t.Context(), svc, client.WithSubResourceBody(scale))).To(Succeed())
	waitService(t, ns, "shop", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.DesiredCount).To(Equal(int32(5)))
		g.Expect(st.RunningCount).To(Equal(int32(5)))
	})

	// A new revision rolls out: at most 150% of 5 = 7 tasks at once, at least 60% of 5 = 3 healthy.
	w := watchRollout(t, ns, "shop")
	apply(t, asA, taskDefinition(ns, "shop-v1", "shop", "nginx:1.28"))
	st = waitService(t, ns, "shop", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("shop:2"))
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(5)))
		g.Expect(st.Deployments).To(HaveLen(1))
		g.Expect(st.Deployments[0].RolloutState).To(Equal(ecsv1.RolloutCompleted))
	})
	maxTasks, minReady := w.Stop()
	t.Logf("rollout of 5 tasks at 150%%/60%%: at most %d tasks, at least %d ready", maxTasks, minReady)
	g.Expect(maxTasks).To(BeNumerically("<=", 7), "maximumPercent 150")
	g.Expect(maxTasks).To(BeNumerically(">", 5), "the rollout used its surge")
	g.Expect(minReady).To(BeNumerically(">=", 3), "minimumHealthyPercent 60")
	g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment completed.")))
}

func TestService_AFailingRevisionTripsTheCircuitBreakerAndRollsBack(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "cart-v1", "cart", "nginx:1.27"))
	apply(t, asA, service(ns, "cart", "cart", 2, `  deploymentConfiguration:
    deploymentCircuitBreaker:
      enable: true
      rollback: true
`))
	first := waitService(t, ns, "cart", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(2)))
	})

	// Revision 2's container exits at once, again and again (kwok.local/exit-1).
	apply(t, asA, taskDefinition(ns, "cart-v1", "cart", "kwok.local/exit-1"))
	st := waitService(t, ns, "cart", 2*converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("cart:1"), "deployments %+v", st.Deployments)
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: tasks failed to start.")))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("rolling back to deployment")))
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(2)))
	})
	g.Expect(st.Deployments).To(ContainElement(And(
		HaveField("TaskDefinition", "cart:2"),
		HaveField("RolloutState", ecsv1.RolloutFailed),
	)))
	// The rollback is a deployment of its own, completed, not the first one revived.
	g.Expect(st.Deployments[0]).To(And(HaveField("Status", ecsv1.DeploymentPrimary), HaveField("TaskDefinition", "cart:1"),
		HaveField("RolloutState", ecsv1.RolloutCompleted), HaveField("ID", Not(Equal(first.Deployments[0].ID)))))
	for _, p := range tasksOf(t.Context(), g, ns, "cart") {
		g.Expect(p.Spec.Containers[0].Image).To(Equal("nginx:1.27"), "only revision 1's tasks are left")
	}
}

func TestService_DaemonRunsOneTaskOnEachMatchingNode(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	// X86_64 only: tenant A has three x86 nodes and one Graviton node.
	apply(t, asA, taskDefinition(ns, "agent", "agent", "fluent-bit:3"))
	apply(t, asA, `
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: agent
  namespace: `+ns+`
spec:
  taskDefinition: agent
  schedulingStrategy: DAEMON
`)
	waitService(t, ns, "agent", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(3)))
	})
	nodes := map[string]bool{}
	for _, p := range tasksOf(t.Context(), g, ns, "agent") {
		nodes[p.Spec.NodeName] = true
	}
	g.Expect(nodes).To(HaveLen(3))
	g.Expect(nodes).NotTo(HaveKey(tenantA+"-4"), "the Graviton node does not match X86_64")
	// ECS's daemon bounds, with or without the defaulting webhook: no surge, and of 3 nodes at
	// minimumHealthyPercent 0 all 3 may be replaced at once (in tasks, not a rounded percentage).
	g.Eventually(func(g Gomega) {
		ds := &appsv1.DaemonSet{}
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "agent"}, ds)).To(Succeed())
		ru := ds.Spec.UpdateStrategy.RollingUpdate
		g.Expect(ru.MaxSurge.String()).To(Equal("0"))
		g.Expect(ru.MaxUnavailable.String()).To(Equal("3"))
	}, converge, poll).Should(Succeed())
}

func TestService_DistinctInstanceSpreadsTasksOverNodes(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "search", "search", "opensearch:2"))
	apply(t, asA, service(ns, "search", "search", 3, `  placementConstraints:
  - type: distinctInstance
`))
	waitService(t, ns, "search", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(3)))
	})
	nodes := map[string]bool{}
	for _, p := range tasksOf(t.Context(), g, ns, "search") {
		nodes[p.Spec.NodeName] = true
	}
	g.Expect(nodes).To(HaveLen(3), "three tasks on three nodes")
}

// TestService_BrokenTasksFailTheFirstDeployment: whatever breaks a task — its essential
// container exits, its health check fails, its image cannot be pulled — the circuit breaker
// counts it and fails the deployment (with nothing to roll back to, the Service stays on it).
func TestService_BrokenTasksFailTheFirstDeployment(t *testing.T) {
	for _, tc := range []struct {
		name, image string
		desired     int
	}{
		{"crash", "kwok.local/exit-1", 2},
		{"unhealthy", "kwok.local/unhealthy", 2},
		// A task whose image cannot be pulled is one failure however often the kubelet retries;
		// it is stopped after --task-start-timeout and replaced, so one task fails three times.
		{"no-image", "kwok.local/pull-error:1.0", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := namespaceA
			apply(t, asA, taskDefinition(ns, "broken-"+tc.name, "broken-"+tc.name, tc.image))
			apply(t, asA, service(ns, "broken-"+tc.name, "broken-"+tc.name, tc.desired, `  deploymentConfiguration:
    deploymentCircuitBreaker:
      enable: true
      rollback: true
`))
			st := waitService(t, ns, "broken-"+tc.name, converge, func(g Gomega, st ecsv1.ServiceStatus) {
				g.Expect(st.Deployments).NotTo(BeEmpty())
				g.Expect(st.Deployments[0].RolloutState).To(Equal(ecsv1.RolloutFailed), "deployments %+v", st.Deployments)
			})
			g.Expect(st.Deployments[0].FailedTasks).To(BeNumerically(">=", 3), "the threshold for up to 6 tasks is 3")
			g.Expect(st.Deployments[0].CircuitBreaker).To(HaveValue(And(
				HaveField("Status", ecsv1.CircuitBreakerTriggered), HaveField("Threshold", int32(3)),
				HaveField("FailureCount", BeNumerically(">=", 3)))))
			g.Expect(st.RunningCount).To(BeZero())
			g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: tasks failed to start.")))
		})
	}
}

func TestService_AnEssentialContainerExitStopsTheTaskAndAReplacementStarts(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	// The container runs ~1 s, then exits with 2: ECS stops the task and starts another one,
	// on any kubelet — one that keeps the container stopped, or one that restarts it in place.
	apply(t, asA, taskDefinition(ns, "flaky", "flaky", "kwok.local/exit-2"))
	apply(t, asA, service(ns, "flaky", "flaky", 1, ""))
	var first string
	g.Eventually(func(g Gomega) {
		tasks := tasksOf(t.Context(), g, ns, "flaky")
		g.Expect(tasks).NotTo(BeEmpty())
		first = tasks[0].Name
	}, converge, 200*time.Millisecond).Should(Succeed())
	st := waitService(t, ns, "flaky", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(eventMessages(st)).To(ContainElement(MatchRegexp(
			`^\(service flaky\) \(task flaky-[a-z0-9-]+\) was stopped: Essential container in task exited: app exited with code 2\.$`)))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("(service flaky) has stopped 1 running tasks")))
		g.Expect(st.Deployments).NotTo(BeEmpty())
		g.Expect(st.Deployments[0].FailedTasks).To(BeNumerically(">=", 2))
	})
	g.Expect(st.Deployments[0].CircuitBreaker).To(BeNil(), "no breaker asked for, none reported")
	g.Eventually(func(g Gomega) {
		for _, p := range tasksOf(t.Context(), g, ns, "flaky") {
			g.Expect(p.Name).NotTo(Equal(first), "the stopped task was replaced, not restarted in place")
		}
	}, converge, 200*time.Millisecond).Should(Succeed())
}

func TestService_AnAlarmInAlarmStateFailsTheDeploymentAndRollsBack(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "checkout-v1", "checkout", "nginx:1.27"))
	apply(t, asA, service(ns, "checkout", "checkout", 2, `  deploymentConfiguration:
    alarms:
      alarmNames: [CheckoutErrors, CheckoutLatency]
      enable: true
      rollback: true
`))
	waitService(t, ns, "checkout", converge, steady)

	// Anything may set the alarm state: here the tenant, through the Service's annotation.
	svc := &ecsv1.Service{}
	g.Expect(asA.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "checkout"}, svc)).To(Succeed())
	patch := client.MergeFrom(svc.DeepCopy())
	svc.Annotations = map[string]string{"ecs.operator.dev/alarms-in-alarm": "CheckoutLatency"}
	g.Expect(asA.Patch(t.Context(), svc, patch)).To(Succeed())
	consistentlySteady := waitService(t, ns, "checkout", converge, steady)
	g.Expect(consistentlySteady.Deployments[0].RolloutState).To(Equal(ecsv1.RolloutCompleted), "a completed deployment is not failed by a later alarm")

	// A healthy revision rolled out while the alarm fires fails and rolls back.
	apply(t, asA, taskDefinition(ns, "checkout-v1", "checkout", "nginx:1.28"))
	st := waitService(t, ns, "checkout", 2*converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: alarm(s) CheckoutLatency in ALARM state.")))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("rolling back to deployment")))
		g.Expect(st.TaskDefinition).To(Equal("checkout:1"))
		steady(g, st)
	})
	g.Expect(st.Deployments).To(ContainElement(And(HaveField("TaskDefinition", "checkout:2"), HaveField("RolloutState", ecsv1.RolloutFailed),
		HaveField("RolloutStateReason", ContainSubstring("CheckoutLatency")))))
	// Steady only once the failed revision's tasks are gone, even those the alarm failed before
	// they reached the operator's cache.
	for _, p := range tasksOf(t.Context(), g, ns, "checkout") {
		g.Expect(p.Spec.Containers[0].Image).To(Equal("nginx:1.27"), "only revision 1's tasks are left")
	}
}

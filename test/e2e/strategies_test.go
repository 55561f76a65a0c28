package e2e

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// endpointImages are the images of the tasks a Kubernetes Service sends traffic to, as its
// EndpointSlices say (ready endpoints only), sorted.
func endpointImages(t *testing.T, g Gomega, ns, name string) []string {
	var list discoveryv1.EndpointSliceList
	g.Expect(admin.List(t.Context(), &list, client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: name})).To(Succeed())
	var images []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.TargetRef == nil || !ptr.Deref(e.Conditions.Ready, false) {
				continue
			}
			pod := &corev1.Pod{}
			if err := admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: e.TargetRef.Name}, pod); err != nil {
				images = append(images, "gone")
				continue
			}
			images = append(images, pod.Spec.Containers[0].Image)
		}
	}
	slices.Sort(images)
	return images
}

// trafficTo waits until a Kubernetes Service's endpoints are exactly tasks of these images.
func trafficTo(t *testing.T, ns, name string, images ...string) {
	t.Helper()
	slices.Sort(images)
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(endpointImages(t, g, ns, name)).To(Equal(images))
	}).WithTimeout(converge).WithPolling(poll).Should(Succeed(), "traffic of %s", name)
}

// primaryAt waits for the Service's PRIMARY deployment to reach a lifecycle stage.
func primaryAt(t *testing.T, ns, name string, stage ecsv1.LifecycleStage) ecsv1.Deployment {
	t.Helper()
	st := waitService(t, ns, name, converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.Deployments).NotTo(BeEmpty())
		g.Expect(st.Deployments[0].LifecycleStage).To(Equal(stage), "deployments %+v", st.Deployments)
	})
	return st.Deployments[0]
}

// annotate sets an annotation of a Service as the tenant's developer.
func annotate(t *testing.T, ns, name, key, value string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		svc := &ecsv1.Service{}
		g.Expect(asA.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, svc)).To(Succeed())
		patch := client.MergeFrom(svc.DeepCopy())
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[key] = value
		g.Expect(asA.Patch(t.Context(), svc, patch)).To(Succeed())
	}).WithTimeout(converge).WithPolling(poll).Should(Succeed())
}

const hookAnnotation = "hooks.ecs.operator.dev/"

func blueGreenConfiguration(hookStage ecsv1.LifecycleStage) string {
	return fmt.Sprintf(`  loadBalancers:
  - containerName: app
    containerPort: 8080
  deploymentConfiguration:
    strategy: BLUE_GREEN
    bakeTimeInMinutes: 3
    lifecycleHooks:
    - hookTargetArn: arn:aws:lambda:us-east-1:111122223333:function:smoke-test
      roleArn: arn:aws:iam::111122223333:role/ecs-hooks
      lifecycleStages: [%s]
`, hookStage)
}

// startBlueGreen brings a BLUE_GREEN Service to its steady state on nginx:1.27, approving its
// first deployment's hook.
func startBlueGreen(t *testing.T, ns, name string, hookStage ecsv1.LifecycleStage) {
	t.Helper()
	apply(t, asA, taskDefinition(ns, name+"-v1", name, "nginx:1.27"))
	apply(t, asA, service(ns, name, name, 2, blueGreenConfiguration(hookStage)))
	first := primaryAt(t, ns, name, hookStage)
	annotate(t, ns, name, hookAnnotation+string(hookStage), first.ID+"=SUCCEEDED")
	waitService(t, ns, name, converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(2)))
	})
	trafficTo(t, ns, name+"-8080", "nginx:1.27", "nginx:1.27")
}

func TestStrategy_BlueGreenTestsGreenThenSwitchesProductionAndRemovesBlue(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	startBlueGreen(t, ns, "bluegreen", ecsv1.StagePostTestTrafficShift)

	apply(t, asA, taskDefinition(ns, "bluegreen-v1", "bluegreen", "nginx:1.28"))
	green := primaryAt(t, ns, "bluegreen", ecsv1.StagePostTestTrafficShift)
	g.Expect(green.TaskDefinition).To(Equal("bluegreen:2"))
	// Green runs beside blue at full size; test traffic reaches green, production stays on blue.
	trafficTo(t, ns, "bluegreen-8080-test", "nginx:1.28", "nginx:1.28")
	trafficTo(t, ns, "bluegreen-8080", "nginx:1.27", "nginx:1.27")
	g.Expect(ptr.Deref(green.ProductionTrafficWeight, -1)).To(Equal(int32(0)))

	annotate(t, ns, "bluegreen", hookAnnotation+"POST_TEST_TRAFFIC_SHIFT", green.ID+"=SUCCEEDED")
	// Production switches at once; blue stays through the bake time, then goes.
	trafficTo(t, ns, "bluegreen-8080", "nginx:1.28", "nginx:1.28")
	st := waitService(t, ns, "bluegreen", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.Deployments).To(HaveLen(1))
		g.Expect(st.Deployments[0]).To(And(HaveField("ID", green.ID), HaveField("RolloutState", ecsv1.RolloutCompleted),
			HaveField("LifecycleStage", ecsv1.StageCleanUp), HaveField("ProductionTrafficWeight", HaveValue(Equal(int32(100))))))
	})
	g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment completed.")))
	for _, p := range tasksOf(t.Context(), g, ns, "bluegreen") {
		g.Expect(p.Spec.Containers[0].Image).To(Equal("nginx:1.28"), "blue is removed after the bake time")
	}
}

func TestStrategy_BlueGreenHookFailureAfterTheSwitchSendsTrafficBackToBlue(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	startBlueGreen(t, ns, "greenfail", ecsv1.StagePostProductionTrafficShift)

	apply(t, asA, taskDefinition(ns, "greenfail-v1", "greenfail", "nginx:1.28"))
	green := primaryAt(t, ns, "greenfail", ecsv1.StagePostProductionTrafficShift)
	trafficTo(t, ns, "greenfail-8080", "nginx:1.28", "nginx:1.28")

	annotate(t, ns, "greenfail", hookAnnotation+"POST_PRODUCTION_TRAFFIC_SHIFT", green.ID+"=FAILED")
	trafficTo(t, ns, "greenfail-8080", "nginx:1.27", "nginx:1.27")
	st := waitService(t, ns, "greenfail", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("greenfail:1"))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: lifecycle hook 0 failed at POST_PRODUCTION_TRAFFIC_SHIFT")))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("rolling back to deployment")))
		steady(g, st)
	})
	g.Expect(st.Deployments).To(ContainElement(And(HaveField("ID", green.ID), HaveField("RolloutState", ecsv1.RolloutFailed))))
	for _, p := range tasksOf(t.Context(), g, ns, "greenfail") {
		g.Expect(p.Spec.Containers[0].Image).To(Equal("nginx:1.27"), "green is removed")
	}
}

// trafficSample is one look at a shifting deployment: its weight and the images behind the
// production Service.
type trafficSample struct {
	weight int32
	images []string
}

// sampleTraffic records, until stopped, every distinct (weight, endpoints) the Service shows
// while its PRIMARY shifts production traffic.
func sampleTraffic(t *testing.T, ns, name string) (stop func() []trafficSample) {
	var mu sync.Mutex
	var samples []trafficSample
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		g := NewGomega(func(message string, _ ...int) { t.Errorf("sampling traffic: %s", message) })
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			svc := &ecsv1.Service{}
			if err := admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil || len(svc.Status.Deployments) == 0 {
				continue
			}
			p := svc.Status.Deployments[0]
			if p.LifecycleStage != ecsv1.StageProductionTrafficShift || p.RolloutState != ecsv1.RolloutInProgress {
				continue
			}
			s := trafficSample{weight: ptr.Deref(p.ProductionTrafficWeight, -1), images: endpointImages(t, g, ns, name+"-8080")}
			mu.Lock()
			if len(samples) == 0 || samples[len(samples)-1].weight != s.weight || !slices.Equal(samples[len(samples)-1].images, s.images) {
				samples = append(samples, s)
			}
			mu.Unlock()
		}
	}()
	return func() []trafficSample {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return samples
	}
}

// sawShare reports whether some sample at weight had exactly green of its four endpoints on
// the new image.
func sawShare(samples []trafficSample, weight int32, green int) bool {
	for _, s := range samples {
		if s.weight == weight && len(s.images) == 4 && count(s.images, "nginx:1.28") == green {
			return true
		}
	}
	return false
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

func TestStrategy_LinearShiftsProductionTrafficInStepsAndRollsBackAFailingRevision(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "linear-v1", "linear", "nginx:1.27"))
	config := `  loadBalancers:
  - containerName: app
    containerPort: 8080
  deploymentConfiguration:
    strategy: LINEAR
    linearConfiguration:
      stepPercent: 25.0
      stepBakeTimeInMinutes: 6
    deploymentCircuitBreaker:
      enable: true
      rollback: true
`
	apply(t, asA, service(ns, "linear", "linear", 4, config))
	waitService(t, ns, "linear", converge, steady)
	trafficTo(t, ns, "linear-8080", "nginx:1.27", "nginx:1.27", "nginx:1.27", "nginx:1.27")

	stop := sampleTraffic(t, ns, "linear")
	apply(t, asA, taskDefinition(ns, "linear-v1", "linear", "nginx:1.28"))
	st := waitService(t, ns, "linear", 2*converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("linear:2"))
		steady(g, st)
		g.Expect(st.Deployments).To(HaveLen(1))
	})
	samples := stop()
	t.Logf("linear shift: %+v", samples)
	// Each step: stepPercent more of the traffic, by task counts behind one Service.
	for step, weight := range []int32{25, 50, 75} {
		g.Expect(sawShare(samples, weight, step+1)).To(BeTrue(), "no look at %d%% with %d of 4 tasks on the new revision: %+v", weight, step+1, samples)
	}
	g.Expect(st.Deployments[0].RolloutState).To(Equal(ecsv1.RolloutCompleted))
	trafficTo(t, ns, "linear-8080", "nginx:1.28", "nginx:1.28", "nginx:1.28", "nginx:1.28")

	// A revision whose tasks exit at once trips the circuit breaker before it takes traffic:
	// the rollback keeps every request on the running revision.
	apply(t, asA, taskDefinition(ns, "linear-v1", "linear", "kwok.local/exit-1"))
	st = waitService(t, ns, "linear", 2*converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: tasks failed to start.")))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("rolling back to deployment")))
		g.Expect(st.TaskDefinition).To(Equal("linear:2"))
		steady(g, st)
	})
	g.Expect(st.Deployments).To(ContainElement(And(HaveField("TaskDefinition", "linear:3"), HaveField("RolloutState", ecsv1.RolloutFailed))))
	trafficTo(t, ns, "linear-8080", "nginx:1.28", "nginx:1.28", "nginx:1.28", "nginx:1.28")
}

func TestStrategy_CanaryShiftsItsShareThenTheRestAndRollsBackOnAnAlarm(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "canary-v1", "canary", "nginx:1.27"))
	config := `  loadBalancers:
  - containerName: app
    containerPort: 8080
  deploymentConfiguration:
    strategy: CANARY
    canaryConfiguration:
      canaryPercent: 25.0
      canaryBakeTimeInMinutes: 6
    alarms:
      alarmNames: [CanaryErrors]
      enable: true
      rollback: true
`
	apply(t, asA, service(ns, "canary", "canary", 4, config))
	waitService(t, ns, "canary", converge, steady)

	stop := sampleTraffic(t, ns, "canary")
	apply(t, asA, taskDefinition(ns, "canary-v1", "canary", "nginx:1.28"))
	waitService(t, ns, "canary", 2*converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("canary:2"))
		steady(g, st)
	})
	samples := stop()
	t.Logf("canary shift: %+v", samples)
	g.Expect(sawShare(samples, 25, 1)).To(BeTrue(), "no look at the canary: 25%% on 1 of 4 tasks: %+v", samples)
	trafficTo(t, ns, "canary-8080", "nginx:1.28", "nginx:1.28", "nginx:1.28", "nginx:1.28")

	// The next revision's canary trips an alarm: traffic goes back to the running revision.
	apply(t, asA, taskDefinition(ns, "canary-v1", "canary", "nginx:1.29"))
	canary := primaryAt(t, ns, "canary", ecsv1.StageProductionTrafficShift)
	g.Expect(canary.TaskDefinition).To(Equal("canary:3"))
	trafficTo(t, ns, "canary-8080", "nginx:1.28", "nginx:1.28", "nginx:1.28", "nginx:1.29")
	annotate(t, ns, "canary", "ecs.operator.dev/alarms-in-alarm", "CanaryErrors")
	st := waitService(t, ns, "canary", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.TaskDefinition).To(Equal("canary:2"))
		g.Expect(eventMessages(st)).To(ContainElement(ContainSubstring("deployment failed: alarm(s) CanaryErrors in ALARM state.")))
		steady(g, st)
	})
	g.Expect(st.Deployments).To(ContainElement(And(HaveField("ID", canary.ID), HaveField("RolloutState", ecsv1.RolloutFailed))))
	trafficTo(t, ns, "canary-8080", "nginx:1.28", "nginx:1.28", "nginx:1.28", "nginx:1.28")
}

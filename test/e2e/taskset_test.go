package e2e

import (
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func taskSet(ns, name, service, td string, scale int) string {
	return `
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskSet
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  service: ` + service + `
  taskDefinition: ` + td + `
  externalId: my-cd/` + name + `
  scale:
    value: ` + strconv.Itoa(scale) + `
    unit: PERCENT
  loadBalancers:
  - containerName: app
    containerPort: 8080
`
}

// externalService is a Service of two tasks deployed by an external controller, whose
// production traffic on port 8080 goes to the primary task set.
func externalService(ns, name, primary string) string {
	return `
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  desiredCount: 2
  deploymentController:
    type: EXTERNAL
  primaryTaskSet: ` + primary + `
  loadBalancers:
  - containerName: app
    containerPort: 8080
`
}

// An external controller (here the test, as a tenant developer) runs blue/green through task
// sets: CreateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet.
func TestTaskSet_AnExternalControllerRunsBlueGreenThroughTaskSets(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "ext-v1", "ext", "nginx:1.27"))
	apply(t, asA, externalService(ns, "ext", "blue"))
	apply(t, asA, taskSet(ns, "blue", "ext", "ext:1", 100))
	waitService(t, ns, "ext", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(2)))
		g.Expect(st.TaskSets).To(ConsistOf(And(HaveField("Name", "blue"), HaveField("Status", ecsv1.TaskSetPrimary),
			HaveField("StabilityStatus", ecsv1.StabilitySteady), HaveField("TaskDefinition", "ext:1"))))
	})
	trafficTo(t, ns, "ext-8080", "nginx:1.27", "nginx:1.27")

	// Green: a second task set of the next revision, at full scale, reached by its own Service.
	apply(t, asA, taskDefinition(ns, "ext-v1", "ext", "nginx:1.28"))
	apply(t, asA, taskSet(ns, "green", "ext", "ext:2", 100))
	trafficTo(t, ns, "taskset-green-8080", "nginx:1.28", "nginx:1.28")
	trafficTo(t, ns, "ext-8080", "nginx:1.27", "nginx:1.27")

	// UpdateServicePrimaryTaskSet: production traffic moves to green at once.
	apply(t, asA, externalService(ns, "ext", "green"))
	trafficTo(t, ns, "ext-8080", "nginx:1.28", "nginx:1.28")

	// DeleteTaskSet: blue's tasks go.
	blue := &ecsv1.TaskSet{}
	g.Expect(asA.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "blue"}, blue)).To(Succeed())
	g.Expect(asA.Delete(t.Context(), blue)).To(Succeed())
	st := waitService(t, ns, "ext", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.TaskSets).To(ConsistOf(And(HaveField("Name", "green"), HaveField("Status", ecsv1.TaskSetPrimary))))
		g.Expect(st.RunningCount).To(Equal(int32(2)))
		g.Expect(st.TaskDefinition).To(Equal("ext:2"))
	})
	g.Expect(st.Deployments).To(BeEmpty(), "an EXTERNAL Service runs no deployment of its own")
	g.Eventually(func(g Gomega) {
		for _, p := range tasksOf(t.Context(), g, ns, "ext") {
			g.Expect(p.Spec.Containers[0].Image).To(Equal("nginx:1.28"))
		}
	}).WithTimeout(converge).WithPolling(poll).Should(Succeed())

	// Deleting the Service deletes its task sets with it.
	svc := &ecsv1.Service{}
	g.Expect(asA.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "ext"}, svc)).To(Succeed())
	g.Expect(asA.Delete(t.Context(), svc)).To(Succeed())
	g.Eventually(func(g Gomega) {
		var sets ecsv1.TaskSetList
		g.Expect(admin.List(t.Context(), &sets, client.InNamespace(ns))).To(Succeed())
		for _, s := range sets.Items {
			g.Expect(s.Spec.Service).NotTo(Equal("ext"))
		}
		var pods corev1.PodList
		g.Expect(admin.List(t.Context(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1.LabelService: "ext"})).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
	}).WithTimeout(converge).WithPolling(poll).Should(Succeed())
}

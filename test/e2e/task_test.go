package e2e

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func runTask(t *testing.T, ns, name, td string) {
	apply(t, asA, `
apiVersion: ecs.operator.dev/v1alpha1
kind: Task
metadata:
  name: `+name+`
  namespace: `+ns+`
spec:
  taskDefinition: `+td+`
  startedBy: e2e
`)
}

func waitTask(t *testing.T, ns, name string, check func(g Gomega, st ecsv1.TaskStatus)) ecsv1.TaskStatus {
	t.Helper()
	var task ecsv1.Task
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, &task)).To(Succeed())
		check(g, task.Status)
	}).WithTimeout(converge).WithPolling(poll).Should(Succeed())
	return task.Status
}

func container(st ecsv1.TaskStatus, name string) ecsv1.ContainerStatus {
	for _, c := range st.Containers {
		if string(c.Name) == name {
			return c
		}
	}
	return ecsv1.ContainerStatus{}
}

func TestTask_RunsToStoppedWithItsExitCodeAndStopCode(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "report", "report", "kwok.local/exit-3"))
	runTask(t, ns, "report-1", "report")
	st := waitTask(t, ns, "report-1", func(g Gomega, st ecsv1.TaskStatus) {
		g.Expect(st.LastStatus).To(Equal(ecsv1.TaskStopped))
	})
	g.Expect(st.StopCode).To(Equal(ecsv1.StopCodeEssentialContainerExited))
	g.Expect(st.StoppedReason).To(Equal("Essential container in task exited: app exited with code 3"))
	app := container(st, "app")
	g.Expect(app.LastStatus).To(Equal("STOPPED"))
	g.Expect(app.ExitCode).To(HaveValue(Equal(int32(3))))
}

func TestTask_AnEssentialContainerExitingStopsTheWholeTask(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, `
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: batch
  namespace: `+ns+`
spec:
  family: batch
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - name: worker
    image: kwok.local/exit-0
    essential: true
  - name: log-router
    image: fluent-bit:3
    essential: false
`)
	runTask(t, ns, "batch-1", "batch")
	st := waitTask(t, ns, "batch-1", func(g Gomega, st ecsv1.TaskStatus) {
		g.Expect(st.LastStatus).To(Equal(ecsv1.TaskStopped))
	})
	g.Expect(st.StopCode).To(Equal(ecsv1.StopCodeEssentialContainerExited))
	g.Expect(container(st, "worker").ExitCode).To(HaveValue(BeZero()))
	// The log router never exited by itself: the task stopped it, and its pod is gone.
	g.Expect(container(st, "log-router").ExitCode).To(BeNil())
	g.Eventually(func(g Gomega) {
		var pods corev1.PodList
		g.Expect(admin.List(t.Context(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1.LabelTask: "batch-1"})).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
	}).WithTimeout(converge).Should(Succeed())
}

func TestTask_DependsOnStartsContainersInOrder(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, `
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: ordered
  namespace: `+ns+`
spec:
  family: ordered
  cpu: "512"
  memory: "1024"
  containerDefinitions:
  - name: web
    image: nginx:1.27
    essential: true
    dependsOn:
    - containerName: migrate
      condition: SUCCESS
    - containerName: envoy
      condition: START
  - name: envoy
    image: envoy:1.31
    essential: true
  - name: migrate
    image: busybox:1.36
    essential: false
`)
	runTask(t, ns, "ordered-1", "ordered")
	waitTask(t, ns, "ordered-1", func(g Gomega, st ecsv1.TaskStatus) {
		g.Expect(st.LastStatus).To(Equal(ecsv1.TaskRunning))
	})
	var pods corev1.PodList
	g.Expect(admin.List(t.Context(), &pods, client.InNamespace(ns), client.MatchingLabels{ecsv1.LabelTask: "ordered-1"})).To(Succeed())
	g.Expect(pods.Items).To(HaveLen(1))
	p := pods.Items[0]
	// migrate must succeed and envoy must run before web starts: both start before it (in ECS
	// order, as nothing orders them among themselves); web is the only regular container.
	g.Expect(p.Spec.InitContainers).To(HaveLen(2))
	g.Expect(p.Spec.InitContainers[0].Name).To(Equal("envoy"))
	g.Expect(p.Spec.InitContainers[1].Name).To(Equal("migrate"))
	g.Expect(p.Spec.Containers).To(HaveLen(1))
	g.Expect(p.Status.InitContainerStatuses).To(HaveLen(2))
	envoy, migrate, web := p.Status.InitContainerStatuses[0], p.Status.InitContainerStatuses[1], p.Status.ContainerStatuses[0]
	g.Expect(migrate.State.Terminated).NotTo(BeNil())
	g.Expect(migrate.State.Terminated.ExitCode).To(BeZero())
	g.Expect(envoy.State.Running).NotTo(BeNil())
	g.Expect(web.State.Running).NotTo(BeNil())
	g.Expect(web.State.Running.StartedAt.Time).NotTo(BeTemporally("<", migrate.State.Terminated.FinishedAt.Time))
}

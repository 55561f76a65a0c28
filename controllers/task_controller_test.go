package controllers

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

func newTask(ns, name, taskDefinition string) *ecsv1.Task {
	task := &ecsv1.Task{}
	task.Namespace, task.Name = ns, name
	task.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(taskDefinition)
	return task
}

func taskStatus(t *testing.T, task *ecsv1.Task, check func(ecsv1.TaskStatus) error) {
	t.Helper()
	eventually(t, "task status", func() error {
		if err := get(t, task); err != nil {
			return err
		}
		return check(task.Status)
	})
}

// taskPodOf waits for the task's Pod and binds it to a node, as the scheduler would, so that
// deleting it waits for a (here absent) kubelet like a running Pod does.
func taskPodOf(t *testing.T, task *ecsv1.Task) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	eventually(t, "the task's pod", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: task.Namespace, Name: task.Name}, pod)
	})
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
		Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}}
	if err := k8s.SubResource("binding").Create(t.Context(), pod, binding); err != nil {
		t.Fatalf("binding the pod: %v", err)
	}
	return pod
}

// setContainers plays the kubelet, setting the Pod's phase and container states.
func setContainers(t *testing.T, pod *corev1.Pod, phase corev1.PodPhase, states map[string]corev1.ContainerState) {
	t.Helper()
	eventually(t, "updating the pod's status", func() error {
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		pod.Status.Phase = phase
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
		pod.Status.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			st := states[c.Name]
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, State: st, Ready: st.Running != nil, Started: ptr.To(st.Running != nil),
			})
		}
		return k8s.Status().Update(t.Context(), pod)
	})
}

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
}

func exited(code int32) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: "Error"}}
}

func twoContainerDefinition(ns string) *ecsv1.TaskDefinition {
	td := newTaskDefinition(ns, "job", "busybox")
	td.Spec.ContainerDefinitions = append(td.Spec.ContainerDefinitions, ecsv1.ContainerDefinition{
		Name: "logger", Image: "fluent-bit", Essential: ptr.To(false),
	})
	return td
}

func TestTask_RunsOnePodAndFollowsTheECSLifecycle(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, twoContainerDefinition(ns))
	task := newTask(ns, "run-1", "job")
	mustCreate(t, task)
	pod := taskPodOf(t, task)
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Fatalf("restartPolicy %q", pod.Spec.RestartPolicy)
	}
	if ref := metav1.GetControllerOf(pod); ref == nil || ref.UID != task.UID {
		t.Fatal("the pod is not owned by the task")
	}
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		// Unscheduled it is PROVISIONING, bound to a node PENDING.
		early := st.LastStatus == ecsv1.TaskProvisioning || st.LastStatus == ecsv1.TaskPending
		if st.TaskDefinition != "job:1" || !early || st.DesiredStatus != ecsv1.TaskRunning {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	setContainers(t, pod, corev1.PodRunning, map[string]corev1.ContainerState{"web": running(), "logger": running()})
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.LastStatus != ecsv1.TaskRunning || st.StartedAt == nil || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	// A non-essential container exiting does not stop the task.
	setContainers(t, pod, corev1.PodRunning, map[string]corev1.ContainerState{"web": running(), "logger": exited(1)})
	consistently(t, "the task keeps running", 300*time.Millisecond, func() error {
		if err := get(t, task); err != nil {
			return err
		}
		if task.Status.LastStatus != ecsv1.TaskRunning {
			return fmt.Errorf("lastStatus %s", task.Status.LastStatus)
		}
		return nil
	})

	// The essential container exiting stops it, with the ECS stop code and the exit code.
	setContainers(t, pod, corev1.PodRunning, map[string]corev1.ContainerState{"web": exited(3), "logger": exited(1)})
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.LastStatus != ecsv1.TaskStopped || st.StopCode != ecsv1.StopCodeEssentialContainerExited || st.StoppedAt == nil {
			return fmt.Errorf("status %+v", st)
		}
		for _, c := range st.Containers {
			if c.Name == "web" && ptr.Deref(c.ExitCode, -1) == 3 {
				return nil
			}
		}
		return fmt.Errorf("no exit code 3 for web in %+v", st.Containers)
	})
	eventually(t, "the stopped task's pod goes", func() error {
		p := &corev1.Pod{}
		err := k8s.Get(t.Context(), client.ObjectKeyFromObject(pod), p)
		if apierrors.IsNotFound(err) || (err == nil && !p.DeletionTimestamp.IsZero()) {
			return nil
		}
		return fmt.Errorf("pod still running: %w", err)
	})
}

func TestTask_DeletingARunningTaskStopsItUserInitiated(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "job", "busybox"))
	task := newTask(ns, "run-2", "job")
	mustCreate(t, task)
	pod := taskPodOf(t, task)
	setContainers(t, pod, corev1.PodRunning, map[string]corev1.ContainerState{"web": running()})
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.LastStatus != ecsv1.TaskRunning {
			return fmt.Errorf("lastStatus %s", st.LastStatus)
		}
		return nil
	})
	if err := k8s.Delete(t.Context(), task); err != nil {
		t.Fatal(err)
	}
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.StopCode != ecsv1.StopCodeUserInitiated || st.DesiredStatus != ecsv1.TaskStopped {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	// Without a kubelet the Pod keeps its finalizer-free deletion pending; force it.
	if err := k8s.Delete(t.Context(), pod, client.GracePeriodSeconds(0)); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	eventually(t, "the task goes once its pod is gone", func() error {
		if err := get(t, task); !apierrors.IsNotFound(err) {
			return fmt.Errorf("still there: %w", err)
		}
		return nil
	})
}

func TestTask_ImageThatCannotBePulledFailsToStart(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "job", "does-not-exist"))
	task := newTask(ns, "run-3", "job")
	mustCreate(t, task)
	pod := taskPodOf(t, task)
	setContainers(t, pod, corev1.PodPending, map[string]corev1.ContainerState{
		"web": {Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}},
	})
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.StopCode != ecsv1.StopCodeTaskFailedToStart || st.LastStatus != ecsv1.TaskStopped {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

func TestTask_MissingTaskDefinitionIsStalledUntilItExists(t *testing.T) {
	ns := newNamespace(t)
	task := newTask(ns, "run-4", "ghost")
	mustCreate(t, task)
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if !shared.IsStalledWith(st.Conditions, shared.ReasonTaskDefinitionMiss) || st.LastStatus != ecsv1.TaskProvisioning || st.StopCode != "" {
			return fmt.Errorf("status %+v", st)
		}
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); msg != fmt.Sprintf("task definition family %q not found in namespace %q", "ghost", ns) {
			return fmt.Errorf("message %q", msg)
		}
		return nil
	})
	mustCreate(t, newTaskDefinition(ns, "ghost", "busybox"))
	taskPodOf(t, task)
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.TaskDefinition != "ghost:1" || shared.IsStalledWith(st.Conditions, shared.ReasonTaskDefinitionMiss) {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

func TestTask_APodRemovedBehindItsBackStopsTheTaskForGood(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "job", "busybox"))
	task := newTask(ns, "run-5", "job")
	mustCreate(t, task)
	pod := taskPodOf(t, task)
	setContainers(t, pod, corev1.PodRunning, map[string]corev1.ContainerState{"web": running()})
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.LastStatus != ecsv1.TaskRunning {
			return fmt.Errorf("lastStatus %s", st.LastStatus)
		}
		return nil
	})
	if err := k8s.Delete(t.Context(), pod, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	taskStatus(t, task, func(st ecsv1.TaskStatus) error {
		if st.LastStatus != ecsv1.TaskStopped || st.StopCode != ecsv1.StopCodeTerminationNotice {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	consistently(t, "the stopped task is not started again", 500*time.Millisecond, func() error {
		err := k8s.Get(t.Context(), client.ObjectKeyFromObject(pod), &corev1.Pod{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("a pod is back: %w", err)
		}
		return nil
	})
}

func TestClusterCounts_FollowServicesAndTasks(t *testing.T) {
	ns := newNamespace(t)
	cluster := &ecsv1.Cluster{}
	cluster.Name = "counts-" + ns
	cluster.Spec.Tenant = "tenant-a"
	cluster.Spec.Namespace = ns
	mustCreate(t, cluster)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 2)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "a", 2, true, 0)
	mustCreate(t, newTask(ns, "one-off", "web"))
	eventually(t, "cluster counts", func() error {
		if err := get(t, cluster); err != nil {
			return err
		}
		st := cluster.Status
		if st.ActiveServicesCount != 1 || st.RunningTasksCount != 2 || st.PendingTasksCount != 1 || st.Namespace != ns {
			return fmt.Errorf("counts services=%d running=%d pending=%d ns=%q", st.ActiveServicesCount, st.RunningTasksCount, st.PendingTasksCount, st.Namespace)
		}
		return nil
	})
}

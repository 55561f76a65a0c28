package controllers

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

// taskStop says why a task must stop now, or is empty.
type taskStop struct {
	Code   ecsv1.TaskStopCode
	Reason string
}

// stopDecision decides whether a running task must be stopped the ECS way: an essential
// container exited (EssentialContainerExited), or a container cannot start (TaskFailedToStart).
func stopDecision(pod *corev1.Pod) taskStop {
	if reason := taskview.CannotStart(pod); reason != "" {
		return taskStop{Code: ecsv1.StopCodeTaskFailedToStart, Reason: reason}
	}
	specs := map[string]*corev1.Container{}
	for i := range pod.Spec.InitContainers {
		specs[pod.Spec.InitContainers[i].Name] = &pod.Spec.InitContainers[i]
	}
	for i := range pod.Spec.Containers {
		specs[pod.Spec.Containers[i].Name] = &pod.Spec.Containers[i]
	}
	// An essential sidecar the kubelet restarted in place stopped the task with its earlier exit.
	if reason := taskview.EssentialExit(pod, func(name string, exit *corev1.ContainerStateTerminated) bool {
		return restartsOnExit(specs[name], exit.ExitCode)
	}); reason != "" {
		return taskStop{Code: ecsv1.StopCodeEssentialContainerExited, Reason: reason}
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		reason := "Task stopped: all containers exited"
		if pod.Status.Reason != "" {
			reason = fmt.Sprintf("Task stopped: %s: %s", pod.Status.Reason, pod.Status.Message)
		}
		return taskStop{Code: ecsv1.StopCodeEssentialContainerExited, Reason: reason}
	}
	return taskStop{}
}

// restartsOnExit reports whether the container's ECS restart policy (translated into
// restartPolicyRules with the Restart action) restarts it in place after this exit code, in
// which case the task goes on, as in ECS.
func restartsOnExit(c *corev1.Container, code int32) bool {
	if c == nil {
		return false
	}
	for _, rule := range c.RestartPolicyRules {
		if rule.ExitCodes == nil {
			continue
		}
		in := slices.Contains(rule.ExitCodes.Values, code)
		matches := (rule.ExitCodes.Operator == corev1.ContainerRestartRuleOnExitCodesOpIn) == in
		if matches {
			return rule.Action == corev1.ContainerRestartRuleActionRestart
		}
	}
	return false
}

// computeTaskStatus fills a Task's status from its Pod (nil before it exists).
func computeTaskStatus(task *ecsv1.Task, pod *corev1.Pod, now metav1.Time) {
	st := &task.Status
	if st.LastStatus == ecsv1.TaskStopped {
		return
	}
	st.DesiredStatus = ecsv1.TaskRunning
	st.LastStatus = taskview.Lifecycle(pod)
	if pod == nil {
		shared.SetReconciling(&st.Conditions, task.Generation, shared.ReasonProgressing, "provisioning the task")
		return
	}
	st.PodName = pod.Name
	if st.TaskDefinition == "" {
		// The Pod says which revision it runs: the status that first said so may have lost a
		// write race to the Pod's own events.
		st.TaskDefinition = pod.Annotations[ecsv1.AnnotationTaskDefinition]
	}
	st.Containers = taskview.Containers(pod)
	st.HealthStatus = taskview.Health(pod, st.Containers)
	if st.StartedAt == nil && st.LastStatus == ecsv1.TaskRunning {
		st.StartedAt = &now
	}
	switch st.LastStatus {
	case ecsv1.TaskRunning:
		if st.HealthStatus == ecsv1.HealthUnhealthy {
			shared.SetReconciling(&st.Conditions, task.Generation, shared.ReasonProgressing, "the task is running but unhealthy")
		} else {
			shared.SetReady(&st.Conditions, task.Generation, "the task is running")
		}
	default:
		shared.SetReconciling(&st.Conditions, task.Generation, shared.ReasonProgressing, "the task is "+string(st.LastStatus))
	}
}

// markTaskStopped records a stop with its code and reason.
func markTaskStopped(task *ecsv1.Task, stop taskStop, now metav1.Time) {
	st := &task.Status
	st.DesiredStatus = ecsv1.TaskStopped
	st.LastStatus = ecsv1.TaskStopped
	if st.StopCode == "" {
		st.StopCode = stop.Code
		st.StoppedReason = stop.Reason
	}
	if st.StoppedAt == nil {
		st.StoppedAt = &now
	}
	for i := range st.Containers {
		if st.Containers[i].LastStatus != "STOPPED" {
			st.Containers[i].LastStatus = "STOPPED"
		}
	}
	shared.SetCondition(&st.Conditions, task.Generation, ecsv1.ConditionReady, metav1.ConditionFalse, shared.ReasonTaskStopped, st.StoppedReason)
	shared.SetCondition(&st.Conditions, task.Generation, ecsv1.ConditionReconciling, metav1.ConditionFalse, shared.ReasonTaskStopped, st.StoppedReason)
	shared.SetCondition(&st.Conditions, task.Generation, ecsv1.ConditionStalled, metav1.ConditionFalse, shared.ReasonTaskStopped, st.StoppedReason)
}

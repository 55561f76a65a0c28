package controllers

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// taskStop says why a task must stop now, or is empty.
type taskStop struct {
	Code   ecsv1.TaskStopCode
	Reason string
}

// stopDecision decides whether a running task must be stopped the ECS way: an essential
// container exited (EssentialContainerExited), or a container cannot start (TaskFailedToStart).
func stopDecision(pod *corev1.Pod) taskStop {
	if reason := shared.CannotStart(pod); reason != "" {
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
	if reason := shared.EssentialExit(pod, func(name string, exit *corev1.ContainerStateTerminated) bool {
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

// taskLifecycle maps a Pod to ECS's task lifecycle.
func taskLifecycle(pod *corev1.Pod) ecsv1.TaskLifecycleStatus {
	switch {
	case pod == nil:
		return ecsv1.TaskProvisioning
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return ecsv1.TaskStopped
	case !pod.DeletionTimestamp.IsZero():
		return ecsv1.TaskStopping
	case pod.Status.Phase == corev1.PodRunning:
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.State.Running == nil && cs.State.Terminated == nil {
				return ecsv1.TaskActivating
			}
		}
		return ecsv1.TaskRunning
	case podScheduled(pod):
		return ecsv1.TaskPending
	default:
		return ecsv1.TaskProvisioning
	}
}

func podScheduled(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Status == corev1.ConditionTrue
		}
	}
	return pod.Spec.NodeName != ""
}

// taskContainers reports each container the ECS way, under its ECS name.
func taskContainers(pod *corev1.Pod) []ecsv1.ContainerStatus {
	names := shared.ECSContainerNames(pod)
	essential := shared.EssentialContainers(pod)
	withHealth := map[string]bool{}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		withHealth[c.Name] = c.ReadinessProbe != nil || c.StartupProbe != nil
	}
	var out []ecsv1.ContainerStatus
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		c := ecsv1.ContainerStatus{Name: ecsv1.ContainerName(shared.ECSName(names, cs.Name)), LastStatus: "PENDING", HealthStatus: ecsv1.HealthUnknown}
		switch {
		case cs.State.Terminated != nil:
			c.LastStatus = "STOPPED"
			c.ExitCode = ptr.To(cs.State.Terminated.ExitCode)
			c.Reason = strings.TrimSpace(cs.State.Terminated.Reason + " " + cs.State.Terminated.Message)
		case cs.State.Running != nil:
			c.LastStatus = "RUNNING"
		case cs.State.Waiting != nil:
			c.Reason = strings.TrimSpace(cs.State.Waiting.Reason + " " + cs.State.Waiting.Message)
		}
		if withHealth[cs.Name] && cs.State.Running != nil {
			c.HealthStatus = containerHealth(cs, essential[cs.Name])
		}
		out = append(out, c)
	}
	return out
}

// containerHealth is a running container's health check state as ECS reports it: UNKNOWN while
// it is being evaluated (its startup probe, which carries the health check's startPeriod, has
// not passed yet), then HEALTHY while it passes (its readiness; a non-essential container has
// only the startup probe) and UNHEALTHY once it fails.
func containerHealth(cs corev1.ContainerStatus, essential bool) ecsv1.HealthStatus {
	switch {
	case cs.Ready:
		return ecsv1.HealthHealthy
	case cs.Started == nil || !*cs.Started:
		return ecsv1.HealthUnknown
	case !essential:
		return ecsv1.HealthHealthy
	default:
		return ecsv1.HealthUnhealthy
	}
}

// taskHealth is ECS's task health over the essential containers that have a health check:
// UNHEALTHY if one is, else UNKNOWN if one is still being evaluated, else HEALTHY; UNKNOWN when
// none has a health check.
func taskHealth(pod *corev1.Pod, containers []ecsv1.ContainerStatus) ecsv1.HealthStatus {
	names := shared.ECSContainerNames(pod)
	checked := map[string]bool{}
	withHealth := map[string]bool{}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		withHealth[c.Name] = c.ReadinessProbe != nil || c.StartupProbe != nil
	}
	for k8sName := range shared.EssentialContainers(pod) {
		if withHealth[k8sName] {
			checked[shared.ECSName(names, k8sName)] = true
		}
	}
	health, seen := ecsv1.HealthHealthy, false
	for _, c := range containers {
		if !checked[string(c.Name)] {
			continue
		}
		seen = true
		switch c.HealthStatus {
		case ecsv1.HealthUnhealthy:
			return ecsv1.HealthUnhealthy
		case ecsv1.HealthUnknown, "":
			health = ecsv1.HealthUnknown
		}
	}
	if !seen {
		return ecsv1.HealthUnknown
	}
	return health
}

// computeTaskStatus fills a Task's status from its Pod (nil before it exists).
func computeTaskStatus(task *ecsv1.Task, pod *corev1.Pod, now metav1.Time) {
	st := &task.Status
	if st.LastStatus == ecsv1.TaskStopped {
		return
	}
	st.DesiredStatus = ecsv1.TaskRunning
	st.LastStatus = taskLifecycle(pod)
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
	st.Containers = taskContainers(pod)
	st.HealthStatus = taskHealth(pod, st.Containers)
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

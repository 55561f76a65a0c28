package taskview

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Lifecycle maps a Pod to ECS's task lifecycle.
func Lifecycle(pod *corev1.Pod) ecsv1.TaskLifecycleStatus {
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

// Containers reports each container the ECS way, under its ECS name.
func Containers(pod *corev1.Pod) []ecsv1.ContainerStatus {
	names := ECSContainerNames(pod)
	essential := EssentialContainers(pod)
	withHealth := map[string]bool{}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		withHealth[c.Name] = c.ReadinessProbe != nil || c.StartupProbe != nil
	}
	var out []ecsv1.ContainerStatus
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		c := ecsv1.ContainerStatus{Name: ecsv1.ContainerName(ECSName(names, cs.Name)), LastStatus: "PENDING", HealthStatus: ecsv1.HealthUnknown}
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
			c.HealthStatus = ContainerHealth(cs, essential[cs.Name])
		}
		out = append(out, c)
	}
	return out
}

// ContainerHealth is a running container's health check state as ECS reports it: UNKNOWN while
// it is being evaluated (its startup probe, which carries the health check's startPeriod, has
// not passed yet), then HEALTHY while it passes (its readiness; a non-essential container has
// only the startup probe) and UNHEALTHY once it fails.
func ContainerHealth(cs corev1.ContainerStatus, essential bool) ecsv1.HealthStatus {
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

// Health is ECS's task health over the essential containers that have a health check:
// UNHEALTHY if one is, else UNKNOWN if one is still being evaluated, else HEALTHY; UNKNOWN when
// none has a health check.
func Health(pod *corev1.Pod, containers []ecsv1.ContainerStatus) ecsv1.HealthStatus {
	names := ECSContainerNames(pod)
	checked := map[string]bool{}
	withHealth := map[string]bool{}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		withHealth[c.Name] = c.ReadinessProbe != nil || c.StartupProbe != nil
	}
	for k8sName := range EssentialContainers(pod) {
		if withHealth[k8sName] {
			checked[ECSName(names, k8sName)] = true
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

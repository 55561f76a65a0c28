package taskview

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Task is an ECS task as DescribeTasks reports it, read off its Pod.
type Task struct {
	// ID is ECS's 32 hexadecimal digits: the Pod's UID without its dashes.
	ID string
	// Group is "service:NAME" for a Service's task, "family:FAMILY" (or the Task's group) for
	// a task of RunTask.
	Group string
	// Service and TaskName name the Service or Task object the Pod runs for (one is empty).
	Service, TaskName string
	// TaskDefinition is "family:revision".
	TaskDefinition                   string
	LastStatus, DesiredStatus        ecsv1.TaskLifecycleStatus
	HealthStatus                     ecsv1.HealthStatus
	StopCode                         ecsv1.TaskStopCode
	StoppedReason                    string
	CreatedAt, StartedAt, StoppingAt *time.Time
	StoppedAt                        *time.Time
	Containers                       []ecsv1.ContainerStatus
	// Images are the containers' images by ECS name.
	Images map[string]string
	// Node is the node the task runs on, "" before it is placed.
	Node string
}

// FromPod reads the task a Pod runs. A Pod that is going is STOPPING (or STOPPED), desired
// STOPPED; its essential container's exit or its failure to start is the stop code.
func FromPod(pod *corev1.Pod) Task {
	t := Task{
		ID:             strings.ReplaceAll(string(pod.UID), "-", ""),
		Service:        pod.Labels[ecsv1.LabelService],
		TaskName:       pod.Labels[ecsv1.LabelTask],
		TaskDefinition: pod.Annotations[ecsv1.AnnotationTaskDefinition],
		LastStatus:     Lifecycle(pod),
		DesiredStatus:  ecsv1.TaskRunning,
		Containers:     Containers(pod),
		Node:           pod.Spec.NodeName,
		Images:         map[string]string{},
	}
	t.HealthStatus = Health(pod, t.Containers)
	switch {
	case t.Service != "":
		t.Group = "service:" + t.Service
	case t.TaskDefinition != "":
		family, _, _ := strings.Cut(t.TaskDefinition, ":")
		t.Group = "family:" + family
	}
	created := pod.CreationTimestamp.Time
	t.CreatedAt = &created
	if pod.Status.StartTime != nil && t.LastStatus != ecsv1.TaskProvisioning && t.LastStatus != ecsv1.TaskPending {
		started := pod.Status.StartTime.Time
		t.StartedAt = &started
	}
	if pod.DeletionTimestamp != nil {
		t.DesiredStatus = ecsv1.TaskStopped
		stopping := pod.DeletionTimestamp.Time
		t.StoppingAt = &stopping
		t.StopCode = ecsv1.StopCodeServiceSchedulerInitiated
		t.StoppedReason = "Task stopped by the scheduler"
	}
	if reason := CannotStart(pod); reason != "" {
		t.DesiredStatus, t.StopCode, t.StoppedReason = ecsv1.TaskStopped, ecsv1.StopCodeTaskFailedToStart, reason
	} else if reason := EssentialExit(pod, func(string, *corev1.ContainerStateTerminated) bool { return false }); reason != "" {
		t.DesiredStatus, t.StopCode, t.StoppedReason = ecsv1.TaskStopped, ecsv1.StopCodeEssentialContainerExited, reason
	}
	if t.LastStatus == ecsv1.TaskStopped {
		t.DesiredStatus = ecsv1.TaskStopped
		var last time.Time
		for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
			if cs.State.Terminated != nil && cs.State.Terminated.FinishedAt.After(last) {
				last = cs.State.Terminated.FinishedAt.Time
			}
		}
		if !last.IsZero() {
			t.StoppedAt = &last
		}
	}
	names := ECSContainerNames(pod)
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		t.Images[ECSName(names, c.Name)] = c.Image
	}
	return t
}

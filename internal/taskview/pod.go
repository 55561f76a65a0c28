package taskview

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// AnnotationContainerNames maps a Pod's container names to the ECS names they came from; the
// translation writes it.
const AnnotationContainerNames = "ecs.operator.dev/container-names"

// AnnotationEssential lists a Pod's essential containers (Kubernetes names, comma-separated).
const AnnotationEssential = "ecs.operator.dev/essential-containers"

// EssentialContainers reads which of a Pod's containers are essential.
func EssentialContainers(pod *corev1.Pod) map[string]bool {
	out := map[string]bool{}
	for _, name := range strings.Split(pod.Annotations[AnnotationEssential], ",") {
		if name != "" {
			out[name] = true
		}
	}
	return out
}

// ECSContainerNames reads the ECS name of each container of a Pod.
func ECSContainerNames(pod *corev1.Pod) map[string]string {
	names := map[string]string{}
	_ = json.Unmarshal([]byte(pod.Annotations[AnnotationContainerNames]), &names)
	return names
}

func ECSName(names map[string]string, k8sName string) string {
	if n, ok := names[k8sName]; ok {
		return n
	}
	return k8sName
}

// EssentialAnnotation lists the Kubernetes names of the essential containers.
func EssentialAnnotation(spec *ecsv1.TaskDefinitionSpec) string {
	var names []string
	for _, c := range spec.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			names = append(names, translate.ContainerName(string(c.Name)))
		}
	}
	return strings.Join(names, ",")
}

func PodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// FailedToStartReasons are container waiting reasons that mean a task cannot start, with the
// ECS error each is reported as.
var FailedToStartReasons = map[string]string{
	"ErrImagePull":               "CannotPullContainerError",
	"ImagePullBackOff":           "CannotPullContainerError",
	"InvalidImageName":           "CannotPullContainerError",
	"CreateContainerConfigError": "CannotCreateContainerError",
	"CreateContainerError":       "CannotCreateContainerError",
	"RunContainerError":          "CannotStartContainerError",
}

// LastExit is the exit of a container that matters to its task: its current termination, or,
// once the kubelet restarted it in place, the one before.
func LastExit(cs corev1.ContainerStatus) *corev1.ContainerStateTerminated {
	if cs.State.Terminated == nil && cs.RestartCount > 0 {
		return cs.LastTerminationState.Terminated
	}
	return cs.State.Terminated
}

// EssentialExit says which essential container's exit stopped the task ("Essential container in
// task exited: app exited with code 1"), skipping the exits restarts says are restarted in place.
// Empty when there is none.
func EssentialExit(pod *corev1.Pod, restarts func(k8sName string, exit *corev1.ContainerStateTerminated) bool) string {
	essential := EssentialContainers(pod)
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		if !essential[cs.Name] {
			continue
		}
		if exit := LastExit(cs); exit != nil && !restarts(cs.Name, exit) {
			return fmt.Sprintf("Essential container in task exited: %s exited with code %d", ECSName(ECSContainerNames(pod), cs.Name), exit.ExitCode)
		}
	}
	return ""
}

// CannotStart finds a container that cannot start (FailedToStartReasons) and says why, as ECS
// does ("CannotPullContainerError: app: <message>"). Empty when every container can start.
func CannotStart(pod *corev1.Pod) string {
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		if w := cs.State.Waiting; w != nil {
			if kind, ok := FailedToStartReasons[w.Reason]; ok {
				return fmt.Sprintf("%s: %s: %s", kind, ECSName(ECSContainerNames(pod), cs.Name), w.Message)
			}
		}
	}
	return ""
}

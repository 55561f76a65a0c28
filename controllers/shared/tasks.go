package shared

import (
	"encoding/json"
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

package pod

import (
	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// hardenForRestricted gives a Pod what its cluster's Pod Security level requires and the Pod
// does not say. Templates the operator translates have it already, so that tasks run with
// webhooks off; this guard is for Pods made any other way (kubectl run, other controllers in
// a cluster namespace). It is the translation's own rule, so that both fill the same and a
// translated Pod passes through unchanged; explicit requests that the level forbids are kept
// for Pod Security to refuse with its own message.
func hardenForRestricted(pod *corev1.Pod, cluster *ecsv1.Cluster) {
	translate.HardenForPodSecurity(&pod.Spec, cluster.Spec.PodSecurity)
}

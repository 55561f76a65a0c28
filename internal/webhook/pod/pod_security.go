package pod

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// hardenForRestricted fills in what the restricted Pod Security Standard requires and an ECS
// task definition never says, so that tasks of a restricted cluster (the default) are admitted:
// the RuntimeDefault seccomp profile, no privilege escalation, every capability dropped, and
// running as non-root. It only fills what is unset: a task definition that asks for something
// restricted forbids (user "root", privileged, added capabilities other than NET_BIND_SERVICE)
// keeps it, and Pod Security refuses the task with its own message, which the Service reports
// as a launch failure. An image that runs as root then fails to start, as the standard intends;
// such tasks need a cluster with podSecurity baseline.
func hardenForRestricted(pod *corev1.Pod, cluster *ecsv1.Cluster) {
	if level(cluster) != string(ecsv1.PodSecurityRestricted) {
		return
	}
	if pod.Spec.SecurityContext == nil {
		pod.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	psc := pod.Spec.SecurityContext
	if psc.SeccompProfile == nil {
		psc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	if psc.RunAsNonRoot == nil && !anyContainerSetsRunAsNonRoot(pod) {
		psc.RunAsNonRoot = ptr.To(true)
	}
	harden := func(cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			sc := c.SecurityContext
			if sc.AllowPrivilegeEscalation == nil && !ptr.Deref(sc.Privileged, false) {
				sc.AllowPrivilegeEscalation = ptr.To(false)
			}
			if sc.Capabilities == nil {
				sc.Capabilities = &corev1.Capabilities{}
			}
			if !slices.Contains(sc.Capabilities.Drop, "ALL") {
				sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
			}
		}
	}
	harden(pod.Spec.InitContainers)
	harden(pod.Spec.Containers)
}

func anyContainerSetsRunAsNonRoot(pod *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil {
				return true
			}
		}
	}
	return false
}

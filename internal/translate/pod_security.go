package translate

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// HardenForPodSecurity fills in what the Pod Security Standard of level requires and an ECS
// task definition never says, so that the tasks of a cluster are admitted by construction,
// with or without the Pod webhook. An empty level is restricted, as a Cluster's default.
//
// Only restricted needs anything: the RuntimeDefault seccomp profile, no privilege escalation,
// every capability dropped, and running as non-root. Baseline and privileged are left as they
// are, because a pod that asks for nothing already passes baseline and the images keep running
// as the user they say.
//
// Only what is unset is filled. What a task definition asks for explicitly (user "root" or 0,
// privileged, added capabilities beyond NET_BIND_SERVICE, an unconfined seccomp profile) is
// kept, so that Pod Security refuses the task with its own message, which names the field,
// rather than the task running otherwise than it was defined. An image that runs as root
// without saying so then fails to start, as the standard intends; such tasks need a cluster
// with podSecurity baseline.
//
// The Pod webhook applies the same function to Pods made any other way, so both agree.
func HardenForPodSecurity(spec *corev1.PodSpec, level ecsv1.PodSecurityLevel) {
	if level != "" && level != ecsv1.PodSecurityRestricted {
		return
	}
	// The API server forbids the Linux-only fields in a pod that declares Windows, and Pod
	// Security exempts such pods from them; only running as non-root applies there.
	linux := spec.OS == nil || spec.OS.Name != corev1.Windows
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	psc := spec.SecurityContext
	if linux && psc.SeccompProfile == nil {
		psc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	if psc.RunAsNonRoot == nil && !asksForRoot(spec) {
		psc.RunAsNonRoot = ptr.To(true)
	}
	if !linux {
		return
	}
	for i := range spec.InitContainers {
		spec.InitContainers[i].SecurityContext = hardenContainer(spec.InitContainers[i].SecurityContext)
	}
	for i := range spec.Containers {
		spec.Containers[i].SecurityContext = hardenContainer(spec.Containers[i].SecurityContext)
	}
	// Pod Security checks ephemeral containers too, so a spec that carries some (the webhook
	// sees whole Pods) must not fail for them.
	for i := range spec.EphemeralContainers {
		ec := &spec.EphemeralContainers[i].EphemeralContainerCommon
		ec.SecurityContext = hardenContainer(ec.SecurityContext)
	}
}

// hardenContainer fills one container's part of restricted and returns the (possibly new)
// security context.
func hardenContainer(sc *corev1.SecurityContext) *corev1.SecurityContext {
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	// A privileged container, or one given SYS_ADMIN, escalates anyway, and the API server
	// refuses allowPrivilegeEscalation false next to either; left unset, Pod Security names
	// the request instead.
	if sc.AllowPrivilegeEscalation == nil && !ptr.Deref(sc.Privileged, false) && !addsSysAdmin(sc) {
		sc.AllowPrivilegeEscalation = ptr.To(false)
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	// Dropping ALL removes only the runtime's defaults: capabilities the task definition adds
	// are still added, and Pod Security judges them.
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
	}
	return sc
}

func addsSysAdmin(sc *corev1.SecurityContext) bool {
	if sc.Capabilities == nil {
		return false
	}
	return slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool {
		return c == "SYS_ADMIN" || c == "CAP_SYS_ADMIN"
	})
}

// asksForRoot reports whether the pod or one of its containers explicitly runs as root (uid 0)
// or allows it (runAsNonRoot false). Then runAsNonRoot is not added at the pod level: Pod
// Security refuses the request by name, where runAsNonRoot would only make the kubelet fail
// the container later. A container that itself says runAsNonRoot true asks for nothing, and
// the pod level still covers its siblings.
func asksForRoot(spec *corev1.PodSpec) bool {
	if psc := spec.SecurityContext; psc != nil && ptr.Deref(psc.RunAsUser, -1) == 0 {
		return true
	}
	root := func(sc *corev1.SecurityContext) bool {
		return sc != nil && (ptr.Deref(sc.RunAsUser, -1) == 0 || (sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot))
	}
	for i := range spec.InitContainers {
		if root(spec.InitContainers[i].SecurityContext) {
			return true
		}
	}
	for i := range spec.Containers {
		if root(spec.Containers[i].SecurityContext) {
			return true
		}
	}
	for i := range spec.EphemeralContainers {
		if root(spec.EphemeralContainers[i].SecurityContext) {
			return true
		}
	}
	return false
}

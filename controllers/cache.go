package controllers

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// CacheOptions keep only ecs-operator's own objects of the built-in kinds it writes in the
// informer caches, so that the operator's memory grows with what it manages, not with the
// cluster: every object it creates carries app.kubernetes.io/managed-by=ecs-operator.
//
// Every cached object loses its managedFields, which no reconciler reads and which are often
// the larger part of an object; task Pods keep only what the Service and Task reconcilers read.
func CacheOptions() cache.Options {
	selector := labels.SelectorFromSet(labels.Set{ecsv1.LabelManagedBy: ecsv1.ManagedByValue})
	managed := cache.ByObject{Label: selector}
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields(), ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:                            {Label: selector, Transform: trimPod},
		&corev1.Service{}:                        managed,
		&corev1.ServiceAccount{}:                 managed,
		&corev1.PersistentVolumeClaim{}:          managed,
		&corev1.PersistentVolume{}:               managed,
		&corev1.Namespace{}:                      managed,
		&corev1.ResourceQuota{}:                  managed,
		&corev1.LimitRange{}:                     managed,
		&networkingv1.NetworkPolicy{}:            managed,
		&networkingv1.Ingress{}:                  managed,
		&rbacv1.Role{}:                           managed,
		&rbacv1.RoleBinding{}:                    managed,
		&appsv1.ControllerRevision{}:             managed,
		&appsv1.Deployment{}:                     {Label: selector, Transform: trimWorkload},
		&appsv1.DaemonSet{}:                      {Label: selector, Transform: trimWorkload},
		&policyv1.PodDisruptionBudget{}:          managed,
		&autoscalingv2.HorizontalPodAutoscaler{}: managed,
	}}
}

// trimPod keeps of a task Pod what the reconcilers read — metadata, which containers there are
// with their restart rules and whether they have health checks, the node, and the status — so
// that thousands of tasks cost little memory. Environment, volumes, images and resources go.
func trimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	pod.ManagedFields = nil
	trim := func(cs []corev1.Container) []corev1.Container {
		out := make([]corev1.Container, len(cs))
		for i, c := range cs {
			out[i] = corev1.Container{Name: c.Name, RestartPolicy: c.RestartPolicy, RestartPolicyRules: c.RestartPolicyRules}
			if c.ReadinessProbe != nil {
				out[i].ReadinessProbe = &corev1.Probe{}
			}
			if c.StartupProbe != nil {
				out[i].StartupProbe = &corev1.Probe{}
			}
		}
		return out
	}
	pod.Spec = corev1.PodSpec{
		InitContainers: trim(pod.Spec.InitContainers),
		Containers:     trim(pod.Spec.Containers),
		NodeName:       pod.Spec.NodeName,
		RestartPolicy:  pod.Spec.RestartPolicy,
	}
	pod.Status = corev1.PodStatus{
		Phase:                 pod.Status.Phase,
		Conditions:            pod.Status.Conditions,
		InitContainerStatuses: pod.Status.InitContainerStatuses,
		ContainerStatuses:     pod.Status.ContainerStatuses,
		StartTime:             pod.Status.StartTime,
	}
	return pod, nil
}

// trimWorkload drops the task template's Pod spec from a cached Deployment or DaemonSet — most
// of the object, and read only when a rollout ECS would refuse keeps the running template,
// which is then read past the cache — after recording the digest of its content, so that the
// Applier still sees a hand edit of any of it.
func trimWorkload(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil
	}
	o.SetManagedFields(nil)
	digest, err := shared.ContentDigest(o)
	if err != nil {
		return nil, err
	}
	annotations := maps.Clone(o.GetAnnotations())
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[shared.AnnotationCachedContent] = digest
	o.SetAnnotations(annotations)
	switch w := o.(type) {
	case *appsv1.Deployment:
		w.Spec.Template.Spec = corev1.PodSpec{}
	case *appsv1.DaemonSet:
		w.Spec.Template.Spec = corev1.PodSpec{}
	}
	return o, nil
}

package controllers

import (
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
)

// CacheOptions keep only ecs-operator's own objects of the built-in kinds it writes in the
// informer caches, so that the operator's memory grows with what it manages, not with the
// cluster: every object it creates carries app.kubernetes.io/managed-by=ecs-operator.
func CacheOptions() cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{ecsv1.LabelManagedBy: ecsv1.ManagedByValue})}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:                            managed,
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
		&appsv1.Deployment{}:                     managed,
		&appsv1.DaemonSet{}:                      managed,
		&policyv1.PodDisruptionBudget{}:          managed,
		&autoscalingv2.HorizontalPodAutoscaler{}: managed,
	}}
}

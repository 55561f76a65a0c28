package main

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

// exportDeployment reads a Deployment, the Services that select its Pods, the
// HorizontalPodAutoscaler that scales it and its ServiceAccount, and writes them as ECS input.
func exportDeployment(ctx context.Context, c client.Client, ns, name string) (*exported, error) {
	d := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		return nil, err
	}
	podLabels := labels.Set(d.Spec.Template.Labels)
	var svcs corev1.ServiceList
	if err := c.List(ctx, &svcs, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("listing the Services of %s: %w", ns, err)
	}
	var selecting []corev1.Service
	for _, s := range svcs.Items {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			selecting = append(selecting, s)
		}
	}
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var hpas autoscalingv2.HorizontalPodAutoscalerList
	if err := c.List(ctx, &hpas, client.InNamespace(ns)); err == nil {
		for i, h := range hpas.Items {
			if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == name {
				hpa = &hpas.Items[i]
			}
		}
	}
	var sa *corev1.ServiceAccount
	if n := d.Spec.Template.Spec.ServiceAccountName; n != "" {
		sa = &corev1.ServiceAccount{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, sa); err != nil {
			if !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
				return nil, err
			}
			sa = nil
		}
	}
	td, svc, report := ecsjson.FromDeployment(d, selecting, hpa, sa, ecsops.ClusterOf(ctx, c, ns))
	return &exported{name: name, taskDefinition: td, service: svc, report: report}, nil
}

package service

import (
	"context"
	"fmt"
	"slices"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

// drain handles a deleted Service: DRAINING while its tasks stop. It reports done once none
// runs (the Service is INACTIVE), when the finalizer may go and garbage collection removes the
// children.
func (r *Reconciler) drain(ctx context.Context, svc *ecsv1.Service) (done bool, err error) {
	if !controllerutil.ContainsFinalizer(svc, ecsv1.Finalizer) {
		return false, nil
	}
	if svc.Status.Status != ecsv1.ServiceDraining {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, shared.ReasonDraining, "Delete", "(service %s) is draining.", svc.Name)
	}
	svc.Status.Status = ecsv1.ServiceDraining
	shared.SetReconciling(&svc.Status.Conditions, svc.Generation, shared.ReasonDraining, "stopping the service's tasks")
	// An EXTERNAL Service's task sets go with it, as ECS's forced DeleteService removes them.
	taskSets, err := r.taskSetsOf(ctx, svc)
	if err != nil {
		return false, err
	}
	for i := range taskSets {
		if err := r.Delete(ctx, &taskSets[i]); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("deleting task set %s: %w", taskSets[i].Name, err)
		}
	}
	deployments := &appsv1.DeploymentList{}
	if err := r.List(ctx, deployments, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return false, err
	}
	for i := range deployments.Items {
		d := &deployments.Items[i]
		if ptr.Deref(d.Spec.Replicas, 1) == 0 {
			continue
		}
		patch := client.MergeFrom(d.DeepCopy())
		d.Spec.Replicas = ptr.To[int32](0)
		if err := r.Patch(ctx, d, patch); err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("scaling %s to 0: %w", d.Name, err)
		}
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return false, err
	}
	pods, err := r.servicePods(ctx, svc)
	if err != nil {
		return false, err
	}
	running := slices.ContainsFunc(pods, func(p corev1.Pod) bool {
		return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
	})
	svc.Status.RunningCount, svc.Status.PendingCount = 0, 0
	for i := range pods {
		if taskview.PodReady(&pods[i]) {
			svc.Status.RunningCount++
		} else {
			svc.Status.PendingCount++
		}
	}
	if running {
		return false, nil // the Pod watch brings the Service back as tasks stop
	}
	svc.Status.Status = ecsv1.ServiceInactive
	return true, nil
}

package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// addFinalizer puts ecs-operator's finalizer on obj (patching only that) when it lacks it.
func addFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	if controllerutil.ContainsFinalizer(obj, ecsv1.Finalizer) {
		return nil
	}
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	controllerutil.AddFinalizer(obj, ecsv1.Finalizer)
	if err := c.Patch(ctx, obj, patch); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// removeFinalizer lets obj go; an object already gone is fine.
func removeFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	controllerutil.RemoveFinalizer(obj, ecsv1.Finalizer)
	if err := c.Patch(ctx, obj, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing finalizer: %w", err)
	}
	return nil
}

// updateStatus writes obj's status with a full update when it differs from before (the
// status as read), on the way out of a reconcile that ended with result and err. The update
// carries the resourceVersion, so a reconcile that read a stale object retries shortly instead
// of overwriting a newer status; it also writes zero counts, which kubectl shows as 0.
func updateStatus(ctx context.Context, c client.Client, obj client.Object, before, after any, result *ctrl.Result, err *error) {
	if equality.Semantic.DeepEqual(before, after) {
		return
	}
	uerr := c.Status().Update(ctx, obj)
	switch {
	case uerr == nil || *err != nil || apierrors.IsNotFound(uerr):
	case apierrors.IsConflict(uerr):
		*result = ctrl.Result{RequeueAfter: requeueOnConflict}
	default:
		*err = fmt.Errorf("updating status: %w", uerr)
		*result = ctrl.Result{}
	}
}

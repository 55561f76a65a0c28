package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// applyTaskSupport writes what a task's Pods need beside themselves: the ServiceAccount of the
// task role and the claims of shared Docker volumes. Both are shared by every Service and Task
// of the namespace that uses them, so they carry no owner; shared volumes outlive their tasks.
func applyTaskSupport(ctx context.Context, c client.Client, scheme *runtime.Scheme, namespace string, out translate.Output) error {
	if sa := out.ServiceAccount; sa != nil {
		sa = sa.DeepCopy()
		sa.Namespace = namespace
		sa.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}
		current := &corev1.ServiceAccount{}
		err := c.Get(ctx, client.ObjectKeyFromObject(sa), current)
		switch {
		case apierrors.IsNotFound(err):
			if err := apply(ctx, c, scheme, sa, nil); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := apply(ctx, c, scheme, sa, current); err != nil {
				return err
			}
		}
	}
	for i := range out.PersistentVolumeClaims {
		pvc := out.PersistentVolumeClaims[i].DeepCopy()
		pvc.Namespace = namespace
		pvc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
		err := c.Get(ctx, client.ObjectKeyFromObject(pvc), &corev1.PersistentVolumeClaim{})
		switch {
		case err == nil:
			continue // a claim is not changed once made
		case !apierrors.IsNotFound(err):
			return err
		}
		if err := apply(ctx, c, scheme, pvc, nil); err != nil {
			return err
		}
	}
	return nil
}

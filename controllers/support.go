package controllers

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// applyTaskSupport writes what a task's Pods need beside themselves: the ServiceAccount of the
// task role and the claims of shared Docker volumes. Both are shared by every Service and Task
// of the namespace that uses them, so they carry no owner; shared volumes outlive their tasks.
// One that exists already (ecs-operator's or the user's, read past the cache with reader) is
// used as it is.
func applyTaskSupport(ctx context.Context, c client.Client, reader client.Reader, scheme *runtime.Scheme, namespace string, out translate.Output) error {
	var objs []client.Object
	if sa := out.ServiceAccount; sa != nil {
		sa = sa.DeepCopy()
		sa.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}
		objs = append(objs, sa)
	}
	for i := range out.PersistentVolumeClaims {
		pvc := out.PersistentVolumeClaims[i].DeepCopy()
		pvc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
		objs = append(objs, pvc)
	}
	for _, o := range objs {
		o.SetNamespace(namespace)
		exists, err := existsAnywhere(ctx, c, reader, o)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		if err := apply(ctx, c, scheme, o, nil); err != nil {
			return err
		}
	}
	return nil
}

// existsAnywhere looks an object up in the cache, then past it.
func existsAnywhere(ctx context.Context, c, reader client.Reader, o client.Object) (bool, error) {
	probe, _ := o.DeepCopyObject().(client.Object)
	for _, r := range []client.Reader{c, reader} {
		switch err := r.Get(ctx, client.ObjectKeyFromObject(o), probe); {
		case err == nil:
			return true, nil
		case !apierrors.IsNotFound(err):
			return false, err
		}
	}
	return false, nil
}

package shared

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// +kubebuilder:rbac:groups="",resources=persistentvolumes,verbs=get;list;watch;create;patch;delete

// LabelClaimNamespace on an EFS PersistentVolume names the namespace whose claim it is reserved
// for.
const LabelClaimNamespace = "ecs.operator.dev/claim-namespace"

// ApplyTaskSupport writes what a task's Pods need beside themselves: the ServiceAccount of the
// task role, the claims of shared Docker volumes, and the volumes and claims of EFS file systems. Both are shared by every Service and Task
// of the namespace that uses them, so they carry no owner; shared volumes outlive their tasks.
// One that exists already (ecs-operator's or the user's, read past the cache with reader) is
// used as it is.
func (a *Applier) ApplyTaskSupport(ctx context.Context, namespace string, out translate.Output) error {
	var objs []client.Object
	if sa := out.ServiceAccount; sa != nil {
		sa = sa.DeepCopy()
		sa.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}
		objs = append(objs, sa)
	}
	claimOf := map[string]string{} // PersistentVolume name → the claim that binds it
	for i := range out.PersistentVolumeClaims {
		pvc := out.PersistentVolumeClaims[i].DeepCopy()
		pvc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
		if pvc.Spec.VolumeName != "" {
			claimOf[pvc.Spec.VolumeName] = pvc.Name
		}
		objs = append(objs, pvc)
	}
	// Statically provisioned volumes (EFS) are cluster-wide; each is reserved for its claim in
	// this namespace so no other claim can bind it.
	for i := range out.PersistentVolumes {
		pv := out.PersistentVolumes[i].DeepCopy()
		pv.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"}
		// Cluster-scoped and ownerless, the volume is found by this label when its Cluster
		// deprovisions; its file system is untouched (reclaim policy Retain).
		pv.Labels = MergeLabels(pv.Labels, map[string]string{LabelClaimNamespace: namespace})
		if claim, ok := claimOf[pv.Name]; ok {
			pv.Spec.ClaimRef = &corev1.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: namespace, Name: claim}
		}
		objs = append(objs, pv)
	}
	for _, o := range objs {
		if _, clusterScoped := o.(*corev1.PersistentVolume); !clusterScoped {
			o.SetNamespace(namespace)
		}
		exists, err := existsAnywhere(ctx, a.Client, a.Reader, o)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		if err := a.Apply(ctx, o, nil); err != nil {
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

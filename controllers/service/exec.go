package service

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// tenantOwnersBinding is the RoleBinding of a Cluster's namespace that names the tenant's owners
// (written by the Cluster controller).
const tenantOwnersBinding = "ecs-tenant-owners"

// execName names the Role and RoleBinding that let the tenant's owners exec into a Service's
// tasks.
func execName(svc *ecsv1.Service) string { return svc.Name + "-execute-command" }

// desiredExecRBAC is ECS's enableExecuteCommand as RBAC: the tenant's owners may `kubectl exec`
// into this Service's running tasks and no others (the tenant Role grants no pods/exec). RBAC
// cannot select Pods by label, so the Role names the task Pods and follows them. Nil when the
// Service does not enable it, or there is nobody or nothing to grant it to.
func desiredExecRBAC(svc *ecsv1.Service, pods []corev1.Pod, owners []rbacv1.Subject) (*rbacv1.Role, *rbacv1.RoleBinding) {
	if !ptr.Deref(svc.Spec.EnableExecuteCommand, false) || len(owners) == 0 {
		return nil, nil
	}
	var names []string
	for i := range pods {
		if p := &pods[i]; p.DeletionTimestamp.IsZero() && p.Status.Phase == corev1.PodRunning {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		// A rule without resourceNames would cover every Pod of the namespace.
		return nil, nil
	}
	slices.Sort(names)
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: childMeta(svc, execName(svc)),
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods/exec"},
			Verbs: []string{"create", "get"}, ResourceNames: names}},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: childMeta(svc, execName(svc)),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: execName(svc)},
		Subjects:   owners,
	}
	return role, binding
}

// applyExecRBAC keeps the exec Role and RoleBinding of the Service, or removes them.
func (r *Reconciler) applyExecRBAC(ctx context.Context, svc *ecsv1.Service, pods []corev1.Pod) error {
	var owners []rbacv1.Subject
	if ptr.Deref(svc.Spec.EnableExecuteCommand, false) {
		rb := &rbacv1.RoleBinding{}
		switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: tenantOwnersBinding}, rb); {
		case err == nil:
			owners = rb.Subjects
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading the tenant's owners: %w", err)
		}
	}
	role, binding := desiredExecRBAC(svc, pods, owners)
	if role == nil {
		// Looked up by name: every Service without exec passes here on every reconcile.
		for _, o := range []client.Object{&rbacv1.RoleBinding{}, &rbacv1.Role{}} {
			if err := r.deleteOwned(ctx, svc, client.ObjectKey{Namespace: svc.Namespace, Name: execName(svc)}, o); err != nil {
				return err
			}
		}
		return nil
	}
	if err := r.Applier.ApplyCached(ctx, role, &rbacv1.Role{}); err != nil {
		return err
	}
	return r.Applier.ApplyCached(ctx, binding, &rbacv1.RoleBinding{})
}

// deleteOwned deletes the Service's child of that name, if there is one and it is the Service's.
func (r *Reconciler) deleteOwned(ctx context.Context, svc *ecsv1.Service, key client.ObjectKey, obj client.Object) error {
	if err := r.Get(ctx, key, obj); err != nil {
		return client.IgnoreNotFound(err)
	}
	if owner := metav1.GetControllerOf(obj); owner == nil || owner.UID != svc.UID {
		return nil
	}
	if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s: %w", key.Name, err)
	}
	return nil
}

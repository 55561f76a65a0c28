package controllers

import (
	"fmt"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestService_EnableExecuteCommandLetsTheTenantsOwnersExecIntoItsTasksOnly(t *testing.T) {
	ns := newNamespace(t)
	owners := []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "team-a"}}
	mustCreate(t, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ecs-tenant-owners", Namespace: ns, Labels: map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "ecs-tenant"},
		Subjects:   owners,
	})
	mustCreate(t, newTaskDefinition(ns, "web", "nginx:1.27"))
	svc := newService(ns, "web", "web", 1)
	svc.Spec.EnableExecuteCommand = ptr.To(true)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "a", 1, true, 0)

	key := client.ObjectKey{Namespace: ns, Name: "web-execute-command"}
	eventually(t, "the exec Role and RoleBinding", func() error {
		role, rb := &rbacv1.Role{}, &rbacv1.RoleBinding{}
		if err := k8s.Get(t.Context(), key, role); err != nil {
			return err
		}
		if err := k8s.Get(t.Context(), key, rb); err != nil {
			return err
		}
		if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Resources, []string{"pods/exec"}) ||
			!slices.Equal(role.Rules[0].ResourceNames, []string{"web-a-0"}) {
			return fmt.Errorf("role rules %+v, want pods/exec on the task web-a-0 only", role.Rules)
		}
		if !slices.Equal(rb.Subjects, owners) || rb.RoleRef.Name != key.Name {
			return fmt.Errorf("binding %+v", rb)
		}
		return nil
	})

	latest := &ecsv1.Service{}
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(svc), latest); err != nil {
		t.Fatal(err)
	}
	latest.Spec.EnableExecuteCommand = ptr.To(false)
	if err := k8s.Update(t.Context(), latest); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the exec grant removed", func() error {
		if err := k8s.Get(t.Context(), key, &rbacv1.Role{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("role still there (%w)", err)
		}
		if err := k8s.Get(t.Context(), key, &rbacv1.RoleBinding{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("binding still there (%w)", err)
		}
		return nil
	})
}

package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_taskRoleServiceAccount(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/ecsTaskRole"
	s := spec(ctr("app"))
	s.TaskRoleArn = role
	out := mustTranslate(t, service(s))
	name, err := ServiceAccountName(role)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.ServiceAccount{}
	want.Name = name
	want.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	want.Annotations = map[string]string{"eks.amazonaws.com/role-arn": role}
	diff(t, "service account", want, out.ServiceAccount)
	diff(t, "serviceAccountName", name, out.Template.Spec.ServiceAccountName)

	out = mustTranslate(t, service(spec(ctr("app"))))
	if out.ServiceAccount != nil || out.Template.Spec.ServiceAccountName != "" {
		t.Errorf("no task role: want no ServiceAccount, got %+v %q", out.ServiceAccount, out.Template.Spec.ServiceAccountName)
	}
}

func TestPodTemplate_taskRoleNotARole(t *testing.T) {
	s := spec(ctr("app"))
	s.TaskRoleArn = "<TASK_ROLE_ARN>"
	wantError(t, service(s), "taskRoleArn")
}

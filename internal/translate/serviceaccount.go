package translate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// AnnotationIRSARoleArn is the annotation with which EKS's pod identity webhook (IRSA) gives a
// ServiceAccount's Pods the credentials of an IAM role.
const AnnotationIRSARoleArn = "eks.amazonaws.com/role-arn"

// serviceAccount gives a task with a task role a ServiceAccount of its own, one per role
// (shared by every Service and Task with that role), annotated for IRSA.
func (t *translation) serviceAccount() error {
	arn := t.spec.TaskRoleArn
	if arn == "" {
		return nil
	}
	field := "taskRoleArn"
	if o := t.in.Overrides; o != nil && o.TaskRoleArn != "" {
		field = "overrides.taskRoleArn"
	}
	name, err := ServiceAccountName(arn)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	sa := &corev1.ServiceAccount{}
	sa.Name = name
	sa.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	sa.Annotations = map[string]string{AnnotationIRSARoleArn: arn}
	t.out.ServiceAccount = sa
	t.pod.ServiceAccountName = name
	return nil
}

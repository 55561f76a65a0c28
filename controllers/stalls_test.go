package controllers

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// A Deployment of someone else's holding the Service's name stalls the Service; it still
// reports its tasks, and once the other Deployment goes it recovers by itself.
func TestStalls_AnOwnershipConflictRecoversOnceTheOtherObjectGoes(t *testing.T) {
	ns := newNamespace(t)
	foreign := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "theirs"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "theirs"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "theirs"}}},
			},
		},
	}
	mustCreate(t, foreign)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	mustCreate(t, svc)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsStalledWith(st.Conditions, shared.ReasonInvalidSpec) {
			return fmt.Errorf("not stalled: %+v", st.Conditions)
		}
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); !strings.Contains(msg, "is not ecs-operator's") {
			return fmt.Errorf("stalled with %q", msg)
		}
		// Stalled, the Service still reports what it runs.
		if len(st.Deployments) == 0 || st.Deployments[0].TaskDefinition != "web:1" || st.DesiredCount != 1 {
			return fmt.Errorf("deployments %+v, desired %d", st.Deployments, st.DesiredCount)
		}
		return nil
	})

	if err := k8s.Delete(t.Context(), foreign); err != nil {
		t.Fatal(err)
	}
	deploymentOf(t, svc, runsRevision("web:1"))
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if c := stalledReasonOf(st.Conditions); c != "" {
			return fmt.Errorf("still stalled: %s", c)
		}
		return nil
	})
}

func stalledReasonOf(conds []metav1.Condition) string {
	for _, c := range conds {
		if c.Type == ecsv1.ConditionStalled && c.Status == metav1.ConditionTrue {
			return c.Reason
		}
	}
	return ""
}

package shared

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Reasons of the conditions ecs-operator sets.
const (
	ReasonSucceeded          = "Succeeded"
	ReasonProgressing        = "Progressing"
	ReasonTaskDefinitionMiss = "TaskDefinitionNotFound"
	ReasonFamilyConflict     = "FamilyConflict"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonDeploymentBlocked  = "DeploymentBlocked"
	ReasonDeploymentFailed   = "DeploymentFailed"
	ReasonDraining           = "Draining"
	ReasonTaskStopped        = "TaskStopped"
)

// SetReady marks an object as having reached its desired state.
func SetReady(conds *[]metav1.Condition, generation int64, message string) {
	reason := ReasonSucceeded
	SetCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionTrue, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// SetReconciling marks an object as still converging.
func SetReconciling(conds *[]metav1.Condition, generation int64, reason, message string) {
	SetCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionFalse, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// SetStalled marks an object as unable to progress until the user changes something.
func SetStalled(conds *[]metav1.Condition, generation int64, reason, message string) {
	SetCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionFalse, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	SetCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionTrue, reason, message)
}

func SetCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// ConditionUnsupported is True while the task definition holds ECS settings that Kubernetes
// cannot express; its message lists them.
const ConditionUnsupported = "UnsupportedSettings"

// ConditionMessage is the message of a condition, empty when it is absent.
func ConditionMessage(conds []metav1.Condition, typ string) string {
	if c := meta.FindStatusCondition(conds, typ); c != nil {
		return c.Message
	}
	return ""
}

// IsStalledWith reports whether the conditions already say Stalled for this reason, so the
// same warning event is not repeated on every resync.
func IsStalledWith(conds []metav1.Condition, reason string) bool {
	for _, c := range conds {
		if c.Type == ecsv1.ConditionStalled && c.Status == metav1.ConditionTrue && c.Reason == reason {
			return true
		}
	}
	return false
}

func IsReady(conds []metav1.Condition) bool {
	for _, c := range conds {
		if c.Type == ecsv1.ConditionReady {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}

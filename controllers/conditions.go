package controllers

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

// setReady marks an object as having reached its desired state.
func setReady(conds *[]metav1.Condition, generation int64, message string) {
	reason := ReasonSucceeded
	setCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionTrue, reason, message)
	setCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// setReconciling marks an object as still converging.
func setReconciling(conds *[]metav1.Condition, generation int64, reason, message string) {
	setCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	setCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// setStalled marks an object as unable to progress until the user changes something.
func setStalled(conds *[]metav1.Condition, generation int64, reason, message string) {
	setCondition(conds, generation, ecsv1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, ecsv1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, ecsv1.ConditionStalled, metav1.ConditionTrue, reason, message)
}

func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// conditionUnsupported is True while the task definition holds ECS settings that Kubernetes
// cannot express; its message lists them.
const conditionUnsupported = "UnsupportedSettings"

// conditionMessage is the message of a condition, empty when it is absent.
func conditionMessage(conds []metav1.Condition, typ string) string {
	if c := meta.FindStatusCondition(conds, typ); c != nil {
		return c.Message
	}
	return ""
}

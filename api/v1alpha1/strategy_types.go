package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// DeploymentStrategy is how a Service replaces its tasks with a new revision's.
// +kubebuilder:validation:Enum=ROLLING;BLUE_GREEN;LINEAR;CANARY
type DeploymentStrategy string

const (
	// StrategyRolling replaces tasks a few at a time within maximumPercent and
	// minimumHealthyPercent.
	StrategyRolling DeploymentStrategy = "ROLLING"
	// StrategyBlueGreen starts the new revision (green) beside the running one (blue), sends it
	// test traffic, then switches production traffic at once and removes blue after the bake time.
	StrategyBlueGreen DeploymentStrategy = "BLUE_GREEN"
	// StrategyLinear shifts production traffic to green in equal steps.
	StrategyLinear DeploymentStrategy = "LINEAR"
	// StrategyCanary shifts a small part of production traffic to green, then the rest.
	StrategyCanary DeploymentStrategy = "CANARY"
)

// LifecycleStage is a stage of a blue/green, linear or canary deployment, as ECS names it.
// +kubebuilder:validation:Enum=RECONCILE_SERVICE;PRE_SCALE_UP;SCALE_UP;POST_SCALE_UP;TEST_TRAFFIC_SHIFT;POST_TEST_TRAFFIC_SHIFT;PRODUCTION_TRAFFIC_SHIFT;POST_PRODUCTION_TRAFFIC_SHIFT;BAKE_TIME;CLEAN_UP
type LifecycleStage string

const (
	StageReconcileService           LifecycleStage = "RECONCILE_SERVICE"
	StagePreScaleUp                 LifecycleStage = "PRE_SCALE_UP"
	StageScaleUp                    LifecycleStage = "SCALE_UP"
	StagePostScaleUp                LifecycleStage = "POST_SCALE_UP"
	StageTestTrafficShift           LifecycleStage = "TEST_TRAFFIC_SHIFT"
	StagePostTestTrafficShift       LifecycleStage = "POST_TEST_TRAFFIC_SHIFT"
	StageProductionTrafficShift     LifecycleStage = "PRODUCTION_TRAFFIC_SHIFT"
	StagePostProductionTrafficShift LifecycleStage = "POST_PRODUCTION_TRAFFIC_SHIFT"
	StageBakeTime                   LifecycleStage = "BAKE_TIME"
	StageCleanUp                    LifecycleStage = "CLEAN_UP"
)

// HookStage is a lifecycle stage a hook may run at: every stage but BAKE_TIME and CLEAN_UP,
// and SCALE_UP, as in ECS.
// +kubebuilder:validation:Enum=RECONCILE_SERVICE;PRE_SCALE_UP;POST_SCALE_UP;TEST_TRAFFIC_SHIFT;POST_TEST_TRAFFIC_SHIFT;PRODUCTION_TRAFFIC_SHIFT;POST_PRODUCTION_TRAFFIC_SHIFT
type HookStage string

// DeploymentLifecycleHook runs at lifecycle stages of a deployment and decides whether it goes
// on. ECS invokes a Lambda function; ecs-operator POSTs to the hook's url when it has one, and
// otherwise waits for the Service annotation hooks.ecs.operator.dev/<STAGE> to carry
// "<deployment id>=SUCCEEDED" (go on) or "<deployment id>=FAILED" (fail, and roll back).
type DeploymentLifecycleHook struct {
	// hookTargetArn is the Lambda function ECS would invoke. It is kept and sent to the url;
	// without a url the stage waits for an approval annotation.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	HookTargetArn string `json:"hookTargetArn,omitempty"`

	// url is an http(s) endpoint of a Kubernetes Service in the Service's own namespace
	// (http://NAME.NAMESPACE.svc[:PORT][/PATH]) that ecs-operator POSTs the hook's input to; it
	// answers {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"} as ECS's Lambda hooks do.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[a-z0-9]([-a-z0-9]*[a-z0-9])?[.][a-z0-9]([-a-z0-9]*[a-z0-9])?[.]svc([.]cluster[.]local)?(:[0-9]{1,5})?(/[^ ]*)?$')",message="url must be http(s)://NAME.NAMESPACE.svc[:PORT][/PATH], a Service of the cluster"
	URL string `json:"url,omitempty"`

	// roleArn is the IAM role ECS would invoke the Lambda function with (kept, not used).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RoleArn string `json:"roleArn,omitempty"`

	// lifecycleStages are the stages the hook runs at.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	LifecycleStages []HookStage `json:"lifecycleStages"`

	// hookDetails is a JSON document passed to the hook as is.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	HookDetails *runtime.RawExtension `json:"hookDetails,omitempty"`
}

// LinearConfiguration shifts production traffic in equal steps.
type LinearConfiguration struct {
	// stepPercent is the percentage of production traffic shifted in each step, 3.0 to 100.0
	// (default 10.0).
	// +optional
	// +kubebuilder:validation:Minimum=3
	// +kubebuilder:validation:Maximum=100
	StepPercent *float64 `json:"stepPercent,omitempty"`

	// stepBakeTimeInMinutes is the wait between steps, 0 to 1440 (default 6); none after the
	// last step.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	StepBakeTimeInMinutes *int32 `json:"stepBakeTimeInMinutes,omitempty"`
}

// CanaryConfiguration shifts a part of production traffic, waits, then shifts the rest.
type CanaryConfiguration struct {
	// canaryPercent is the percentage of production traffic shifted first, 0.1 to 100.0
	// (default 5.0).
	// +optional
	// +kubebuilder:validation:Minimum=0.1
	// +kubebuilder:validation:Maximum=100
	CanaryPercent *float64 `json:"canaryPercent,omitempty"`

	// canaryBakeTimeInMinutes is the wait before the rest of the traffic is shifted, 0 to 1440
	// (default 10).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	CanaryBakeTimeInMinutes *int32 `json:"canaryBakeTimeInMinutes,omitempty"`
}

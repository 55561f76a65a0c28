package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScaleUnit is the unit of a task set's scale.
// +kubebuilder:validation:Enum=PERCENT
type ScaleUnit string

// ScaleUnitPercent reads a scale as a percentage of the Service's desiredCount.
const ScaleUnitPercent ScaleUnit = "PERCENT"

// Scale is how many of the Service's desiredCount tasks a task set runs.
type Scale struct {
	// value is the percentage of the Service's desiredCount, 0.0 to 100.0; the task set runs
	// ceil(desiredCount × value / 100) tasks.
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Value *float64 `json:"value,omitempty"`

	// unit is PERCENT.
	// +optional
	// +kubebuilder:default=PERCENT
	Unit ScaleUnit `json:"unit,omitempty"`
}

// TaskSetSpec is ECS's CreateTaskSet input, without the cluster (the namespace is the cluster).
// Only scale changes after creation (UpdateTaskSet); everything else makes a new task set.
// +kubebuilder:validation:XValidation:rule="!has(self.launchType) || !has(self.capacityProviderStrategy)",message="launchType and capacityProviderStrategy cannot both be set",fieldPath=".capacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule="has(self.launchType) == has(oldSelf.launchType) && has(self.capacityProviderStrategy) == has(oldSelf.capacityProviderStrategy) && has(self.loadBalancers) == has(oldSelf.loadBalancers) && has(self.serviceRegistries) == has(oldSelf.serviceRegistries) && has(self.externalId) == has(oldSelf.externalId) && has(self.networkConfiguration) == has(oldSelf.networkConfiguration) && has(self.platformVersion) == has(oldSelf.platformVersion)",message="only scale can change once a task set exists (UpdateTaskSet): create a new task set instead"
type TaskSetSpec struct {
	// service is the Service, in the same namespace, the task set belongs to; it must use the
	// EXTERNAL deployment controller.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="service is immutable"
	Service string `json:"service"`

	// cluster is the ECS cluster, kept from ECS JSON; the namespace is the cluster here.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Cluster string `json:"cluster,omitempty"`

	// externalId is an identifier of the external deployment system's own (a CodeDeploy
	// deployment ID, an Argo Rollouts revision), kept and shown.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="externalId is immutable"
	ExternalID string `json:"externalId,omitempty"`

	// taskDefinition is the task definition the task set runs: "family" (its latest revision
	// when the task set is created) or "family:revision".
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="taskDefinition is immutable: create a new task set"
	TaskDefinition TaskDefinitionReference `json:"taskDefinition"`

	// scale is the share of the Service's desiredCount the task set runs (default 100 PERCENT).
	// +optional
	Scale *Scale `json:"scale,omitempty"`

	// launchType is EC2, FARGATE or EXTERNAL; it excludes capacityProviderStrategy.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="launchType is immutable"
	LaunchType LaunchType `json:"launchType,omitempty"`

	// capacityProviderStrategy spreads the task set's tasks over the Cluster's capacity
	// providers.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="capacityProviderStrategy is immutable"
	CapacityProviderStrategy CapacityProviderStrategy `json:"capacityProviderStrategy,omitempty"`

	// loadBalancers register the task set's tasks behind a target group of their own: a
	// Kubernetes Service per container port that selects this task set's tasks only.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="loadBalancers are immutable"
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`

	// serviceRegistries register the task set's tasks in service discovery, as loadBalancers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="serviceRegistries are immutable"
	ServiceRegistries []ServiceRegistry `json:"serviceRegistries,omitempty"`

	// networkConfiguration is the VPC networking of awsvpc tasks; kept, not used.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="networkConfiguration is immutable"
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`

	// platformVersion is the Fargate platform version; kept, not used.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="platformVersion is immutable"
	PlatformVersion string `json:"platformVersion,omitempty"`

	// tags are the task set's tags.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
}

// TaskSetStatusValue is a task set's place in its Service.
// +kubebuilder:validation:Enum=PRIMARY;ACTIVE;DRAINING
type TaskSetStatusValue string

const (
	// TaskSetPrimary is the task set the Service's production traffic goes to.
	TaskSetPrimary TaskSetStatusValue = "PRIMARY"
	// TaskSetActive is any other running task set.
	TaskSetActive TaskSetStatusValue = "ACTIVE"
	// TaskSetDraining is a task set being deleted.
	TaskSetDraining TaskSetStatusValue = "DRAINING"
)

// StabilityStatus says whether a task set runs its computed desired count.
// +kubebuilder:validation:Enum=STEADY_STATE;STABILIZING
type StabilityStatus string

const (
	StabilitySteady      StabilityStatus = "STEADY_STATE"
	StabilityStabilizing StabilityStatus = "STABILIZING"
)

// TaskSetStatus is a task set as DescribeTaskSets reports it.
type TaskSetStatus struct {
	// conditions are Ready (STEADY_STATE), Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// id identifies the task set, "ecs-svc/" and 19 digits as in ECS.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id,omitempty"`

	// status is PRIMARY (the Service's primaryTaskSet), ACTIVE or DRAINING.
	// +optional
	Status TaskSetStatusValue `json:"status,omitempty"`

	// taskDefinition is the revision the task set runs, "family:revision".
	// +optional
	// +kubebuilder:validation:MaxLength=512
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// computedDesiredCount is ceil(the Service's desiredCount × scale / 100).
	// +optional
	ComputedDesiredCount int32 `json:"computedDesiredCount"`

	// runningCount is the number of the task set's tasks running and healthy.
	// +optional
	RunningCount int32 `json:"runningCount"`

	// pendingCount is the number of the task set's tasks not yet running.
	// +optional
	PendingCount int32 `json:"pendingCount"`

	// stabilityStatus is STEADY_STATE when runningCount is computedDesiredCount and nothing is
	// pending, else STABILIZING.
	// +optional
	StabilityStatus StabilityStatus `json:"stabilityStatus,omitempty"`

	// stabilityStatusAt is when stabilityStatus last changed.
	// +optional
	StabilityStatusAt *metav1.Time `json:"stabilityStatusAt,omitempty"`
}

// TaskSet is a set of tasks of one task definition in a Service whose deployments an external
// controller runs (deploymentController EXTERNAL), as ECS's CreateTaskSet makes one.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecsts,categories=ecs
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.service`
// +kubebuilder:printcolumn:name="Task Definition",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Scale",type=number,JSONPath=`.spec.scale.value`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.computedDesiredCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningCount`
// +kubebuilder:printcolumn:name="Stability",type=string,JSONPath=`.status.stabilityStatus`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TaskSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the task set, as ECS's CreateTaskSet takes it.
	// +required
	Spec TaskSetSpec `json:"spec"`

	// status is the task set's counts and stability.
	// +optional
	Status TaskSetStatus `json:"status,omitempty"`
}

// TaskSetList is a list of TaskSets.
// +kubebuilder:object:root=true
type TaskSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskSet `json:"items"`
}

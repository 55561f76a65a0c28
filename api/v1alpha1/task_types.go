package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContainerOverride changes one container of the task definition for one task.
type ContainerOverride struct {
	// name is the container to override.
	// +required
	Name ContainerName `json:"name"`

	// command replaces the container's command.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	Command []string `json:"command,omitempty"`

	// environment adds to or replaces the container's environment variables.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	Environment []KeyValuePair `json:"environment,omitempty"`

	// environmentFiles add files of environment variables.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`

	// cpu replaces the container's cpu units.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=196608
	CPU *int32 `json:"cpu,omitempty"`

	// memory replaces the container's hard memory limit in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	Memory *int32 `json:"memory,omitempty"`

	// memoryReservation replaces the container's memory reservation in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`

	// resourceRequirements replace the container's GPU requirements.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`
}

// TaskOverride changes the task definition for one task, as RunTask's overrides do.
// +kubebuilder:validation:XValidation:rule="!has(self.containerOverrides) || self.containerOverrides.all(c, self.containerOverrides.exists_one(d, d.name == c.name))",message="a container may be overridden only once",fieldPath=".containerOverrides"
type TaskOverride struct {
	// containerOverrides change containers of the task definition.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ContainerOverrides []ContainerOverride `json:"containerOverrides,omitempty"`

	// cpu replaces the task's cpu.
	// +optional
	CPU TaskCPU `json:"cpu,omitempty"`

	// memory replaces the task's memory.
	// +optional
	Memory TaskMemory `json:"memory,omitempty"`

	// taskRoleArn replaces the task's IAM role.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskRoleArn string `json:"taskRoleArn,omitempty"`

	// executionRoleArn replaces the task's execution role.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`

	// ephemeralStorage replaces the task's ephemeral storage.
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
}

// TaskSpec is ECS's RunTask input for one task, without the cluster: the namespace is the
// cluster. It cannot change once the Task exists.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a Task's spec is immutable: run a new Task instead"
// +kubebuilder:validation:XValidation:rule="!has(self.launchType) || !has(self.capacityProviderStrategy)",message="launchType and capacityProviderStrategy cannot both be set",fieldPath=".capacityProviderStrategy"
type TaskSpec struct {
	// taskDefinition is the task definition to run: "family" (its latest revision when the
	// Task is created) or "family:revision".
	// +required
	TaskDefinition TaskDefinitionReference `json:"taskDefinition"`

	// overrides change the task definition for this task.
	// +optional
	Overrides *TaskOverride `json:"overrides,omitempty"`

	// launchType is EC2, FARGATE or EXTERNAL; it excludes capacityProviderStrategy.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`

	// capacityProviderStrategy chooses the capacity provider the task runs on.
	// +optional
	CapacityProviderStrategy CapacityProviderStrategy `json:"capacityProviderStrategy,omitempty"`

	// placementConstraints restrict where the task runs.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`

	// networkConfiguration is the VPC networking of an awsvpc task.
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`

	// group is the task group, used by placement ("family:<family>" by default in ECS).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`

	// startedBy records who started the task.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	StartedBy string `json:"startedBy,omitempty"`

	// enableExecuteCommand allows exec into the task.
	// +optional
	EnableExecuteCommand *bool `json:"enableExecuteCommand,omitempty"`

	// enableECSManagedTags adds ECS's own tags to the task.
	// +optional
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`

	// propagateTags copies tags from the task definition to the task.
	// +optional
	PropagateTags PropagateTags `json:"propagateTags,omitempty"`

	// platformVersion is the Fargate platform version; recorded.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PlatformVersion string `json:"platformVersion,omitempty"`

	// tags are the task's tags.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
}

// TaskLifecycleStatus is a step of ECS's task lifecycle.
// +kubebuilder:validation:Enum=PROVISIONING;PENDING;ACTIVATING;RUNNING;DEACTIVATING;STOPPING;DEPROVISIONING;STOPPED;DELETED
type TaskLifecycleStatus string

const (
	TaskProvisioning   TaskLifecycleStatus = "PROVISIONING"
	TaskPending        TaskLifecycleStatus = "PENDING"
	TaskActivating     TaskLifecycleStatus = "ACTIVATING"
	TaskRunning        TaskLifecycleStatus = "RUNNING"
	TaskDeactivating   TaskLifecycleStatus = "DEACTIVATING"
	TaskStopping       TaskLifecycleStatus = "STOPPING"
	TaskDeprovisioning TaskLifecycleStatus = "DEPROVISIONING"
	TaskStopped        TaskLifecycleStatus = "STOPPED"
)

// HealthStatus is the health of a task or container.
// +kubebuilder:validation:Enum=HEALTHY;UNHEALTHY;UNKNOWN
type HealthStatus string

const (
	HealthHealthy   HealthStatus = "HEALTHY"
	HealthUnhealthy HealthStatus = "UNHEALTHY"
	HealthUnknown   HealthStatus = "UNKNOWN"
)

// TaskStopCode is why a task stopped.
// +kubebuilder:validation:Enum=TaskFailedToStart;EssentialContainerExited;UserInitiated;ServiceSchedulerInitiated;SpotInterruption;TerminationNotice
type TaskStopCode string

const (
	StopCodeTaskFailedToStart         TaskStopCode = "TaskFailedToStart"
	StopCodeEssentialContainerExited  TaskStopCode = "EssentialContainerExited"
	StopCodeUserInitiated             TaskStopCode = "UserInitiated"
	StopCodeServiceSchedulerInitiated TaskStopCode = "ServiceSchedulerInitiated"
	StopCodeSpotInterruption          TaskStopCode = "SpotInterruption"
	StopCodeTerminationNotice         TaskStopCode = "TerminationNotice"
)

// ContainerStatus is one container of a task, as DescribeTasks reports it.
type ContainerStatus struct {
	// name is the container's name from the task definition.
	// +required
	Name ContainerName `json:"name"`

	// lastStatus is PENDING, RUNNING or STOPPED.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	LastStatus string `json:"lastStatus,omitempty"`

	// exitCode is the container's exit code once it stopped.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// reason says why the container stopped or is not running.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`

	// healthStatus is HEALTHY, UNHEALTHY or UNKNOWN.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`
}

// TaskStatus is the observed state of a Task, like DescribeTasks.
type TaskStatus struct {
	// conditions are Ready (RUNNING and healthy), Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastStatus is the task's step in ECS's lifecycle.
	// +optional
	LastStatus TaskLifecycleStatus `json:"lastStatus,omitempty"`

	// desiredStatus is RUNNING or STOPPED.
	// +optional
	DesiredStatus TaskLifecycleStatus `json:"desiredStatus,omitempty"`

	// healthStatus is the health of the task's essential containers.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`

	// stopCode says why the task stopped.
	// +optional
	StopCode TaskStopCode `json:"stopCode,omitempty"`

	// stoppedReason explains the stop.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StoppedReason string `json:"stoppedReason,omitempty"`

	// startedAt is when the task started running.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// stoppedAt is when the task stopped.
	// +optional
	StoppedAt *metav1.Time `json:"stoppedAt,omitempty"`

	// taskDefinition is the revision the task runs, "family:revision".
	// +optional
	// +kubebuilder:validation:MaxLength=512
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// podName is the Pod that runs the task.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PodName string `json:"podName,omitempty"`

	// containers are the task's containers.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Containers []ContainerStatus `json:"containers,omitempty"`
}

// Task is one ECS task, run like RunTask: one Pod that runs to completion.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecstask,categories=ecs
// +kubebuilder:printcolumn:name="Task Definition",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Last Status",type=string,JSONPath=`.status.lastStatus`
// +kubebuilder:printcolumn:name="Desired Status",type=string,JSONPath=`.status.desiredStatus`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.healthStatus`
// +kubebuilder:printcolumn:name="Stop Code",type=string,JSONPath=`.status.stopCode`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the task to run, as ECS's RunTask takes it.
	// +required
	Spec TaskSpec `json:"spec"`

	// status is the task's lifecycle, stop code and containers.
	// +optional
	Status TaskStatus `json:"status,omitempty"`
}

// TaskList is a list of Tasks.
// +kubebuilder:object:root=true
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Task `json:"items"`
}

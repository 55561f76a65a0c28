package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkMode is the Docker networking mode of a task's containers.
// +kubebuilder:validation:Enum=awsvpc;bridge;host;none
type NetworkMode string

const (
	NetworkModeAwsVpc NetworkMode = "awsvpc"
	NetworkModeBridge NetworkMode = "bridge"
	NetworkModeHost   NetworkMode = "host"
	NetworkModeNone   NetworkMode = "none"
)

// Compatibility is a launch type a task definition is validated against.
// +kubebuilder:validation:Enum=EC2;FARGATE;EXTERNAL;MANAGED_INSTANCES
type Compatibility string

// PidMode is the process namespace of a task's containers.
// +kubebuilder:validation:Enum=host;task
type PidMode string

// IpcMode is the IPC namespace of a task's containers.
// +kubebuilder:validation:Enum=host;task;none
type IpcMode string

// TaskCPU is a task's cpu in ECS's forms: cpu units ("256", "1024") or vCPUs ("0.25 vCPU",
// "1 vCPU", "2 vcpu").
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+(\.[0-9]+)? ?[vV][cC][pP][uU])$`
type TaskCPU string

// TaskMemory is a task's memory in ECS's forms: MiB ("512", "2048") or GB ("1GB", "1 GB",
// "0.5 GB").
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+(\.[0-9]+)? ?([gG][bB]|[mM][bB]|[gG][iI][bB]|[mM][iI][bB]))$`
type TaskMemory string

// Family is an ECS task definition family: up to 255 letters, numbers, hyphens and underscores.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+$`
type Family string

// TaskDefinitionSpec is ECS's RegisterTaskDefinition input, plus revisionHistoryLimit.
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, self.containerDefinitions.exists_one(d, d.name == c.name))",message="container names must be unique in a task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.exists(c, !has(c.essential) || c.essential)",message="a task definition needs at least one essential container",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, self.containerDefinitions.exists(o, o.name == d.containerName)))",message="dependsOn must name a container of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.volumesFrom) || c.volumesFrom.all(v, self.containerDefinitions.exists(o, o.name == v.sourceContainer)))",message="volumesFrom must name a container of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.mountPoints) || c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))",message="mountPoints sourceVolume must name a volume of this task definition",fieldPath=".containerDefinitions"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.networkMode) || self.networkMode == 'awsvpc'",message="FARGATE task definitions must use networkMode awsvpc",fieldPath=".networkMode"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || (has(self.cpu) && has(self.memory))",message="FARGATE task definitions need task-level cpu and memory"
// +kubebuilder:validation:XValidation:rule="has(self.family) == has(oldSelf.family) && (!has(self.family) || self.family == oldSelf.family)",message="family is immutable: register a new TaskDefinition for another family",fieldPath=".family"
type TaskDefinitionSpec struct {
	// family is the task definition's family; revisions are numbered within it. It defaults to
	// the TaskDefinition's name and cannot change.
	// +optional
	Family Family `json:"family,omitempty"`

	// containerDefinitions are the containers of the task (1 to 10).
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`

	// cpu is the task's cpu: units ("1024") or vCPUs ("1 vCPU"). Required for FARGATE.
	// +optional
	CPU TaskCPU `json:"cpu,omitempty"`

	// memory is the task's memory: MiB ("2048") or GB ("2GB", "2 GB"). Required for FARGATE.
	// +optional
	Memory TaskMemory `json:"memory,omitempty"`

	// networkMode is awsvpc, bridge, host or none.
	// +optional
	NetworkMode NetworkMode `json:"networkMode,omitempty"`

	// requiresCompatibilities are the launch types the task definition is validated against.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4
	RequiresCompatibilities []Compatibility `json:"requiresCompatibilities,omitempty"`

	// taskRoleArn is the IAM role the task's containers assume.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskRoleArn string `json:"taskRoleArn,omitempty"`

	// executionRoleArn is the IAM role that pulls images and reads secrets for the task.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`

	// volumes are the task's data volumes, mounted into containers by mountPoints.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=50
	Volumes []Volume `json:"volumes,omitempty"`

	// placementConstraints are memberOf constraints on where the task may run.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []TaskDefinitionPlacementConstraint `json:"placementConstraints,omitempty"`

	// runtimePlatform is the operating system and cpu architecture the task needs.
	// +optional
	RuntimePlatform *RuntimePlatform `json:"runtimePlatform,omitempty"`

	// ephemeralStorage is the task's ephemeral storage.
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`

	// pidMode is the process namespace: host or task.
	// +optional
	PidMode PidMode `json:"pidMode,omitempty"`

	// ipcMode is the IPC namespace: host, task or none.
	// +optional
	IpcMode IpcMode `json:"ipcMode,omitempty"`

	// proxyConfiguration configures an App Mesh proxy container.
	// +optional
	ProxyConfiguration *ProxyConfiguration `json:"proxyConfiguration,omitempty"`

	// enableFaultInjection allows fault injection requests from the task's containers.
	// +optional
	EnableFaultInjection *bool `json:"enableFaultInjection,omitempty"`

	// tags are the task definition's tags.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`

	// revisionHistoryLimit is how many revisions that no Service or Task uses are kept, newest
	// first. Revisions in use are never pruned. Not an ECS field.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// RevisionStatus is ACTIVE for a revision that can be used and INACTIVE for a deregistered one.
// +kubebuilder:validation:Enum=ACTIVE;INACTIVE
type RevisionStatus string

const (
	RevisionActive   RevisionStatus = "ACTIVE"
	RevisionInactive RevisionStatus = "INACTIVE"
)

// TaskDefinitionRevision describes one immutable revision of a task definition.
type TaskDefinitionRevision struct {
	// revision is the revision number, counted from 1 within the family.
	// +required
	Revision int64 `json:"revision"`

	// hash is the hash of the revision's content; re-applying the same spec yields the same hash.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Hash string `json:"hash,omitempty"`

	// status is ACTIVE or INACTIVE.
	// +optional
	Status RevisionStatus `json:"status,omitempty"`

	// createdAt is when the revision was registered.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
}

// TaskDefinitionStatus is the observed state of a TaskDefinition.
type TaskDefinitionStatus struct {
	// conditions are Ready, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// family is the family the revisions belong to.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Family string `json:"family,omitempty"`

	// revision is the latest revision.
	// +optional
	Revision int64 `json:"revision,omitempty"`

	// revisions are the retained revisions, newest first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1100
	Revisions []TaskDefinitionRevision `json:"revisions,omitempty"`
}

// TaskDefinition is an ECS task definition. Each distinct spec becomes an immutable revision.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=td;taskdef,categories=ecs
// +kubebuilder:printcolumn:name="Family",type=string,JSONPath=`.status.family`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TaskDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the task definition, as ECS's RegisterTaskDefinition takes it.
	// +required
	Spec TaskDefinitionSpec `json:"spec"`

	// status shows the task definition's revisions.
	// +optional
	Status TaskDefinitionStatus `json:"status,omitempty"`
}

// TaskDefinitionList is a list of TaskDefinitions.
// +kubebuilder:object:root=true
type TaskDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskDefinition `json:"items"`
}

// RuntimePlatform is the operating system and cpu architecture a task needs.
type RuntimePlatform struct {
	// cpuArchitecture is X86_64 or ARM64.
	// +optional
	CPUArchitecture CPUArchitecture `json:"cpuArchitecture,omitempty"`

	// operatingSystemFamily is LINUX or a Windows Server family.
	// +optional
	OperatingSystemFamily OSFamily `json:"operatingSystemFamily,omitempty"`
}

// CPUArchitecture is a task's cpu architecture.
// +kubebuilder:validation:Enum=X86_64;ARM64
type CPUArchitecture string

// OSFamily is a task's operating system family.
// +kubebuilder:validation:Enum=LINUX;WINDOWS_SERVER_2019_FULL;WINDOWS_SERVER_2019_CORE;WINDOWS_SERVER_2016_FULL;WINDOWS_SERVER_2004_CORE;WINDOWS_SERVER_2022_CORE;WINDOWS_SERVER_2022_FULL;WINDOWS_SERVER_2025_CORE;WINDOWS_SERVER_2025_FULL;WINDOWS_SERVER_20H2_CORE
type OSFamily string

// EphemeralStorage is a task's ephemeral storage size.
type EphemeralStorage struct {
	// sizeInGiB is the size in GiB (21-200).
	// +required
	// +kubebuilder:validation:Minimum=21
	// +kubebuilder:validation:Maximum=200
	SizeInGiB int32 `json:"sizeInGiB"`
}

// ProxyType is the kind of proxy of a proxyConfiguration; ECS knows only APPMESH.
// +kubebuilder:validation:Enum=APPMESH
type ProxyType string

// ProxyConfiguration configures an App Mesh proxy container.
type ProxyConfiguration struct {
	// type is APPMESH.
	// +optional
	// +kubebuilder:default=APPMESH
	Type ProxyType `json:"type,omitempty"`

	// containerName is the proxy container.
	// +required
	ContainerName ContainerName `json:"containerName"`

	// properties configure the proxy (IgnoredUID, ProxyIngressPort, AppPorts, ...).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Properties []KeyValuePair `json:"properties,omitempty"`
}

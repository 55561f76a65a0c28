package v1alpha1

// Volume is a data volume of a task.
// +kubebuilder:validation:XValidation:rule="[has(self.host), has(self.dockerVolumeConfiguration), has(self.efsVolumeConfiguration)].filter(x, x).size() <= 1",message="a volume takes at most one of host, dockerVolumeConfiguration and efsVolumeConfiguration"
type Volume struct {
	// name is the volume's name, referenced by mountPoints.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+$`
	Name string `json:"name"`

	// host is a bind mount of a host path; with no sourcePath, a scratch volume of the task.
	// +optional
	Host *HostVolumeProperties `json:"host,omitempty"`

	// dockerVolumeConfiguration is a Docker volume, scoped to the task or shared.
	// +optional
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`

	// efsVolumeConfiguration mounts an Amazon EFS file system.
	// +optional
	EFSVolumeConfiguration *EFSVolumeConfiguration `json:"efsVolumeConfiguration,omitempty"`

	// configuredAtLaunch says the volume is configured when a task or service is created.
	// +optional
	ConfiguredAtLaunch *bool `json:"configuredAtLaunch,omitempty"`
}

// HostVolumeProperties is a host bind mount.
type HostVolumeProperties struct {
	// sourcePath is the path on the host; empty means a scratch volume of the task.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeScope is the lifetime of a Docker volume.
// +kubebuilder:validation:Enum=task;shared
type DockerVolumeScope string

const (
	DockerVolumeScopeTask   DockerVolumeScope = "task"
	DockerVolumeScopeShared DockerVolumeScope = "shared"
)

// DockerVolumeConfiguration is a Docker volume.
// +kubebuilder:validation:XValidation:rule="!has(self.autoprovision) || !self.autoprovision || (has(self.scope) && self.scope == 'shared')",message="autoprovision needs scope shared",fieldPath=".autoprovision"
type DockerVolumeConfiguration struct {
	// scope is task (the volume lives with the task) or shared (it outlives the task).
	// +optional
	Scope DockerVolumeScope `json:"scope,omitempty"`

	// autoprovision creates a shared volume when it does not exist yet.
	// +optional
	Autoprovision *bool `json:"autoprovision,omitempty"`

	// driver is the Docker volume driver.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Driver string `json:"driver,omitempty"`

	// driverOpts are options passed to the driver.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	DriverOpts map[string]string `json:"driverOpts,omitempty"`

	// labels are labels of the volume.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Labels map[string]string `json:"labels,omitempty"`
}

// EnabledDisabled is ENABLED or DISABLED.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type EnabledDisabled string

const (
	Enabled  EnabledDisabled = "ENABLED"
	Disabled EnabledDisabled = "DISABLED"
)

// EFSVolumeConfiguration mounts an Amazon EFS file system.
type EFSVolumeConfiguration struct {
	// fileSystemId is the EFS file system's ID.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	FileSystemID string `json:"fileSystemId"`

	// rootDirectory is the directory of the file system mounted as the volume's root.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	RootDirectory string `json:"rootDirectory,omitempty"`

	// transitEncryption encrypts data in transit: ENABLED or DISABLED.
	// +optional
	TransitEncryption EnabledDisabled `json:"transitEncryption,omitempty"`

	// transitEncryptionPort is the port used for encrypted traffic.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	TransitEncryptionPort *int32 `json:"transitEncryptionPort,omitempty"`

	// authorizationConfig selects an access point and IAM authorization.
	// +optional
	AuthorizationConfig *EFSAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// EFSAuthorizationConfig selects an EFS access point and IAM authorization.
type EFSAuthorizationConfig struct {
	// accessPointId is the EFS access point's ID.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	AccessPointID string `json:"accessPointId,omitempty"`

	// iam uses the task's IAM role when mounting: ENABLED or DISABLED.
	// +optional
	IAM EnabledDisabled `json:"iam,omitempty"`
}

package v1alpha1

// ContainerName is an ECS container name: up to 255 letters, numbers, hyphens and underscores.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+$`
type ContainerName string

// ContainerDefinition is one container of a task definition, with ECS's field names.
// +kubebuilder:validation:XValidation:rule="!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation <= self.memory",message="memoryReservation must not be greater than memory",fieldPath=".memoryReservation"
// +kubebuilder:validation:XValidation:rule="!has(self.dependsOn) || self.dependsOn.all(d, d.containerName != self.name)",message="a container cannot depend on itself",fieldPath=".dependsOn"
// +kubebuilder:validation:XValidation:rule="!has(self.volumesFrom) || self.volumesFrom.all(v, v.sourceContainer != self.name)",message="a container cannot mount volumes from itself",fieldPath=".volumesFrom"
type ContainerDefinition struct {
	// name is the container's name, unique in the task definition.
	// +required
	Name ContainerName `json:"name"`

	// image is the container image, as a repository URL with a tag or digest.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`

	// cpu is the number of cpu units reserved for the container; 1024 units are one vCPU.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=196608
	CPU *int32 `json:"cpu,omitempty"`

	// memory is the hard memory limit of the container in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	Memory *int32 `json:"memory,omitempty"`

	// memoryReservation is the soft memory limit (the reservation) of the container in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	// +kubebuilder:validation:Maximum=4194304
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`

	// essential says whether the task stops when this container stops. ECS treats an unset
	// value as true; every task definition needs at least one essential container.
	// +optional
	Essential *bool `json:"essential,omitempty"`

	// portMappings are the ports the container listens on.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	PortMappings []PortMapping `json:"portMappings,omitempty"`

	// environment holds the container's environment variables.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	Environment []KeyValuePair `json:"environment,omitempty"`

	// environmentFiles are files of environment variables, by S3 object ARN.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`

	// secrets are environment variables taken from Secrets Manager or SSM Parameter Store.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	Secrets []Secret `json:"secrets,omitempty"`

	// command is the command passed to the container (Docker CMD, Kubernetes args).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	Command []string `json:"command,omitempty"`

	// entryPoint is the container's entry point (Docker ENTRYPOINT, Kubernetes command).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=32768
	EntryPoint []string `json:"entryPoint,omitempty"`

	// workingDirectory is the directory the command runs in.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	WorkingDirectory string `json:"workingDirectory,omitempty"`

	// healthCheck is the container's health check command and its timing.
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`

	// dependsOn are the containers that must reach a condition before this one starts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	DependsOn []ContainerDependency `json:"dependsOn,omitempty"`

	// links are legacy Docker links ("name:alias") of bridge-mode tasks. Kubernetes has no
	// links: containers of one Pod share localhost instead.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=512
	Links []string `json:"links,omitempty"`

	// mountPoints mount the task's volumes into the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	MountPoints []MountPoint `json:"mountPoints,omitempty"`

	// volumesFrom mount every volume of another container of the task.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	VolumesFrom []VolumeFrom `json:"volumesFrom,omitempty"`

	// linuxParameters are Linux-specific settings: capabilities, devices, init, shm, tmpfs, swap.
	// +optional
	LinuxParameters *LinuxParameters `json:"linuxParameters,omitempty"`

	// logConfiguration is the container's log driver and its options.
	// +optional
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`

	// firelensConfiguration makes this container the task's FireLens log router.
	// +optional
	FirelensConfiguration *FirelensConfiguration `json:"firelensConfiguration,omitempty"`

	// ulimits are resource limits of the container's processes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Ulimits []Ulimit `json:"ulimits,omitempty"`

	// user is the user the container runs as: "user", "uid", "user:group", "uid:gid", ...
	// +optional
	// +kubebuilder:validation:MaxLength=255
	User string `json:"user,omitempty"`

	// privileged gives the container elevated privileges on its host.
	// +optional
	Privileged *bool `json:"privileged,omitempty"`

	// readonlyRootFilesystem mounts the container's root filesystem read-only.
	// +optional
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem,omitempty"`

	// dockerLabels are labels added to the container.
	// +optional
	// +kubebuilder:validation:MaxProperties=100
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`

	// dockerSecurityOptions are SELinux, AppArmor or credential spec options for the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=1024
	DockerSecurityOptions []string `json:"dockerSecurityOptions,omitempty"`

	// dnsServers are the DNS servers the container uses.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:MaxLength=45
	DNSServers []string `json:"dnsServers,omitempty"`

	// dnsSearchDomains are the DNS search domains of the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	DNSSearchDomains []string `json:"dnsSearchDomains,omitempty"`

	// extraHosts are entries added to the container's /etc/hosts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	ExtraHosts []HostEntry `json:"extraHosts,omitempty"`

	// hostname is the container's hostname.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname,omitempty"`

	// disableNetworking turns networking off in the container.
	// +optional
	DisableNetworking *bool `json:"disableNetworking,omitempty"`

	// interactive keeps the container's standard input open.
	// +optional
	Interactive *bool `json:"interactive,omitempty"`

	// pseudoTerminal allocates a TTY for the container.
	// +optional
	PseudoTerminal *bool `json:"pseudoTerminal,omitempty"`

	// startTimeout is how long, in seconds, ECS waits for this container's dependencies.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=3600
	StartTimeout *int32 `json:"startTimeout,omitempty"`

	// stopTimeout is how long, in seconds, the container may take to exit after SIGTERM.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	StopTimeout *int32 `json:"stopTimeout,omitempty"`

	// systemControls are namespaced kernel parameters (sysctls) of the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	SystemControls []SystemControl `json:"systemControls,omitempty"`

	// resourceRequirements are GPUs or inference accelerators assigned to the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`

	// repositoryCredentials name the secret holding the private registry's credentials.
	// +optional
	RepositoryCredentials *RepositoryCredentials `json:"repositoryCredentials,omitempty"`

	// restartPolicy restarts the container in place when it exits.
	// +optional
	RestartPolicy *ContainerRestartPolicy `json:"restartPolicy,omitempty"`

	// credentialSpecs are Active Directory credential specs of Windows and Linux containers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:MaxLength=2048
	CredentialSpecs []string `json:"credentialSpecs,omitempty"`

	// versionConsistency says whether the image tag is resolved to a digest once per deployment.
	// +optional
	VersionConsistency VersionConsistency `json:"versionConsistency,omitempty"`
}

// TransportProtocol is a port mapping's protocol.
// +kubebuilder:validation:Enum=tcp;udp
type TransportProtocol string

const (
	ProtocolTCP TransportProtocol = "tcp"
	ProtocolUDP TransportProtocol = "udp"
)

// ApplicationProtocol is the application protocol of a port mapping, used by Service Connect.
// +kubebuilder:validation:Enum=http;http2;grpc
type ApplicationProtocol string

// PortMapping is one port the container listens on.
// +kubebuilder:validation:XValidation:rule="has(self.containerPort) != has(self.containerPortRange)",message="set exactly one of containerPort and containerPortRange"
// +kubebuilder:validation:XValidation:rule="!has(self.containerPortRange) || !has(self.hostPort)",message="hostPort cannot be set with containerPortRange"
type PortMapping struct {
	// containerPort is the port number the container listens on.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`

	// containerPortRange is a range of container ports, "first-last".
	// +optional
	// +kubebuilder:validation:MaxLength=11
	// +kubebuilder:validation:Pattern=`^[0-9]{1,5}-[0-9]{1,5}$`
	ContainerPortRange string `json:"containerPortRange,omitempty"`

	// hostPort is the host port of a bridge or host mode task; 0 means a dynamic port.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	HostPort *int32 `json:"hostPort,omitempty"`

	// protocol is tcp (the default) or udp.
	// +optional
	// +kubebuilder:default=tcp
	Protocol TransportProtocol `json:"protocol,omitempty"`

	// name names the port for Service Connect.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9_][a-z0-9_-]*$`
	Name string `json:"name,omitempty"`

	// appProtocol is the application protocol: http, http2 or grpc.
	// +optional
	AppProtocol ApplicationProtocol `json:"appProtocol,omitempty"`
}

// EnvironmentFileType is the kind of an environment file; ECS knows only s3.
// +kubebuilder:validation:Enum=s3
type EnvironmentFileType string

// EnvironmentFile is a file of environment variables.
type EnvironmentFile struct {
	// value is the ARN of the S3 object holding the file.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Value string `json:"value"`

	// type is s3.
	// +required
	Type EnvironmentFileType `json:"type"`
}

// Secret is an environment variable (or log option) whose value comes from a secret store.
type Secret struct {
	// name is the environment variable's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Name string `json:"name"`

	// valueFrom is the Secrets Manager secret ARN (with optional ":json-key:version-stage:version-id"
	// suffix) or SSM parameter ARN or name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	ValueFrom string `json:"valueFrom"`
}

// HealthCheck is a container health check, as Docker runs it.
// +kubebuilder:validation:XValidation:rule="self.command[0] in ['CMD', 'CMD-SHELL', 'NONE']",message="the first item of a healthCheck command must be CMD, CMD-SHELL or NONE",fieldPath=".command"
// +kubebuilder:validation:XValidation:rule="self.command[0] == 'NONE' || size(self.command) >= 2",message="a CMD or CMD-SHELL healthCheck command needs the command to run",fieldPath=".command"
type HealthCheck struct {
	// command is the health check: ["CMD", "exe", "arg"...] or ["CMD-SHELL", "shell command"].
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=8192
	Command []string `json:"command"`

	// interval is the time between checks, in seconds (5-300, ECS's default 30).
	// +optional
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=300
	Interval *int32 `json:"interval,omitempty"`

	// timeout is how long a check may take before it counts as failed, in seconds (2-60,
	// ECS's default 5).
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=60
	Timeout *int32 `json:"timeout,omitempty"`

	// retries is how many failed checks in a row make the container unhealthy (1-10, ECS's
	// default 3).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Retries *int32 `json:"retries,omitempty"`

	// startPeriod is a grace period, in seconds, before failed checks count (0-300).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=300
	StartPeriod *int32 `json:"startPeriod,omitempty"`
}

// DependencyCondition is the state a container must reach before its dependents start.
// +kubebuilder:validation:Enum=START;COMPLETE;SUCCESS;HEALTHY
type DependencyCondition string

const (
	DependencyStart    DependencyCondition = "START"
	DependencyComplete DependencyCondition = "COMPLETE"
	DependencySuccess  DependencyCondition = "SUCCESS"
	DependencyHealthy  DependencyCondition = "HEALTHY"
)

// ContainerDependency says that this container starts only after another reaches a condition.
type ContainerDependency struct {
	// containerName is the container depended on; it must be in the same task definition.
	// +required
	ContainerName ContainerName `json:"containerName"`

	// condition is START, COMPLETE, SUCCESS or HEALTHY.
	// +required
	Condition DependencyCondition `json:"condition"`
}

// MountPoint mounts a task volume into a container.
type MountPoint struct {
	// sourceVolume is the name of one of the task definition's volumes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	SourceVolume string `json:"sourceVolume"`

	// containerPath is where the volume is mounted in the container.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath"`

	// readOnly mounts the volume read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// VolumeFrom mounts every volume of another container.
type VolumeFrom struct {
	// sourceContainer is the container whose volumes are mounted.
	// +required
	SourceContainer ContainerName `json:"sourceContainer"`

	// readOnly mounts the volumes read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// LinuxCapability is a Linux capability name such as NET_ADMIN or ALL.
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^[A-Z_]+$`
type LinuxCapability string

// KernelCapabilities are the capabilities added to or dropped from Docker's default set.
type KernelCapabilities struct {
	// add are capabilities added to the default set.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Add []LinuxCapability `json:"add,omitempty"`

	// drop are capabilities removed from the default set.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Drop []LinuxCapability `json:"drop,omitempty"`
}

// DevicePermission is an access right on a host device.
// +kubebuilder:validation:Enum=read;write;mknod
type DevicePermission string

// Device is a host device exposed to the container.
type Device struct {
	// hostPath is the device's path on the host.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	HostPath string `json:"hostPath"`

	// containerPath is where the device appears in the container.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath,omitempty"`

	// permissions are the container's rights on the device.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	Permissions []DevicePermission `json:"permissions,omitempty"`
}

// Tmpfs is a memory-backed filesystem mounted in the container.
type Tmpfs struct {
	// containerPath is where the tmpfs is mounted.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath"`

	// size is the size of the tmpfs in MiB.
	// +required
	// +kubebuilder:validation:Minimum=1
	Size int32 `json:"size"`

	// mountOptions are tmpfs mount options such as "noexec".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	MountOptions []string `json:"mountOptions,omitempty"`
}

// LinuxParameters are Linux-specific container settings.
type LinuxParameters struct {
	// capabilities are added to or dropped from Docker's default set.
	// +optional
	Capabilities *KernelCapabilities `json:"capabilities,omitempty"`

	// devices are host devices exposed to the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Devices []Device `json:"devices,omitempty"`

	// initProcessEnabled runs an init process as PID 1 that reaps zombies and forwards signals.
	// +optional
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`

	// sharedMemorySize is the size of /dev/shm in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=1
	SharedMemorySize *int32 `json:"sharedMemorySize,omitempty"`

	// tmpfs are memory-backed filesystems mounted in the container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Tmpfs []Tmpfs `json:"tmpfs,omitempty"`

	// maxSwap is the swap the container may use, in MiB; 0 means none.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxSwap *int32 `json:"maxSwap,omitempty"`

	// swappiness tunes the container's tendency to swap (0-100).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Swappiness *int32 `json:"swappiness,omitempty"`
}

// LogDriver is a Docker log driver that ECS supports.
// +kubebuilder:validation:Enum=awslogs;awsfirelens;fluentd;gelf;json-file;journald;logentries;syslog;splunk
type LogDriver string

// LogConfiguration is a container's log driver and its options.
type LogConfiguration struct {
	// logDriver is the log driver, for example awslogs or awsfirelens.
	// +required
	LogDriver LogDriver `json:"logDriver"`

	// options are the log driver's options.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Options map[string]string `json:"options,omitempty"`

	// secretOptions are log driver options whose values come from a secret store.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	SecretOptions []Secret `json:"secretOptions,omitempty"`
}

// FirelensType is the log router a FireLens container runs.
// +kubebuilder:validation:Enum=fluentd;fluentbit
type FirelensType string

// FirelensConfiguration makes a container the task's FireLens log router.
type FirelensConfiguration struct {
	// type is fluentd or fluentbit.
	// +required
	Type FirelensType `json:"type"`

	// options configure the log router, for example config-file-type and config-file-value.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Options map[string]string `json:"options,omitempty"`
}

// Ulimit is a resource limit of the container's processes.
type Ulimit struct {
	// name is the limit, for example nofile or nproc.
	// +required
	// +kubebuilder:validation:Enum=core;cpu;data;fsize;locks;memlock;msgqueue;nice;nofile;nproc;rss;rtprio;rttime;sigpending;stack
	Name string `json:"name"`

	// softLimit is the soft limit.
	// +required
	SoftLimit int64 `json:"softLimit"`

	// hardLimit is the hard limit.
	// +required
	HardLimit int64 `json:"hardLimit"`
}

// HostEntry is a line of /etc/hosts.
type HostEntry struct {
	// hostname is the host name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname"`

	// ipAddress is the address the host name resolves to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=45
	IPAddress string `json:"ipAddress"`
}

// SystemControl is a namespaced kernel parameter.
type SystemControl struct {
	// namespace is the kernel parameter, for example net.ipv4.tcp_keepalive_time.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Namespace string `json:"namespace,omitempty"`

	// value is the parameter's value.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// ResourceRequirementType is a kind of accelerator.
// +kubebuilder:validation:Enum=GPU;InferenceAccelerator
type ResourceRequirementType string

// ResourceRequirement assigns GPUs or an inference accelerator to a container.
type ResourceRequirement struct {
	// type is GPU or InferenceAccelerator.
	// +required
	Type ResourceRequirementType `json:"type"`

	// value is the number of GPUs, or the accelerator's device name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Value string `json:"value"`
}

// RepositoryCredentials name the secret that holds a private registry's credentials.
type RepositoryCredentials struct {
	// credentialsParameter is the ARN of the Secrets Manager secret with the credentials.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	CredentialsParameter string `json:"credentialsParameter"`
}

// ContainerRestartPolicy restarts a container in place when it exits.
type ContainerRestartPolicy struct {
	// enabled turns the restart policy on.
	// +required
	Enabled bool `json:"enabled"`

	// ignoredExitCodes are exit codes after which the container is not restarted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	IgnoredExitCodes []int32 `json:"ignoredExitCodes,omitempty"`

	// restartAttemptPeriod is how long, in seconds, a container must run before it may be
	// restarted again (60-1800).
	// +optional
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=1800
	RestartAttemptPeriod *int32 `json:"restartAttemptPeriod,omitempty"`
}

// VersionConsistency says whether an image tag is pinned to its digest for a deployment.
// +kubebuilder:validation:Enum=enabled;disabled
type VersionConsistency string

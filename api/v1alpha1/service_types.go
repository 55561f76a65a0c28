package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SchedulingStrategy is how a Service places its tasks.
// +kubebuilder:validation:Enum=REPLICA;DAEMON
type SchedulingStrategy string

const (
	SchedulingReplica SchedulingStrategy = "REPLICA"
	SchedulingDaemon  SchedulingStrategy = "DAEMON"
)

// DeploymentCircuitBreaker stops a deployment whose tasks keep failing to start.
type DeploymentCircuitBreaker struct {
	// enable turns the circuit breaker on.
	// +required
	Enable bool `json:"enable"`

	// rollback rolls a failed deployment back to the last completed one.
	// +required
	Rollback bool `json:"rollback"`

	// resetOnHealthyTask resets the failure count to 0 whenever one of the deployment's tasks
	// becomes healthy, so only consecutive failures trip the breaker (default true, as in ECS).
	// +optional
	ResetOnHealthyTask *bool `json:"resetOnHealthyTask,omitempty"`

	// thresholdConfiguration sets how many failures trip the breaker (default BOUNDED_PERCENT
	// 50: half the desired count, at least 3 and at most 200).
	// +optional
	ThresholdConfiguration *ThresholdConfiguration `json:"thresholdConfiguration,omitempty"`
}

// ThresholdType is how a circuit breaker threshold's value is read.
// +kubebuilder:validation:Enum=COUNT;BOUNDED_PERCENT;UNBOUNDED_PERCENT
type ThresholdType string

const (
	// ThresholdCount uses the value as the number of failures.
	ThresholdCount ThresholdType = "COUNT"
	// ThresholdBoundedPercent takes value percent of the desired count, at least 3, at most 200.
	ThresholdBoundedPercent ThresholdType = "BOUNDED_PERCENT"
	// ThresholdUnboundedPercent takes value percent of the desired count (at least 1).
	ThresholdUnboundedPercent ThresholdType = "UNBOUNDED_PERCENT"
)

// ThresholdConfiguration is the number of task failures a circuit breaker tolerates.
type ThresholdConfiguration struct {
	// type is COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT.
	// +required
	Type ThresholdType `json:"type"`

	// value is the failure count (COUNT) or the percentage of the desired count.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Value int32 `json:"value"`
}

// DeploymentAlarms are alarms that fail a deployment while it is in progress. An alarm is in
// ALARM state when the Service's annotation ecs.operator.dev/alarms-in-alarm lists its name, or,
// when the operator polls an Alertmanager (--alertmanager-url), while an alert of that alertname
// fires with no namespace label or the Service's namespace.
type DeploymentAlarms struct {
	// alarmNames are the alarms (CloudWatch alarm names in ECS, alert names here).
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=255
	AlarmNames []string `json:"alarmNames"`

	// enable turns the alarms on.
	// +required
	Enable bool `json:"enable"`

	// rollback rolls the deployment an alarm failed back to the last completed one.
	// +required
	Rollback bool `json:"rollback"`
}

// DeploymentConfiguration bounds how many tasks run while a Service rolls out.
// +kubebuilder:validation:XValidation:rule="!has(self.linearConfiguration) || (has(self.strategy) && self.strategy == 'LINEAR')",message="linearConfiguration applies only to strategy LINEAR",fieldPath=".linearConfiguration"
// +kubebuilder:validation:XValidation:rule="!has(self.canaryConfiguration) || (has(self.strategy) && self.strategy == 'CANARY')",message="canaryConfiguration applies only to strategy CANARY",fieldPath=".canaryConfiguration"
// +kubebuilder:validation:XValidation:rule="!has(self.lifecycleHooks) || (has(self.strategy) && self.strategy != 'ROLLING')",message="lifecycleHooks apply only to strategies BLUE_GREEN, LINEAR and CANARY",fieldPath=".lifecycleHooks"
type DeploymentConfiguration struct {
	// maximumPercent is the most tasks, as a percentage of desiredCount rounded down, that may
	// run during a deployment (default 200).
	// +optional
	// +kubebuilder:default=200
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=200
	MaximumPercent *int32 `json:"maximumPercent,omitempty"`

	// minimumHealthyPercent is the fewest healthy tasks, as a percentage of desiredCount rounded
	// up, that must keep running during a deployment (default 100).
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`

	// deploymentCircuitBreaker stops a deployment whose tasks keep failing, and may roll it back.
	// +optional
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`

	// alarms are CloudWatch alarms that fail a deployment.
	// +optional
	Alarms *DeploymentAlarms `json:"alarms,omitempty"`

	// strategy is ROLLING (default), BLUE_GREEN, LINEAR or CANARY.
	// +optional
	Strategy DeploymentStrategy `json:"strategy,omitempty"`

	// bakeTimeInMinutes is how long the old revision (blue) keeps running, ready to take the
	// traffic back, after production traffic moved to the new one (BLUE_GREEN, LINEAR, CANARY);
	// 0 to 1440, 0 when unset.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	BakeTimeInMinutes *int32 `json:"bakeTimeInMinutes,omitempty"`

	// lifecycleHooks run at lifecycle stages of BLUE_GREEN, LINEAR and CANARY deployments.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	LifecycleHooks []DeploymentLifecycleHook `json:"lifecycleHooks,omitempty"`

	// linearConfiguration sets the steps of a LINEAR deployment.
	// +optional
	LinearConfiguration *LinearConfiguration `json:"linearConfiguration,omitempty"`

	// canaryConfiguration sets the canary of a CANARY deployment.
	// +optional
	CanaryConfiguration *CanaryConfiguration `json:"canaryConfiguration,omitempty"`
}

// DeploymentControllerType is who deploys a Service's new task definitions.
// +kubebuilder:validation:Enum=ECS;CODE_DEPLOY;EXTERNAL
type DeploymentControllerType string

const (
	// DeploymentControllerECS is ecs-operator running the deploymentConfiguration's strategy.
	DeploymentControllerECS DeploymentControllerType = "ECS"
	// DeploymentControllerCodeDeploy is a blue/green deployment; ecs-operator runs it itself,
	// driven by the same deploymentConfiguration fields as BLUE_GREEN.
	DeploymentControllerCodeDeploy DeploymentControllerType = "CODE_DEPLOY"
	// DeploymentControllerExternal leaves deployments to another controller.
	DeploymentControllerExternal DeploymentControllerType = "EXTERNAL"
)

// DeploymentController names who deploys a Service's new task definitions.
type DeploymentController struct {
	// type is ECS (ecs-operator runs deploymentConfiguration.strategy), CODE_DEPLOY (a
	// BLUE_GREEN deployment run by ecs-operator) or EXTERNAL.
	// +required
	Type DeploymentControllerType `json:"type"`
}

// PlacementStrategyType is how tasks are spread over instances.
// +kubebuilder:validation:Enum=random;spread;binpack
type PlacementStrategyType string

// PlacementStrategy is a task placement strategy.
// +kubebuilder:validation:XValidation:rule="self.type != 'spread' || has(self.field)",message="a spread strategy needs a field, such as attribute:ecs.availability-zone or instanceId"
// +kubebuilder:validation:XValidation:rule="self.type != 'binpack' || (has(self.field) && self.field in ['cpu', 'memory'])",message="a binpack strategy needs the field cpu or memory"
// +kubebuilder:validation:XValidation:rule="self.type != 'random' || !has(self.field)",message="a random strategy takes no field"
type PlacementStrategy struct {
	// type is random, spread or binpack.
	// +required
	Type PlacementStrategyType `json:"type"`

	// field is what to spread over (instanceId, host, attribute:...) or to binpack on
	// (cpu, memory).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Field string `json:"field,omitempty"`
}

// LoadBalancer attaches a container port of a Service's tasks to a load balancer.
type LoadBalancer struct {
	// targetGroupArn is the target group of an Application or Network Load Balancer.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TargetGroupArn string `json:"targetGroupArn,omitempty"`

	// loadBalancerName is the name of a Classic Load Balancer.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	LoadBalancerName string `json:"loadBalancerName,omitempty"`

	// containerName is the container that receives the traffic.
	// +optional
	ContainerName ContainerName `json:"containerName,omitempty"`

	// containerPort is the container's port that receives the traffic.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
}

// ServiceRegistry registers a Service's tasks in service discovery.
type ServiceRegistry struct {
	// registryArn is the Cloud Map service's ARN.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RegistryArn string `json:"registryArn,omitempty"`

	// port is the port of SRV records, for awsvpc tasks.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`

	// containerName is the container whose port is registered.
	// +optional
	ContainerName ContainerName `json:"containerName,omitempty"`

	// containerPort is the container port that is registered.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
}

// ServiceConnectClientAlias is a name and port that clients use to reach a Service Connect
// service.
type ServiceConnectClientAlias struct {
	// port is the port clients connect to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// dnsName is the name clients connect to; it defaults to the discovery name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	DNSName string `json:"dnsName,omitempty"`
}

// TimeoutConfiguration are the Service Connect proxy's timeouts.
type TimeoutConfiguration struct {
	// idleTimeoutSeconds is how long a connection may stay idle.
	// +optional
	// +kubebuilder:validation:Minimum=0
	IdleTimeoutSeconds *int32 `json:"idleTimeoutSeconds,omitempty"`

	// perRequestTimeoutSeconds is how long one request may take.
	// +optional
	// +kubebuilder:validation:Minimum=0
	PerRequestTimeoutSeconds *int32 `json:"perRequestTimeoutSeconds,omitempty"`
}

// ServiceConnectService is one port of the Service published through Service Connect.
type ServiceConnectService struct {
	// portName is the name of a portMapping of the task definition.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	PortName string `json:"portName"`

	// discoveryName is the name the port is published under; it defaults to portName.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	DiscoveryName string `json:"discoveryName,omitempty"`

	// clientAliases are the names and ports clients use.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	ClientAliases []ServiceConnectClientAlias `json:"clientAliases,omitempty"`

	// ingressPortOverride is the port the proxy listens on.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	IngressPortOverride *int32 `json:"ingressPortOverride,omitempty"`

	// timeout are the proxy's timeouts.
	// +optional
	Timeout *TimeoutConfiguration `json:"timeout,omitempty"`
}

// ServiceConnectConfiguration publishes and consumes Services by name within the cluster.
type ServiceConnectConfiguration struct {
	// enabled turns Service Connect on.
	// +required
	Enabled bool `json:"enabled"`

	// namespace is the Service Connect namespace; it defaults to the Cluster's.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Namespace string `json:"namespace,omitempty"`

	// services are the ports published.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Services []ServiceConnectService `json:"services,omitempty"`

	// logConfiguration is the proxy's log configuration.
	// +optional
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`
}

// ScalingMetric is a predefined ECS service metric that target tracking follows.
// +kubebuilder:validation:Enum=ECSServiceAverageCPUUtilization;ECSServiceAverageMemoryUtilization
type ScalingMetric string

// TargetTrackingPolicy keeps a metric of a Service near a target by scaling desiredCount.
type TargetTrackingPolicy struct {
	// predefinedMetricType is ECSServiceAverageCPUUtilization or
	// ECSServiceAverageMemoryUtilization.
	// +required
	PredefinedMetricType ScalingMetric `json:"predefinedMetricType"`

	// targetValue is the target utilization in percent.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	TargetValue int32 `json:"targetValue"`

	// scaleInCooldown is how long, in seconds, to wait after a scale-in before the next.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	ScaleInCooldown *int32 `json:"scaleInCooldown,omitempty"`

	// scaleOutCooldown is how long, in seconds, to wait after a scale-out before the next.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	ScaleOutCooldown *int32 `json:"scaleOutCooldown,omitempty"`

	// disableScaleIn keeps the policy from removing tasks.
	// +optional
	DisableScaleIn *bool `json:"disableScaleIn,omitempty"`
}

// AutoScaling scales a Service's desiredCount (Application Auto Scaling, as ECS uses it).
// +kubebuilder:validation:XValidation:rule="self.minCapacity <= self.maxCapacity",message="minCapacity cannot exceed maxCapacity",fieldPath=".minCapacity"
// +kubebuilder:validation:XValidation:rule="self.targetTrackingPolicies.all(p, self.targetTrackingPolicies.exists_one(q, q.predefinedMetricType == p.predefinedMetricType))",message="one target tracking policy per metric",fieldPath=".targetTrackingPolicies"
type AutoScaling struct {
	// minCapacity is the fewest tasks.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=5000
	MinCapacity int32 `json:"minCapacity"`

	// maxCapacity is the most tasks.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5000
	MaxCapacity int32 `json:"maxCapacity"`

	// targetTrackingPolicies are the metrics to track.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	TargetTrackingPolicies []TargetTrackingPolicy `json:"targetTrackingPolicies"`
}

// RevisionPolicy is what a Service naming a task definition family runs.
// +kubebuilder:validation:Enum=Latest;Pinned
type RevisionPolicy string

// Revision policies.
const (
	RevisionPolicyLatest RevisionPolicy = "Latest"
	RevisionPolicyPinned RevisionPolicy = "Pinned"
)

// ServiceSpec is ECS's CreateService input without the cluster: the namespace is the cluster.
// +kubebuilder:validation:XValidation:rule="!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.desiredCount)",message="a DAEMON service runs one task per instance and takes no desiredCount",fieldPath=".desiredCount"
// +kubebuilder:validation:XValidation:rule="!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.autoScaling)",message="a DAEMON service cannot be auto scaled",fieldPath=".autoScaling"
// +kubebuilder:validation:XValidation:rule="(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.maximumPercent) || self.deploymentConfiguration.maximumPercent >= 100",message="maximumPercent must be at least 100 for a REPLICA service",fieldPath=".deploymentConfiguration.maximumPercent"
// +kubebuilder:validation:XValidation:rule="!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.strategy) || self.deploymentConfiguration.strategy == 'ROLLING'",message="a DAEMON service deploys with the ROLLING strategy only",fieldPath=".deploymentConfiguration.strategy"
// +kubebuilder:validation:XValidation:rule="!(has(self.schedulingStrategy) && self.schedulingStrategy == 'DAEMON') || !has(self.placementStrategy)",message="a DAEMON service takes no placementStrategy",fieldPath=".placementStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.launchType) || !has(self.capacityProviderStrategy)",message="launchType and capacityProviderStrategy cannot both be set",fieldPath=".capacityProviderStrategy"
// +kubebuilder:validation:XValidation:rule="!has(self.autoScaling) || !has(self.desiredCount) || (self.desiredCount >= self.autoScaling.minCapacity && self.desiredCount <= self.autoScaling.maxCapacity)",message="desiredCount must be within autoScaling minCapacity and maxCapacity",fieldPath=".desiredCount"
// +kubebuilder:validation:XValidation:rule="has(self.taskDefinition) || (has(self.deploymentController) && self.deploymentController.type == 'EXTERNAL')",message="taskDefinition is required, unless the deploymentController is EXTERNAL (its task sets name theirs)",fieldPath=".taskDefinition"
// +kubebuilder:validation:XValidation:rule="!has(self.primaryTaskSet) || (has(self.deploymentController) && self.deploymentController.type == 'EXTERNAL')",message="primaryTaskSet applies only to a Service whose deploymentController is EXTERNAL",fieldPath=".primaryTaskSet"
type ServiceSpec struct {
	// taskDefinition is the task definition the Service runs: "family" (its latest revision,
	// followed as new revisions appear unless revisionPolicy is Pinned) or "family:revision".
	// Required unless deploymentController is EXTERNAL, whose task sets name their own.
	// +optional
	TaskDefinition TaskDefinitionReference `json:"taskDefinition,omitempty"`

	// primaryTaskSet names the TaskSet (of this Service, in its namespace) that the Service's
	// production traffic goes to, as ECS's UpdateServicePrimaryTaskSet sets it; EXTERNAL only.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PrimaryTaskSet string `json:"primaryTaskSet,omitempty"`

	// revisionPolicy says what a Service naming a family runs. Latest (the default, for GitOps)
	// rolls out every new revision of the family as it is registered. Pinned resolves the family
	// to its latest revision when the Service's spec changes and keeps that revision until the
	// spec changes again, as ECS resolves a family in CreateService and UpdateService.
	// +optional
	// +kubebuilder:default=Latest
	RevisionPolicy RevisionPolicy `json:"revisionPolicy,omitempty"`

	// desiredCount is the number of tasks to keep running. A DAEMON service takes none.
	// +optional
	// +kubebuilder:validation:Minimum=0
	DesiredCount *int32 `json:"desiredCount,omitempty"`

	// launchType is EC2, FARGATE or EXTERNAL; it excludes capacityProviderStrategy.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`

	// capacityProviderStrategy spreads tasks over the Cluster's capacity providers.
	// +optional
	CapacityProviderStrategy CapacityProviderStrategy `json:"capacityProviderStrategy,omitempty"`

	// schedulingStrategy is REPLICA (desiredCount tasks) or DAEMON (one task per instance).
	// +optional
	// +kubebuilder:default=REPLICA
	SchedulingStrategy SchedulingStrategy `json:"schedulingStrategy,omitempty"`

	// deploymentConfiguration bounds how many tasks run during a deployment.
	// +optional
	// +kubebuilder:default={}
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`

	// deploymentController says who deploys new task definitions (ECS by default).
	// +optional
	DeploymentController *DeploymentController `json:"deploymentController,omitempty"`

	// placementConstraints restrict where tasks run.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`

	// placementStrategy says how tasks are spread over instances.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`

	// loadBalancers attach container ports to load balancers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`

	// serviceRegistries register the tasks in service discovery.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1
	ServiceRegistries []ServiceRegistry `json:"serviceRegistries,omitempty"`

	// serviceConnectConfiguration publishes the Service's ports by name in the cluster.
	// +optional
	ServiceConnectConfiguration *ServiceConnectConfiguration `json:"serviceConnectConfiguration,omitempty"`

	// networkConfiguration is the VPC networking of awsvpc tasks.
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`

	// healthCheckGracePeriodSeconds is how long failing health checks are ignored after a task
	// starts.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2147483647
	HealthCheckGracePeriodSeconds *int32 `json:"healthCheckGracePeriodSeconds,omitempty"`

	// enableExecuteCommand allows exec into the Service's tasks.
	// +optional
	EnableExecuteCommand *bool `json:"enableExecuteCommand,omitempty"`

	// enableECSManagedTags adds ECS's own tags to the tasks.
	// +optional
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`

	// propagateTags copies tags from the task definition or the Service to the tasks.
	// +optional
	PropagateTags PropagateTags `json:"propagateTags,omitempty"`

	// tags are the Service's tags.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`

	// platformVersion is the Fargate platform version; recorded.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PlatformVersion string `json:"platformVersion,omitempty"`

	// platformFamily is the Fargate platform family; recorded.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PlatformFamily string `json:"platformFamily,omitempty"`

	// role is the IAM role of a Service with a Classic Load Balancer; recorded.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Role string `json:"role,omitempty"`

	// availabilityZoneRebalancing keeps a REPLICA service's tasks balanced over the availability
	// zones: each new task goes to the zone with the fewest (ENABLED when unset, as ECS's
	// CreateService defaults it; a DAEMON service runs on every node and is not rebalanced).
	// +optional
	AvailabilityZoneRebalancing EnabledDisabled `json:"availabilityZoneRebalancing,omitempty"`

	// autoScaling scales desiredCount with target tracking policies. Not part of CreateService:
	// ECS keeps it in Application Auto Scaling.
	// +optional
	AutoScaling *AutoScaling `json:"autoScaling,omitempty"`
}

// ServiceStatusValue is an ECS service's status.
// +kubebuilder:validation:Enum=ACTIVE;DRAINING;INACTIVE
type ServiceStatusValue string

const (
	ServiceActive   ServiceStatusValue = "ACTIVE"
	ServiceDraining ServiceStatusValue = "DRAINING"
	ServiceInactive ServiceStatusValue = "INACTIVE"
)

// DeploymentStatus is a deployment's place in a Service: PRIMARY is the newest, ACTIVE ones
// are being replaced, INACTIVE ones are done.
// +kubebuilder:validation:Enum=PRIMARY;ACTIVE;INACTIVE
type DeploymentStatus string

const (
	DeploymentPrimary  DeploymentStatus = "PRIMARY"
	DeploymentActive   DeploymentStatus = "ACTIVE"
	DeploymentInactive DeploymentStatus = "INACTIVE"
)

// RolloutState is how a deployment's rollout is going.
// +kubebuilder:validation:Enum=IN_PROGRESS;COMPLETED;FAILED
type RolloutState string

const (
	RolloutInProgress RolloutState = "IN_PROGRESS"
	RolloutCompleted  RolloutState = "COMPLETED"
	RolloutFailed     RolloutState = "FAILED"
)

// Deployment is one task definition revision being run by a Service, as DescribeServices
// reports it.
type Deployment struct {
	// id identifies the deployment.
	// +required
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`

	// status is PRIMARY, ACTIVE or INACTIVE.
	// +required
	Status DeploymentStatus `json:"status"`

	// taskDefinition is the revision the deployment runs, "family:revision".
	// +required
	// +kubebuilder:validation:MaxLength=512
	TaskDefinition string `json:"taskDefinition"`

	// desiredCount is the number of tasks the deployment wants.
	// +optional
	DesiredCount int32 `json:"desiredCount"`

	// pendingCount is the number of the deployment's tasks not yet running.
	// +optional
	PendingCount int32 `json:"pendingCount"`

	// runningCount is the number of the deployment's tasks running.
	// +optional
	RunningCount int32 `json:"runningCount"`

	// failedTasks is the number of the deployment's tasks that failed to start or keep running.
	// +optional
	FailedTasks int32 `json:"failedTasks"`

	// circuitBreaker is the deployment circuit breaker's state, when it is on.
	// +optional
	CircuitBreaker *ServiceDeploymentCircuitBreaker `json:"circuitBreaker,omitempty"`

	// rolloutState is IN_PROGRESS, COMPLETED or FAILED.
	// +optional
	RolloutState RolloutState `json:"rolloutState,omitempty"`

	// rolloutStateReason says why the rollout is in its state.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`

	// lifecycleStage is the stage a BLUE_GREEN, LINEAR or CANARY deployment is at.
	// +optional
	LifecycleStage LifecycleStage `json:"lifecycleStage,omitempty"`

	// lifecycleStageStartedAt is when the deployment entered its lifecycleStage.
	// +optional
	LifecycleStageStartedAt *metav1.Time `json:"lifecycleStageStartedAt,omitempty"`

	// productionTrafficWeight is the percentage of production traffic the deployment's tasks
	// receive (BLUE_GREEN, LINEAR, CANARY): set by Service selectors, so by task counts while
	// LINEAR and CANARY shift.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	ProductionTrafficWeight *int32 `json:"productionTrafficWeight,omitempty"`

	// createdAt is when the deployment started.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// updatedAt is when the deployment last changed.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// CircuitBreakerStatus is what the circuit breaker is doing with a deployment.
// +kubebuilder:validation:Enum=TRIGGERED;MONITORING;MONITORING_COMPLETE;DISABLED
type CircuitBreakerStatus string

const (
	CircuitBreakerTriggered          CircuitBreakerStatus = "TRIGGERED"
	CircuitBreakerMonitoring         CircuitBreakerStatus = "MONITORING"
	CircuitBreakerMonitoringComplete CircuitBreakerStatus = "MONITORING_COMPLETE"
	CircuitBreakerDisabled           CircuitBreakerStatus = "DISABLED"
)

// ServiceDeploymentCircuitBreaker is a deployment's circuit breaker, as ECS's
// DescribeServiceDeployments reports it.
type ServiceDeploymentCircuitBreaker struct {
	// failureCount is the failures counted towards the threshold: consecutive failures when
	// resetOnHealthyTask is on.
	// +optional
	FailureCount int32 `json:"failureCount"`

	// status is MONITORING while the deployment runs, TRIGGERED once it failed it and
	// MONITORING_COMPLETE once the deployment completed.
	// +optional
	Status CircuitBreakerStatus `json:"status,omitempty"`

	// threshold is the failure count that fails the deployment.
	// +optional
	Threshold int32 `json:"threshold"`
}

// ServiceEvent is a service event, as ECS writes them ("(service web) has reached a steady
// state.").
type ServiceEvent struct {
	// id identifies the event.
	// +required
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`

	// createdAt is when the event happened.
	// +required
	CreatedAt metav1.Time `json:"createdAt"`

	// message is the event's text.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	Message string `json:"message"`
}

// ServiceStatus is the observed state of a Service, like DescribeServices.
type ServiceStatus struct {
	// conditions are Ready (steady state), Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// status is ACTIVE, DRAINING or INACTIVE.
	// +optional
	Status ServiceStatusValue `json:"status,omitempty"`

	// desiredCount is the number of tasks the Service wants.
	// +optional
	DesiredCount int32 `json:"desiredCount"`

	// runningCount is the number of the Service's tasks running and available.
	// +optional
	RunningCount int32 `json:"runningCount"`

	// pendingCount is the number of the Service's tasks not yet running.
	// +optional
	PendingCount int32 `json:"pendingCount"`

	// taskDefinition is the revision of the PRIMARY deployment, "family:revision".
	// +optional
	// +kubebuilder:validation:MaxLength=512
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// deployments are the Service's deployments, PRIMARY first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Deployments []Deployment `json:"deployments,omitempty"`

	// taskSets are the task sets of an EXTERNAL Service, PRIMARY first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	TaskSets []ServiceTaskSet `json:"taskSets,omitempty"`

	// events are the Service's events, newest first, at most 100.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Events []ServiceEvent `json:"events,omitempty"`

	// selector is the label selector of the Service's tasks, for the scale subresource.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`
}

// ServiceTaskSet is one task set of an EXTERNAL Service, as DescribeServices lists it.
type ServiceTaskSet struct {
	// name is the TaskSet's name.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// id is the task set's ID.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id,omitempty"`

	// status is PRIMARY, ACTIVE or DRAINING.
	// +optional
	Status TaskSetStatusValue `json:"status,omitempty"`

	// taskDefinition is the revision the task set runs.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	TaskDefinition string `json:"taskDefinition,omitempty"`

	// computedDesiredCount, runningCount and pendingCount are the task set's counts.
	// +optional
	ComputedDesiredCount int32 `json:"computedDesiredCount"`
	// +optional
	RunningCount int32 `json:"runningCount"`
	// +optional
	PendingCount int32 `json:"pendingCount"`

	// stabilityStatus is STEADY_STATE or STABILIZING.
	// +optional
	StabilityStatus StabilityStatus `json:"stabilityStatus,omitempty"`
}

// Service runs and maintains desiredCount tasks of a task definition, as an ECS service does.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.desiredCount,statuspath=.status.runningCount,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ecssvc,categories=ecs
// +kubebuilder:printcolumn:name="Task Definition",type=string,JSONPath=`.status.taskDefinition`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingCount`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Service struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the service, as ECS's CreateService takes it.
	// +required
	Spec ServiceSpec `json:"spec"`

	// status is the service's counts, deployments and events.
	// +optional
	Status ServiceStatus `json:"status,omitempty"`
}

// ServiceList is a list of Services.
// +kubebuilder:object:root=true
type ServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Service `json:"items"`
}

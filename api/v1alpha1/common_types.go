package v1alpha1

// KeyValuePair is an ECS name/value pair, used for environment variables and proxy properties.
type KeyValuePair struct {
	// name is the name of the pair, for example the environment variable's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Name string `json:"name"`

	// value is the value of the pair.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Value string `json:"value,omitempty"`
}

// Tag is an ECS resource tag.
type Tag struct {
	// key is the tag's key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Key string `json:"key"`

	// value is the tag's value.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// LaunchType is where ECS runs a task when no capacity provider strategy is given.
// +kubebuilder:validation:Enum=EC2;FARGATE;EXTERNAL
type LaunchType string

const (
	LaunchTypeEC2      LaunchType = "EC2"
	LaunchTypeFargate  LaunchType = "FARGATE"
	LaunchTypeExternal LaunchType = "EXTERNAL"
)

// CapacityProviderStrategyItem places a share of a service's or task's tasks on one capacity
// provider of the Cluster: the first `base` tasks, then `weight` relative to the other items.
type CapacityProviderStrategyItem struct {
	// capacityProvider is the name of one of the Cluster's capacityProviders.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	CapacityProvider string `json:"capacityProvider"`

	// base is the number of tasks, at least, that run on this capacity provider. Only one item
	// of a strategy may set a base.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	Base *int32 `json:"base,omitempty"`

	// weight is this provider's relative share of the tasks beyond the base.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight *int32 `json:"weight,omitempty"`
}

// CapacityProviderStrategy is an ordered list of capacity providers with their base and weight.
// +kubebuilder:validation:MaxItems=20
// +kubebuilder:validation:XValidation:rule="self.filter(i, has(i.base) && i.base > 0).size() <= 1",message="only one capacity provider in a strategy can have a base"
// +kubebuilder:validation:XValidation:rule="self.all(i, self.exists_one(j, j.capacityProvider == i.capacityProvider))",message="a capacity provider may appear only once in a strategy"
type CapacityProviderStrategy []CapacityProviderStrategyItem

// PlacementConstraintType is the kind of an ECS placement constraint.
// +kubebuilder:validation:Enum=distinctInstance;memberOf
type PlacementConstraintType string

const (
	PlacementConstraintDistinctInstance PlacementConstraintType = "distinctInstance"
	PlacementConstraintMemberOf         PlacementConstraintType = "memberOf"
)

// PlacementConstraint restricts where tasks run: memberOf with an expression in the ECS cluster
// query language, or distinctInstance (every task on a different instance).
// +kubebuilder:validation:XValidation:rule="self.type != 'memberOf' || (has(self.expression) && size(self.expression) > 0)",message="a memberOf constraint needs an expression"
// +kubebuilder:validation:XValidation:rule="self.type != 'distinctInstance' || !has(self.expression)",message="a distinctInstance constraint takes no expression"
type PlacementConstraint struct {
	// type is distinctInstance or memberOf.
	// +required
	Type PlacementConstraintType `json:"type"`

	// expression is the cluster query language expression of a memberOf constraint, for
	// example "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]".
	// +optional
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression,omitempty"`
}

// TaskDefinitionPlacementConstraintType is the only placement constraint a task definition
// may carry.
// +kubebuilder:validation:Enum=memberOf
type TaskDefinitionPlacementConstraintType string

// TaskDefinitionPlacementConstraint is a memberOf constraint carried by a task definition.
type TaskDefinitionPlacementConstraint struct {
	// type is memberOf, the only kind a task definition may carry.
	// +required
	Type TaskDefinitionPlacementConstraintType `json:"type"`

	// expression is the cluster query language expression that instances must match.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression"`
}

// AssignPublicIP says whether a task's network interface gets a public IP address.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type AssignPublicIP string

// AwsVpcConfiguration is the VPC networking of an awsvpc task. On Kubernetes the subnets and
// security groups are recorded and passed on to the Pods as annotations.
type AwsVpcConfiguration struct {
	// subnets are the IDs of the subnets the task may use.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=255
	Subnets []string `json:"subnets,omitempty"`

	// securityGroups are the IDs of the security groups of the task.
	// +optional
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MaxLength=255
	SecurityGroups []string `json:"securityGroups,omitempty"`

	// assignPublicIp is ENABLED or DISABLED.
	// +optional
	AssignPublicIP AssignPublicIP `json:"assignPublicIp,omitempty"`
}

// NetworkConfiguration is the network of a service's or task's awsvpc tasks.
type NetworkConfiguration struct {
	// awsvpcConfiguration holds the subnets and security groups.
	// +optional
	AwsVpcConfiguration *AwsVpcConfiguration `json:"awsvpcConfiguration,omitempty"`
}

// PropagateTags says where a task's tags are copied from.
// +kubebuilder:validation:Enum=TASK_DEFINITION;SERVICE;NONE
type PropagateTags string

// TaskDefinitionReference names a task definition revision: "family" (the latest revision),
// "family:revision", either form prefixed with "namespace/" for a task definition in another
// cluster of the same tenant, or an ECS task definition ARN (its family and revision are used).
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=512
// +kubebuilder:validation:Pattern=`^(arn:aws[a-zA-Z-]*:ecs:[a-z0-9-]*:[0-9]{0,12}:task-definition/|[a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-zA-Z0-9_-]{1,255}(:[1-9][0-9]{0,9})?$`
type TaskDefinitionReference string

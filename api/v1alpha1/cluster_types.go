package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TenantName is a tenant's name: a DNS label, used in Cluster, namespace and label values.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
type TenantName string

// CapacityProviderType is the kind of capacity a capacity provider brings.
// +kubebuilder:validation:Enum=EC2;FARGATE;FARGATE_SPOT
type CapacityProviderType string

const (
	CapacityProviderEC2         CapacityProviderType = "EC2"
	CapacityProviderFargate     CapacityProviderType = "FARGATE"
	CapacityProviderFargateSpot CapacityProviderType = "FARGATE_SPOT"
)

// CapacityProvider is a pool of nodes a Cluster's tasks can run on.
type CapacityProvider struct {
	// name is the capacity provider's name, used in capacity provider strategies.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+$`
	Name string `json:"name"`

	// type is EC2 (nodes dedicated to the tenant), FARGATE or FARGATE_SPOT (a shared
	// serverless pool).
	// +required
	Type CapacityProviderType `json:"type"`

	// nodeSelector selects the provider's nodes.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// tolerations let the tasks run on the provider's tainted nodes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// runtimeClassName is the RuntimeClass of the provider's tasks.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RuntimeClassName string `json:"runtimeClassName,omitempty"`

	// nodeClassName names the Karpenter EC2NodeClass for an EC2 provider's nodes. When it is
	// set and Karpenter is installed, the Cluster owns a NodePool that makes nodes dedicated to
	// its tenant (labelled and tainted ecs.operator.dev/tenant=<tenant>).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	NodeClassName string `json:"nodeClassName,omitempty"`
}

// ClusterQuota bounds what one Cluster may use.
type ClusterQuota struct {
	// cpu is the total cpu the Cluster's tasks may request.
	// +optional
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory is the total memory the Cluster's tasks may request.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty"`

	// maxTasks is the most tasks the Cluster may run.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxTasks *int32 `json:"maxTasks,omitempty"`

	// maxServices is the most Services the Cluster may hold.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxServices *int32 `json:"maxServices,omitempty"`

	// maxTasksPerService is the highest desiredCount of one Service (ECS's quota: 5000).
	// +optional
	// +kubebuilder:default=5000
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5000
	MaxTasksPerService *int32 `json:"maxTasksPerService,omitempty"`
}

// ClusterSettingName is the name of a cluster setting; ECS has containerInsights.
// +kubebuilder:validation:Enum=containerInsights
type ClusterSettingName string

// ClusterSetting is an ECS cluster setting.
type ClusterSetting struct {
	// name is containerInsights.
	// +required
	Name ClusterSettingName `json:"name"`

	// value is enabled, enhanced or disabled.
	// +required
	// +kubebuilder:validation:Enum=enabled;enhanced;disabled
	Value string `json:"value"`
}

// ServiceConnectDefaults are the Service Connect defaults of a Cluster.
type ServiceConnectDefaults struct {
	// namespace is the default Service Connect namespace of the Cluster's Services.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Namespace string `json:"namespace,omitempty"`
}

// PodSecurityLevel is a Pod Security Standards level.
// +kubebuilder:validation:Enum=restricted;baseline;privileged
type PodSecurityLevel string

const (
	PodSecurityRestricted PodSecurityLevel = "restricted"
	PodSecurityBaseline   PodSecurityLevel = "baseline"
	PodSecurityPrivileged PodSecurityLevel = "privileged"
)

// ClusterSettings are the fields of a Cluster that a CellGroup's clusterTemplate also carries.
// +kubebuilder:validation:XValidation:rule="!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, has(self.capacityProviders) && self.capacityProviders.exists(p, p.name == s.capacityProvider))",message="defaultCapacityProviderStrategy must name capacity providers of the cluster",fieldPath=".defaultCapacityProviderStrategy"
type ClusterSettings struct {
	// capacityProviders are the pools of nodes the Cluster's tasks can run on.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	CapacityProviders []CapacityProvider `json:"capacityProviders,omitempty"`

	// defaultCapacityProviderStrategy places Services and Tasks that name neither a launch type
	// nor a strategy.
	// +optional
	DefaultCapacityProviderStrategy CapacityProviderStrategy `json:"defaultCapacityProviderStrategy,omitempty"`

	// quota bounds what the Cluster may use.
	// +optional
	// +kubebuilder:default={}
	Quota *ClusterQuota `json:"quota,omitempty"`

	// settings are ECS cluster settings such as containerInsights.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=4
	Settings []ClusterSetting `json:"settings,omitempty"`

	// serviceConnectDefaults are the Cluster's Service Connect defaults.
	// +optional
	ServiceConnectDefaults *ServiceConnectDefaults `json:"serviceConnectDefaults,omitempty"`

	// podSecurity is the Pod Security Standards level enforced in the Cluster's namespace.
	// +optional
	// +kubebuilder:default=restricted
	PodSecurity PodSecurityLevel `json:"podSecurity,omitempty"`
}

// ClusterSpec is one tenant's ECS cluster.
// +kubebuilder:validation:XValidation:rule="has(self.cellGroup) == has(oldSelf.cellGroup) && (!has(self.cellGroup) || self.cellGroup == oldSelf.cellGroup)",message="cellGroup is immutable",fieldPath=".cellGroup"
// +kubebuilder:validation:XValidation:rule="has(self.__namespace__) == has(oldSelf.__namespace__) && (!has(self.__namespace__) || self.__namespace__ == oldSelf.__namespace__)",message="namespace is immutable",fieldPath=".namespace"
type ClusterSpec struct {
	// tenant is the one tenant whose workloads this Cluster runs. It cannot change.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="tenant is immutable"
	Tenant TenantName `json:"tenant"`

	// cellGroup is the CellGroup the Cluster belongs to, if any. It cannot change.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	CellGroup string `json:"cellGroup,omitempty"`

	// namespace is the namespace holding the Cluster's TaskDefinitions, Services and Tasks.
	// It defaults to the Cluster's name and cannot change.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`

	ClusterSettings `json:",inline"`
}

// ClusterStatusValue is an ECS cluster's status.
// +kubebuilder:validation:Enum=PROVISIONING;ACTIVE;DEPROVISIONING;INACTIVE;FAILED
type ClusterStatusValue string

const (
	ClusterProvisioning   ClusterStatusValue = "PROVISIONING"
	ClusterActive         ClusterStatusValue = "ACTIVE"
	ClusterDeprovisioning ClusterStatusValue = "DEPROVISIONING"
	ClusterInactive       ClusterStatusValue = "INACTIVE"
	ClusterFailed         ClusterStatusValue = "FAILED"
)

// ClusterStatus is the observed state of a Cluster.
type ClusterStatus struct {
	// conditions are Ready, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// status is PROVISIONING, ACTIVE, DEPROVISIONING, INACTIVE or FAILED.
	// +optional
	Status ClusterStatusValue `json:"status,omitempty"`

	// namespace is the namespace of the Cluster's workloads.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// activeServicesCount is the number of the Cluster's Services that are ACTIVE.
	// +optional
	ActiveServicesCount int32 `json:"activeServicesCount"`

	// runningTasksCount is the number of the Cluster's tasks that are RUNNING.
	// +optional
	RunningTasksCount int32 `json:"runningTasksCount"`

	// pendingTasksCount is the number of the Cluster's tasks that are PENDING.
	// +optional
	PendingTasksCount int32 `json:"pendingTasksCount"`
}

// Cluster is one tenant's ECS cluster, backed by its own namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ecsc,categories=ecs
// +kubebuilder:printcolumn:name="Tenant",type=string,JSONPath=`.spec.tenant`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.status.namespace`
// +kubebuilder:printcolumn:name="Services",type=integer,JSONPath=`.status.activeServicesCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningTasksCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingTasksCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.__namespace__) || (size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))",message="a Cluster whose name is not a namespace name (a DNS label of at most 63 characters) needs spec.namespace",fieldPath=".spec.namespace"
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the Cluster's tenant, capacity and limits.
	// +required
	Spec ClusterSpec `json:"spec"`

	// status is the Cluster's ECS status and counts.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

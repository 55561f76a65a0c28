package v1alpha1

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Tenant is a tenant of a CellGroup; it gets one Cluster in the group.
type Tenant struct {
	// name is the tenant's name, a DNS label.
	// +required
	Name TenantName `json:"name"`

	// owners are the users, groups and service accounts allowed to manage the tenant's Cluster.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Owners []rbacv1.Subject `json:"owners,omitempty"`
}

// TenantDeletionPolicy says what happens to a tenant's Cluster when the tenant is removed from
// its CellGroup.
// +kubebuilder:validation:Enum=Retain;Delete
type TenantDeletionPolicy string

const (
	TenantDeletionRetain TenantDeletionPolicy = "Retain"
	TenantDeletionDelete TenantDeletionPolicy = "Delete"
)

// CellGroupSpec is an infra group of a cell of a tier: up to maxClusters single-tenant Clusters.
// +kubebuilder:validation:XValidation:rule="self.maxClustersPerTenant <= self.maxClusters",message="maxClustersPerTenant cannot exceed maxClusters",fieldPath=".maxClustersPerTenant"
// +kubebuilder:validation:XValidation:rule="!has(self.tenants) || size(self.tenants) <= self.maxClusters",message="a CellGroup cannot hold more tenants than maxClusters",fieldPath=".tenants"
// +kubebuilder:validation:XValidation:rule="!has(self.tenants) || self.tenants.all(t, 16 + (self.tier >= 1000 ? 4 : self.tier >= 100 ? 3 : self.tier >= 10 ? 2 : 1) + (self.cell >= 1000 ? 4 : self.cell >= 100 ? 3 : self.cell >= 10 ? 2 : 1) + (self.infraGroup >= 1000 ? 4 : self.infraGroup >= 100 ? 3 : self.infraGroup >= 10 ? 2 : 1) + size(t.name) <= 63)",message="a tenant name is too long: the Cluster name tier-<tier>-cell-<cell>-ig-<infraGroup>-<tenant> must fit in 63 characters",fieldPath=".tenants"
// +kubebuilder:validation:XValidation:rule="self.tier == oldSelf.tier && self.cell == oldSelf.cell && self.infraGroup == oldSelf.infraGroup",message="tier, cell and infraGroup are immutable: they name the group's Clusters"
type CellGroupSpec struct {
	// tier is the tier the group belongs to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999
	Tier int32 `json:"tier"`

	// cell is the cell of the tier the group belongs to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999
	Cell int32 `json:"cell"`

	// infraGroup is the group's number within the cell.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999
	InfraGroup int32 `json:"infraGroup"`

	// maxClusters is the most Clusters the group holds (100, the target groups of one load
	// balancer).
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxClusters int32 `json:"maxClusters,omitempty"`

	// maxClustersPerTenant is the most Clusters one tenant may have, counted across all groups.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxClustersPerTenant int32 `json:"maxClustersPerTenant,omitempty"`

	// tenants are the group's tenants; each gets the Cluster
	// tier-<tier>-cell-<cell>-ig-<infraGroup>-<tenant>.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	Tenants []Tenant `json:"tenants,omitempty"`

	// tenantDeletionPolicy says whether removing a tenant deletes its Cluster (Delete) or
	// leaves it (Retain, the default).
	// +optional
	// +kubebuilder:default=Retain
	TenantDeletionPolicy TenantDeletionPolicy `json:"tenantDeletionPolicy,omitempty"`

	// clusterTemplate holds the Cluster fields the group's Clusters inherit.
	// +optional
	ClusterTemplate ClusterSettings `json:"clusterTemplate,omitempty"`

	// ingress is the group's one entry point: like one load balancer per infra group with a
	// rule per tenant, every tenant Service that declares a load balancer is reachable at
	// /<tenant>/ behind one load balancer shared by the group.
	// +optional
	Ingress *CellGroupIngress `json:"ingress,omitempty"`
}

// CellGroupIngress configures the group's shared entry point.
type CellGroupIngress struct {
	// className is the IngressClass of the tenants' Ingresses (default alb, the AWS Load
	// Balancer Controller, whose IngressGroup merges them into one load balancer).
	// +optional
	// +kubebuilder:default=alb
	// +kubebuilder:validation:MaxLength=253
	ClassName string `json:"className,omitempty"`

	// host is the host name the group answers on; empty answers on any.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host,omitempty"`

	// annotations are added to every tenant Ingress (scheme, certificates, ...).
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Annotations map[string]string `json:"annotations,omitempty"`

	// gateway, when set and the Gateway API is installed, attaches an HTTPRoute per tenant to
	// this Gateway instead of writing Ingresses.
	// +optional
	Gateway *GatewayReference `json:"gateway,omitempty"`
}

// GatewayReference names a Gateway API Gateway.
type GatewayReference struct {
	// name is the Gateway's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace is the Gateway's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
}

// CellGroupCluster is one Cluster of a CellGroup.
type CellGroupCluster struct {
	// name is the Cluster's name.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// tenant is the Cluster's tenant.
	// +required
	Tenant TenantName `json:"tenant"`

	// status is the Cluster's ECS status.
	// +optional
	Status ClusterStatusValue `json:"status,omitempty"`
}

// CellGroupStatus is the observed state of a CellGroup.
type CellGroupStatus struct {
	// conditions are Ready, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// clusters are the group's Clusters.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	Clusters []CellGroupCluster `json:"clusters,omitempty"`

	// clusterCount is the number of Clusters in the group, against spec.maxClusters.
	// +optional
	ClusterCount int32 `json:"clusterCount,omitempty"`

	// tenantCount is the number of tenants of the group.
	// +optional
	TenantCount int32 `json:"tenantCount,omitempty"`
}

// CellGroup is an infra group of a cell of a tier, holding single-tenant Clusters.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cg,categories=ecs
// +kubebuilder:printcolumn:name="Tier",type=integer,JSONPath=`.spec.tier`
// +kubebuilder:printcolumn:name="Cell",type=integer,JSONPath=`.spec.cell`
// +kubebuilder:printcolumn:name="IG",type=integer,JSONPath=`.spec.infraGroup`
// +kubebuilder:printcolumn:name="Tenants",type=integer,JSONPath=`.status.tenantCount`
// +kubebuilder:printcolumn:name="Clusters",type=integer,JSONPath=`.status.clusterCount`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.maxClusters`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CellGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the group's place in the fleet, its tenants and its Cluster template.
	// +required
	Spec CellGroupSpec `json:"spec"`

	// status lists the group's Clusters and counts them against the caps.
	// +optional
	Status CellGroupStatus `json:"status,omitempty"`
}

// CellGroupList is a list of CellGroups.
// +kubebuilder:object:root=true
type CellGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CellGroup `json:"items"`
}

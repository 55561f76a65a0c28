// Package controllers holds the reconcilers of ecs-operator, one per ECS kind (CellGroup,
// Cluster, TaskDefinition, Service, Task). Each reconciler declares the RBAC it needs with
// +kubebuilder:rbac markers next to its own code; `make manifests` gathers them into the
// manager-role ClusterRole of config/rbac/role.yaml.
//
// This file holds the markers of what the manager itself needs whatever reconcilers run.
package controllers

// Events about the objects reconciled, through both the core and the events.k8s.io API that
// controller-runtime's event recorders use.
//
// The Lease of leader election is not here: it lives in the manager's own namespace, so the
// namespaced Role of config/rbac/leader_election_role.yaml grants it rather than a ClusterRole
// that could write every Lease of the cluster, the kube-system leader and node Leases included.

// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

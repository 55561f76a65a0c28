// Package v1alpha1 holds the ECS kinds of ecs-operator: CellGroup, Cluster, TaskDefinition,
// Service, Task and TaskSet, in the API group ecs.operator.dev. Spec fields carry the ECS API's own JSON
// names so that ECS JSON pastes in almost verbatim.
//
// +kubebuilder:object:generate=true
// +groupName=ecs.operator.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "ecs.operator.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme. It is built
	// from apimachinery alone so that the API package imports nothing but apimachinery and api.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&CellGroup{}, &CellGroupList{},
		&Cluster{}, &ClusterList{},
		&TaskDefinition{}, &TaskDefinitionList{},
		&Service{}, &ServiceList{},
		&Task{}, &TaskList{},
		&TaskSet{}, &TaskSetList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

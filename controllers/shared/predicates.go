package shared

import (
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// The predicates below keep a reconciler from waking on changes it does not read — above all
// on status writes, its own or another controller's, which would otherwise cascade from one
// object to the next.

// SpecOrMetadataChanged lets through creates, deletes, and updates that change the object's
// generation, labels, annotations, finalizers or deletion timestamp: what a user or another
// controller changes about an ECS object. Status writes pass only with something else.
var SpecOrMetadataChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		return o.GetGeneration() != n.GetGeneration() ||
			!equality.Semantic.DeepEqual(o.GetLabels(), n.GetLabels()) ||
			!equality.Semantic.DeepEqual(o.GetAnnotations(), n.GetAnnotations()) ||
			!equality.Semantic.DeepEqual(o.GetFinalizers(), n.GetFinalizers()) ||
			!o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp())
	},
}

// ChildChanged lets through deletes, and updates of a child object that change anything but
// its status (most kinds ecs-operator writes — Roles, NetworkPolicies, quotas — do not count
// generations), so that a hand edit is seen and reverted while the child's own controller
// writing its status wakes nothing. Extra lets a kind add status changes it reads. Creates do
// not pass: the owner made the child itself, and after a restart the owners' own creates
// reconcile them all anyway.
func ChildChanged(extra func(old, new client.Object) bool) predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion() {
				return false // a resync
			}
			if extra != nil && extra(e.ObjectOld, e.ObjectNew) {
				return true
			}
			return !equalBesidesStatus(e.ObjectOld, e.ObjectNew)
		},
	}
}

// CreateOrDelete lets only creates and deletes through.
var CreateOrDelete = predicate.Funcs{
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// DeleteOnly lets only deletes through.
var DeleteOnly = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// equalBesidesStatus compares two objects of one type but for their status, the metadata the
// API server changes on every write, and annotations others keep (kube-controller-manager's
// deployment.kubernetes.io/revision): only ecs-operator's own annotations are its business.
func equalBesidesStatus(a, b client.Object) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() != reflect.Pointer || va.Type() != vb.Type() {
		return false
	}
	ea, eb := va.Elem(), vb.Elem()
	if ea.Kind() != reflect.Struct {
		return false
	}
	if !equality.Semantic.DeepEqual(a.GetLabels(), b.GetLabels()) ||
		!equality.Semantic.DeepEqual(ownAnnotations(a), ownAnnotations(b)) ||
		!equality.Semantic.DeepEqual(a.GetOwnerReferences(), b.GetOwnerReferences()) ||
		!a.GetDeletionTimestamp().Equal(b.GetDeletionTimestamp()) {
		return false
	}
	for i := 0; i < ea.NumField(); i++ {
		switch ea.Type().Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
			continue
		}
		if !equality.Semantic.DeepEqual(ea.Field(i).Interface(), eb.Field(i).Interface()) {
			return false
		}
	}
	return true
}

// ownAnnotations are an object's annotations under ecs-operator's prefix.
func ownAnnotations(o client.Object) map[string]string {
	out := map[string]string{}
	for k, v := range o.GetAnnotations() {
		if strings.HasPrefix(k, annotationPrefix) {
			out[k] = v
		}
	}
	return out
}

// annotationPrefix is the prefix of every annotation ecs-operator writes.
const annotationPrefix = "ecs.operator.dev/"

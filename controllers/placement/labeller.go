// Package placement keeps the placement labels of memberOf expressions on the nodes that match
// them. Pod templates select these labels instead of listing the node label values a regular
// expression matches, so that nodes joining, leaving or changing labels roll no Service: the
// nodes are judged here, as they come, the way ECS evaluates memberOf at placement time.
package placement

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=taskdefinitions;services;tasks,verbs=get;list;watch

// ControllerName names the labeller in logs and metrics.
const ControllerName = "placement-labeller"

// conflictRetry is how long a node whose patch lost the optimistic lock waits: the cache
// catches up with the newer node within moments, and the retry then patches that.
const conflictRetry = time.Second

// Labeller is the node labeller. Wire it with
// (&placement.Labeller{Client: mgr.GetClient()}).SetupWithManager(mgr).
type Labeller struct {
	// Client reads Nodes from the manager's cache as metadata and patches them.
	Client client.Client

	registry *registry
}

// SetupWithManager watches Nodes, as metadata only because nothing but their labels matters
// and full Nodes would cost memory in proportion to the cluster, and the kinds that carry
// memberOf expressions, whose handlers keep the registry. The controller starts reconciling
// only when every watch has delivered its initial list, so the registry is complete before
// the first node is judged and no label in use is ever removed at startup.
func (l *Labeller) SetupWithManager(mgr ctrl.Manager) error {
	if l.Client == nil {
		l.Client = mgr.GetClient()
	}
	l.registry = newRegistry()
	expressions := &expressionHandler{registry: l.registry, nodes: l.Client}
	// Status writes do not change expressions; only spec changes (a new generation) matter.
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	err := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&corev1.Node{}, builder.OnlyMetadata, builder.WithPredicates(nodeLabelsChanged())).
		Watches(&ecsv1.TaskDefinition{}, expressions, specChanged).
		Watches(&ecsv1.Service{}, expressions, specChanged).
		Watches(&ecsv1.Task{}, expressions, specChanged).
		Complete(l)
	if err != nil {
		return fmt.Errorf("setting up the %s controller: %w", ControllerName, err)
	}
	return nil
}

// nodeLabelsChanged lets through new nodes and label changes only: node status heartbeats
// would otherwise wake the labeller for nothing, and a deleted node has no labels to keep.
func nodeLabelsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !mapsEqual(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// Reconcile brings one node's placement labels in line with the registry. It writes only
// when they differ, and with the node's resourceVersion, so that a decision taken on stale
// labels is retried on the current ones rather than written over them.
func (l *Labeller) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	node := nodeMetadata()
	if err := l.Client.Get(ctx, req.NamespacedName, node); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("reading node %s: %w", req.Name, err)
	}
	changes := labelChanges(node.Labels, l.registry.labels())
	if len(changes) == 0 {
		return ctrl.Result{}, nil
	}
	patch, err := mergePatch(node.ResourceVersion, changes)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("building the placement label patch of node %s: %w", req.Name, err)
	}
	if err := l.Client.Patch(ctx, node, client.RawPatch(types.MergePatchType, patch)); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return ctrl.Result{}, nil
		case apierrors.IsConflict(err):
			log.V(1).Info("node changed since it was read; retrying", "node", req.Name)
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, fmt.Errorf("patching the placement labels of node %s: %w", req.Name, err)
	}
	log.V(1).Info("placement labels updated", "node", req.Name, "changes", changes)
	return ctrl.Result{}, nil
}

// nodeMetadata is an empty Node read as metadata only, so that every read and write goes
// through the metadata informer the controller watches with, never a second, full one.
func nodeMetadata() *metav1.PartialObjectMetadata {
	n := &metav1.PartialObjectMetadata{}
	n.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Node"))
	return n
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

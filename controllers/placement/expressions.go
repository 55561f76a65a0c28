package placement

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// expressionHandler keeps the registry in step with the objects that carry memberOf
// expressions: each event recomputes that one object's contribution. Nodes are enqueued only
// when the keys in use change, because only then can a node's placement labels be wrong
// without a node event saying so.
type expressionHandler struct {
	registry *registry
	// nodes lists the nodes to enqueue, from the cache, as metadata.
	nodes client.Reader
}

func (h *expressionHandler) Create(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.update(ctx, e.Object, q)
}

func (h *expressionHandler) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.update(ctx, e.ObjectNew, q)
}

func (h *expressionHandler) Delete(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if key, ok := objectKey(e.Object); ok && h.registry.set(key, nil) {
		h.enqueueNodes(ctx, q)
	}
}

func (h *expressionHandler) Generic(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.update(ctx, e.Object, q)
}

func (h *expressionHandler) update(ctx context.Context, obj client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	key, ok := objectKey(obj)
	if !ok {
		return
	}
	if h.registry.set(key, placementLabels(ctx, obj)) {
		h.enqueueNodes(ctx, q)
	}
}

func (h *expressionHandler) enqueueNodes(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NodeList"))
	if err := h.nodes.List(ctx, list); err != nil {
		// Nodes that are not enqueued now are judged at their next label change; say so,
		// since until then they may lack a label or keep a stale one.
		ctrl.LoggerFrom(ctx).Error(err, "listing nodes to re-evaluate their placement labels")
		return
	}
	for i := range list.Items {
		q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
}

// placementLabels are the labels an object's memberOf expressions need. An expression that
// cannot be translated needs none: its Service or Task is stalled on it and says why, so it
// is only noted here.
func placementLabels(ctx context.Context, obj client.Object) []translate.PlacementLabel {
	var out []translate.PlacementLabel
	for _, expr := range memberOfExpressions(obj) {
		labels, err := translate.PlacementLabelsOf(expr)
		if err != nil {
			ctrl.LoggerFrom(ctx).V(1).Info("memberOf expression needs no placement label: it cannot be translated",
				"object", client.ObjectKeyFromObject(obj), "expression", expr, "reason", err.Error())
			continue
		}
		out = append(out, labels...)
	}
	return out
}

// memberOfExpressions are the memberOf expressions an object carries.
func memberOfExpressions(obj client.Object) []string {
	var out []string
	switch o := obj.(type) {
	case *ecsv1.TaskDefinition:
		for _, c := range o.Spec.PlacementConstraints {
			if string(c.Type) == string(ecsv1.PlacementConstraintMemberOf) {
				out = append(out, c.Expression)
			}
		}
	case *ecsv1.Service:
		out = constraintExpressions(o.Spec.PlacementConstraints)
	case *ecsv1.Task:
		out = constraintExpressions(o.Spec.PlacementConstraints)
	}
	return out
}

func constraintExpressions(cs []ecsv1.PlacementConstraint) []string {
	var out []string
	for _, c := range cs {
		if c.Type == ecsv1.PlacementConstraintMemberOf {
			out = append(out, c.Expression)
		}
	}
	return out
}

// objectKey names an object in the registry; kinds are told apart because a Service and a
// Task may share a name.
func objectKey(obj client.Object) (string, bool) {
	var kind string
	switch obj.(type) {
	case *ecsv1.TaskDefinition:
		kind = "TaskDefinition"
	case *ecsv1.Service:
		kind = "Service"
	case *ecsv1.Task:
		kind = "Task"
	default:
		return "", false
	}
	return kind + "/" + obj.GetNamespace() + "/" + obj.GetName(), true
}

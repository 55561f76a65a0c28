package placement

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// Nodes are cluster-scoped and shared by every test, so each test reads an attribute of its
// own: no other test's expression matches its nodes.
func attribute(t *testing.T) (expressionSubject, nodeLabel string) {
	name := strings.ToLower(strings.NewReplacer("_", "-", "/", "-").Replace(t.Name()))
	return "attribute:" + name, translate.AttributeLabelPrefix + name
}

// placementKey is the one placement label of an expression.
func placementKey(t *testing.T, expr string) string {
	t.Helper()
	ls, err := translate.PlacementLabelsOf(expr)
	if err != nil || len(ls) != 1 {
		t.Fatalf("%s: want one placement label, got %+v, %v", expr, ls, err)
	}
	return ls[0].Key
}

func newNode(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	mustCreate(t, n)
	// t.Context() is already canceled when cleanups run.
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), n) })
}

func newService(ns, name string, expressions ...string) *ecsv1.Service {
	svc := &ecsv1.Service{}
	svc.Namespace, svc.Name = ns, name
	svc.Spec.TaskDefinition = "web"
	svc.Spec.DesiredCount = ptr.To[int32](1)
	for _, e := range expressions {
		svc.Spec.PlacementConstraints = append(svc.Spec.PlacementConstraints, ecsv1.PlacementConstraint{Type: ecsv1.PlacementConstraintMemberOf, Expression: e})
	}
	return svc
}

func nodeLabels(t *testing.T, name string) (map[string]string, string) {
	t.Helper()
	n := &corev1.Node{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: name}, n); err != nil {
		t.Fatalf("reading node %s: %v", name, err)
	}
	return n.Labels, n.ResourceVersion
}

// hasPlacement checks whether node carries key, with the value "true" when it does.
func hasPlacement(t *testing.T, node, key string, want bool) func() error {
	return func() error {
		labels, _ := nodeLabels(t, node)
		v, ok := labels[key]
		switch {
		case want && v != translate.PlacementLabelValue:
			return fmt.Errorf("node %s: want %s=%s, labels are %v", node, key, translate.PlacementLabelValue, labels)
		case !want && ok:
			return fmt.Errorf("node %s: want no %s, labels are %v", node, key, labels)
		}
		return nil
	}
}

func setNodeLabel(t *testing.T, name, key, value string) {
	t.Helper()
	n := &corev1.Node{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: name}, n); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(n.DeepCopy())
	n.Labels[key] = value
	if err := k8s.Patch(t.Context(), n, patch); err != nil {
		t.Fatalf("labelling node %s: %v", name, err)
	}
}

func TestLabeller_followsNodesAndServices(t *testing.T) {
	ns := newNamespace(t)
	subject, label := attribute(t)
	expr := subject + " =~ web-.*"
	key := placementKey(t, expr)
	newNode(t, "follow-web", map[string]string{label: "web-1", "team.example.com/owner": "a"})
	newNode(t, "follow-db", map[string]string{label: "db-1"})
	newNode(t, "follow-none", nil)
	svc := newService(ns, "web", expr)
	mustCreate(t, svc)

	eventually(t, "the matching node is labelled", hasPlacement(t, "follow-web", key, true))
	consistently(t, "the other nodes are not", time.Second, func() error {
		if err := hasPlacement(t, "follow-db", key, false)(); err != nil {
			return err
		}
		return hasPlacement(t, "follow-none", key, false)()
	})

	newNode(t, "follow-web-late", map[string]string{label: "web-2"})
	eventually(t, "a matching node that joins later is labelled", hasPlacement(t, "follow-web-late", key, true))

	setNodeLabel(t, "follow-web", label, "db-2")
	eventually(t, "a node that no longer matches loses the label", hasPlacement(t, "follow-web", key, false))
	if labels, _ := nodeLabels(t, "follow-web"); labels["team.example.com/owner"] != "a" || labels[label] != "db-2" {
		t.Errorf("labels outside the placement prefix changed: %v", labels)
	}
	setNodeLabel(t, "follow-db", label, "web-3")
	eventually(t, "a node that comes to match gets the label", hasPlacement(t, "follow-db", key, true))

	if err := k8s.Delete(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"follow-web", "follow-db", "follow-none", "follow-web-late"} {
		eventually(t, "deleting the Service removes its label from "+n, hasPlacement(t, n, key, false))
	}
}

func TestLabeller_everyKindCarriesExpressions(t *testing.T) {
	ns := newNamespace(t)
	subject, label := attribute(t)
	newNode(t, "kinds", map[string]string{label: "blue"})

	tdExpr := subject + " =~ bl.*"
	td := &ecsv1.TaskDefinition{}
	td.Namespace, td.Name = ns, "web"
	td.Spec.ContainerDefinitions = []ecsv1.ContainerDefinition{{Name: "web", Image: "nginx", Essential: ptr.To(true), Memory: ptr.To[int32](256)}}
	td.Spec.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: tdExpr}}
	mustCreate(t, td)
	eventually(t, "a TaskDefinition's expression labels the node", hasPlacement(t, "kinds", placementKey(t, tdExpr), true))

	taskExpr := subject + " =~ .*ue"
	task := &ecsv1.Task{}
	task.Namespace, task.Name = ns, "once"
	task.Spec.TaskDefinition = "web"
	task.Spec.PlacementConstraints = []ecsv1.PlacementConstraint{{Type: ecsv1.PlacementConstraintMemberOf, Expression: taskExpr}}
	mustCreate(t, task)
	eventually(t, "a Task's expression labels the node", hasPlacement(t, "kinds", placementKey(t, taskExpr), true))

	// A spec change replaces the object's contribution.
	td.Spec.PlacementConstraints = nil
	if err := k8s.Update(t.Context(), td); err != nil {
		t.Fatal(err)
	}
	eventually(t, "an expression removed from the TaskDefinition's spec drops its label", hasPlacement(t, "kinds", placementKey(t, tdExpr), false))
	if err := hasPlacement(t, "kinds", placementKey(t, taskExpr), true)(); err != nil {
		t.Error(err)
	}
}

func TestLabeller_writesNothingWhenNothingChanges(t *testing.T) {
	ns := newNamespace(t)
	subject, label := attribute(t)
	expr := subject + " =~ on"
	key := placementKey(t, expr)
	newNode(t, "quiet", map[string]string{label: "on"})
	mustCreate(t, newService(ns, "first", expr))
	eventually(t, "the node is labelled", hasPlacement(t, "quiet", key, true))
	_, rv := nodeLabels(t, "quiet")

	// The API server does not change the resourceVersion for a patch that changes nothing,
	// so a reconcile of its own is watched for any write at all.
	counting := &patchCounter{Client: labeller.Client}
	again := &Labeller{Client: counting, registry: labeller.registry}
	if _, err := again.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "quiet"}}); err != nil {
		t.Fatal(err)
	}
	if counting.patches != 0 {
		t.Errorf("a reconcile with nothing to change wrote %d times", counting.patches)
	}
	// Another Service with the same expression, and one that node affinity can say alone,
	// leave the keys in use as they are.
	second := newService(ns, "second", expr)
	mustCreate(t, second)
	mustCreate(t, newService(ns, "plain", subject+" == on"))
	unchanged := func() error {
		if _, now := nodeLabels(t, "quiet"); now != rv {
			return fmt.Errorf("node written: resourceVersion %s, was %s", now, rv)
		}
		return nil
	}
	consistently(t, "the node is not written", 2*time.Second, unchanged)

	// The label stays while any Service still uses it.
	if err := k8s.Delete(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	consistently(t, "the node is not written while the first Service uses the label", time.Second, unchanged)
}

func TestLabeller_keepsOnlyItsOwnLabels(t *testing.T) {
	ns := newNamespace(t)
	subject, label := attribute(t)
	expr := subject + " =~ x"
	key := placementKey(t, expr)
	stale := translate.PlacementLabelPrefix + "0123456789abcdef"
	others := map[string]string{
		label:                            "x",
		"example.com/placement":          "true",
		"placement.ecs.operator.dev.x/y": "true", // a look-alike, not the prefix
		"kubernetes.io/hostname":         "own",
	}
	labels := map[string]string{stale: "true"}
	for k, v := range others {
		labels[k] = v
	}
	newNode(t, "own", labels)
	mustCreate(t, newService(ns, "web", expr))

	eventually(t, "the stale placement label is removed and the node labelled", func() error {
		got, _ := nodeLabels(t, "own")
		if _, ok := got[stale]; ok {
			return fmt.Errorf("%s is still there: %v", stale, got)
		}
		return hasPlacement(t, "own", key, true)()
	})
	got, _ := nodeLabels(t, "own")
	for k, v := range others {
		if got[k] != v {
			t.Errorf("label %s=%s changed to %q", k, v, got[k])
		}
	}
}

func TestLabeller_ignoresNodesThatAreGone(t *testing.T) {
	if _, err := labeller.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "never-was"}}); err != nil {
		t.Fatalf("a node that is gone is not an error: %v", err)
	}
}

// patchCounter counts the writes of a labeller.
type patchCounter struct {
	client.Client
	patches int
}

func (c *patchCounter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.patches++
	return c.Client.Patch(ctx, obj, patch, opts...)
}

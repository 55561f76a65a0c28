package controllers

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

func newTaskDefinition(ns, name, image string) *ecsv1.TaskDefinition {
	td := &ecsv1.TaskDefinition{}
	td.Namespace, td.Name = ns, name
	td.Spec.ContainerDefinitions = []ecsv1.ContainerDefinition{{
		Name: "web", Image: image, Essential: ptr.To(true), Memory: ptr.To[int32](256),
		PortMappings: []ecsv1.PortMapping{{ContainerPort: ptr.To[int32](8080), Name: "http", Protocol: ecsv1.ProtocolTCP}},
	}}
	return td
}

// waitRevision waits until the TaskDefinition reports revision n as its latest.
func waitRevision(t *testing.T, td *ecsv1.TaskDefinition, n int64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s reaches revision %d", td.Name, n), func() error {
		if err := get(t, td); err != nil {
			return err
		}
		if td.Status.Revision != n || td.Status.ObservedGeneration != td.Generation {
			return fmt.Errorf("revision %d (observed generation %d of %d)", td.Status.Revision, td.Status.ObservedGeneration, td.Generation)
		}
		return nil
	})
}

func revisionNumbers(t *testing.T, td *ecsv1.TaskDefinition) []int64 {
	t.Helper()
	list := &appsv1.ControllerRevisionList{}
	if err := k8s.List(t.Context(), list, client.InNamespace(td.Namespace), client.MatchingLabels{ecsv1.LabelTaskDefinition: td.Name}); err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, r := range list.Items {
		out = append(out, r.Revision)
	}
	slices.Sort(out)
	return out
}

func updateImage(t *testing.T, td *ecsv1.TaskDefinition, image string) {
	t.Helper()
	eventually(t, "updating the image", func() error {
		if err := get(t, td); err != nil {
			return err
		}
		td.Spec.ContainerDefinitions[0].Image = image
		return k8s.Update(t.Context(), td)
	})
}

func TestTaskDefinition_EachNewSpecIsANewNumberedRevision(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	waitRevision(t, td, 1)
	if td.Status.Family != "web" || !shared.IsReady(td.Status.Conditions) {
		t.Fatalf("status %+v", td.Status)
	}

	updateImage(t, td, "nginx:1.28")
	waitRevision(t, td, 2)

	// Re-applying the same spec (changing only our own field) makes no new revision.
	eventually(t, "changing revisionHistoryLimit", func() error {
		if err := get(t, td); err != nil {
			return err
		}
		td.Spec.RevisionHistoryLimit = ptr.To[int32](5)
		return k8s.Update(t.Context(), td)
	})
	waitRevision(t, td, 2)
	if got := revisionNumbers(t, td); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("revisions %v, want [1 2]", got)
	}

	// Going back to an earlier spec registers a new revision, as ECS does: "latest" is the
	// most recently registered.
	updateImage(t, td, "nginx:1.27")
	waitRevision(t, td, 3)
	rev := &appsv1.ControllerRevision{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web-3"}, rev); err != nil {
		t.Fatal(err)
	}
	spec, err := shared.RevisionSpec(rev)
	if err != nil || spec.ContainerDefinitions[0].Image != "nginx:1.27" {
		t.Fatalf("revision 3 holds %+v (%v)", spec, err)
	}
	if ref := rev.OwnerReferences; len(ref) != 1 || ref[0].UID != td.UID || !ptr.Deref(ref[0].Controller, false) {
		t.Fatalf("revision owner %+v", ref)
	}
	if len(td.Status.Revisions) != 3 || td.Status.Revisions[0].Revision != 3 {
		t.Fatalf("status revisions %+v, want newest first", td.Status.Revisions)
	}
}

func TestTaskDefinition_PrunesBeyondHistoryLimitButKeepsRevisionsInUse(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "api", "api:1")
	td.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	mustCreate(t, td)
	waitRevision(t, td, 1)

	// A Task pins revision 1, so it must survive pruning.
	task := &ecsv1.Task{}
	task.Namespace, task.Name = ns, "pinned"
	task.Spec.TaskDefinition = "api:1"
	mustCreate(t, task)

	for i := 2; i <= 4; i++ {
		updateImage(t, td, fmt.Sprintf("api:%d", i))
		waitRevision(t, td, int64(i))
	}
	eventually(t, "pruning", func() error {
		if got := revisionNumbers(t, td); !slices.Equal(got, []int64{1, 3, 4}) {
			return fmt.Errorf("revisions %v, want [1 3 4]: the latest, one more, and the one in use", got)
		}
		return nil
	})
}

func TestTaskDefinition_SecondClaimOnAFamilyIsStalled(t *testing.T) {
	ns := newNamespace(t)
	first := newTaskDefinition(ns, "web", "nginx")
	mustCreate(t, first)
	waitRevision(t, first, 1)
	second := newTaskDefinition(ns, "web-copy", "nginx")
	second.Spec.Family = "web"
	mustCreate(t, second)
	eventually(t, "the second claim is stalled", func() error {
		if err := get(t, second); err != nil {
			return err
		}
		if !shared.IsStalledWith(second.Status.Conditions, shared.ReasonFamilyConflict) {
			return fmt.Errorf("conditions %+v", second.Status.Conditions)
		}
		return nil
	})
	if second.Status.Revision != 0 {
		t.Fatalf("the conflicting TaskDefinition registered revision %d", second.Status.Revision)
	}
}

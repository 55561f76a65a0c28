package shared

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// ResolvedRevision is a task definition reference resolved to one revision.
type ResolvedRevision struct {
	TaskDefinition *ecsv1.TaskDefinition
	Family         string
	Number         int64
	Spec           *ecsv1.TaskDefinitionSpec
	// Pinned is true when the reference named the revision rather than the latest.
	Pinned bool
}

// String is ECS's "family:revision".
func (r *ResolvedRevision) String() string {
	return r.Family + ":" + strconv.FormatInt(r.Number, 10)
}

// ReferenceError is a reference that names nothing: the user must change something, so it is
// reported as Stalled, not retried.
type ReferenceError struct{ msg string }

func (e *ReferenceError) Error() string { return e.msg }

// ErrRevisionPending means the referenced task definition exists but its revision has not been
// registered yet; the TaskDefinition watch brings the object back when it is.
var ErrRevisionPending = errors.New("the task definition's revision is not registered yet")

// ResolveTaskDefinition resolves a Service's or Task's taskDefinition reference, made from
// namespace, to the revision it names.
func ResolveTaskDefinition(ctx context.Context, c client.Reader, namespace, reference string) (*ResolvedRevision, error) {
	ref, err := ecs.ParseReference(reference)
	if err != nil {
		return nil, &ReferenceError{msg: fmt.Sprintf("taskDefinition %q: %v", reference, err)}
	}
	if ref.Namespace != "" {
		namespace = ref.Namespace
	}
	td, err := TaskDefinitionForFamily(ctx, c, namespace, ref.Family)
	if err != nil {
		return nil, err
	}
	if td == nil {
		return nil, &ReferenceError{msg: fmt.Sprintf("task definition family %q not found in namespace %q", ref.Family, namespace)}
	}
	number := ref.Revision
	if number == 0 {
		// The latest is the newest revision itself, not the TaskDefinition's status, which is
		// written after it: the revision's creation alone is enough to wake and run a Service.
		if number, err = latestRevision(ctx, c, td); err != nil {
			return nil, err
		}
		if number == 0 {
			return nil, ErrRevisionPending
		}
	}
	rev := &appsv1.ControllerRevision{}
	err = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: RevisionName(td.Name, number)}, rev)
	switch {
	case apierrors.IsNotFound(err) && ref.Revision != 0:
		return nil, &ReferenceError{msg: fmt.Sprintf("task definition %s:%d not found in namespace %q (the latest revision is %d)",
			ref.Family, ref.Revision, namespace, td.Status.Revision)}
	case apierrors.IsNotFound(err):
		return nil, ErrRevisionPending
	case err != nil:
		return nil, fmt.Errorf("reading revision %s:%d: %w", ref.Family, number, err)
	}
	spec, err := RevisionSpec(rev)
	if err != nil {
		return nil, err
	}
	return &ResolvedRevision{TaskDefinition: td, Family: ref.Family, Number: number, Spec: spec, Pinned: ref.Revision != 0}, nil
}

// TaskDefinitionForFamily finds the TaskDefinition of a family in a namespace. When several
// claim the family, the oldest owns it (the others are Stalled by their own reconciler).
func TaskDefinitionForFamily(ctx context.Context, c client.Reader, namespace, family string) (*ecsv1.TaskDefinition, error) {
	list := &ecsv1.TaskDefinitionList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{IndexFamily: family}); err != nil {
		return nil, fmt.Errorf("listing task definitions of family %q: %w", family, err)
	}
	var owner *ecsv1.TaskDefinition
	for i := range list.Items {
		td := &list.Items[i]
		if !td.DeletionTimestamp.IsZero() {
			continue
		}
		if owner == nil || OlderThan(td, owner) {
			owner = td
		}
	}
	return owner, nil
}

// OlderThan orders objects by creation, then name, so that exactly one wins a conflict.
func OlderThan(a, b client.Object) bool {
	at, bt := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !at.Equal(&bt) {
		return at.Before(&bt)
	}
	return a.GetName() < b.GetName()
}

// latestRevision is the number of td's newest revision in the cache, 0 when it has none yet.
func latestRevision(ctx context.Context, c client.Reader, td *ecsv1.TaskDefinition) (int64, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := c.List(ctx, list, client.InNamespace(td.Namespace), client.MatchingLabels{ecsv1.LabelTaskDefinition: LabelValue(td.Name)}); err != nil {
		return 0, fmt.Errorf("listing the revisions of %s: %w", td.Name, err)
	}
	var latest int64
	for i := range list.Items {
		if owner := metav1.GetControllerOf(&list.Items[i]); owner != nil && owner.UID == td.UID {
			latest = max(latest, list.Items[i].Revision)
		}
	}
	return latest, nil
}

// PinnedReference turns a family reference into a revision resolved before (a Task's first,
// a Pinned Service's), keeping a namespace prefix.
func PinnedReference(reference, resolved string) string {
	if i := strings.Index(reference, "/"); i >= 0 && !strings.HasPrefix(reference, "arn:") {
		return reference[:i+1] + resolved
	}
	return resolved
}

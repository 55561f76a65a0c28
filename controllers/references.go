package controllers

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// resolvedRevision is a task definition reference resolved to one revision.
type resolvedRevision struct {
	TaskDefinition *ecsv1.TaskDefinition
	Family         string
	Number         int64
	Spec           *ecsv1.TaskDefinitionSpec
	// Pinned is true when the reference named the revision rather than the latest.
	Pinned bool
}

// String is ECS's "family:revision".
func (r *resolvedRevision) String() string {
	return r.Family + ":" + strconv.FormatInt(r.Number, 10)
}

// referenceError is a reference that names nothing: the user must change something, so it is
// reported as Stalled, not retried.
type referenceError struct{ msg string }

func (e *referenceError) Error() string { return e.msg }

// errRevisionPending means the referenced task definition exists but its revision has not been
// registered yet; the TaskDefinition watch brings the object back when it is.
var errRevisionPending = errors.New("the task definition's revision is not registered yet")

// resolveTaskDefinition resolves a Service's or Task's taskDefinition reference, made from
// namespace, to the revision it names.
func resolveTaskDefinition(ctx context.Context, c client.Reader, namespace, reference string) (*resolvedRevision, error) {
	ref, err := ecs.ParseReference(reference)
	if err != nil {
		return nil, &referenceError{msg: fmt.Sprintf("taskDefinition %q: %v", reference, err)}
	}
	if ref.Namespace != "" {
		namespace = ref.Namespace
	}
	td, err := taskDefinitionForFamily(ctx, c, namespace, ref.Family)
	if err != nil {
		return nil, err
	}
	if td == nil {
		return nil, &referenceError{msg: fmt.Sprintf("task definition family %q not found in namespace %q", ref.Family, namespace)}
	}
	number := ref.Revision
	if number == 0 {
		number = td.Status.Revision
		if number == 0 {
			return nil, errRevisionPending
		}
	}
	rev := &appsv1.ControllerRevision{}
	err = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: revisionName(td.Name, number)}, rev)
	switch {
	case apierrors.IsNotFound(err) && ref.Revision != 0:
		return nil, &referenceError{msg: fmt.Sprintf("task definition %s:%d not found in namespace %q (the latest revision is %d)",
			ref.Family, ref.Revision, namespace, td.Status.Revision)}
	case apierrors.IsNotFound(err):
		return nil, errRevisionPending
	case err != nil:
		return nil, fmt.Errorf("reading revision %s:%d: %w", ref.Family, number, err)
	}
	spec, err := revisionSpec(rev)
	if err != nil {
		return nil, err
	}
	return &resolvedRevision{TaskDefinition: td, Family: ref.Family, Number: number, Spec: spec, Pinned: ref.Revision != 0}, nil
}

// taskDefinitionForFamily finds the TaskDefinition of a family in a namespace. When several
// claim the family, the oldest owns it (the others are Stalled by their own reconciler).
func taskDefinitionForFamily(ctx context.Context, c client.Reader, namespace, family string) (*ecsv1.TaskDefinition, error) {
	list := &ecsv1.TaskDefinitionList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{indexFamily: family}); err != nil {
		return nil, fmt.Errorf("listing task definitions of family %q: %w", family, err)
	}
	var owner *ecsv1.TaskDefinition
	for i := range list.Items {
		td := &list.Items[i]
		if !td.DeletionTimestamp.IsZero() {
			continue
		}
		if owner == nil || olderThan(td, owner) {
			owner = td
		}
	}
	return owner, nil
}

// olderThan orders objects by creation, then name, so that exactly one wins a conflict.
func olderThan(a, b client.Object) bool {
	at, bt := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !at.Equal(&bt) {
		return at.Before(&bt)
	}
	return a.GetName() < b.GetName()
}

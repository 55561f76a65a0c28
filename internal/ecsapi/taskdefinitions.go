package ecsapi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

// taskDefinitionTarget is where the caller's task definitions live: the namespace of the
// cluster the key names (ECS keeps task definitions per account, ecs-operator per namespace).
func (c *call) taskDefinitionTarget(ctx context.Context) (*ecsops.Target, error) {
	if c.str("cluster") == "" && c.id.defaultCluster == "" {
		return nil, clientError("task definitions live in a cluster's namespace: give the access key a defaultCluster")
	}
	return c.target(ctx)
}

func registerTaskDefinition(ctx context.Context, c *call) (any, error) {
	in := maps(c.in)
	delete(in, "cluster")
	td, err := ecsjson.TaskDefinitionFromECS(in)
	if err != nil {
		return nil, clientError("%v", err)
	}
	if len(td.Report.Losses) > 0 {
		return nil, clientError("ecs-operator cannot carry %s", td.Report.Losses[0])
	}
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	obj := &ecsv1.TaskDefinition{}
	key := client.ObjectKey{Namespace: t.Namespace, Name: td.Name}
	switch err := c.c.Get(ctx, key, obj); {
	case apierrors.IsNotFound(err):
		obj = &ecsv1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: td.Name}, Spec: td.Spec}
		if err := c.c.Create(ctx, obj); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		// The controller writes the status meanwhile: read again on a conflict.
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := c.c.Get(ctx, key, obj); err != nil {
				return err
			}
			limit := obj.Spec.RevisionHistoryLimit
			obj.Spec = *td.Spec.DeepCopy()
			obj.Spec.RevisionHistoryLimit = limit
			return c.c.Update(ctx, obj)
		})
		if err != nil {
			return nil, err
		}
	}
	// The revision is the TaskDefinition controller's to number: wait for it.
	var rev *ecsops.Revision
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.c.Get(ctx, key, obj); err != nil {
			return false, err
		}
		if obj.Status.ObservedGeneration < obj.Generation || obj.Status.Revision == 0 {
			return false, nil
		}
		revs, err := t.Revisions(ctx)
		if err != nil {
			return false, err
		}
		for i, r := range revs {
			if r.Name == obj.Name && r.Revision == obj.Status.Revision {
				rev = &revs[i]
			}
		}
		return rev != nil, nil
	})
	if err != nil {
		return nil, newError("ServerException", 500, "task definition %s was not registered in time: %v", td.Spec.Family, err)
	}
	return c.describeRevision(ctx, t, *rev, true)
}

func (c *call) describeRevision(ctx context.Context, t *ecsops.Target, r ecsops.Revision, withTags bool) (any, error) {
	spec, err := t.Content(ctx, r)
	if err != nil {
		return nil, err
	}
	td, tags, err := ecsjson.DescribeTaskDefinition(r.Name, r.Revision, spec, r.Status, r.RegisteredAt(), t.ARNs)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"taskDefinition": td}
	if withTags {
		out["tags"] = tags
	}
	return out, nil
}

// findRevision is ecsops.FindRevision with ECS's errors.
func findRevision(ctx context.Context, t *ecsops.Target, ref string) (ecsops.Revision, error) {
	r, err := t.FindRevision(ctx, ref)
	switch {
	case errors.Is(err, ecsops.ErrNoRevision):
		return r, clientError("Unable to describe task definition.")
	case err != nil && !apierrors.IsForbidden(err):
		return r, clientError("%v", err)
	}
	return r, err
}

func describeTaskDefinition(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	r, err := findRevision(ctx, t, c.str("taskDefinition"))
	if err != nil {
		return nil, err
	}
	include, _ := c.strs("include")
	return c.describeRevision(ctx, t, r, slices.Contains(include, "TAGS"))
}

func listTaskDefinitions(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return nil, err
	}
	status := orDefault(c.str("status"), "ACTIVE")
	var arns []any
	for _, r := range revs {
		if strings.HasPrefix(r.Family, c.str("familyPrefix")) && r.Status == status {
			arns = append(arns, t.ARNs.TaskDefinition(r.Family+":"+strconv.FormatInt(r.Revision, 10)))
		}
	}
	if c.str("sort") == "DESC" {
		slices.Reverse(arns)
	}
	page, next, err := c.page(orEmpty(arns), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"taskDefinitionArns": page}, next), nil
}

func listTaskDefinitionFamilies(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return nil, err
	}
	var families []any
	for _, r := range revs {
		if strings.HasPrefix(r.Family, c.str("familyPrefix")) && !slices.Contains(families, any(r.Family)) {
			families = append(families, r.Family)
		}
	}
	page, next, err := c.page(orEmpty(families), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"families": page}, next), nil
}

// deregisterTaskDefinition marks a revision INACTIVE (the TaskDefinition's annotation, which
// its controller reflects in status); what runs it keeps running it, as in ECS.
func deregisterTaskDefinition(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := ecs.ParseReference(c.str("taskDefinition"))
	if err != nil || ref.Revision == 0 {
		return nil, clientError("taskDefinition: a revision is deregistered by family:revision or ARN")
	}
	r, err := findRevision(ctx, t, ref.Family+":"+strconv.FormatInt(ref.Revision, 10))
	if err != nil {
		return nil, err
	}
	td := r.TD.DeepCopy()
	list := td.Annotations[ecsv1.AnnotationDeregisteredRevisions]
	number := strconv.FormatInt(r.Revision, 10)
	if !slices.Contains(strings.Split(list, ","), number) {
		if list != "" {
			list += ","
		}
		patch := map[string]any{"metadata": map[string]any{"annotations": map[string]any{ecsv1.AnnotationDeregisteredRevisions: list + number}}}
		b, _ := json.Marshal(patch)
		if err := c.c.Patch(ctx, td, client.RawPatch(types.MergePatchType, b)); err != nil {
			return nil, err
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		revs, err := t.Revisions(ctx)
		if err != nil {
			return false, err
		}
		for _, rev := range revs {
			if rev.Name == r.Name && rev.Revision == r.Revision && rev.Status == "INACTIVE" {
				r = rev
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, newError("ServerException", 500, "the revision was not deregistered in time: %v", err)
	}
	return c.describeRevision(ctx, t, r, false)
}

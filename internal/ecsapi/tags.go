package ecsapi

import (
	"context"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

// taggable is the object an ARN names, with its tags.
type taggable struct {
	obj  client.Object
	tags *[]ecsv1.Tag
}

func (c *call) resource(ctx context.Context) (*taggable, error) {
	arn, err := ecs.ParseARN(c.str("resourceArn"))
	if err != nil {
		return nil, invalidParameter("resourceArn: %v", err)
	}
	kind, rest, _ := strings.Cut(arn.Resource, "/")
	switch kind {
	case "service":
		cluster, name, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, invalidParameter("resourceArn: a service ARN is service/CLUSTER/NAME")
		}
		c.in["cluster"] = cluster
		t, err := c.target(ctx)
		if err != nil {
			return nil, err
		}
		svc := &ecsv1.Service{}
		if err := c.c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, serviceNotFound()
			}
			return nil, err
		}
		return &taggable{obj: svc, tags: &svc.Spec.Tags}, nil
	case "task-definition":
		t, err := c.taskDefinitionTarget(ctx)
		if err != nil {
			return nil, err
		}
		r, err := findRevision(ctx, t, rest)
		if err != nil {
			return nil, err
		}
		td := r.TD.DeepCopy()
		return &taggable{obj: td, tags: &td.Spec.Tags}, nil
	}
	return nil, invalidParameter("resourceArn: ecs-operator tags services and task definitions, not %s", kind)
}

func listTagsForResource(ctx context.Context, c *call) (any, error) {
	r, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}
	tags := []any{}
	for _, tag := range *r.tags {
		tags = append(tags, map[string]any{"key": tag.Key, "value": tag.Value})
	}
	return map[string]any{"tags": tags}, nil
}

func tagResource(ctx context.Context, c *call) (any, error) {
	var add []ecsv1.Tag
	if _, err := ecsjson.Fit("tags", c.in["tags"], &add); err != nil {
		return nil, invalidParameter("%v", err)
	}
	return map[string]any{}, c.retagged(ctx, func(tags *[]ecsv1.Tag) {
		for _, tag := range add {
			if i := slices.IndexFunc(*tags, func(t ecsv1.Tag) bool { return t.Key == tag.Key }); i >= 0 {
				(*tags)[i].Value = tag.Value
			} else {
				*tags = append(*tags, tag)
			}
		}
	})
}

func untagResource(ctx context.Context, c *call) (any, error) {
	keys, err := c.strs("tagKeys")
	if err != nil {
		return nil, err
	}
	return map[string]any{}, c.retagged(ctx, func(tags *[]ecsv1.Tag) {
		*tags = slices.DeleteFunc(*tags, func(t ecsv1.Tag) bool { return slices.Contains(keys, t.Key) })
	})
}

// retagged changes the tags of the resource the call names, reading it again when its
// controller wrote it meanwhile (its status changes its resourceVersion).
func (c *call) retagged(ctx context.Context, change func(*[]ecsv1.Tag)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		r, err := c.resource(ctx)
		if err != nil {
			return err
		}
		change(r.tags)
		return c.c.Update(ctx, r.obj)
	})
}

package ecsapi

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

func runTask(ctx context.Context, c *call) (any, error) {
	count, err := c.integer("count", 1)
	if err != nil {
		return nil, err
	}
	if count < 1 || count > 10 {
		return nil, invalidParameter("count must be between 1 and 10")
	}
	return c.startTasks(ctx, make([]string, count))
}

// startTask is StartTask: one task on each container instance named. A container instance is
// a node, its ID the node's ecs.operator.dev/instance-id label (ec2InstanceId in placement).
func startTask(ctx context.Context, c *call) (any, error) {
	instances, err := c.strs("containerInstances")
	if err != nil {
		return nil, err
	}
	if len(instances) == 0 || len(instances) > 10 {
		return nil, invalidParameter("containerInstances must name 1 to 10 container instances")
	}
	for i, inst := range instances {
		instances[i] = ecsops.LastPart(inst)
	}
	return c.startTasks(ctx, instances)
}

// startTasks creates one Task per entry of instances, placed on that container instance when
// the entry is not empty.
func (c *call) startTasks(ctx context.Context, instances []string) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := ecs.ParseReference(c.str("taskDefinition"))
	if err != nil {
		return nil, invalidParameter("taskDefinition: %v", err)
	}
	short := ref.String() // an ARN as family:revision
	if ref.Revision > 0 {
		if r, err := findRevision(ctx, t, short); err == nil && r.Status == "INACTIVE" {
			return nil, clientError("TaskDefinition is inactive")
		}
	}
	spec := ecsv1.TaskSpec{}
	fields := maps(c.in)
	for _, k := range []string{"cluster", "count", "taskDefinition", "clientToken", "referenceId", "containerInstances"} {
		delete(fields, k)
	}
	if report, err := ecsjson.Fit("", fields, &spec); err != nil {
		return nil, invalidParameter("%v", err)
	} else if len(report.Losses) > 0 {
		return nil, invalidParameter("ecs-operator cannot carry %s", report.Losses[0])
	}
	spec.TaskDefinition = ecsv1.TaskDefinitionReference(short)
	var ids []string
	for _, inst := range instances {
		task := &ecsv1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, GenerateName: ecsjson.ObjectName(ref.Family) + "-"}, Spec: *spec.DeepCopy()}
		if inst != "" {
			task.Spec.PlacementConstraints = append(task.Spec.PlacementConstraints, ecsv1.PlacementConstraint{
				Type: "memberOf", Expression: fmt.Sprintf("ec2InstanceId == '%s'", inst)})
		}
		if err := c.c.Create(ctx, task); err != nil {
			return nil, err
		}
		ids = append(ids, strings.ReplaceAll(string(task.UID), "-", ""))
	}
	return t.DescribeTasks(ctx, ids)
}

func stopTask(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	want := ecsops.LastPart(c.str("task"))
	tasks, err := t.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	for _, dt := range tasks {
		if dt.View.ID != want {
			continue
		}
		if err := t.Stop(ctx, dt, c.str("reason")); err != nil {
			return nil, err
		}
		desc := ecsjson.DescribeTask(dt.View, dt.Ctx, t.ARNs)
		desc["desiredStatus"] = "STOPPED"
		if r := c.str("reason"); r != "" {
			desc["stoppedReason"] = r
		}
		return map[string]any{"task": desc}, nil
	}
	return nil, invalidParameter("The referenced task was not found.")
}

func describeTasks(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := c.strs("tasks")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > 100 {
		return nil, invalidParameter("tasks must name 1 to 100 tasks")
	}
	return t.DescribeTasks(ctx, ids)
}

func listTasks(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	tasks, err := t.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	desired := orDefault(c.str("desiredStatus"), "RUNNING")
	var arns []any
	for _, dt := range tasks {
		v := dt.View
		family, _, _ := strings.Cut(v.TaskDefinition, ":")
		switch {
		case c.str("serviceName") != "" && v.Service != ecsops.LastPart(c.str("serviceName")):
		case c.str("family") != "" && family != c.str("family"):
		case c.str("startedBy") != "" && dt.Ctx.StartedBy != c.str("startedBy"):
		case string(v.DesiredStatus) != desired:
		default:
			arns = append(arns, t.ARNs.Task(t.Cluster, v.ID))
		}
	}
	slices.SortFunc(arns, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	page, next, err := c.page(orEmpty(arns), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"taskArns": page}, next), nil
}

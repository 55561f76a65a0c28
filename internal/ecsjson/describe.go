package ecsjson

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

// ARNs names ecs-operator's objects the way ECS does, in one partition, region and account
// (a namespace stands for both in ecs-operator; the user chooses what to call them).
type ARNs struct {
	Partition, Region, Account string
}

func (a ARNs) prefix() string {
	p := a.Partition
	if p == "" {
		p = "aws"
	}
	return fmt.Sprintf("arn:%s:ecs:%s:%s:", p, a.Region, a.Account)
}

// Cluster is arn:aws:ecs:REGION:ACCOUNT:cluster/NAME.
func (a ARNs) Cluster(name string) string { return a.prefix() + "cluster/" + name }

// Service is arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME.
func (a ARNs) Service(cluster, name string) string {
	return a.prefix() + "service/" + cluster + "/" + name
}

// TaskDefinition is arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION for
// "family:revision" (or a family alone).
func (a ARNs) TaskDefinition(ref string) string { return a.prefix() + "task-definition/" + ref }

// Task is arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID.
func (a ARNs) Task(cluster, id string) string { return a.prefix() + "task/" + cluster + "/" + id }

// Container is arn:aws:ecs:REGION:ACCOUNT:container/CLUSTER/TASK-ID/NAME.
func (a ARNs) Container(cluster, taskID, name string) string {
	return a.prefix() + "container/" + cluster + "/" + taskID + "/" + name
}

// DescribeCluster is a Cluster as DescribeClusters reports it.
func DescribeCluster(c *ecsv1.Cluster, arns ARNs) map[string]any {
	status := string(c.Status.Status)
	if status == "" {
		status = "PROVISIONING"
	}
	out := map[string]any{
		"clusterArn":                        arns.Cluster(c.Name),
		"clusterName":                       c.Name,
		"status":                            status,
		"registeredContainerInstancesCount": 0,
		"runningTasksCount":                 c.Status.RunningTasksCount,
		"pendingTasksCount":                 c.Status.PendingTasksCount,
		"activeServicesCount":               c.Status.ActiveServicesCount,
		"statistics":                        []any{},
		"tags":                              []any{},
		"settings":                          []any{map[string]any{"name": "containerInsights", "value": "disabled"}},
		"capacityProviders":                 []any{},
		"defaultCapacityProviderStrategy":   []any{},
	}
	if spec, err := toMap(c.Spec); err == nil {
		if cps, ok := spec["capacityProviders"].([]any); ok {
			names := make([]any, 0, len(cps))
			for _, cp := range cps {
				if m, ok := cp.(map[string]any); ok {
					names = append(names, m["name"])
				}
			}
			out["capacityProviders"] = names
		}
		if s, ok := spec["defaultCapacityProviderStrategy"]; ok {
			out["defaultCapacityProviderStrategy"] = s
		}
		if tags, ok := spec["tags"]; ok {
			out["tags"] = tags
		}
	}
	return out
}

// DescribeService is a Service as DescribeServices reports it: its CreateService input with
// ARNs for names, and its state.
func DescribeService(s *ecsv1.Service, cluster string, arns ARNs) (map[string]any, error) {
	out, _, err := ServiceToECS(s.Name, "", s.Spec)
	if err != nil {
		return nil, err
	}
	delete(out, "cluster")
	if role, ok := out["role"]; ok {
		out["roleArn"] = role
		delete(out, "role")
	}
	status := string(s.Status.Status)
	if status == "" {
		status = "ACTIVE"
	}
	out["serviceArn"] = arns.Service(cluster, s.Name)
	out["clusterArn"] = arns.Cluster(cluster)
	out["status"] = status
	out["desiredCount"] = s.Status.DesiredCount
	out["runningCount"] = s.Status.RunningCount
	out["pendingCount"] = s.Status.PendingCount
	if s.Spec.DesiredCount != nil && s.Status.ObservedGeneration < s.Generation {
		out["desiredCount"] = *s.Spec.DesiredCount // asked for, not yet acted on
	}
	if td := s.Status.TaskDefinition; td != "" {
		out["taskDefinition"] = arns.TaskDefinition(td)
	} else if td, ok := out["taskDefinition"].(string); ok {
		out["taskDefinition"] = arns.TaskDefinition(td)
	}
	for _, k := range []string{"loadBalancers", "serviceRegistries", "placementConstraints", "placementStrategy"} {
		if _, ok := out[k]; !ok {
			out[k] = []any{}
		}
	}
	if _, ok := out["schedulingStrategy"]; !ok {
		out["schedulingStrategy"] = "REPLICA"
	}
	if _, ok := out["deploymentController"]; !ok {
		out["deploymentController"] = map[string]any{"type": "ECS"}
	}
	out["createdAt"] = s.CreationTimestamp.Time
	deployments := make([]any, 0, len(s.Status.Deployments))
	for _, d := range s.Status.Deployments {
		dm := map[string]any{
			"id": d.ID, "status": string(d.Status), "taskDefinition": arns.TaskDefinition(d.TaskDefinition),
			"desiredCount": d.DesiredCount, "pendingCount": d.PendingCount, "runningCount": d.RunningCount,
			"failedTasks": d.FailedTasks,
		}
		if d.CreatedAt != nil {
			dm["createdAt"] = d.CreatedAt.Time
		}
		if d.UpdatedAt != nil {
			dm["updatedAt"] = d.UpdatedAt.Time
		}
		if d.RolloutState != "" {
			dm["rolloutState"] = string(d.RolloutState)
			dm["rolloutStateReason"] = d.RolloutStateReason
		}
		if lt, ok := out["launchType"]; ok {
			dm["launchType"] = lt
		}
		deployments = append(deployments, dm)
	}
	out["deployments"] = deployments
	events := make([]any, 0, len(s.Status.Events))
	for _, e := range s.Status.Events {
		events = append(events, map[string]any{"id": e.ID, "createdAt": e.CreatedAt.Time, "message": e.Message})
	}
	out["events"] = events
	return out, nil
}

// DescribeTaskDefinition is a revision as DescribeTaskDefinition reports it.
func DescribeTaskDefinition(name string, revision int64, spec ecsv1.TaskDefinitionSpec, status string, registeredAt time.Time, arns ARNs) (map[string]any, []any, error) {
	out, _, err := TaskDefinitionToECS(name, spec)
	if err != nil {
		return nil, nil, err
	}
	tags, _ := out["tags"].([]any)
	delete(out, "tags")
	family, _ := out["family"].(string)
	out["taskDefinitionArn"] = arns.TaskDefinition(family + ":" + strconv.FormatInt(revision, 10))
	out["revision"] = revision
	out["status"] = status
	out["compatibilities"] = []any{"EC2", "FARGATE"}
	out["requiresAttributes"] = []any{}
	if !registeredAt.IsZero() {
		out["registeredAt"] = registeredAt
	}
	if _, ok := out["volumes"]; !ok {
		out["volumes"] = []any{}
	}
	if _, ok := out["placementConstraints"]; !ok {
		out["placementConstraints"] = []any{}
	}
	if tags == nil {
		tags = []any{}
	}
	return out, tags, nil
}

// TaskContext is what a task's description needs beyond its Pod: its cluster, where it runs,
// and how it was launched.
type TaskContext struct {
	Cluster, AvailabilityZone, LaunchType, CapacityProvider string
	CPU, Memory                                             string
	StartedBy                                               string
	Tags                                                    []ecsv1.Tag
}

// DescribeTask is a task as DescribeTasks reports it.
func DescribeTask(t taskview.Task, ctx TaskContext, arns ARNs) map[string]any {
	taskARN := arns.Task(ctx.Cluster, t.ID)
	containers := make([]any, 0, len(t.Containers))
	for _, c := range t.Containers {
		cm := map[string]any{
			"containerArn": arns.Container(ctx.Cluster, t.ID, string(c.Name)), "taskArn": taskARN,
			"name": string(c.Name), "image": t.Images[string(c.Name)], "lastStatus": c.LastStatus,
			"networkBindings": []any{}, "networkInterfaces": []any{},
		}
		if c.ExitCode != nil {
			cm["exitCode"] = *c.ExitCode
		}
		if c.Reason != "" {
			cm["reason"] = c.Reason
		}
		if c.HealthStatus != "" {
			cm["healthStatus"] = string(c.HealthStatus)
		}
		containers = append(containers, cm)
	}
	out := map[string]any{
		"taskArn":              taskARN,
		"clusterArn":           arns.Cluster(ctx.Cluster),
		"taskDefinitionArn":    arns.TaskDefinition(t.TaskDefinition),
		"lastStatus":           string(t.LastStatus),
		"desiredStatus":        string(t.DesiredStatus),
		"healthStatus":         string(orDefault(t.HealthStatus, ecsv1.HealthUnknown)),
		"containers":           containers,
		"group":                t.Group,
		"version":              1,
		"attachments":          []any{},
		"attributes":           []any{},
		"overrides":            map[string]any{"containerOverrides": []any{}, "inferenceAcceleratorOverrides": []any{}},
		"tags":                 tagsOf(ctx.Tags),
		"enableExecuteCommand": false,
	}
	for k, v := range map[string]string{"availabilityZone": ctx.AvailabilityZone, "launchType": ctx.LaunchType, "capacityProviderName": ctx.CapacityProvider,
		"cpu": ctx.CPU, "memory": ctx.Memory, "startedBy": ctx.StartedBy, "stopCode": string(t.StopCode), "stoppedReason": t.StoppedReason} {
		if v != "" {
			out[k] = v
		}
	}
	for k, v := range map[string]*time.Time{"createdAt": t.CreatedAt, "startedAt": t.StartedAt, "stoppingAt": t.StoppingAt, "stoppedAt": t.StoppedAt} {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func tagsOf(tags []ecsv1.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]any{"key": t.Key, "value": t.Value})
	}
	return out
}

// Render turns the times of a description into what the AWS CLI prints (ISO 8601 with the
// offset, microseconds when there are any, as Python writes them) or, wire, into the epoch
// seconds the ECS API sends.
func Render(v any, wire bool) any {
	switch x := v.(type) {
	case time.Time:
		if wire {
			return float64(x.UnixMilli()) / 1000
		}
		return CLITime(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Render(e, wire)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Render(e, wire)
		}
		return out
	}
	return v
}

// CLITime is a time as the AWS CLI prints it: 2024-05-01T10:00:00.123000+00:00.
func CLITime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// SortedByARN sorts descriptions by one of their string keys, as ECS lists them.
func SortedByARN(items []any, key string) []any {
	sort.SliceStable(items, func(i, j int) bool {
		a, _ := items[i].(map[string]any)[key].(string)
		b, _ := items[j].(map[string]any)[key].(string)
		return strings.Compare(a, b) < 0
	})
	return items
}

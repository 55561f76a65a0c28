package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

func newDescribeServicesCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var names []string
	cmd := &cobra.Command{
		Use:   "describe-services --services NAME... [--cluster C]",
		Short: "Describe Services as aws ecs describe-services does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			doc, err := t.describeServices(cmd.Context(), names)
			if err != nil {
				return err
			}
			return printResult(s.out, a.output, doc, servicesTable(doc))
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringSliceVar(&names, "services", nil, "Service names or ARNs (space- or comma-separated, repeatable).")
	_ = cmd.MarkFlagRequired("services")
	return cmd
}

func (t *target) describeServices(ctx context.Context, names []string) (map[string]any, error) {
	services, failures := []any{}, []any{}
	for _, n := range names {
		name := lastPart(n)
		svc := &ecsv1.Service{}
		if err := t.c.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				failures = append(failures, map[string]any{"arn": t.arns.Service(t.cluster, name), "reason": "MISSING"})
				continue
			}
			return nil, err
		}
		desc, err := ecsjson.DescribeService(svc, t.cluster, t.arns)
		if err != nil {
			return nil, err
		}
		services = append(services, desc)
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

func servicesTable(doc map[string]any) *table {
	t := &table{headers: []string{"SERVICE", "STATUS", "DESIRED", "RUNNING", "PENDING", "TASK DEFINITION", "ROLLOUT", "LAUNCH TYPE", "DEPLOYMENTS"},
		wide: []bool{false, false, false, false, false, false, false, true, true}}
	for _, item := range doc["services"].([]any) {
		m := item.(map[string]any)
		rollout, deployments := "-", m["deployments"].([]any)
		if len(deployments) > 0 {
			rollout = str(deployments[0].(map[string]any), "rolloutState")
		}
		t.rows = append(t.rows, []string{str(m, "serviceName"), str(m, "status"), str(m, "desiredCount"), str(m, "runningCount"),
			str(m, "pendingCount"), lastPart(str(m, "taskDefinition")), rollout, str(m, "launchType"), strconv.Itoa(len(deployments))})
	}
	return t
}

func newDescribeClustersCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var names []string
	cmd := &cobra.Command{
		Use:   "describe-clusters [--clusters NAME...]",
		Short: "Describe Clusters as aws ecs describe-clusters does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			if len(names) == 0 {
				names = []string{clusterOf(cmd.Context(), c, ns)}
			}
			clusters, failures := []any{}, []any{}
			for _, n := range names {
				cl := &ecsv1.Cluster{}
				if err := c.Get(cmd.Context(), client.ObjectKey{Name: clusterName(n)}, cl); err != nil {
					if apierrors.IsNotFound(err) || n == "" {
						failures = append(failures, map[string]any{"arn": a.arns().Cluster(clusterName(n)), "reason": "MISSING"})
						continue
					}
					return err
				}
				clusters = append(clusters, ecsjson.DescribeCluster(cl, a.arns()))
			}
			doc := map[string]any{"clusters": clusters, "failures": failures}
			t := &table{headers: []string{"CLUSTER", "STATUS", "SERVICES", "RUNNING", "PENDING", "CAPACITY PROVIDERS"}, wide: []bool{false, false, false, false, false, true}}
			for _, item := range clusters {
				m := item.(map[string]any)
				cps, _ := json.Marshal(m["capacityProviders"])
				t.rows = append(t.rows, []string{str(m, "clusterName"), str(m, "status"), str(m, "activeServicesCount"), str(m, "runningTasksCount"), str(m, "pendingTasksCount"), string(cps)})
			}
			return printResult(s.out, a.output, doc, t)
		},
	}
	a.bind(cmd, false)
	cmd.Flags().StringSliceVar(&names, "clusters", nil, "Cluster names or ARNs (default: the Cluster of the namespace).")
	return cmd
}

// taskDefinitionRevision is one revision of a TaskDefinition object.
type taskDefinitionRevision struct {
	name     string
	family   string
	revision int64
	status   string
	td       *ecsv1.TaskDefinition
}

// revisions lists the revisions of the namespace's task definitions, by family, oldest first.
func (t *target) revisions(ctx context.Context) ([]taskDefinitionRevision, error) {
	var tds ecsv1.TaskDefinitionList
	if err := t.c.List(ctx, &tds, client.InNamespace(t.namespace)); err != nil {
		return nil, err
	}
	var out []taskDefinitionRevision
	for i := range tds.Items {
		td := &tds.Items[i]
		family := td.Status.Family
		if family == "" {
			family = string(td.Spec.Family)
		}
		if family == "" {
			family = td.Name
		}
		for _, r := range td.Status.Revisions {
			out = append(out, taskDefinitionRevision{name: td.Name, family: family, revision: r.Revision, status: string(r.Status), td: td})
		}
	}
	slices.SortFunc(out, func(a, b taskDefinitionRevision) int {
		if c := strings.Compare(a.family, b.family); c != 0 {
			return c
		}
		return int(a.revision - b.revision)
	})
	return out, nil
}

// content reads a revision's task definition from its ControllerRevision.
func (t *target) content(ctx context.Context, r taskDefinitionRevision) (ecsv1.TaskDefinitionSpec, error) {
	var revs appsv1.ControllerRevisionList
	if err := t.c.List(ctx, &revs, client.InNamespace(t.namespace), client.MatchingLabels{ecsv1.LabelRevision: strconv.FormatInt(r.revision, 10)}); err != nil {
		return ecsv1.TaskDefinitionSpec{}, err
	}
	for _, cr := range revs.Items {
		if metav1ControllerUID(cr.OwnerReferences) == string(r.td.UID) {
			var spec ecsv1.TaskDefinitionSpec
			return spec, json.Unmarshal(cr.Data.Raw, &spec)
		}
	}
	if r.revision == r.td.Status.Revision {
		return r.td.Spec, nil
	}
	return ecsv1.TaskDefinitionSpec{}, fmt.Errorf("revision %d of %s is gone", r.revision, r.family)
}

func newDescribeTaskDefinitionCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var ref string
	var include []string
	cmd := &cobra.Command{
		Use:   "describe-task-definition --task-definition FAMILY[:REVISION]|ARN",
		Short: "Describe a task definition revision as aws ecs describe-task-definition does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			want, err := ecs.ParseReference(ref)
			if err != nil {
				return fmt.Errorf("ClientException: %w", err)
			}
			revs, err := t.revisions(cmd.Context())
			if err != nil {
				return err
			}
			var found *taskDefinitionRevision
			for i, r := range revs {
				if r.family == want.Family && (want.Revision == 0 && r.status == "ACTIVE" || r.revision == want.Revision) {
					found = &revs[i] // the latest ACTIVE one for a family alone
				}
			}
			if found == nil {
				return fmt.Errorf("ClientException: Unable to describe task definition %s", ref)
			}
			spec, err := t.content(cmd.Context(), *found)
			if err != nil {
				return err
			}
			var registered time.Time
			for _, r := range found.td.Status.Revisions {
				if r.Revision == found.revision && r.CreatedAt != nil {
					registered = r.CreatedAt.Time
				}
			}
			td, tags, err := ecsjson.DescribeTaskDefinition(found.name, found.revision, spec, found.status, registered, t.arns)
			if err != nil {
				return err
			}
			doc := map[string]any{"taskDefinition": td}
			if slices.Contains(include, "TAGS") {
				doc["tags"] = tags
			}
			tbl := &table{headers: []string{"TASK DEFINITION", "STATUS", "CPU", "MEMORY", "CONTAINERS"}, wide: []bool{false, false, false, false, true}}
			var containers []string
			for _, c := range spec.ContainerDefinitions {
				containers = append(containers, string(c.Name)+"="+c.Image)
			}
			tbl.rows = append(tbl.rows, []string{found.family + ":" + strconv.FormatInt(found.revision, 10), found.status, orDash(string(spec.CPU)), orDash(string(spec.Memory)), strings.Join(containers, ",")})
			return printResult(s.out, a.output, doc, tbl)
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&ref, "task-definition", "", "family, family:revision or a task definition ARN.")
	cmd.Flags().StringSliceVar(&include, "include", nil, "TAGS to include the tags.")
	_ = cmd.MarkFlagRequired("task-definition")
	return cmd
}

func newListTaskDefinitionsCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var prefix, status, sort string
	cmd := &cobra.Command{
		Use:   "list-task-definitions [--family-prefix P] [--status ACTIVE|INACTIVE]",
		Short: "List task definition revisions as aws ecs list-task-definitions does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			revs, err := t.revisions(cmd.Context())
			if err != nil {
				return err
			}
			arns := []any{}
			tbl := &table{headers: []string{"TASK DEFINITION", "STATUS"}, wide: []bool{false, false}}
			for _, r := range revs {
				if strings.HasPrefix(r.family, prefix) && (status == "" || r.status == status) {
					ref := r.family + ":" + strconv.FormatInt(r.revision, 10)
					arns = append(arns, t.arns.TaskDefinition(ref))
					tbl.rows = append(tbl.rows, []string{ref, r.status})
				}
			}
			if sort == "DESC" {
				slices.Reverse(arns)
				slices.Reverse(tbl.rows)
			}
			return printResult(s.out, a.output, map[string]any{"taskDefinitionArns": arns}, tbl)
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&prefix, "family-prefix", "", "Only families that start with it.")
	cmd.Flags().StringVar(&status, "status", "ACTIVE", "ACTIVE, INACTIVE, or empty for both.")
	cmd.Flags().StringVar(&sort, "sort", "ASC", "ASC or DESC.")
	return cmd
}

// tasks are the tasks of the namespace: the Pods of its Services and Tasks, and the stopped
// Tasks whose Pods are gone, each with its description.
func (t *target) tasks(ctx context.Context) ([]describedTask, error) {
	var pods corev1.PodList
	if err := t.c.List(ctx, &pods, client.InNamespace(t.namespace)); err != nil {
		return nil, err
	}
	var taskObjs ecsv1.TaskList
	if err := t.c.List(ctx, &taskObjs, client.InNamespace(t.namespace)); err != nil {
		return nil, err
	}
	byName := map[string]*ecsv1.Task{}
	for i := range taskObjs.Items {
		byName[taskObjs.Items[i].Name] = &taskObjs.Items[i]
	}
	var out []describedTask
	seen := map[string]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Labels[ecsv1.LabelService] == "" && pod.Labels[ecsv1.LabelTask] == "" {
			continue
		}
		view := taskview.FromPod(pod)
		ctxInfo := ecsjson.TaskContext{Cluster: t.cluster, LaunchType: "EC2"}
		if obj := byName[pod.Labels[ecsv1.LabelTask]]; obj != nil {
			view = t.taskObject(obj, &view)
			ctxInfo.StartedBy, ctxInfo.Tags = obj.Spec.StartedBy, obj.Spec.Tags
			seen[obj.Name] = true
		}
		if pod.Spec.NodeName != "" {
			node := &corev1.Node{}
			if err := t.c.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, node); err == nil {
				ctxInfo.AvailabilityZone = node.Labels[corev1.LabelTopologyZone]
			}
		}
		out = append(out, describedTask{view: view, ctx: ctxInfo})
	}
	for _, obj := range taskObjs.Items {
		if !seen[obj.Name] {
			view := t.taskObject(&obj, nil)
			out = append(out, describedTask{view: view, ctx: ecsjson.TaskContext{Cluster: t.cluster, LaunchType: "EC2", StartedBy: obj.Spec.StartedBy, Tags: obj.Spec.Tags}})
		}
	}
	return out, nil
}

type describedTask struct {
	view taskview.Task
	ctx  ecsjson.TaskContext
}

// taskObject is a Task object's task: its Pod's view when it has one, its status otherwise;
// its ID is the Task object's UID, which outlives the Pod.
func (t *target) taskObject(obj *ecsv1.Task, fromPod *taskview.Task) taskview.Task {
	view := taskview.Task{Images: map[string]string{}}
	if fromPod != nil {
		view = *fromPod
	}
	view.ID = strings.ReplaceAll(string(obj.UID), "-", "")
	view.TaskName = obj.Name
	st := obj.Status
	if st.LastStatus != "" {
		view.LastStatus = st.LastStatus
	}
	if st.DesiredStatus != "" {
		view.DesiredStatus = st.DesiredStatus
	}
	if st.StopCode != "" {
		view.StopCode, view.StoppedReason = st.StopCode, st.StoppedReason
	}
	if st.TaskDefinition != "" {
		view.TaskDefinition = st.TaskDefinition
	} else if view.TaskDefinition == "" {
		view.TaskDefinition = string(obj.Spec.TaskDefinition)
	}
	if obj.Spec.Group != "" {
		view.Group = obj.Spec.Group
	} else if view.Group == "" {
		family, _, _ := strings.Cut(view.TaskDefinition, ":")
		view.Group = "family:" + family
	}
	if view.CreatedAt == nil {
		created := obj.CreationTimestamp.Time
		view.CreatedAt = &created
	}
	if st.StartedAt != nil {
		started := st.StartedAt.Time
		view.StartedAt = &started
	}
	if st.StoppedAt != nil {
		stopped := st.StoppedAt.Time
		view.StoppedAt = &stopped
	}
	if fromPod == nil && len(st.Containers) > 0 {
		view.Containers = st.Containers
	}
	return view
}

func newListTasksCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var service, familyFlag, desired, startedBy string
	cmd := &cobra.Command{
		Use:   "list-tasks [--cluster C] [--service-name S] [--family F] [--desired-status RUNNING|STOPPED]",
		Short: "List tasks as aws ecs list-tasks does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			tasks, err := t.tasks(cmd.Context())
			if err != nil {
				return err
			}
			arns := []any{}
			tbl := &table{headers: []string{"TASK", "GROUP", "LAST STATUS", "DESIRED", "TASK DEFINITION"}, wide: []bool{false, false, false, false, true}}
			for _, dt := range tasks {
				v := dt.view
				switch {
				case service != "" && v.Service != lastPart(service):
				case familyFlag != "" && familyOf(v.TaskDefinition) != familyFlag:
				case startedBy != "" && dt.ctx.StartedBy != startedBy:
				case string(v.DesiredStatus) != desired:
				default:
					arns = append(arns, t.arns.Task(t.cluster, v.ID))
					tbl.rows = append(tbl.rows, []string{v.ID, v.Group, string(v.LastStatus), string(v.DesiredStatus), v.TaskDefinition})
				}
			}
			return printResult(s.out, a.output, map[string]any{"taskArns": sortedStrings(arns)}, tbl)
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&service, "service-name", "", "Only the tasks of this service.")
	cmd.Flags().StringVar(&familyFlag, "family", "", "Only the tasks of this task definition family.")
	cmd.Flags().StringVar(&startedBy, "started-by", "", "Only the tasks started by this.")
	cmd.Flags().StringVar(&desired, "desired-status", "RUNNING", "RUNNING or STOPPED.")
	return cmd
}

func familyOf(ref string) string {
	f, _, _ := strings.Cut(ref, ":")
	return f
}

func newDescribeTasksCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var ids []string
	cmd := &cobra.Command{
		Use:   "describe-tasks --tasks ID|ARN... [--cluster C]",
		Short: "Describe tasks as aws ecs describe-tasks does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			doc, err := t.describeTasks(cmd.Context(), ids)
			if err != nil {
				return err
			}
			tbl := &table{headers: []string{"TASK", "GROUP", "LAST STATUS", "HEALTH", "STOP CODE", "TASK DEFINITION", "ZONE"}, wide: []bool{false, false, false, false, false, true, true}}
			for _, item := range doc["tasks"].([]any) {
				m := item.(map[string]any)
				tbl.rows = append(tbl.rows, []string{lastPart(str(m, "taskArn")), str(m, "group"), str(m, "lastStatus"), str(m, "healthStatus"),
					str(m, "stopCode"), lastPart(str(m, "taskDefinitionArn")), str(m, "availabilityZone")})
			}
			return printResult(s.out, a.output, doc, tbl)
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringSliceVar(&ids, "tasks", nil, "Task IDs or ARNs.")
	_ = cmd.MarkFlagRequired("tasks")
	return cmd
}

func (t *target) describeTasks(ctx context.Context, ids []string) (map[string]any, error) {
	all, err := t.tasks(ctx)
	if err != nil {
		return nil, err
	}
	tasks, failures := []any{}, []any{}
	for _, id := range ids {
		want := lastPart(id)
		i := slices.IndexFunc(all, func(dt describedTask) bool { return dt.view.ID == want })
		if i < 0 {
			failures = append(failures, map[string]any{"arn": t.arns.Task(t.cluster, want), "reason": "MISSING"})
			continue
		}
		tasks = append(tasks, ecsjson.DescribeTask(all[i].view, all[i].ctx, t.arns))
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedStrings(items []any) []any {
	slices.SortFunc(items, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return items
}

package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
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
			doc, err := t.DescribeServices(cmd.Context(), names)
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
			str(m, "pendingCount"), ecsops.LastPart(str(m, "taskDefinition")), rollout, str(m, "launchType"), strconv.Itoa(len(deployments))})
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
				names = []string{ecsops.ClusterOf(cmd.Context(), c, ns)}
			}
			clusters, failures := []any{}, []any{}
			for _, n := range names {
				cl := &ecsv1.Cluster{}
				if err := c.Get(cmd.Context(), client.ObjectKey{Name: ecsops.ClusterName(n)}, cl); err != nil {
					if apierrors.IsNotFound(err) || n == "" {
						failures = append(failures, map[string]any{"arn": a.arns().Cluster(ecsops.ClusterName(n)), "reason": "MISSING"})
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
			found, err := t.FindRevision(cmd.Context(), ref)
			if err != nil {
				return fmt.Errorf("ClientException: %w (%s)", err, ref)
			}
			spec, err := t.Content(cmd.Context(), found)
			if err != nil {
				return err
			}
			td, tags, err := ecsjson.DescribeTaskDefinition(found.Name, found.Revision, spec, found.Status, found.RegisteredAt(), t.ARNs)
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
			tbl.rows = append(tbl.rows, []string{found.Family + ":" + strconv.FormatInt(found.Revision, 10), found.Status, orDash(string(spec.CPU)), orDash(string(spec.Memory)), strings.Join(containers, ",")})
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
			revs, err := t.Revisions(cmd.Context())
			if err != nil {
				return err
			}
			arns := []any{}
			tbl := &table{headers: []string{"TASK DEFINITION", "STATUS"}, wide: []bool{false, false}}
			for _, r := range revs {
				if strings.HasPrefix(r.Family, prefix) && (status == "" || r.Status == status) {
					ref := r.Family + ":" + strconv.FormatInt(r.Revision, 10)
					arns = append(arns, t.ARNs.TaskDefinition(ref))
					tbl.rows = append(tbl.rows, []string{ref, r.Status})
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
			tasks, err := t.Tasks(cmd.Context())
			if err != nil {
				return err
			}
			arns := []any{}
			tbl := &table{headers: []string{"TASK", "GROUP", "LAST STATUS", "DESIRED", "TASK DEFINITION"}, wide: []bool{false, false, false, false, true}}
			for _, dt := range tasks {
				v := dt.View
				switch {
				case service != "" && v.Service != ecsops.LastPart(service):
				case familyFlag != "" && familyOf(v.TaskDefinition) != familyFlag:
				case startedBy != "" && dt.Ctx.StartedBy != startedBy:
				case string(v.DesiredStatus) != desired:
				default:
					arns = append(arns, t.ARNs.Task(t.Cluster, v.ID))
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
			doc, err := t.DescribeTasks(cmd.Context(), ids)
			if err != nil {
				return err
			}
			tbl := &table{headers: []string{"TASK", "GROUP", "LAST STATUS", "HEALTH", "STOP CODE", "TASK DEFINITION", "ZONE"}, wide: []bool{false, false, false, false, false, true, true}}
			for _, item := range doc["tasks"].([]any) {
				m := item.(map[string]any)
				tbl.rows = append(tbl.rows, []string{ecsops.LastPart(str(m, "taskArn")), str(m, "group"), str(m, "lastStatus"), str(m, "healthStatus"),
					str(m, "stopCode"), ecsops.LastPart(str(m, "taskDefinitionArn")), str(m, "availabilityZone")})
			}
			return printResult(s.out, a.output, doc, tbl)
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringSliceVar(&ids, "tasks", nil, "Task IDs or ARNs.")
	_ = cmd.MarkFlagRequired("tasks")
	return cmd
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

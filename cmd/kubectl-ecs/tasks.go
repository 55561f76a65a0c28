package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

func newRunTaskCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var ref, launchType, startedBy, group string
	var count int
	cmd := &cobra.Command{
		Use:   "run-task --task-definition FAMILY[:REVISION] [--count N] [--cluster C]",
		Short: "Run tasks (Task objects) as aws ecs run-task does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 1 || count > 10 {
				return fmt.Errorf("InvalidParameterException: count must be between 1 and 10, not %d", count)
			}
			parsed, err := ecs.ParseReference(ref)
			if err != nil {
				return fmt.Errorf("InvalidParameterException: --task-definition: %w", err)
			}
			shortRef := parsed.String() // an ARN as family:revision
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			var ids []string
			for range count {
				task := &ecsv1.Task{
					ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, GenerateName: ecsObjectPrefix(parsed.Family)},
					Spec: ecsv1.TaskSpec{TaskDefinition: ecsv1.TaskDefinitionReference(shortRef), LaunchType: ecsv1.LaunchType(launchType),
						StartedBy: startedBy, Group: group},
				}
				if err := t.Client.Create(cmd.Context(), task); err != nil {
					return err
				}
				ids = append(ids, strings.ReplaceAll(string(task.UID), "-", ""))
			}
			doc, err := t.DescribeTasks(cmd.Context(), ids)
			if err != nil {
				return err
			}
			return printResult(s.out, a.output, doc, &table{headers: []string{"TASK"}, wide: []bool{false}, rows: rowsOf(ids)})
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&ref, "task-definition", "", "family, family:revision or a task definition ARN.")
	cmd.Flags().IntVar(&count, "count", 1, "How many tasks to run (1 to 10).")
	cmd.Flags().StringVar(&launchType, "launch-type", "", "EC2, FARGATE or EXTERNAL (default: the Cluster's capacity provider strategy).")
	cmd.Flags().StringVar(&startedBy, "started-by", "", "Recorded on the tasks (list-tasks --started-by finds them).")
	cmd.Flags().StringVar(&group, "group", "", "The tasks' group (default family:FAMILY).")
	_ = cmd.MarkFlagRequired("task-definition")
	return cmd
}

func ecsObjectPrefix(family string) string {
	p := strings.ToLower(strings.NewReplacer("_", "-").Replace(family))
	if len(p) > 40 {
		p = p[:40]
	}
	return strings.TrimSuffix(p, "-") + "-"
}

func rowsOf(ids []string) [][]string {
	rows := make([][]string, len(ids))
	for i, id := range ids {
		rows[i] = []string{id}
	}
	return rows
}

func newStopTaskCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var id, reason string
	cmd := &cobra.Command{
		Use:   "stop-task --task ID|ARN [--reason R] [--cluster C]",
		Short: "Stop a task as aws ecs stop-task does (a Service replaces its own)",
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
			want := ecsops.LastPart(id)
			for _, dt := range tasks {
				if dt.View.ID != want {
					continue
				}
				if err := t.Stop(cmd.Context(), dt, reason); err != nil {
					return err
				}
				doc, err := t.DescribeTasks(cmd.Context(), []string{want})
				if err != nil {
					return err
				}
				out := map[string]any{}
				if list := doc["tasks"].([]any); len(list) > 0 {
					out["task"] = list[0]
				}
				return printResult(s.out, a.output, out, &table{headers: []string{"TASK"}, wide: []bool{false}, rows: rowsOf([]string{want})})
			}
			return fmt.Errorf("InvalidParameterException: The referenced task was not found: %s", t.ARNs.Task(t.Cluster, want))
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&id, "task", "", "The task's ID or ARN.")
	cmd.Flags().StringVar(&reason, "reason", "", "Why: the stoppedReason of a task of run-task (a Service's task is replaced).")
	_ = cmd.MarkFlagRequired("task")
	return cmd
}

func newUpdateServiceCommand(s streams, k *kubeFlags) *cobra.Command {
	a := &awsFlags{}
	var service, taskDefinition string
	var desired int32
	var force bool
	cmd := &cobra.Command{
		Use:   "update-service --service NAME [--desired-count N] [--task-definition TD] [--force-new-deployment]",
		Short: "Update a Service as aws ecs update-service does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			name := ecsops.LastPart(service)
			spec := map[string]any{}
			if cmd.Flags().Changed("desired-count") {
				spec["desiredCount"] = desired
			}
			if taskDefinition != "" {
				ref, err := ecs.ParseReference(taskDefinition)
				if err != nil {
					return fmt.Errorf("InvalidParameterException: --task-definition: %w", err)
				}
				spec["taskDefinition"] = ref.String() // an ARN as family:revision
			}
			patch := map[string]any{}
			if len(spec) > 0 {
				patch["spec"] = spec
			}
			if force {
				patch["metadata"] = map[string]any{"annotations": map[string]any{ecsv1.AnnotationForceNewDeployment: time.Now().UTC().Format(time.RFC3339Nano)}}
			}
			if len(patch) == 0 {
				return fmt.Errorf("InvalidParameterException: nothing to update: give --desired-count, --task-definition or --force-new-deployment")
			}
			svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: name}}
			if err := t.Client.Patch(cmd.Context(), svc, client.RawPatch(types.MergePatchType, mustJSON(patch))); err != nil {
				return fmt.Errorf("ServiceNotFoundException or refused: %w", err)
			}
			doc, err := t.DescribeServices(cmd.Context(), []string{name})
			if err != nil {
				return err
			}
			out := map[string]any{"service": doc["services"].([]any)[0]}
			return printResult(s.out, a.output, out, servicesTable(doc))
		},
	}
	a.bind(cmd, true)
	cmd.Flags().StringVar(&service, "service", "", "The service's name or ARN.")
	cmd.Flags().Int32Var(&desired, "desired-count", 0, "The number of tasks to run.")
	cmd.Flags().StringVar(&taskDefinition, "task-definition", "", "family, family:revision or ARN to deploy.")
	cmd.Flags().BoolVar(&force, "force-new-deployment", false, "Replace every task, even with the same task definition.")
	_ = cmd.MarkFlagRequired("service")
	return cmd
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return b
}

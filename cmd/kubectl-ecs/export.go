package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

type exportOptions struct {
	revision int64
	format   string
	strict   bool
}

func newExportCommand(s streams, k *kubeFlags) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export (taskdefinition|service|deployment)/NAME",
		Short: "Write a TaskDefinition, Service or Deployment as ECS input",
		Long: `export writes a TaskDefinition as the RegisterTaskDefinition input and a Service as the
CreateService input that aws ecs register-task-definition / create-service --cli-input-json
accept, or as CloudFormation or Terraform (.tf.json). deployment/NAME turns a plain Kubernetes
Deployment, with the Services that select it and its HorizontalPodAutoscaler, into a task
definition and a service, for teams going from EKS to ECS. What has no ECS equivalent is
reported on stderr with its path.`,
		Example: `  kubectl ecs export taskdefinition/web --revision 3 > web.json
  aws ecs register-task-definition --cli-input-json file://web.json
  kubectl ecs export service/web --format cloudformation
  kubectl ecs export deployment/checkout -n shop`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), s, k, args[0]) },
	}
	cmd.Flags().Int64Var(&o.revision, "revision", 0, "The task definition revision to export (default: the current spec).")
	cmd.Flags().StringVar(&o.format, "format", "json", "json (ECS API input), cloudformation or terraform.")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "Exit with status 2, writing nothing, when anything has no ECS equivalent.")
	return cmd
}

func (o *exportOptions) run(ctx context.Context, s streams, k *kubeFlags, ref string) error {
	kind, name, ok := strings.Cut(ref, "/")
	if !ok || name == "" {
		return fmt.Errorf("%q: want taskdefinition/NAME, service/NAME or deployment/NAME", ref)
	}
	if o.format != "json" && o.format != "cloudformation" && o.format != "terraform" {
		return fmt.Errorf("--format %q: want json, cloudformation or terraform", o.format)
	}
	c, ns, err := k.client()
	if err != nil {
		return err
	}
	var doc *exported
	switch strings.ToLower(kind) {
	case "taskdefinition", "taskdefinitions", "td", "ecstd":
		doc, err = o.taskDefinition(ctx, c, ns, name)
	case "service", "services", "svc", "ecssvc":
		doc, err = exportService(ctx, c, ns, name)
	case "deployment", "deployments", "deploy":
		doc, err = exportDeployment(ctx, c, ns, name)
	default:
		return fmt.Errorf("%q: export takes taskdefinition, service or deployment, not %q", ref, kind)
	}
	if err != nil {
		return err
	}
	for _, n := range doc.report.Notes {
		_, _ = fmt.Fprintf(s.err, "note: %s: %s\n", ref, n)
	}
	for _, l := range doc.report.Losses {
		_, _ = fmt.Fprintf(s.err, "lost: %s: %s\n", ref, l)
	}
	if o.strict && len(doc.report.Losses) > 0 {
		_, _ = fmt.Fprintln(s.err, "error: --strict: ECS has no equivalent for the above; nothing written")
		return exitError{code: 2}
	}
	out := doc.format(o.format)
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// exported is a task definition and/or a service as ECS input, and what was lost on the way.
type exported struct {
	name           string
	taskDefinition map[string]any
	service        map[string]any
	report         ecsjson.Report
}

func (e *exported) format(f string) any {
	switch f {
	case "cloudformation":
		return ecsjson.CloudFormationTemplate(e.name, e.taskDefinition, e.service, &e.report)
	case "terraform":
		return ecsjson.TerraformJSON(e.name, e.taskDefinition, e.service, &e.report)
	}
	switch {
	case e.taskDefinition != nil && e.service != nil:
		// Two inputs, in the order they are registered.
		return map[string]any{"taskDefinition": e.taskDefinition, "service": e.service}
	case e.taskDefinition != nil:
		return e.taskDefinition
	}
	return e.service
}

func (o *exportOptions) taskDefinition(ctx context.Context, c client.Client, ns, name string) (*exported, error) {
	td := &ecsv1.TaskDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, td); err != nil {
		return nil, err
	}
	spec := td.Spec
	if o.revision > 0 {
		var revs appsv1.ControllerRevisionList
		if err := c.List(ctx, &revs, client.InNamespace(ns), client.MatchingLabels{ecsv1.LabelRevision: strconv.FormatInt(o.revision, 10)}); err != nil {
			return nil, err
		}
		found := false
		for _, r := range revs.Items {
			if owner := ecsops.ControllerUID(r.OwnerReferences); owner == string(td.UID) {
				spec = ecsv1.TaskDefinitionSpec{}
				if err := json.Unmarshal(r.Data.Raw, &spec); err != nil {
					return nil, fmt.Errorf("revision %d of %s: %w", o.revision, name, err)
				}
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("task definition %s has no revision %d (kubectl get taskdefinition %s -o jsonpath='{.status.revisions}')", name, o.revision, name)
		}
	}
	out, report, err := ecsjson.TaskDefinitionToECS(name, spec)
	if err != nil {
		return nil, err
	}
	return &exported{name: name, taskDefinition: out, report: report}, nil
}

func exportService(ctx context.Context, c client.Client, ns, name string) (*exported, error) {
	svc := &ecsv1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
		return nil, err
	}
	cluster := ecsops.ClusterOf(ctx, c, ns)
	out, report, err := ecsjson.ServiceToECS(name, cluster, svc.Spec)
	if err != nil {
		return nil, err
	}
	return &exported{name: name, service: out, report: report}, nil
}

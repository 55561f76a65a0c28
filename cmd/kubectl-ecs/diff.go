package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

type diffOptions struct {
	files  []string
	params []string
	family string
}

func newDiffCommand(s streams, k *kubeFlags) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff -f FILE|DIR|-",
		Short: "Compare ECS task and service definitions with the live TaskDefinitions and Services",
		Long: `diff reads the files as import does and compares each task definition and service with the live
object of the same name, both normalised the way ECS and ecspresso compare them: environment,
secrets, ports and tags sorted, the defaults ECS fills in made explicit, sizes in one form. It
prints what differs and exits 1 when anything does, 0 when everything is equal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s, k) },
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "A file, a directory, or - for stdin (repeatable).")
	cmd.Flags().StringArrayVar(&o.params, "parameter", nil, "NAME=VALUE for a CloudFormation parameter or a template variable.")
	cmd.Flags().StringVar(&o.family, "family", "", "The family of a bare list of container definitions.")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func (o *diffOptions) run(ctx context.Context, s streams, k *kubeFlags) error {
	sources, err := readFiles(s.in, o.files, o.params, o.family)
	if err != nil {
		return err
	}
	c, ns, err := k.client()
	if err != nil {
		return err
	}
	differs := false
	for _, src := range sources {
		for _, td := range src.objs.TaskDefinitions {
			live := &ecsv1.TaskDefinition{}
			var liveDoc map[string]any
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: td.Name}, live); err == nil {
				liveDoc, _, _ = ecsjson.TaskDefinitionToECS(live.Name, live.Spec)
			} else if !apierrors.IsNotFound(err) {
				return err
			}
			fileDoc, _, _ := ecsjson.TaskDefinitionToECS(td.Name, td.Spec)
			if d := diffDocs(ecsjson.Normalize(liveDoc), ecsjson.Normalize(fileDoc)); d != "" {
				differs = true
				_, _ = fmt.Fprintf(s.out, "--- live taskdefinition/%s\n+++ %s\n%s", td.Name, src.name, d)
			}
		}
		for _, svc := range src.objs.Services {
			name := svc.Name
			if src.serviceName != "" {
				name = ecsjson.ObjectName(src.serviceName)
			}
			live := &ecsv1.Service{}
			var liveDoc map[string]any
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, live); err == nil {
				liveDoc, _, _ = ecsjson.ServiceToECS(name, "", live.Spec)
			} else if !apierrors.IsNotFound(err) {
				return err
			}
			fileDoc, _, _ := ecsjson.ServiceToECS(name, "", svc.Spec)
			if fileDoc["taskDefinition"] == nil && liveDoc != nil {
				fileDoc["taskDefinition"] = liveDoc["taskDefinition"] // filled in at deploy time (ecspresso)
			}
			if d := diffDocs(ecsjson.Normalize(liveDoc), ecsjson.Normalize(fileDoc)); d != "" {
				differs = true
				_, _ = fmt.Fprintf(s.out, "--- live service/%s\n+++ %s\n%s", name, src.name, d)
			}
		}
	}
	if differs {
		return exitError{code: 1}
	}
	return nil
}

// diffDocs is a line diff of two normalised documents' indented JSON, "" when equal.
func diffDocs(live, file any) string {
	a, b := jsonLines(live), jsonLines(file)
	if slices.Equal(a, b) {
		return ""
	}
	var out strings.Builder
	writeLineDiff(&out, a, b)
	return out.String()
}

func jsonLines(v any) []string {
	if v == nil {
		return nil
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return strings.Split(string(b), "\n")
}

// writeLineDiff writes a minimal line diff (longest common subsequence) of a and b.
func writeLineDiff(w io.Writer, a, b []string) {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			_, _ = fmt.Fprintf(w, "  %s\n", a[i])
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			_, _ = fmt.Fprintf(w, "+ %s\n", b[j])
			j++
		default:
			_, _ = fmt.Fprintf(w, "- %s\n", a[i])
			i++
		}
	}
}

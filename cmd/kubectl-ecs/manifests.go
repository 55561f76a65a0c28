package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

// manifest is one object to write.
type manifest struct {
	kind, name string
	obj        map[string]any
}

// buildManifests turns what the sources hold into manifests, printing every note and loss on
// errOut; lost says whether anything could not be carried.
func buildManifests(sources []source, namespace string, errOut io.Writer) ([]manifest, bool) {
	var out []manifest
	lost := false
	report := func(src string, r ecsjson.Report) {
		for _, n := range r.Notes {
			_, _ = fmt.Fprintf(errOut, "note: %s: %s\n", src, n)
		}
		for _, l := range r.Losses {
			_, _ = fmt.Fprintf(errOut, "lost: %s: %s\n", src, l)
			lost = true
		}
	}
	var families []string
	for _, src := range sources {
		for _, td := range src.objs.TaskDefinitions {
			families = append(families, string(td.Spec.Family))
		}
	}
	for _, src := range sources {
		report(src.name, src.objs.Report)
		for _, td := range src.objs.TaskDefinitions {
			report(src.name, td.Report)
			out = append(out, newManifest("TaskDefinition", td.Name, namespace, td.Spec))
		}
		for _, s := range src.objs.Services {
			if src.serviceName != "" {
				s.ECSName, s.Name = src.serviceName, ecsjson.ObjectName(src.serviceName)
			}
			if s.Name == "" {
				s.Name = "imported"
				_, _ = fmt.Fprintf(errOut, "note: %s: the service has no serviceName; named %q (rename it before applying)\n", src.name, s.Name)
			}
			if s.Spec.TaskDefinition == "" && len(families) == 1 {
				// ecspresso and similar tools fill the task definition in at deploy time.
				s.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(families[0])
				_, _ = fmt.Fprintf(errOut, "note: %s: taskDefinition: none given; the task definition imported with it, %s\n", src.name, families[0])
			}
			report(src.name, s.Report)
			if namespace == "" && src.cluster != "" {
				s.Cluster = src.cluster
			}
			if namespace == "" && s.Cluster != "" {
				_, _ = fmt.Fprintf(errOut, "note: %s: service %s belongs to ECS cluster %s: apply it in that Cluster's namespace (-n)\n", src.name, s.Name, s.Cluster)
			}
			out = append(out, newManifest("Service", s.Name, namespace, s.Spec))
		}
	}
	return out, lost
}

func newManifest(kind, name, namespace string, spec any) manifest {
	b, _ := json.Marshal(spec) // api types always marshal
	var specMap map[string]any
	_ = json.Unmarshal(b, &specMap)
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return manifest{kind: kind, name: name, obj: map[string]any{
		"apiVersion": ecsv1.GroupVersion.String(), "kind": kind, "metadata": meta, "spec": specMap,
	}}
}

// writeManifests writes YAML documents, a JSON List, or with kustomize=DIR one file per object
// and a kustomization.yaml naming them.
func writeManifests(out io.Writer, ms []manifest, format string) error {
	switch {
	case format == "yaml":
		for i, m := range ms {
			b, err := yaml.Marshal(m.obj)
			if err != nil {
				return err
			}
			if i > 0 {
				_, _ = fmt.Fprintln(out, "---")
			}
			if _, err := out.Write(b); err != nil {
				return err
			}
		}
		return nil
	case format == "json":
		items := make([]any, len(ms))
		for i, m := range ms {
			items[i] = m.obj
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	case strings.HasPrefix(format, "kustomize="):
		dir := strings.TrimPrefix(format, "kustomize=")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var resources []string
		for _, m := range ms {
			file := strings.ToLower(m.kind) + "-" + m.name + ".yaml"
			b, err := yaml.Marshal(m.obj)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
				return err
			}
			resources = append(resources, file)
		}
		b, err := yaml.Marshal(map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources,
		})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), b, 0o644); err != nil {
			return err
		}
		_, _ = fmt.Fprintf(out, "wrote %d objects and kustomization.yaml to %s\n", len(ms), dir)
		return nil
	}
	return fmt.Errorf("--output %q: want yaml, json or kustomize=DIR", format)
}

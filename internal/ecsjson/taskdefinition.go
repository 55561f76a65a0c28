package ecsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// readOnlyTaskDefinitionFields are what describe-task-definition adds to the input: state of
// the registered revision, which a spec has no place for.
var readOnlyTaskDefinitionFields = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt",
}

// TaskDefinition is a task definition read from ECS JSON: the object name, its spec, and what
// the reading lost or changed.
type TaskDefinition struct {
	Name   string
	Spec   ecsv1.TaskDefinitionSpec
	Report Report
}

// TaskDefinitionFromECS reads a RegisterTaskDefinition input or a describe-task-definition
// output ({"taskDefinition": …, "tags": […]}); keys may be camelCase, PascalCase or snake_case.
func TaskDefinitionFromECS(doc map[string]any) (TaskDefinition, error) {
	var td TaskDefinition
	return td, td.read("", doc, nil)
}

func (td *TaskDefinition) read(path string, doc map[string]any, aliases map[string]string) error {
	doc, err := asJSON(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", orRoot(path), err)
	}
	if inner, ok := doc["taskDefinition"].(map[string]any); ok {
		inner = cloneMap(inner)
		// describe-task-definition --include TAGS puts the tags beside the task definition.
		if tags, ok := doc["tags"]; ok {
			if _, has := inner["tags"]; !has {
				inner["tags"] = tags
			}
		}
		for k := range doc {
			if k != "taskDefinition" && k != "tags" && k != "ResponseMetadata" {
				td.Report.lose(join(path, k), "not part of a task definition")
			}
		}
		path, doc = join(path, "taskDefinition"), inner
	}
	for _, k := range sortedKeys(doc) {
		for _, ro := range readOnlyTaskDefinitionFields {
			if normalKey(k) == normalKey(ro) {
				td.Report.note(join(path, k), "read-only state of the registered revision, dropped")
				delete(doc, k)
			}
		}
	}
	n := &normalizer{report: &td.Report, aliases: aliases}
	norm, ok := n.normalize(path, doc, reflect.TypeFor[ecsv1.TaskDefinitionSpec]())
	if !ok {
		return fmt.Errorf("%s: not a task definition", orRoot(path))
	}
	if err := remarshal(norm, &td.Spec); err != nil {
		return fmt.Errorf("%s: %w", orRoot(path), err)
	}
	if td.Spec.Family == "" {
		return fmt.Errorf("%s: the task definition has no family", orRoot(path))
	}
	if err := ecs.ValidateFamily(string(td.Spec.Family)); err != nil {
		return fmt.Errorf("%s: %w", join(path, "family"), err)
	}
	if len(td.Spec.ContainerDefinitions) == 0 {
		return fmt.Errorf("%s: the task definition has no containerDefinitions", orRoot(path))
	}
	td.Name = ObjectName(string(td.Spec.Family))
	return nil
}

// TaskDefinitionToECS writes a spec as the RegisterTaskDefinition input that
// `aws ecs register-task-definition --cli-input-json` accepts. name is the object's name, the
// family when the spec names none.
func TaskDefinitionToECS(name string, spec ecsv1.TaskDefinitionSpec) (map[string]any, Report, error) {
	var report Report
	if spec.Family == "" {
		spec.Family = ecsv1.Family(name)
	}
	out, err := toMap(spec)
	if err != nil {
		return nil, report, err
	}
	dropExtensions(out, taskDefinitionExtensions, "", &report)
	return out, report, nil
}

// taskDefinitionExtensions are spec fields (paths of keys) with no place in ECS's input.
var taskDefinitionExtensions = map[string]string{
	"revisionHistoryLimit": "how many revisions ecs-operator keeps; ECS keeps every revision",
}

// dropExtensions removes the extensions at their paths, reporting each one present.
func dropExtensions(m map[string]any, extensions map[string]string, path string, report *Report) {
	for key, why := range extensions {
		if _, ok := m[key]; ok {
			report.lose(join(path, key), "%s", why)
			delete(m, key)
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// asJSON is doc as decoded JSON (json.Number, []any), whatever Go values it holds.
func asJSON(doc map[string]any) (map[string]any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	return out, dec.Decode(&out)
}

// remarshal decodes a normalised value into out, refusing any field out does not have.
func remarshal(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return out, dec.Decode(&out)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

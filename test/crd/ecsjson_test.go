package crd

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ECS output fields that describe-task-definition adds to a task definition; they are state,
// not input, and have no place in a spec.
var describeOnlyTaskDefinitionFields = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt",
}

// CreateService input fields that a Kubernetes object carries elsewhere: the cluster is the
// namespace, the service name is metadata.name, and clientToken is an idempotency token.
var createServiceFieldsElsewhere = []string{"cluster", "serviceName", "clientToken"}

// unrenderedTemplates are files whose template placeholders ({{...}}, ${...}, $NAME) sit in
// fields ECS validates, so that ECS would refuse them as they are; the API server must refuse
// them too, naming the field. Placeholders in free text (images, ARNs, values) pass, as in ECS.
var unrenderedTemplates = map[string]string{
	"006.json": `spec.networkMode: Unsupported value: "{{networkmode}}"`,
	"024.json": `spec.networkMode: Unsupported value: "$$$$NETWORK_MODE$$$$"`,
	"034.json": `spec.family: Invalid value: "widget-$APP_ENV"`,
	"035.json": `spec.cpu: Invalid value: "${TASK_CPU}"`,
}

// TestRealECSJSONIsAccepted pastes real task and service definitions written by public
// projects (testdata/ecs, see index.tsv) into specs, under strict field validation: every
// field they use must be known to the schema and valid. Unrendered templates must be rejected
// with an error that names the field holding the placeholder.
func TestRealECSJSONIsAccepted(t *testing.T) {
	ns := newNamespace(t)
	index, err := os.ReadFile(filepath.Join("testdata", "ecs", "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(index))
	r.Comma = '\t'
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		file, kind, origin := row[0], row[1], row[2]+"/"+row[3]
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "ecs", file))
			if err != nil {
				t.Fatal(err)
			}
			var spec map[string]any
			if err := json.Unmarshal(raw, &spec); err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ecs.operator.dev/v1alpha1"}}
			u.SetNamespace(ns)
			u.SetName(strings.TrimSuffix(file, ".json"))
			switch {
			case strings.HasPrefix(kind, "taskdef"):
				if wrapped, ok := spec["taskDefinition"].(map[string]any); ok {
					spec = wrapped
				}
				for _, k := range describeOnlyTaskDefinitionFields {
					delete(spec, k)
				}
				u.SetKind("TaskDefinition")
			case strings.HasPrefix(kind, "service"):
				for _, k := range createServiceFieldsElsewhere {
					delete(spec, k)
				}
				// Deployment tools such as ecspresso keep the task definition out of the
				// service file and fill it in at deploy time; do the same.
				if _, ok := spec["taskDefinition"]; !ok {
					spec["taskDefinition"] = "app"
				}
				u.SetKind("Service")
			default:
				t.Fatalf("unknown kind %q in index.tsv", kind)
			}
			// ECS JSON writes "" for an unset enum; the importer drops empty strings too.
			dropEmptyStrings(spec)
			u.Object["spec"] = spec
			err = k8s.Create(ctx(t), u)
			if wantErr, ok := unrenderedTemplates[file]; ok {
				if err == nil || !strings.Contains(err.Error(), wantErr) {
					t.Fatalf("%s (%s) is an unrendered template: want an error containing %q, got %v", file, origin, wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s (%s) was rejected: %v", file, origin, err)
			}
		})
	}
}

// dropEmptyStrings removes keys whose value is "" from every map, recursively.
func dropEmptyStrings(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == "" {
				delete(v, k)
				continue
			}
			dropEmptyStrings(e)
		}
	case []any:
		for _, e := range v {
			dropEmptyStrings(e)
		}
	}
}

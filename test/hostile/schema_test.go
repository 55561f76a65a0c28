package hostile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// breakage is one schema rule broken on a valid object: the field, as the API server names it
// in its answer, and the change.
type breakage struct {
	rule  string
	field string
	apply func(obj map[string]any)
}

// step is one step of a path into an object: a key, or an index when key is "".
type step struct {
	key   string
	index int
}

func fieldPath(path []step) string {
	var b strings.Builder
	for _, s := range path {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// set changes the value at path in obj; del removes it.
func set(obj map[string]any, path []step, value any, del bool) {
	var parent any = obj
	for i, s := range path {
		last := i == len(path)-1
		if s.key == "" {
			list := parent.([]any)
			if last {
				list[s.index] = value
				return
			}
			parent = list[s.index]
			continue
		}
		m := parent.(map[string]any)
		if last {
			if del {
				delete(m, s.key)
			} else {
				m[s.key] = value
			}
			return
		}
		parent = m[s.key]
	}
}

// breakages walks a valid object with its schema and breaks, one at a time, every rule the
// schema states for a field the object has: a required field removed (unless defaulted), a
// string one byte over maxLength, a value outside its enum or its pattern, a number past its
// minimum or maximum, a list one item over maxItems, and a value of the wrong type.
func breakages(schema apiextensionsv1.JSONSchemaProps, value any, path []step) []breakage {
	var out []breakage
	at := slices.Clone(path)
	add := func(rule string, v any) {
		out = append(out, breakage{rule: rule, field: fieldPath(at), apply: func(o map[string]any) { set(o, at, v, false) }})
	}
	switch schema.Type {
	case "object":
		m, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child := append(slices.Clone(path), step{key: k})
			sub, ok := schema.Properties[k]
			if !ok && schema.AdditionalProperties != nil && schema.AdditionalProperties.Schema != nil {
				sub, ok = *schema.AdditionalProperties.Schema, true
			}
			if !ok {
				continue
			}
			if slices.Contains(schema.Required, k) && sub.Default == nil {
				c := child
				out = append(out, breakage{rule: "required", field: fieldPath(c), apply: func(o map[string]any) { set(o, c, nil, true) }})
			}
			out = append(out, breakages(sub, m[k], child)...)
		}
	case "array":
		list, ok := value.([]any)
		if !ok || len(list) == 0 {
			return nil
		}
		if schema.MaxItems != nil {
			long := make([]any, *schema.MaxItems+1)
			for i := range long {
				long[i] = list[0]
			}
			add(fmt.Sprintf("maxItems %d", *schema.MaxItems), long)
		}
		if schema.Items != nil && schema.Items.Schema != nil {
			out = append(out, breakages(*schema.Items.Schema, list[0], append(slices.Clone(path), step{index: 0}))...)
		}
	case "string":
		if schema.XIntOrString {
			return nil
		}
		if schema.MaxLength != nil {
			add(fmt.Sprintf("maxLength %d", *schema.MaxLength), strings.Repeat("x", int(*schema.MaxLength)+1))
		}
		if len(schema.Enum) > 0 {
			add("enum", "NOT-ONE-OF-THE-VALUES")
		}
		if schema.Pattern != "" {
			if re, err := regexp.Compile(schema.Pattern); err == nil {
				for _, bad := range []string{"!bad value!", "", " ", "-"} {
					if !re.MatchString(bad) {
						add("pattern", bad)
						break
					}
				}
			}
		}
		add("type string", map[string]any{"not": "a string"})
	case "integer", "number":
		if schema.Minimum != nil {
			add(fmt.Sprintf("minimum %v", *schema.Minimum), *schema.Minimum-1)
		}
		if schema.Maximum != nil {
			add(fmt.Sprintf("maximum %v", *schema.Maximum), *schema.Maximum+1)
		}
		add("type "+schema.Type, "not a number")
	case "boolean":
		add("type boolean", "not a boolean")
	}
	return out
}

// samples are the valid objects every breakage starts from: each sample of config/samples,
// with its CRD's schema.
type sample struct {
	name   string
	obj    map[string]any
	schema apiextensionsv1.JSONSchemaProps
}

func samples(t *testing.T) []sample {
	t.Helper()
	crds := map[string]apiextensionsv1.JSONSchemaProps{}
	files, _ := filepath.Glob(filepath.Join(env.Root, "config", "crd", "bases", "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(b, crd); err != nil {
			t.Fatal(err)
		}
		crds[crd.Spec.Names.Kind] = *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	var out []sample
	files, _ = filepath.Glob(filepath.Join(env.Root, "config", "samples", "*.yaml"))
	for _, f := range files {
		obj := map[string]any{}
		if err := readSample(filepath.Base(f), &obj); err != nil {
			t.Fatal(err)
		}
		kind, _ := obj["kind"].(string)
		schema, ok := crds[kind]
		if !ok {
			t.Fatalf("%s: no CRD of kind %q", f, kind)
		}
		out = append(out, sample{name: filepath.Base(f), obj: obj, schema: schema})
	}
	return out
}

// TestHostile_EverySchemaRuleBrokenIsRefusedNamingTheField breaks each rule of each sample's
// spec and creates it (dry run) as a tenant: the API server refuses it with 422 or 400 and a
// message naming the field, never a 500, whatever the webhooks (defaulters run before the
// schema is checked) make of it.
func TestHostile_EverySchemaRuleBrokenIsRefusedNamingTheField(t *testing.T) {
	total := 0
	for _, s := range samples(t) {
		specSchema := s.schema.Properties["spec"]
		for _, b := range breakages(specSchema, s.obj["spec"], []step{{key: "spec"}}) {
			total++
			t.Run(fmt.Sprintf("%s %s %s", s.name, b.field, b.rule), func(t *testing.T) {
				obj := runtime.DeepCopyJSON(s.obj)
				b.apply(obj)
				u := &unstructured.Unstructured{Object: obj}
				u.SetName(fmt.Sprintf("hostile-%d", total))
				err := tenant.Create(t.Context(), u, client.DryRunAll)
				expectRefusedNaming(t, err, b.field)
			})
		}
	}
	t.Logf("%d schema rules broken", total)
	if total < 200 {
		t.Fatalf("only %d breakages generated from the samples; the walker lost its way", total)
	}
}

func expectRefusedNaming(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want a refusal naming %s", field)
	}
	status, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("not an API status: %v", err)
	}
	code := status.Status().Code
	if code >= 500 || code < 400 {
		t.Fatalf("refused with %d, want a 4xx: %v", code, err)
	}
	if !strings.Contains(err.Error(), field) {
		msg, _ := json.Marshal(status.Status())
		t.Fatalf("the refusal does not name %s: %s", field, msg)
	}
}

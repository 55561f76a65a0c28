package ecsjson

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Issue is one thing the importer or exporter could not carry, or changed, with the JSON path
// of the input it concerns.
type Issue struct {
	// Path is the JSON path in the input, such as containerDefinitions[0].links.
	Path string `json:"path"`
	// Message says what happened and why.
	Message string `json:"message"`
}

func (i Issue) String() string { return i.Path + ": " + i.Message }

// Report collects what a conversion lost (Losses: the output does not carry it) and what it
// changed without loss (Notes: read-only fields dropped, forms normalised).
type Report struct {
	Losses []Issue `json:"losses,omitempty"`
	Notes  []Issue `json:"notes,omitempty"`
}

func (r *Report) lose(path, format string, args ...any) {
	r.Losses = append(r.Losses, Issue{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (r *Report) note(path, format string, args ...any) {
	r.Notes = append(r.Notes, Issue{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Merge appends other's issues.
func (r *Report) Merge(other Report) {
	r.Losses = append(r.Losses, other.Losses...)
	r.Notes = append(r.Notes, other.Notes...)
}

// normalizer fits decoded JSON (from ECS's camelCase, CloudFormation's PascalCase or
// Terraform's snake_case) onto a Go type of the api package: keys match a field's JSON name
// whatever their case and underscores, numbers written as strings become numbers and numbers
// become strings where the field is a string, a one-element list becomes the object it holds
// (Terraform blocks), and every key no field takes is reported with its path and dropped.
type normalizer struct {
	report *Report
	// aliases rename keys (normalised) before matching, per struct type, for the few names a
	// format spells differently (Terraform's volume for volumes).
	aliases map[string]string
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	stringType      = reflect.TypeFor[string]()
)

// normalize returns v reshaped for t and whether anything is left of it.
func (n *normalizer) normalize(path string, v any, t reflect.Type) (any, bool) {
	if v == nil {
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Types that read JSON themselves (times, raw extensions, quantities) take it as it is.
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return v, true
	}
	switch t.Kind() {
	case reflect.Struct:
		return n.object(path, v, t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte: base64 text
			return v, true
		}
		items, ok := v.([]any)
		if !ok {
			// A single value where ECS takes a list: CloudFormation and hand-written files do it.
			items = []any{v}
		}
		out := make([]any, 0, len(items))
		for i, item := range items {
			if e, ok := n.normalize(fmt.Sprintf("%s[%d]", path, i), item, t.Elem()); ok {
				out = append(out, e)
			}
		}
		return out, true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			n.report.lose(path, "expected an object of %s, got %s", t.Elem().Kind(), describe(v))
			return nil, false
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			if nv, ok := n.normalize(path+"."+k, e, t.Elem()); ok {
				out[k] = nv
			}
		}
		return out, true
	case reflect.String:
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(x), true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := toInt(v); ok {
			return i, true
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := toFloat(v); ok {
			return f, true
		}
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, true
			}
		}
	case reflect.Interface:
		return v, true
	}
	n.report.lose(path, "expected %s, got %s", kindName(t), describe(v))
	return nil, false
}

func (n *normalizer) object(path string, v any, t reflect.Type) (any, bool) {
	if items, ok := v.([]any); ok && len(items) == 1 {
		v = items[0] // a Terraform block: a list of one object
	}
	m, ok := v.(map[string]any)
	if !ok {
		n.report.lose(path, "expected an object, got %s", describe(v))
		return nil, false
	}
	fields := fieldsOf(t)
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		key := normalKey(k)
		if alias, ok := n.aliases[key]; ok {
			key = alias
		}
		f, ok := fields[key]
		p := join(path, k)
		if !ok {
			n.report.lose(p, "no such field in ecs-operator's %s", t.Name())
			continue
		}
		e := m[k]
		if s, isString := e.(string); isString && s == "" && f.omitEmpty {
			continue // ECS writes "" for an unset value
		}
		if nv, ok := n.normalize(p, e, f.typ); ok {
			out[f.name] = nv
		}
	}
	return out, true
}

type fieldInfo struct {
	name      string
	typ       reflect.Type
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type → map[string]fieldInfo

// fieldsOf indexes the JSON fields of a struct (inline fields flattened) by normalised name.
func fieldsOf(t reflect.Type) map[string]fieldInfo {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.(map[string]fieldInfo)
	}
	out := map[string]fieldInfo{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && name == "") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range fieldsOf(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[normalKey(name)] = fieldInfo{name: name, typ: f.Type, omitEmpty: strings.Contains(opts, "omitempty")}
	}
	fieldCache.Store(t, out)
	return out
}

// normalKey folds case, underscores and dashes: containerDefinitions, ContainerDefinitions and
// container_definitions are one key.
func normalKey(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.Kind().String()
}

func describe(v any) string {
	switch x := v.(type) {
	case map[string]any:
		if intrinsic := intrinsicName(x); intrinsic != "" {
			return "the unresolved CloudFormation function " + intrinsic
		}
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprintf("%v", v)
}

// Fit reads decoded ECS JSON (any key casing, numbers as strings) into out, a pointer to an
// api type, reporting what it cannot carry with paths under path.
func Fit(path string, v any, out any) (Report, error) {
	var report Report
	if m, ok := v.(map[string]any); ok {
		var err error
		if v, err = asJSON(m); err != nil {
			return report, err
		}
	}
	n := &normalizer{report: &report}
	norm, ok := n.normalize(path, v, reflect.TypeOf(out).Elem())
	if !ok {
		return report, fmt.Errorf("%s: expected %s", orRoot(path), kindName(reflect.TypeOf(out).Elem()))
	}
	return report, remarshal(norm, out)
}

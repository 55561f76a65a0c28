package ecsjson

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// intrinsicName is the CloudFormation function a one-key object calls (Ref, Fn::Sub, …), "" for
// any other value.
func intrinsicName(m map[string]any) string {
	if len(m) != 1 {
		return ""
	}
	for k := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k
		}
	}
	return ""
}

// resolver replaces CloudFormation intrinsic functions by their values where the parameters
// say them: Ref, Fn::Sub, Fn::Join, Fn::Select and Fn::GetAtt of resources imported alongside.
// What it cannot resolve is reported with its path and dropped, never guessed.
type resolver struct {
	params map[string]string
	report *Report
}

var subVariable = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// resolve returns v with every intrinsic it can resolve replaced, and false when v itself is
// an intrinsic that cannot be.
func (r *resolver) resolve(path string, v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if name := intrinsicName(x); name != "" {
			s, err := r.call(path, name, x[name])
			if err != nil {
				r.report.lose(path, "CloudFormation %s cannot be resolved: %v (pass --parameter NAME=VALUE)", name, err)
				return nil, false
			}
			return s, true
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			if nv, ok := r.resolve(join(path, k), x[k]); ok {
				out[k] = nv
			}
		}
		return out, true
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			if nv, ok := r.resolve(fmt.Sprintf("%s[%d]", path, i), e); ok {
				out = append(out, nv)
			}
		}
		return out, true
	}
	return v, true
}

func (r *resolver) call(path, name string, arg any) (any, error) {
	switch name {
	case "Ref":
		ref, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("a reference to %s", describe(arg))
		}
		if v, ok := r.params[ref]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("no value for %s", ref)
	case "Fn::Sub":
		tmpl, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, errors.New("takes a string or [string, variables]")
			}
			tmpl, _ = a[0].(string)
			vars, _ = a[1].(map[string]any)
		}
		var missing []string
		out := subVariable.ReplaceAllStringFunc(tmpl, func(m string) string {
			name := subVariable.FindStringSubmatch(m)[1]
			if v, ok := vars[name]; ok {
				if rv, ok := r.resolve(path, v); ok {
					if s, ok := rv.(string); ok {
						return s
					}
				}
			}
			if v, ok := r.params[name]; ok {
				return v
			}
			missing = append(missing, name)
			return m
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("no value for %s", strings.Join(missing, ", "))
		}
		return strings.ReplaceAll(out, "${!", "${"), nil
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errors.New("takes [separator, list]")
		}
		sep, _ := a[0].(string)
		parts, err := r.strings(path, a[1])
		if err != nil {
			return nil, err
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errors.New("takes [index, list]")
		}
		i, ok := toInt(a[0])
		parts, err := r.strings(path, a[1])
		if err != nil {
			return nil, err
		}
		if !ok || i < 0 || int(i) >= len(parts) {
			return nil, fmt.Errorf("index %v out of range", a[0])
		}
		return parts[i], nil
	case "Fn::GetAtt":
		var ref string
		switch a := arg.(type) {
		case string:
			ref = a
		case []any:
			var parts []string
			for _, p := range a {
				s, _ := p.(string)
				parts = append(parts, s)
			}
			ref = strings.Join(parts, ".")
		}
		if v, ok := r.params[ref]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("no value for %s", ref)
	}
	return nil, fmt.Errorf("%s is not evaluated by the importer", name)
}

func (r *resolver) strings(path string, v any) ([]string, error) {
	rv, ok := r.resolve(path, v)
	if !ok {
		return nil, errors.New("a part cannot be resolved")
	}
	list, ok := rv.([]any)
	if !ok {
		return nil, errors.New("expected a list")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("expected strings, got %s", describe(e))
		}
		out = append(out, s)
	}
	return out, nil
}

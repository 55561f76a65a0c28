package ecsjson

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// placeholder matches the template variables real task and service definitions carry when
// they are kept as templates: {{name}} (mustache, ecspresso's {{ must_env `NAME` }} and
// {{ env `NAME` `default` }}), $$$NAME$$$ (ECS's own functional test templates), ${NAME} and
// $NAME (envsubst), <NAME> (README-style, capitals only).
var placeholder = regexp.MustCompile("\\{\\{\\s*(?:(?:must_env|env)\\s+`([A-Za-z_][A-Za-z0-9_-]*)`(?:\\s+`([^`]*)`)?|([A-Za-z_][A-Za-z0-9_.-]*))\\s*\\}\\}" +
	`|\$\$+([A-Za-z_][A-Za-z0-9_]*)\$\$+|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|<([A-Z][A-Z0-9_]*)>`)

// substitute replaces the placeholders of every string in v whose variable params names (and
// ecspresso's env with a default by the default); the rest stay, each reported once with its
// path, since ECS would take them literally.
func substitute(path string, v any, params map[string]string, report *Report) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			out[k] = substitute(join(path, k), x[k], params, report)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(fmt.Sprintf("%s[%d]", path, i), e, params, report)
		}
		return out
	case string:
		var missing []string
		s := placeholder.ReplaceAllStringFunc(x, func(m string) string {
			g := placeholder.FindStringSubmatch(m)
			name, def, hasDefault := "", "", false
			for _, i := range []int{1, 3, 4, 5, 6, 7} {
				if g[i] != "" {
					name = g[i]
					break
				}
			}
			if g[1] != "" && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(m, "{{")), "env") {
				def, hasDefault = g[2], true
			}
			if v, ok := params[name]; ok {
				return v
			}
			if hasDefault {
				return def
			}
			missing = append(missing, name)
			return m
		})
		if len(missing) > 0 {
			sort.Strings(missing)
			report.note(path, "unrendered template variable %s kept as written; give its value with --parameter %s=VALUE",
				strings.Join(missing, ", "), missing[0])
		}
		return s
	}
	return v
}

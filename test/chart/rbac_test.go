package chart

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// grant is one verb on one resource (or non-resource URL) of one API group.
type grant struct{ group, resource, verb string }

// documentedGrants reads the permission table of docs/reliability.md: API group ("core" for the
// core group, "–" for non-resource URLs), resources, verbs.
func documentedGrants(t *testing.T, root string) map[grant]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "reliability.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[grant]bool{}
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| API group | Resources | Verbs |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(out) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		for group := range strings.SplitSeq(strings.TrimSpace(cells[1]), ",") {
			group = strings.TrimSpace(group)
			switch group {
			case "core":
				group = ""
			case "–":
				group = "nonResourceURL"
			}
			for resource := range strings.SplitSeq(cells[2], ",") {
				for verb := range strings.SplitSeq(cells[3], ",") {
					out[grant{group, strings.TrimSpace(resource), strings.TrimSpace(verb)}] = true
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/reliability.md has no permission table")
	}
	return out
}

// TestChart_RBACIsLeastPrivilegeAndEveryVerbIsDocumented renders the chart with every optional
// part on and checks each rule it grants: no wildcard, no Secret permission beyond the release
// namespace, and every verb listed with its reason in docs/reliability.md, which lists nothing
// the chart does not grant.
func TestChart_RBACIsLeastPrivilegeAndEveryVerbIsDocumented(t *testing.T) {
	_, root := helm(t)
	doc := documentedGrants(t, root)
	granted := map[grant]bool{}
	objs := render(t, "ecs-operator", "--set", "ecsApi.enabled=true")
	for key, u := range objs {
		kind := u.GetKind()
		if kind != "Role" && kind != "ClusterRole" {
			continue
		}
		var rules []rbacv1.PolicyRule
		switch kind {
		case "Role":
			var r rbacv1.Role
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
				t.Fatal(err)
			}
			rules = r.Rules
		case "ClusterRole":
			var r rbacv1.ClusterRole
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
				t.Fatal(err)
			}
			if r.AggregationRule != nil {
				t.Errorf("%s aggregates other ClusterRoles: what it grants is not in the chart", key)
			}
			rules = r.Rules
		}
		for _, rule := range rules {
			for _, list := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs, rule.ResourceNames, rule.NonResourceURLs} {
				if slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, "*") }) {
					t.Errorf("%s grants a wildcard: %+v", key, rule)
				}
			}
			if kind == "ClusterRole" && slices.Contains(rule.Resources, "secrets") {
				t.Errorf("%s grants Secrets cluster-wide: %+v", key, rule)
			}
			for _, url := range rule.NonResourceURLs {
				for _, verb := range rule.Verbs {
					granted[grant{"nonResourceURL", url, verb}] = true
				}
			}
			for _, group := range rule.APIGroups {
				for _, resource := range rule.Resources {
					for _, verb := range rule.Verbs {
						granted[grant{group, resource, verb}] = true
					}
				}
			}
		}
	}
	for g := range granted {
		if !doc[g] {
			t.Errorf("the chart grants %q on %q (group %q), which docs/reliability.md does not list with its reason", g.verb, g.resource, g.group)
		}
	}
	for g := range doc {
		if !granted[g] {
			t.Errorf("docs/reliability.md lists %q on %q (group %q), which the chart does not grant", g.verb, g.resource, g.group)
		}
	}
}

package placement

import (
	"testing"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

func labelsOf(t *testing.T, exprs ...string) []translate.PlacementLabel {
	t.Helper()
	var out []translate.PlacementLabel
	for _, e := range exprs {
		ls, err := translate.PlacementLabelsOf(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ls...)
	}
	return out
}

func keys(r *registry) []string {
	var out []string
	for _, l := range r.labels() {
		out = append(out, l.Key)
	}
	return out
}

func TestRegistry_countsUses(t *testing.T) {
	a, b := "attribute:a =~ x", "attribute:b =~ y"
	r := newRegistry()
	steps := []struct {
		name    string
		object  string
		exprs   []string
		changed bool
		inUse   int
	}{
		{"first use", "Service/ns/one", []string{a}, true, 1},
		{"second use of the same label", "Service/ns/two", []string{a, a}, false, 1},
		{"the same contribution again", "Service/ns/one", []string{a}, false, 1},
		{"a new label", "Task/ns/one", []string{b}, true, 2},
		{"one user of a goes", "Service/ns/one", nil, false, 2},
		{"the last user of a goes", "Service/ns/two", nil, true, 1},
		{"an object replaces its label", "Task/ns/one", []string{a}, true, 1},
		{"an unknown object goes", "Task/ns/none", nil, false, 1},
	}
	for _, s := range steps {
		if got := r.set(s.object, labelsOf(t, s.exprs...)); got != s.changed {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.changed)
		}
		if got := len(keys(r)); got != s.inUse {
			t.Errorf("%s: %d labels in use, want %d: %v", s.name, got, s.inUse, keys(r))
		}
	}
	if got, want := keys(r), []string{labelsOf(t, a)[0].Key}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("in use: %v, want %v", got, want)
	}
}

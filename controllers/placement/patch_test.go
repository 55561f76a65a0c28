package placement

import (
	"testing"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

func TestLabelChanges(t *testing.T) {
	const label = translate.AttributeLabelPrefix + "tier"
	web := labelsOf(t, "attribute:tier =~ web")[0]
	db := labelsOf(t, "attribute:tier =~ db")[0]
	yes := translate.PlacementLabelValue
	stale := translate.PlacementLabelPrefix + "0000000000000000"
	for _, tc := range []struct {
		name string
		node map[string]string
		want map[string]*string
	}{
		{"adds the labels it matches", map[string]string{label: "web"}, map[string]*string{web.Key: &yes}},
		{"nothing when in line", map[string]string{label: "web", web.Key: yes}, map[string]*string{}},
		{"removes what it no longer matches", map[string]string{label: "db", web.Key: yes}, map[string]*string{web.Key: nil, db.Key: &yes}},
		{"removes labels no longer in use", map[string]string{stale: yes, "other": "x"}, map[string]*string{stale: nil}},
		{"fixes a wrong value", map[string]string{label: "web", web.Key: "false"}, map[string]*string{web.Key: &yes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := labelChanges(tc.node, []translate.PlacementLabel{web, db})
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				g, ok := got[k]
				if !ok || (g == nil) != (v == nil) || (g != nil && *g != *v) {
					t.Errorf("%s: got %v, want %v", k, g, v)
				}
			}
		})
	}
}

func TestMergePatch(t *testing.T) {
	yes := "true"
	got, err := mergePatch("42", map[string]*string{"a": &yes, "b": nil})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"metadata":{"labels":{"a":"true","b":null},"resourceVersion":"42"}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

package alarms

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestSetInAlarm(t *testing.T) {
	body := alertsJSON(t,
		alert("HighErrorRate", "team-a"),
		alert("NodeDown", ""),
		testAlert{labels: map[string]string{"alertname": "EmptyNamespace", "namespace": ""}},
		testAlert{labels: map[string]string{"alertname": "Silenced", "namespace": "team-a"}, state: "suppressed"},
		testAlert{labels: map[string]string{"alertname": "Fresh"}, state: "unprocessed"},
		testAlert{labels: map[string]string{"namespace": "team-a", "severity": "critical"}},
	)
	var alerts []apiAlert
	if err := json.Unmarshal([]byte(body), &alerts); err != nil {
		t.Fatal(err)
	}
	set := setOf(alerts)

	tests := []struct {
		name      string
		namespace string
		alarm     string
		want      bool
	}{
		{"namespace label equal", "team-a", "HighErrorRate", true},
		{"namespace label of another namespace", "team-b", "HighErrorRate", false},
		{"no namespace label matches every namespace", "team-b", "NodeDown", true},
		{"no namespace label matches another namespace too", "team-a", "NodeDown", true},
		{"empty namespace label is no namespace label", "team-c", "EmptyNamespace", true},
		{"name mismatch", "team-a", "HighLatency", false},
		{"name is case sensitive", "team-a", "higherrorrate", false},
		{"suppressed not counted", "team-a", "Silenced", false},
		{"unprocessed not counted", "team-a", "Fresh", false},
		{"empty alarm name", "team-a", "", false},
		{"empty service namespace only matches cluster-wide", "", "HighErrorRate", false},
		{"empty service namespace, cluster-wide alert", "", "NodeDown", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := set.InAlarm(tt.namespace, tt.alarm); got != tt.want {
				t.Errorf("InAlarm(%q, %q) = %v, want %v", tt.namespace, tt.alarm, got, tt.want)
			}
		})
	}

	wantKeys := []Key{{"", "EmptyNamespace"}, {"", "NodeDown"}, {"team-a", "HighErrorRate"}}
	if got := set.Keys(); !slices.Equal(got, wantKeys) {
		t.Errorf("Keys() = %v, want %v", got, wantKeys)
	}
}

func TestSetZeroValue(t *testing.T) {
	var s Set
	if s.InAlarm("team-a", "HighErrorRate") || s.Len() != 0 || len(s.Keys()) != 0 {
		t.Errorf("zero Set is not empty")
	}
	if !s.Equal(NewSet()) || !NewSet().Equal(s) {
		t.Errorf("zero Set does not equal NewSet()")
	}
	if NewSet(Key{Namespace: "team-a"}).Len() != 0 {
		t.Errorf("NewSet kept a key without alert name")
	}
}

func TestSetEqual(t *testing.T) {
	a, b, c := Key{"team-a", "A"}, Key{"", "B"}, Key{"team-b", "A"}
	tests := []struct {
		name string
		x, y Set
		want bool
	}{
		{"both empty", Set{}, NewSet(), true},
		{"same keys, other order", NewSet(a, b), NewSet(b, a, b), true},
		{"same size, other keys", NewSet(a, b), NewSet(a, c), false},
		{"subset", NewSet(a), NewSet(a, b), false},
		{"superset", NewSet(a, b), NewSet(a), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.x.Equal(tt.y); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	a, b, c, d := Key{"team-a", "A"}, Key{"", "B"}, Key{"team-b", "A"}, Key{"", "A"}
	tests := []struct {
		name     string
		old, new Set
		want     []Key
	}{
		{"both empty", Set{}, Set{}, nil},
		{"unchanged", NewSet(a, b), NewSet(b, a), nil},
		{"first firing", Set{}, NewSet(c, a, b), []Key{b, a, c}},
		{"all resolved", NewSet(a, b), Set{}, []Key{b, a}},
		{"one added, one resolved, one kept", NewSet(a, b), NewSet(b, c), []Key{a, c}},
		{"same name, namespace label appears", NewSet(d), NewSet(a), []Key{d, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changed(tt.old, tt.new); !slices.Equal(got, tt.want) {
				t.Errorf("Changed = %v, want %v", got, tt.want)
			}
		})
	}
}

package placement

import (
	"encoding/json"
	"strings"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// labelChanges is what a node's labels need for its placement labels to be exactly those of
// the labels in use it matches: the value to set, or nil to remove. Labels outside
// translate.PlacementLabelPrefix belong to others and are never in it.
func labelChanges(nodeLabels map[string]string, inUse []translate.PlacementLabel) map[string]*string {
	value := translate.PlacementLabelValue
	changes := map[string]*string{}
	want := map[string]bool{}
	for _, l := range inUse {
		if !l.Matches(nodeLabels) {
			continue
		}
		want[l.Key] = true
		if v, ok := nodeLabels[l.Key]; !ok || v != value {
			changes[l.Key] = &value
		}
	}
	for k := range nodeLabels {
		if strings.HasPrefix(k, translate.PlacementLabelPrefix) && !want[k] {
			changes[k] = nil
		}
	}
	return changes
}

// mergePatch is a JSON merge patch that makes the changes, and fails with a conflict when the
// node is no longer at resourceVersion. A merge patch names only the labels it changes, so
// labels that others set meanwhile are kept.
func mergePatch(resourceVersion string, changes map[string]*string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{
			"resourceVersion": resourceVersion,
			"labels":          changes,
		},
	})
}

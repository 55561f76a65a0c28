package placement

import (
	"sort"
	"sync"

	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// registry is the set of placement labels in use, counted by the objects that use them, so
// that a label stays while any object still needs it. The watch handlers write it and node
// reconciles read it.
type registry struct {
	mu       sync.Mutex
	byObject map[string][]string // object → keys of its labels
	uses     map[string]int      // key → objects using it
	byKey    map[string]translate.PlacementLabel
}

func newRegistry() *registry {
	return &registry{byObject: map[string][]string{}, uses: map[string]int{}, byKey: map[string]translate.PlacementLabel{}}
}

// set replaces an object's contribution; no labels removes the object. It reports whether
// the set of keys in use changed, the one case in which every node must be judged again.
func (r *registry) set(object string, labels []translate.PlacementLabel) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(labels))
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l.Key] {
			continue
		}
		seen[l.Key] = true
		keys = append(keys, l.Key)
		if r.uses[l.Key] == 0 {
			r.byKey[l.Key] = l
			changed = true
		}
		r.uses[l.Key]++
	}
	// Adding before removing keeps a label that the object still uses from dropping to 0.
	for _, k := range r.byObject[object] {
		if r.uses[k]--; r.uses[k] == 0 {
			delete(r.uses, k)
			delete(r.byKey, k)
			changed = true
		}
	}
	if len(keys) == 0 {
		delete(r.byObject, object)
	} else {
		r.byObject[object] = keys
	}
	return changed
}

// labels are the placement labels in use, sorted by key.
func (r *registry) labels() []translate.PlacementLabel {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]translate.PlacementLabel, 0, len(r.byKey))
	for _, l := range r.byKey {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

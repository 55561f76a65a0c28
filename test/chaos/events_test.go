package chaos

import (
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// onceEvents are the Kubernetes Events the operator records once per thing that happens once: a
// task definition revision registered, a Task started. A leader that takes over must not record
// them again for what its predecessor did.
var onceEvents = []string{"RevisionRegistered", "TaskStarted"}

// expectNoDoubledEvents fails for an Event of onceEvents recorded more than once for the same
// object and text, as two Events or as a series.
func (e *env) expectNoDoubledEvents(t *testing.T) {
	t.Helper()
	for _, tn := range e.tenants {
		var events eventsv1.EventList
		if err := e.Client.List(t.Context(), &events, client.InNamespace(tn.namespace)); err != nil {
			t.Fatal(err)
		}
		type key struct{ uid, reason, note string }
		seen := map[key]int32{}
		for _, ev := range events.Items {
			once := false
			for _, r := range onceEvents {
				once = once || ev.Reason == r
			}
			if !once {
				continue
			}
			n := int32(1)
			if ev.Series != nil {
				n = ev.Series.Count
			}
			seen[key{string(ev.Regarding.UID), ev.Reason, ev.Note}] += n
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("%s: event %s %q recorded %d times", tn.namespace, k.reason, k.note, n)
			}
		}
	}
}

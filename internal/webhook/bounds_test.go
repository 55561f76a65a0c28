package webhook_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The API server sends a webhook at most its request limit (3 MiB), before the schema is
// checked for the mutating ones.
const maxRequest = 3 << 20

// inflate grows obj's largest list by repeating its first item until obj's JSON reaches size.
func inflate(t *testing.T, raw []byte, size int) []byte {
	t.Helper()
	var obj any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	// The largest list, found as the map holding it and its key.
	var holder map[string]any
	var key string
	largest := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if list, ok := c.([]any); ok && len(list) > 0 {
					if b, _ := json.Marshal(list); len(b) > largest {
						holder, key, largest = v, k, len(b)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(obj)
	if holder == nil {
		return raw
	}
	list := holder[key].([]any)
	item, _ := json.Marshal(list[0])
	for n := len(raw); n < size; n += len(item) + 1 {
		list = append(list, list[0])
	}
	holder[key] = list
	out, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// adversarial are objects aimed at the handlers' non-linear work: a dependsOn chain through
// 20,000 containers, memberOf expressions nested as deep as their 2,000 characters allow.
func adversarial() [][]byte {
	var containers []string
	for i := range 20_000 {
		containers = append(containers, fmt.Sprintf(`{"name":"c%d","image":"x","dependsOn":[{"containerName":"c%d","condition":"START"}]}`, i, (i+1)%20_000))
	}
	chain := fmt.Sprintf(`{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"TaskDefinition","metadata":{"name":"chain","namespace":"tier-1-cell-1-ig-1-tenant-a"},"spec":{"family":"chain","containerDefinitions":[%s]}}`, strings.Join(containers, ","))
	deep := strings.Repeat("(", 995) + "attribute:x == y" + strings.Repeat(")", 995)
	nested := fmt.Sprintf(`{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"TaskDefinition","metadata":{"name":"nested","namespace":"tier-1-cell-1-ig-1-tenant-a"},"spec":{"family":"nested","containerDefinitions":[{"name":"a","image":"x"}],"placementConstraints":[{"type":"memberOf","expression":%q}]}}`, deep)
	return [][]byte{[]byte(chain), []byte(nested)}
}

// TestAdmission_EveryHandlerIsBoundedInTimeAndMemoryOnTheLargestHostileRequests sends every
// handler the largest request an API server would (each seed inflated to 3 MiB) and the
// adversarial objects: each answers within a second (two under the race detector, which slows
// this ~10 times) and allocates at most 64 bytes per byte of request — linear work, whatever
// the input. A request larger than that is refused by the API server before any webhook.
func TestAdmission_EveryHandlerIsBoundedInTimeAndMemoryOnTheLargestHostileRequests(t *testing.T) {
	r, ns := world(t)
	hs := handlers(t, r)
	inputs := adversarial()
	// The race detector makes this ~10 times slower: there, 1 MiB requests keep `make test` short
	// (the allocation bound is per byte; the full 3 MiB run without it).
	size, limit := maxRequest, time.Second
	if raceEnabled {
		size, limit = 1<<20, 10*time.Second
	}
	for _, s := range seeds(t)[:8] {
		inputs = append(inputs, inflate(t, s, size))
	}
	var worstTime time.Duration
	var worstRatio float64
	for _, h := range hs {
		for i, in := range inputs {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			review(t, h, ns, false, in, nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			worstTime = max(worstTime, took)
			if len(in) >= size/2 {
				worstRatio = max(worstRatio, float64(allocated)/float64(len(in)))
			}
			if took > limit {
				t.Errorf("%s took %s on input %d (%d bytes)", h.name, took, i, len(in))
			}
			if budget := uint64(64*len(in) + 8<<20); allocated > budget {
				t.Errorf("%s allocated %d MiB on input %d (%d KiB), over %d MiB", h.name, allocated>>20, i, len(in)>>10, budget>>20)
			}
		}
	}
	t.Logf("%d handlers × %d requests of up to %d KiB: slowest %s; of those over %d KiB, at most %.0f bytes allocated per byte", len(hs), len(inputs), size>>10, worstTime.Round(time.Millisecond), size>>11, worstRatio)
}

package alarms

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testAlert is an alert the fake Alertmanager serves.
type testAlert struct {
	labels map[string]string
	state  string // "" is "active"
}

// alertsJSON renders alerts as the Alertmanager v2 API does (GET /api/v2/alerts).
func alertsJSON(t *testing.T, alerts ...testAlert) string {
	t.Helper()
	out := make([]map[string]any, 0, len(alerts))
	for i, a := range alerts {
		state := a.state
		if state == "" {
			state = "active"
		}
		silencedBy, inhibitedBy := []string{}, []string{}
		switch state {
		case "suppressed":
			silencedBy = []string{"4f1c9a3e-8d2b-4c7a-9e61-0b5d2f8a7c13"}
		}
		out = append(out, map[string]any{
			"annotations": map[string]string{
				"summary":     "Error rate above 5% for 5 minutes",
				"description": "The 5xx ratio of the service is high.",
			},
			"endsAt":       "2026-05-04T10:19:30.000Z",
			"fingerprint":  []string{"1c5b0e3f9a7d2b46", "8e2d4a61f0c9b735", "d3f7a90b1e6c2845", "5a0e9c3d7b1f4628"}[i%4],
			"receivers":    []map[string]string{{"name": "ecs-operator"}},
			"startsAt":     "2026-05-04T10:02:00.000Z",
			"updatedAt":    "2026-05-04T10:15:30.123Z",
			"generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=job%3Aerrors%3Aratio5m+%3E+0.05&g0.tab=1",
			"status": map[string]any{
				"inhibitedBy": inhibitedBy,
				"silencedBy":  silencedBy,
				"mutedBy":     []string{},
				"state":       state,
			},
			"labels": a.labels,
		})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// alert returns an active alert with the given alertname and, when not empty, namespace label.
func alert(name, namespace string) testAlert {
	labels := map[string]string{"alertname": name, "severity": "critical", "job": "web"}
	if namespace != "" {
		labels["namespace"] = namespace
	}
	return testAlert{labels: labels}
}

// fakeAlertmanager serves GET /api/v2/alerts with a response the test changes at will.
type fakeAlertmanager struct {
	srv  *httptest.Server
	hits atomic.Int64

	mu     sync.Mutex
	status int
	body   string
	block  bool // wait for the request to be cancelled instead of answering
}

func newFakeAlertmanager(t *testing.T) *fakeAlertmanager {
	t.Helper()
	f := &fakeAlertmanager{status: http.StatusOK, body: "[]"}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if r.Method != http.MethodGet || r.URL.Path != "/api/v2/alerts" ||
			r.URL.RawQuery != "active=true&silenced=false&inhibited=false" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.NotFound(w, r)
			return
		}
		f.mu.Lock()
		status, body, block := f.status, f.body, f.block
		f.mu.Unlock()
		if block {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// serve makes the fake answer status and body from now on.
func (f *fakeAlertmanager) serve(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body, f.block = status, body, false
}

// hang makes the fake wait for the requests to be cancelled from now on.
func (f *fakeAlertmanager) hang() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block = true
}

// client returns a Client of the fake.
func (f *fakeAlertmanager) client(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(f.srv.URL, f.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitHits waits until the fake has received at least n requests.
func (f *fakeAlertmanager) waitHits(t *testing.T, n int64) {
	t.Helper()
	eventually(t, func() bool { return f.hits.Load() >= n }, "the fake Alertmanager to receive %d requests", n)
}

// eventually waits, generously, for cond to hold.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

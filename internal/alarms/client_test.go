package alarms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewClient(t *testing.T) {
	valid := []struct {
		base string
		want string
	}{
		{"http://alertmanager.monitoring:9093", "http://alertmanager.monitoring:9093/api/v2/alerts?active=true&silenced=false&inhibited=false"},
		{"https://example.com/alertmanager/", "https://example.com/alertmanager/api/v2/alerts?active=true&silenced=false&inhibited=false"},
		{"http://user:s3cret@am:9093", "http://user:xxxxx@am:9093/api/v2/alerts?active=true&silenced=false&inhibited=false"},
	}
	for _, tt := range valid {
		t.Run(tt.base, func(t *testing.T) {
			c, err := NewClient(tt.base, nil)
			if err != nil {
				t.Fatalf("NewClient(%q): %v", tt.base, err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}

	invalid := []struct {
		base    string
		wantErr []string // substrings of the error
	}{
		{"", []string{"empty"}},
		{"alertmanager:9093", []string{`"alertmanager:9093"`, "scheme must be http or https"}},
		{"alertmanager.monitoring", []string{`"alertmanager.monitoring"`, "scheme"}},
		{"ftp://am:9093", []string{`"ftp://am:9093"`, "scheme"}},
		{"ftp://user:s3cret@am", []string{"scheme", "xxxxx"}},
		{"http://", []string{`"http://"`, "no host"}},
		{"http://user:s3cret@", []string{"no host", "xxxxx"}},
		{"http:///api", []string{`"http:///api"`, "no host"}},
		{"http://am:9093?x=1", []string{`"http://am:9093?x=1"`, "query"}},
		{"http://am:9093#top", []string{`"http://am:9093#top"`, "fragment"}},
		{"http://am:port", []string{"alertmanager URL", "port"}},
		{"://am", []string{"alertmanager URL", "missing protocol scheme"}},
	}
	for _, tt := range invalid {
		t.Run(tt.base, func(t *testing.T) {
			c, err := NewClient(tt.base, nil)
			if err == nil {
				t.Fatalf("NewClient(%q) = %v, want an error", tt.base, c)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestClientFiring(t *testing.T) {
	var gotAccept string
	body := alertsJSON(t,
		alert("HighErrorRate", "team-a"),
		alert("HighErrorRate", "team-a"), // another instance: one key
		alert("NodeDown", ""),
		testAlert{labels: map[string]string{"alertname": "Quiet", "namespace": "team-a"}, state: "suppressed"},
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prefix/api/v2/alerts" || r.URL.RawQuery != "active=true&silenced=false&inhibited=false" {
			t.Errorf("unexpected request %s", r.URL)
		}
		gotAccept = r.Header.Get("Accept")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()

	c, err := NewClient(srv.URL+"/prefix/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.Firing(context.Background())
	if err != nil {
		t.Fatalf("Firing: %v", err)
	}
	want := []Key{{"", "NodeDown"}, {"team-a", "HighErrorRate"}}
	if got := set.Keys(); !slices.Equal(got, want) {
		t.Errorf("Firing keys = %v, want %v", got, want)
	}
	if gotAccept != "application/json" {
		t.Errorf("Accept = %q, want application/json", gotAccept)
	}
}

func TestClientFiringEmpty(t *testing.T) {
	for _, body := range []string{"[]", "null", " [ ]\n"} {
		t.Run(body, func(t *testing.T) {
			f := newFakeAlertmanager(t)
			f.serve(http.StatusOK, body)
			set, err := f.client(t).Firing(context.Background())
			if err != nil || set.Len() != 0 {
				t.Errorf("Firing = %v, %v; want an empty set", set.Keys(), err)
			}
		})
	}
}

func TestClientFiringErrors(t *testing.T) {
	long := "upstream connect error or disconnect/reset before headers. " + strings.Repeat("x", 300) + "TAIL"
	tests := []struct {
		name    string
		status  int
		body    string
		maxBody int64
		wantErr []string
		notErr  []string
	}{
		{
			name: "500 with body", status: http.StatusInternalServerError, body: long,
			wantErr: []string{"500 Internal Server Error", "upstream connect error", "..."},
			notErr:  []string{"TAIL"},
		},
		{
			name: "503 short body", status: http.StatusServiceUnavailable, body: "  not ready\n",
			wantErr: []string{"503", `"not ready"`},
		},
		{
			name: "404 empty body", status: http.StatusNotFound, body: "",
			wantErr: []string{"404", `""`},
		},
		{
			name: "invalid JSON", status: http.StatusOK, body: `[{"labels": {"alertname": "A"}`,
			wantErr: []string{"decoding the alerts"},
		},
		{
			name: "object instead of array", status: http.StatusOK, body: `{"status": "success", "data": []}`,
			wantErr: []string{"decoding the alerts", "JSON array"},
		},
		{
			name: "oversized body", status: http.StatusOK, maxBody: 64,
			body:    alertsJSON(t, alert("HighErrorRate", "team-a")),
			wantErr: []string{"larger than 64 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAlertmanager(t)
			f.serve(tt.status, tt.body)
			c := f.client(t)
			if tt.maxBody > 0 {
				c.maxBody = tt.maxBody
			}
			set, err := c.Firing(context.Background())
			if err == nil {
				t.Fatalf("Firing = %v, want an error", set.Keys())
			}
			if !strings.Contains(err.Error(), c.String()) {
				t.Errorf("error %q does not name the URL %q", err, c.String())
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			for _, not := range tt.notErr {
				if strings.Contains(err.Error(), not) {
					t.Errorf("error %q contains %q", err, not)
				}
			}
		})
	}
}

func TestClientBodyAtLimit(t *testing.T) {
	body := `[]` + strings.Repeat(" ", 62) // 64 bytes
	f := newFakeAlertmanager(t)
	f.serve(http.StatusOK, body)
	c := f.client(t)
	c.maxBody = int64(len(body))
	if _, err := c.Firing(context.Background()); err != nil {
		t.Errorf("Firing of a body of exactly the limit: %v", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	c, err := NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := c.Firing(context.Background()); err == nil || !strings.Contains(err.Error(), "alertmanager") {
		t.Errorf("Firing of a closed server = %v, want an alertmanager error", err)
	}
}

func TestClientContextCancelled(t *testing.T) {
	f := newFakeAlertmanager(t)
	f.hang()
	c := f.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Firing(ctx)
		errc <- err
	}()
	f.waitHits(t, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Firing after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Firing did not return after its context was cancelled")
	}
}

package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// MaxResponseBytes bounds the body of an Alertmanager response the Client reads.
	MaxResponseBytes = 16 << 20
	// DefaultTimeout is the timeout of the HTTP client NewClient makes when given none.
	DefaultTimeout = 30 * time.Second

	// alertsQuery asks for the alerts that are neither silenced nor inhibited.
	alertsQuery = "active=true&silenced=false&inhibited=false"
	// errorBodyBytes is how much of the body of a non-2xx response an error quotes.
	errorBodyBytes = 200
	// stateActive is the status.state of an alert that is neither silenced nor inhibited.
	stateActive = "active"
)

// Client reads the firing alerts of an Alertmanager through its v2 API. It is safe for
// concurrent use.
type Client struct {
	http     *http.Client
	endpoint string // GET URL of the alerts, with the query
	display  string // endpoint with any password redacted, for errors and logs
	maxBody  int64
}

// NewClient returns a Client for the Alertmanager (or Alertmanager-compatible API) at
// baseURL, such as "http://alertmanager.monitoring:9093" or a URL with a path prefix
// ("https://example.com/alertmanager"). The URL must be absolute, http or https, with a host
// and without query or fragment. httpClient makes the requests; nil is a client with a
// timeout of DefaultTimeout.
func NewClient(baseURL string, httpClient *http.Client) (*Client, error) {
	if baseURL == "" {
		return nil, errors.New("alertmanager URL is empty: expected an absolute http or https URL such as http://alertmanager:9093")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("alertmanager URL: %w", err)
	}
	quoted := baseURL // the value as given, unless that would log a password
	if _, ok := u.User.Password(); ok {
		quoted = u.Redacted()
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("alertmanager URL %q: scheme must be http or https, as in http://alertmanager:9093", quoted)
	case u.Host == "":
		return nil, fmt.Errorf("alertmanager URL %q: no host, expected an absolute URL such as http://alertmanager:9093", quoted)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("alertmanager URL %q: must not have a query", quoted)
	case u.Fragment != "":
		return nil, fmt.Errorf("alertmanager URL %q: must not have a fragment", quoted)
	}
	endpoint := u.JoinPath("api", "v2", "alerts")
	endpoint.RawQuery = alertsQuery
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{
		http:     httpClient,
		endpoint: endpoint.String(),
		display:  endpoint.Redacted(),
		maxBody:  MaxResponseBytes,
	}, nil
}

// String returns the URL the Client polls, with any password redacted.
func (c *Client) String() string { return c.display }

// apiAlert is the part of an Alertmanager v2 gettableAlert the Client reads.
type apiAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

// Firing returns the Set of the alerts that fire: those in state "active", neither silenced
// nor inhibited. Alerts without an alertname label are ignored.
func (c *Client) Firing(ctx context.Context) (Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint, nil)
	if err != nil {
		return Set{}, fmt.Errorf("alertmanager GET %s: %w", c.display, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// The error of Do quotes the URL, password redacted.
		return Set{}, fmt.Errorf("alertmanager: %w", err)
	}
	defer func() {
		// Drain a little so that the connection can be reused, then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes+1))
		snippet := string(head[:min(len(head), errorBodyBytes)])
		snippet = strings.ToValidUTF8(strings.TrimSpace(snippet), "\uFFFD")
		if len(head) > errorBodyBytes {
			snippet += "..."
		}
		return Set{}, fmt.Errorf("alertmanager GET %s: status %s: %q", c.display, resp.Status, snippet)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return Set{}, fmt.Errorf("alertmanager GET %s: reading the response: %w", c.display, err)
	}
	if int64(len(body)) > c.maxBody {
		return Set{}, fmt.Errorf("alertmanager GET %s: response larger than %d bytes", c.display, c.maxBody)
	}
	var alerts []apiAlert
	if err := json.Unmarshal(body, &alerts); err != nil {
		return Set{}, fmt.Errorf("alertmanager GET %s: decoding the alerts (expected the JSON array of the v2 API): %w", c.display, err)
	}
	return setOf(alerts), nil
}

// setOf returns the Set of the active alerts with an alertname label.
func setOf(alerts []apiAlert) Set {
	keys := make([]Key, 0, len(alerts))
	for _, a := range alerts {
		if a.Status.State != stateActive {
			continue
		}
		// NewSet drops an empty AlertName; an empty namespace label is no namespace label.
		keys = append(keys, Key{Namespace: a.Labels["namespace"], AlertName: a.Labels["alertname"]})
	}
	return NewSet(keys...)
}

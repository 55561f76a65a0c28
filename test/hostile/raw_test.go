package hostile

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// post sends body as a create (dry run) of a TaskDefinition in the Cluster's namespace and
// returns the answer's status code and text.
func post(t *testing.T, body []byte) (int, string) {
	t.Helper()
	hc, err := rest.HTTPClientFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/apis/ecs.operator.dev/v1alpha1/namespaces/%s/taskdefinitions?dryRun=All", strings.TrimSuffix(env.Config.Host, "/"), clusterNamespace)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(text)
}

// taskDefinitionJSON is a valid task definition with extra inserted into its first container.
func taskDefinitionJSON(extra string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"TaskDefinition","metadata":{"name":"raw-%d"},
"spec":{"family":"raw","cpu":"256","memory":"512","requiresCompatibilities":["FARGATE"],
"containerDefinitions":[{"name":"app","image":"nginx"%s}]}}`, time.Now().UnixNano(), extra)
}

// TestHostile_OversizedAndDeeplyNestedJSONIsABadRequestNotAServerError sends what no schema
// rule is about: JSON nested far deeper than any field, a body over the API server's limit, a
// string far over every maxLength, a list far over every maxItems, and bytes that are not JSON.
// Each gets a 4xx, and the API server and the webhooks keep serving.
func TestHostile_OversizedAndDeeplyNestedJSONIsABadRequestNotAServerError(t *testing.T) {
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObject := strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000)
	huge := strings.Repeat("x", 4<<20)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"A","value":"b"},`, 100_000), ",") + "]"
	for _, tc := range []struct {
		name, field string
		body        []byte
	}{
		{"arrays nested 100,000 deep in a field", "", taskDefinitionJSON(`,"command":` + deep)},
		{"objects nested 100,000 deep in a field", "", taskDefinitionJSON(`,"environment":[` + deepObject + `]`)},
		{"a 4 MiB body", "", taskDefinitionJSON(`,"image2":"` + huge + `"`)},
		{"a 1 MiB command", "spec.containerDefinitions[0].command[0]", taskDefinitionJSON(`,"command":["` + huge[:1<<20] + `"]`)},
		{"100,000 environment variables", "spec.containerDefinitions[0].environment", taskDefinitionJSON(`,"environment":` + many)},
		{"not JSON", "", []byte(`{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"TaskDefinition",`)},
		// The API server's decoder refuses it before any schema: its message names no field.
		{"a number too big for any integer", "", taskDefinitionJSON(`,"cpu":1e400`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, text := post(t, tc.body)
			if code < 400 || code >= 500 {
				t.Fatalf("answered %d, want a 4xx: %.500s", code, text)
			}
			if tc.field != "" && !strings.Contains(text, tc.field) {
				t.Fatalf("the answer does not name %s: %.500s", tc.field, text)
			}
		})
	}
	// Still serving, webhooks included: a valid object passes.
	if code, text := post(t, taskDefinitionJSON("")); code != http.StatusCreated {
		t.Fatalf("a valid task definition afterwards: %d %.500s", code, text)
	}
}

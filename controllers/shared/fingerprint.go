package shared

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// fingerprint sums up what of a live object ecs-operator's apply decides: everything but its
// metadata and status, its owner references, and the labels and annotations that desired sets.
// Labels and annotations others add are theirs and not drift; status is written by the
// object's own controller and not drift either.
func fingerprint(live map[string]any, desired *unstructured.Unstructured) (string, error) {
	sum := map[string]any{}
	for k, v := range live {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
			continue
		}
		sum[k] = withoutNulls(v)
	}
	md, _ := live["metadata"].(map[string]any)
	sum["ownerReferences"] = withoutNulls(md["ownerReferences"])
	sum["labels"] = pick(md["labels"], desired.GetLabels())
	sum["annotations"] = pick(md["annotations"], desired.GetAnnotations())
	return ContentHash(sum)
}

// pick keeps of a live label or annotation map the keys wanted has; a missing key is kept as
// missing, so removing one of ours changes the fingerprint.
func pick(live any, wanted map[string]string) map[string]any {
	m, _ := live.(map[string]any)
	out := make(map[string]any, len(wanted))
	for k := range wanted {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// withoutNulls drops null map values at any depth: a typed object converted to a map carries
// some (a template's creationTimestamp) where the API server's JSON leaves the field out.
func withoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = withoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutNulls(e)
		}
		return out
	}
	return v
}

// ContentHash is a short, stable hash of a JSON-able value.
func ContentHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

package shared

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// fingerprint sums up what of a live object ecs-operator's apply decides: everything but its
// metadata and status, its owner references, and the labels and annotations that desired sets.
// Labels and annotations others add are theirs and not drift; status is written by the
// object's own controller and not drift either.
func fingerprint(live map[string]any, desired *unstructured.Unstructured) (string, error) {
	md, _ := live["metadata"].(map[string]any)
	content, err := contentOf(live)
	if err != nil {
		return "", err
	}
	sum := map[string]any{"content": content}
	sum["ownerReferences"] = withoutNulls(md["ownerReferences"])
	sum["labels"] = pick(md["labels"], desired.GetLabels())
	annotations := desired.GetAnnotations()
	sum["annotations"] = pick(md["annotations"], annotations)
	return ContentHash(sum)
}

// AnnotationCachedContent carries, on the cache's trimmed copy of a large object, the digest of
// the content the cache dropped (TrimContent); the API server never sees it.
const AnnotationCachedContent = "ecs.operator.dev/cached-content"

// contentOf is the digest of everything an object holds but its metadata and status: read from
// AnnotationCachedContent when the cache trimmed the object, else computed.
func contentOf(obj map[string]any) (string, error) {
	if md, ok := obj["metadata"].(map[string]any); ok {
		if a, ok := md["annotations"].(map[string]any); ok {
			if d, ok := a[AnnotationCachedContent].(string); ok {
				return d, nil
			}
		}
	}
	content := map[string]any{}
	for k, v := range obj {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
			continue
		}
		content[k] = withoutNulls(v)
	}
	return ContentHash(content)
}

// ContentDigest is the digest of a typed object's content, as the Applier compares it, for a
// cache transform to record before it drops the content (see AnnotationCachedContent).
func ContentDigest(obj any) (string, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return "", err
	}
	delete(u, "metadata")
	return contentOf(u)
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

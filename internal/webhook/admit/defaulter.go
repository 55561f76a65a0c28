// Package admit holds how the operator's webhooks answer, where controller-runtime's defaults
// do not fit.
package admit

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// MaxStoredObject is etcd's default request limit (--max-request-bytes), the size of the
// largest object a cluster stores.
const MaxStoredObject = 3 << 19

// Defaulter serves defaulter as admission.WithDefaulter does, but leaves malformed objects to
// the API server's schema validation, which runs after the mutating webhooks and names the
// field in its answer, and does linear work whatever the request:
//   - an object that does not decode into the Go type (a string where the schema wants a
//     number) is admitted unchanged, rather than refused with a JSON decoding error;
//   - the patch carries only what the defaulter changed, not what the round trip through the
//     Go type adds by itself (a required field the user left out, written back as false or 0,
//     would otherwise be accepted instead of refused as required);
//   - an object larger than etcd stores (1.5 MiB by default; the API server takes requests of
//     up to 3 MiB, and a dry run never reaches etcd) is admitted unchanged: defaulting it would
//     only cost memory, and it cannot be stored;
//   - the patch is computed between the object before and after defaulting, both as the Go
//     type writes them, and checked against the request's object, rather than between the
//     request's object and the result and then filtered: half the copies of a request that
//     may be 3 MiB.
func Defaulter[T runtime.Object](scheme *runtime.Scheme, defaulter admission.Defaulter[T]) *admission.Webhook {
	decoder := admission.NewDecoder(scheme)
	newObject := func() T {
		var zero T
		return reflect.New(reflect.TypeOf(zero).Elem()).Interface().(T)
	}
	return &admission.Webhook{Handler: admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
			return admission.Allowed("")
		}
		if len(req.Object.Raw) > MaxStoredObject {
			return admission.Allowed("not defaulted: larger than etcd stores")
		}
		ctx = admission.NewContextWithRequest(ctx, req)
		obj := newObject()
		if err := decoder.Decode(req, obj); err != nil {
			return admission.Allowed("not defaulted: the object does not decode; the schema validation answers it")
		}
		before, err := json.Marshal(obj)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, err)
		}
		if err := defaulter.Default(ctx, obj); err != nil {
			if status, ok := err.(apierrors.APIStatus); ok {
				return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: new(status.Status())}}
			}
			return admission.Denied(err.Error())
		}
		after, err := json.Marshal(obj)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, err)
		}
		if string(before) == string(after) {
			return admission.Allowed("")
		}
		patch, err := jsonpatch.CreatePatch(before, after)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, err)
		}
		var raw any
		if err := json.Unmarshal(req.Object.Raw, &raw); err != nil {
			return admission.Allowed("not defaulted: the object does not decode; the schema validation answers it")
		}
		for _, op := range patch {
			if !applies(raw, op) {
				// The defaulter changed a field the request leaves out and the Go type writes
				// anyway: patch from the request's own object instead.
				return admission.PatchResponseFromRaw(req.Object.Raw, after)
			}
		}
		return admission.Patched("", patch...)
	})}
}

// applies says whether op's path is there in doc: the value itself for a replace or remove,
// its parent for an add.
func applies(doc any, op jsonpatch.JsonPatchOperation) bool {
	parts := strings.Split(op.Path, "/")[1:]
	if op.Operation == "add" {
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[p]
			if !ok {
				return false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(d) {
				return false
			}
			doc = d[i]
		default:
			return false
		}
	}
	return true
}

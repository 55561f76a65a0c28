package admit

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

type defaulterFunc func(*ecsv1.Service)

func (f defaulterFunc) Default(_ context.Context, svc *ecsv1.Service) error { f(svc); return nil }

func TestDefaulter_PatchesOnlyWhatTheDefaulterChanges(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := ecsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	const withoutRollback = `{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"Service","metadata":{"name":"web","namespace":"ns"},
"spec":{"taskDefinition":"web","deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true}}}}`
	for _, tc := range []struct {
		name     string
		raw      string
		defaults func(*ecsv1.Service)
		want     []string // the patch's operations, "op path"
		allowed  bool
	}{
		{"nothing changed, nothing written back, not even the required field left out", withoutRollback,
			func(*ecsv1.Service) {}, nil, true},
		{"a default is patched alone", withoutRollback,
			func(s *ecsv1.Service) { s.Finalizers = append(s.Finalizers, ecsv1.Finalizer) },
			[]string{"add /metadata/finalizers"}, true},
		{"an object that does not decode is left to the schema", `{"apiVersion":"ecs.operator.dev/v1alpha1","kind":"Service","metadata":{"name":"web"},"spec":{"desiredCount":"three"}}`,
			func(s *ecsv1.Service) { s.Finalizers = append(s.Finalizers, ecsv1.Finalizer) }, nil, true},
		{"a change to a field the request leaves out is patched from the request itself", withoutRollback,
			func(s *ecsv1.Service) { s.Spec.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback = true },
			// As admission.WithDefaulter does: the round trip's additions come along (the status
			// of a create is dropped by the API server).
			[]string{"add /spec/deploymentConfiguration/deploymentCircuitBreaker/rollback", "add /status"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh := Defaulter[*ecsv1.Service](scheme, defaulterFunc(tc.defaults))
			resp := wh.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: []byte(tc.raw)},
			}})
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed %t, want %t: %+v", resp.Allowed, tc.allowed, resp.Result)
			}
			var got []string
			for _, p := range resp.Patches {
				got = append(got, p.Operation+" "+p.Path)
			}
			slices.Sort(got)
			if a, b := mustJSON(got), mustJSON(tc.want); a != b {
				t.Errorf("patch %s, want %s", a, b)
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Package webhook_test fuzzes every admission handler of the operator as the webhook server
// runs it, with whatever an API server could send: any object bytes, create or update, in a
// cluster namespace or not.
package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/internal/webhook/admit"
	"github.com/ecs-operator/ecs-operator/internal/webhook/cluster"
	"github.com/ecs-operator/ecs-operator/internal/webhook/namespace"
	"github.com/ecs-operator/ecs-operator/internal/webhook/pod"
	"github.com/ecs-operator/ecs-operator/internal/webhook/workload"
)

// operatorUser is the operator's own user name, which the namespace webhook lets through.
const operatorUser = "system:serviceaccount:ecs-operator-system:ecs-operator"

// handler is one admission handler, as the webhook server serves it.
type handler struct {
	name     string
	resource metav1.GroupVersionResource
	kind     metav1.GroupVersionKind
	sub      string
	h        admission.Handler
}

func handlers(t testing.TB, r client.Reader) []handler {
	t.Helper()
	scheme, err := testenv.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	ecs := func(resource, kind string) (metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return metav1.GroupVersionResource{Group: ecsv1.GroupVersion.Group, Version: ecsv1.GroupVersion.Version, Resource: resource},
			metav1.GroupVersionKind{Group: ecsv1.GroupVersion.Group, Version: ecsv1.GroupVersion.Version, Kind: kind}
	}
	core := func(resource, kind string) (metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return metav1.GroupVersionResource{Version: "v1", Resource: resource}, metav1.GroupVersionKind{Version: "v1", Kind: kind}
	}
	// Panics are not recovered here: the fuzzer must see them.
	noRecover := func(wh *admission.Webhook) admission.Handler { return wh.WithRecoverPanic(false) }
	var out []handler
	add := func(name string, gvr metav1.GroupVersionResource, gvk metav1.GroupVersionKind, sub string, h admission.Handler) {
		out = append(out, handler{name: name, resource: gvr, kind: gvk, sub: sub, h: h})
	}
	gvr, gvk := ecs("taskdefinitions", "TaskDefinition")
	add("validate taskdefinition", gvr, gvk, "", noRecover(admission.WithValidator[*ecsv1.TaskDefinition](scheme, &workload.TaskDefinitionValidator{Reader: r})))
	add("default taskdefinition", gvr, gvk, "", noRecover(admit.Defaulter[*ecsv1.TaskDefinition](scheme, &workload.TaskDefinitionDefaulter{Reader: r})))
	gvr, gvk = ecs("services", "Service")
	add("validate service", gvr, gvk, "", noRecover(admission.WithValidator[*ecsv1.Service](scheme, &workload.ServiceValidator{Reader: r})))
	add("default service", gvr, gvk, "", noRecover(admit.Defaulter[*ecsv1.Service](scheme, &workload.ServiceDefaulter{})))
	add("validate service scale", gvr, metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, "scale",
		noRecover(admission.WithValidator[*autoscalingv1.Scale](scheme, &workload.ScaleValidator{Reader: r})))
	gvr, gvk = ecs("tasks", "Task")
	add("validate task", gvr, gvk, "", noRecover(admission.WithValidator[*ecsv1.Task](scheme, &workload.TaskValidator{Reader: r})))
	gvr, gvk = ecs("tasksets", "TaskSet")
	add("validate taskset", gvr, gvk, "", noRecover(admission.WithValidator[*ecsv1.TaskSet](scheme, &workload.TaskSetValidator{Reader: r, Live: r})))
	gvr, gvk = ecs("clusters", "Cluster")
	add("validate cluster", gvr, gvk, "", noRecover(admission.WithValidator[*ecsv1.Cluster](scheme, &cluster.ClusterValidator{Reader: r, APIReader: r})))
	gvr, gvk = core("namespaces", "Namespace")
	add("validate namespace", gvr, gvk, "", noRecover(admission.WithValidator[*corev1.Namespace](scheme, &namespace.Validator{Reader: r, Operator: operatorUser})))
	gvr, gvk = core("pods", "Pod")
	add("default pod", gvr, gvk, "", noRecover(admission.WithDefaulter[*corev1.Pod](scheme, &pod.Defaulter{Reader: r})))
	add("validate pod", gvr, gvk, "", noRecover(admission.WithValidator[*corev1.Pod](scheme, &pod.Validator{Reader: r})))
	return out
}

// world is what the handlers read: the samples' CellGroup and Cluster, and the Cluster's
// namespace, so that objects in it take every path of the tenant checks.
func world(t testing.TB) (client.Reader, string) {
	t.Helper()
	scheme, err := testenv.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	cg, cl := &ecsv1.CellGroup{}, &ecsv1.Cluster{}
	for file, obj := range map[string]any{"ecs_v1alpha1_cellgroup.yaml": cg, "ecs_v1alpha1_cluster.yaml": cl} {
		b, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, obj); err != nil {
			t.Fatal(err)
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cl.Name, Labels: map[string]string{
		ecsv1.LabelCluster: cl.Name, ecsv1.LabelTenant: string(cl.Spec.Tenant),
	}}}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(cg, cl, ns).Build(), cl.Name
}

// seeds are the samples of every kind and the task definitions of the real ECS files, as JSON.
func seeds(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	samples, _ := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*.yaml"))
	for _, file := range samples {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	files, _ := filepath.Glob(filepath.Join("..", "ecsjson", "testdata", "ecs", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := ecsjson.Read(b, ecsjson.ReadOptions{Family: "fuzz"})
		if err != nil {
			continue
		}
		for _, td := range objs.TaskDefinitions {
			obj := ecsv1.TaskDefinition{
				TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1.GroupVersion.String(), Kind: "TaskDefinition"},
				ObjectMeta: metav1.ObjectMeta{Name: td.Name, Namespace: "tier-1-cell-1-ig-1-tenant-a"},
				Spec:       td.Spec,
			}
			j, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, j)
		}
	}
	return out
}

// review sends object (and old, for an update) to h as the API server would, as a tenant's
// developer, and checks the answer: allowed, or refused with a 4xx and a message. A 5xx would
// tell the user the operator is broken; a panic kills the webhook server's request. An answer
// that takes longer than the API server waits (the configurations' timeoutSeconds, 3 s) by far
// fails too.
func review(t *testing.T, h handler, ns string, update bool, object, old []byte) {
	t.Helper()
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "fuzz", Kind: h.kind, Resource: h.resource, SubResource: h.sub, Namespace: ns, Name: "fuzz",
		Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: object},
		UserInfo: authenticationv1.UserInfo{Username: "dev@tenant.example.com", Groups: []string{"system:authenticated"}},
	}}
	if h.resource.Resource == "namespaces" || h.resource.Resource == "clusters" {
		req.Namespace = ""
	}
	if update {
		req.Operation, req.OldObject = admissionv1.Update, runtime.RawExtension{Raw: old}
	}
	answered := make(chan admission.Response, 1)
	go func() { answered <- h.h.Handle(context.Background(), req) }()
	var resp admission.Response
	select {
	case resp = <-answered:
	case <-time.After(answerLimit):
		t.Fatalf("%s: no answer within %s", h.name, answerLimit)
	}
	if resp.Allowed {
		return
	}
	if resp.Result == nil {
		t.Fatalf("%s: refused without a status", h.name)
	}
	if code := resp.Result.Code; code >= http.StatusInternalServerError || code < http.StatusBadRequest {
		t.Fatalf("%s: refused with %d: %s", h.name, code, resp.Result.Message)
	}
	if resp.Result.Message == "" {
		t.Fatalf("%s: refused without a message", h.name)
	}
}

// answerLimit is how long a handler may take on any input before the fuzzer calls it hung: ten
// times the API server's wait, so that a slow machine or the race detector never trips it.
const answerLimit = 30 * time.Second

// FuzzAdmission: whatever an API server sends any of the operator's admission handlers, the
// answer is an admission or a refusal with a 4xx and a message, never a panic or a 5xx.
func FuzzAdmission(f *testing.F) {
	r, ns := world(f)
	hs := handlers(f, r)
	for _, s := range seeds(f) {
		for i := range hs {
			f.Add(uint8(i), false, s, []byte(nil))
		}
		f.Add(uint8(0), true, s, s)
	}
	f.Fuzz(func(t *testing.T, which uint8, update bool, object, old []byte) {
		review(t, hs[int(which)%len(hs)], ns, update, object, old)
	})
}

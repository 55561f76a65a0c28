package crd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// TestSamplesAreAccepted creates every object of config/samples, as `kubectl apply -f` would,
// under strict field validation.
func TestSamplesAreAccepted(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(env.Root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no samples found in config/samples")
	}
	kinds := map[string]int{}
	for _, file := range files {
		for _, u := range readManifests(t, file) {
			t.Run(filepath.Base(file)+"/"+u.GetName(), func(t *testing.T) {
				if ns := u.GetNamespace(); ns != "" {
					ensureNamespace(t, ns)
				}
				if err := k8s.Create(ctx(t), u); err != nil {
					t.Fatalf("sample %s %s was rejected: %v", u.GetKind(), u.GetName(), err)
				}
				kinds[u.GetKind()]++
			})
		}
	}
	for _, kind := range []string{"CellGroup", "Cluster", "TaskDefinition", "Service", "Task", "TaskSet"} {
		if kinds[kind] == 0 {
			t.Errorf("config/samples has no accepted %s", kind)
		}
	}
}

func readManifests(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("%s: %v", file, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(ctx(t), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

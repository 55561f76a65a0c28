package shared

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func mustMap(t *testing.T, obj any) map[string]any {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The cache may hold a workload without its Pod spec, with the digest of its content instead:
// the fingerprint must be the same as of the whole object, and a hand edit of the dropped part
// must still change it.
func TestFingerprint_SeesTheDroppedContentThroughItsDigest(t *testing.T) {
	withTemplate := func(image string) *appsv1.Deployment {
		return deployment(func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: image}}
		})
	}
	desired := &unstructured.Unstructured{Object: mustMap(t, withTemplate("nginx:1"))}
	trimmed := func(d *appsv1.Deployment) map[string]any {
		digest, err := ContentDigest(d)
		if err != nil {
			t.Fatal(err)
		}
		c := d.DeepCopy()
		c.Annotations[AnnotationCachedContent] = digest
		c.Spec.Template.Spec = corev1.PodSpec{}
		return mustMap(t, c)
	}
	whole, err := fingerprint(mustMap(t, withTemplate("nginx:1")), desired)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fingerprint(trimmed(withTemplate("nginx:1")), desired); got != whole {
		t.Fatalf("the trimmed copy's fingerprint %s differs from the whole object's %s", got, whole)
	}
	if got, _ := fingerprint(trimmed(withTemplate("evil:1")), desired); got == whole {
		t.Fatal("a hand edit of the dropped Pod spec left the fingerprint unchanged")
	}
	others := withTemplate("nginx:1")
	others.Annotations["deployment.kubernetes.io/revision"] = "3"
	others.Status.Replicas = ptr.Deref(others.Spec.Replicas, 0)
	if got, _ := fingerprint(mustMap(t, others), desired); got != whole {
		t.Fatal("someone else's annotation or the status changed the fingerprint")
	}
}

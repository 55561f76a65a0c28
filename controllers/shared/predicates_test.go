package shared

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func deployment(mutate ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", ResourceVersion: "1",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "ecs-operator"}, Annotations: map[string]string{AnnotationAppliedHash: "abc"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)},
	}
	for _, m := range mutate {
		m(d)
	}
	return d
}

func TestChildChanged_WakesTheOwnerForDriftNotForStatusOrOthersAnnotations(t *testing.T) {
	pred := ChildChanged(nil)
	for _, tc := range []struct {
		name   string
		change func(*appsv1.Deployment)
		want   bool
	}{
		{"its controller writes its status", func(d *appsv1.Deployment) { d.Status.ReadyReplicas = 2 }, false},
		{"kube-controller-manager adds its revision annotation", func(d *appsv1.Deployment) {
			d.Annotations["deployment.kubernetes.io/revision"] = "1"
		}, false},
		{"a hand edit of the spec", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](7) }, true},
		{"our annotation changed", func(d *appsv1.Deployment) { d.Annotations[AnnotationAppliedHash] = "other" }, true},
		{"the managed-by label removed", func(d *appsv1.Deployment) { delete(d.Labels, "app.kubernetes.io/managed-by") }, true},
		{"the owner reference removed", func(d *appsv1.Deployment) { d.OwnerReferences = []metav1.OwnerReference{{Name: "x"}} }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := deployment()
			updated := deployment(tc.change, func(d *appsv1.Deployment) { d.ResourceVersion = "2" })
			if got := pred.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: updated}); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if pred.Create(event.CreateEvent{Object: deployment()}) {
		t.Fatal("the owner's own create of a child woke it")
	}
	if !pred.Delete(event.DeleteEvent{Object: deployment()}) {
		t.Fatal("a deleted child did not wake its owner")
	}
	if pred.Update(event.UpdateEvent{ObjectOld: deployment(), ObjectNew: deployment()}) {
		t.Fatal("a resync (same resourceVersion) woke the owner")
	}
	extra := ChildChanged(func(o, n client.Object) bool {
		return o.(*appsv1.Deployment).Status.ReadyReplicas != n.(*appsv1.Deployment).Status.ReadyReplicas
	})
	if !extra.Update(event.UpdateEvent{ObjectOld: deployment(), ObjectNew: deployment(func(d *appsv1.Deployment) {
		d.ResourceVersion, d.Status.ReadyReplicas = "2", 1
	})}) {
		t.Fatal("a status change the kind reads did not wake the owner")
	}
}

func TestSpecOrMetadataChanged_IgnoresStatusWrites(t *testing.T) {
	old := deployment()
	status := deployment(func(d *appsv1.Deployment) { d.Status.Replicas = 3 })
	if SpecOrMetadataChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: status}) {
		t.Fatal("a status write passed")
	}
	spec := deployment(func(d *appsv1.Deployment) { d.Generation = 2 })
	if !SpecOrMetadataChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: spec}) {
		t.Fatal("a new generation did not pass")
	}
	deleting := deployment(func(d *appsv1.Deployment) { d.DeletionTimestamp = ptr.To(metav1.Now()) })
	if !SpecOrMetadataChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: deleting}) {
		t.Fatal("a deletion did not pass")
	}
}

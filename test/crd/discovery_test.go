package crd

import (
	"slices"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// TestResourcesAreDiscoverableTheECSWay proves what `kubectl get ecs`, the short names and
// `kubectl get` columns rely on: categories, short names, scope, subresources, printer columns.
func TestResourcesAreDiscoverableTheECSWay(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dc.ServerResourcesForGroupVersion(ecsv1.GroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		shortNames []string
		namespaced bool
		columns    []string
	}{
		"cellgroups":      {[]string{"cg"}, false, []string{"Tier", "Cell", "IG", "Tenants", "Clusters", "Max", "Ready", "Age"}},
		"clusters":        {[]string{"ecsc"}, false, []string{"Tenant", "Status", "Namespace", "Services", "Running", "Pending", "Ready", "Age"}},
		"taskdefinitions": {[]string{"td", "taskdef"}, true, []string{"Family", "Revision", "Ready", "Age"}},
		"services":        {[]string{"ecssvc"}, true, []string{"Task Definition", "Desired", "Running", "Pending", "Status", "Ready", "Age"}},
		"tasks":           {[]string{"ecstask"}, true, []string{"Task Definition", "Last Status", "Desired Status", "Health", "Stop Code", "Ready", "Age"}},
	}
	found := map[string]bool{}
	for _, r := range list.APIResources {
		found[r.Name] = true
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		if !slices.Equal(r.ShortNames, w.shortNames) {
			t.Errorf("%s: short names %v, want %v", r.Name, r.ShortNames, w.shortNames)
		}
		if !slices.Contains(r.Categories, "ecs") {
			t.Errorf("%s: categories %v lack ecs", r.Name, r.Categories)
		}
		if r.Namespaced != w.namespaced {
			t.Errorf("%s: namespaced %v, want %v", r.Name, r.Namespaced, w.namespaced)
		}
		if !slices.ContainsFunc(list.APIResources, func(s metav1.APIResource) bool { return s.Name == r.Name+"/status" }) {
			t.Errorf("%s: no status subresource", r.Name)
		}

		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(ctx(t), types.NamespacedName{Name: r.Name + "." + ecsv1.GroupVersion.Group}, crd); err != nil {
			t.Fatal(err)
		}
		var columns []string
		for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
			columns = append(columns, c.Name)
		}
		if !slices.Equal(columns, w.columns) {
			t.Errorf("%s: printer columns %v, want %v", r.Name, columns, w.columns)
		}
	}
	for name := range want {
		if !found[name] {
			t.Errorf("resource %s is not served", name)
		}
	}
	if !found["services/scale"] {
		t.Error("services has no scale subresource")
	}
}

// TestServiceScalesThroughTheScaleSubresource proves `kubectl scale ecssvc/web --replicas=5`.
func TestServiceScalesThroughTheScaleSubresource(t *testing.T) {
	ns := newNamespace(t)
	svc := &ecsv1.Service{}
	svc.Namespace, svc.Name = ns, "web"
	svc.Spec.TaskDefinition = "web"
	svc.Spec.DesiredCount = ptr.To[int32](2)
	if err := k8s.Create(ctx(t), svc); err != nil {
		t.Fatal(err)
	}
	scale := &autoscalingv1.Scale{}
	if err := k8s.SubResource("scale").Get(ctx(t), svc, scale); err != nil {
		t.Fatalf("reading the scale subresource: %v", err)
	}
	if scale.Spec.Replicas != 2 {
		t.Fatalf("scale reads %d replicas, want 2", scale.Spec.Replicas)
	}
	scale.Spec.Replicas = 5
	if err := k8s.SubResource("scale").Update(ctx(t), svc, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("scaling: %v", err)
	}
	if err := k8s.Get(ctx(t), client.ObjectKeyFromObject(svc), svc); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(svc.Spec.DesiredCount, -1); got != 5 {
		t.Fatalf("desiredCount is %d after scaling to 5", got)
	}
}

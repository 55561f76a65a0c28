package chart

import "testing"

// clusterScoped are the kinds the chart renders without a namespace.
var clusterScoped = map[string]bool{
	"CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
}

// TestChart_EveryNamespacedObjectNamesTheReleaseNamespace: `helm template | kubectl apply` and
// make build-installer's plain manifests put every object where the ClusterRoleBindings and
// webhook configurations expect it, not in the applier's current namespace.
func TestChart_EveryNamespacedObjectNamesTheReleaseNamespace(t *testing.T) {
	objs := render(t, "ecs-operator", "--set", "certManager.enabled=true", "--set", "networkPolicy.enabled=true")
	for key, obj := range objs {
		switch ns := obj.GetNamespace(); {
		case clusterScoped[obj.GetKind()] && ns != "":
			t.Errorf("%s is cluster-scoped but names namespace %q", key, ns)
		case !clusterScoped[obj.GetKind()] && ns != "ecs-system":
			t.Errorf("%s: namespace %q, want the release's (ecs-system)", key, ns)
		}
	}
}

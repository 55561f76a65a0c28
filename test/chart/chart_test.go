// Package chart renders the Helm charts with Helm itself (built into bin/ by make) and checks
// the objects they make, parsed, not compared as text.
package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// webhookConfigurations are the configurations the manager injects its CA into
// (cmd/manager/ca_injector.go): the chart must make exactly these.
var webhookConfigurations = []string{
	"MutatingWebhookConfiguration/ecs-operator-mutating-webhook-configuration",
	"MutatingWebhookConfiguration/ecs-operator-pod-mutating-webhook-configuration",
	"ValidatingWebhookConfiguration/ecs-operator-namespace-validating-webhook-configuration",
	"ValidatingWebhookConfiguration/ecs-operator-pod-validating-webhook-configuration",
	"ValidatingWebhookConfiguration/ecs-operator-validating-webhook-configuration",
}

func helm(t *testing.T) (string, string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("HELM")
	if bin == "" {
		matches, _ := filepath.Glob(filepath.Join(root, "bin", "helm-*"))
		if len(matches) == 0 {
			t.Fatal("no Helm in bin/: run make helm-lint first, which builds it")
		}
		bin = matches[len(matches)-1]
	}
	return bin, root
}

// render runs helm template and parses what it prints.
func render(t *testing.T, chart string, args ...string) map[string]*unstructured.Unstructured {
	t.Helper()
	out, err := renderErr(t, chart, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func renderErr(t *testing.T, chart string, args ...string) (map[string]*unstructured.Unstructured, error) {
	t.Helper()
	bin, root := helm(t)
	cmd := exec.Command(bin, append([]string{"template", "eo", filepath.Join(root, "charts", chart), "--namespace", "ecs-system"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, &renderError{stderr.String()}
	}
	objs := map[string]*unstructured.Unstructured{}
	for _, doc := range strings.Split(string(b), "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("parsing %q: %v", doc, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		key := u.GetKind() + "/" + u.GetName()
		if _, dup := objs[key]; dup {
			t.Fatalf("%s rendered twice", key)
		}
		objs[key] = u
	}
	return objs, nil
}

// number reads a number field (YAML numbers parse as float64).
func number(o *unstructured.Unstructured, fields ...string) float64 {
	v, _, _ := unstructured.NestedFieldNoCopy(o.Object, fields...)
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	}
	return -1
}

type renderError struct{ stderr string }

func (e *renderError) Error() string { return e.stderr }

func kinds(objs map[string]*unstructured.Unstructured, kind string) []string {
	var out []string
	for k := range objs {
		if strings.HasPrefix(k, kind+"/") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func container(t *testing.T, d *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("%d containers", len(cs))
	}
	return cs[0].(map[string]any)
}

func args(c map[string]any) []string {
	var out []string
	for _, a := range c["args"].([]any) {
		out = append(out, a.(string))
	}
	return out
}

func TestChart_DefaultsAreAnHAOperatorAPlatformTeamWouldTrust(t *testing.T) {
	objs := render(t, "ecs-operator")
	d := objs["Deployment/eo-ecs-operator"]
	if d == nil {
		t.Fatalf("no Deployment in %v", kinds(objs, "Deployment"))
	}
	if r := number(d, "spec", "replicas"); r != 2 {
		t.Errorf("replicas %v, want 2", r)
	}
	c := container(t, d)
	a := args(c)
	for _, want := range []string{"--leader-elect", "--leader-elect-lease-duration=15s", "--metrics-secure", "--cert-rotation=true",
		"--webhook-service-name=eo-ecs-operator-webhook", "--webhook-secret-name=eo-ecs-operator-webhook-cert", "--unchecked-task-wait=40s"} {
		if !slices.Contains(a, want) {
			t.Errorf("args %q lack %s", a, want)
		}
	}
	if c["image"] != "ghcr.io/ecs-operator/ecs-operator:v0.1.0" {
		t.Errorf("image %v", c["image"])
	}
	sc := c["securityContext"].(map[string]any)
	if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false || sc["runAsNonRoot"] != true {
		t.Errorf("container securityContext %v", sc)
	}
	if c["livenessProbe"] == nil || c["readinessProbe"] == nil || c["resources"] == nil {
		t.Error("probes or resources missing")
	}
	spec := d.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if anti, _, _ := unstructured.NestedSlice(spec, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"); len(anti) != 1 {
		t.Errorf("no hostname anti-affinity: %v", spec["affinity"])
	}
	if spread, _ := spec["topologySpreadConstraints"].([]any); len(spread) != 1 || spread[0].(map[string]any)["topologyKey"] != "topology.kubernetes.io/zone" {
		t.Errorf("no zone spread: %v", spec["topologySpreadConstraints"])
	}
	if pdb := objs["PodDisruptionBudget/eo-ecs-operator"]; pdb == nil || number(pdb, "spec", "maxUnavailable") != 1 {
		t.Errorf("PodDisruptionBudget %v", pdb)
	}

	// The webhooks: exactly the configurations the manager injects its CA into, at the
	// release's Service, with no caBundle (the manager's rotation fills it: no GitOps drift).
	if got := append(kinds(objs, "MutatingWebhookConfiguration"), kinds(objs, "ValidatingWebhookConfiguration")...); !slices.Equal(got, webhookConfigurations) {
		t.Errorf("webhook configurations %q, want %q", got, webhookConfigurations)
	}
	for _, name := range webhookConfigurations {
		hooks, _, _ := unstructured.NestedSlice(objs[name].Object, "webhooks")
		for _, h := range hooks {
			svc, _, _ := unstructured.NestedMap(h.(map[string]any), "clientConfig", "service")
			if svc["name"] != "eo-ecs-operator-webhook" || svc["namespace"] != "ecs-system" {
				t.Errorf("%s points at %v", name, svc)
			}
			if _, has, _ := unstructured.NestedString(h.(map[string]any), "clientConfig", "caBundle"); has {
				t.Errorf("%s renders a caBundle", name)
			}
		}
	}
	pod := objs["MutatingWebhookConfiguration/ecs-operator-pod-mutating-webhook-configuration"]
	if sel, _, _ := unstructured.NestedSlice(pod.Object, "webhooks"); len(sel) == 0 || sel[0].(map[string]any)["namespaceSelector"] == nil {
		t.Error("the Pod webhook sees every namespace: it must select only cluster namespaces")
	}
	if s := objs["Secret/eo-ecs-operator-webhook-cert"]; s == nil || s.Object["data"] != nil {
		t.Errorf("the certificate Secret should be rendered empty: %v", s)
	}

	// CRDs, kept on uninstall; the ClusterRole from the controllers' markers.
	crds := kinds(objs, "CustomResourceDefinition")
	if len(crds) != 6 {
		t.Errorf("CRDs %q", crds)
	}
	for _, k := range crds {
		if objs[k].GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("%s is not kept on uninstall", k)
		}
	}
	_, root := helm(t)
	b, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated map[string]any
	if err := yaml.Unmarshal(b, &generated); err != nil {
		t.Fatal(err)
	}
	role := objs["ClusterRole/eo-ecs-operator-manager"]
	if role == nil {
		t.Fatal("no manager ClusterRole")
	}
	want, _ := yaml.Marshal(generated["rules"])
	got, _ := yaml.Marshal(role.Object["rules"])
	if !bytes.Equal(want, got) {
		t.Error("the chart's manager ClusterRole differs from config/rbac/role.yaml: run make manifests")
	}
	for _, k := range kinds(objs, "ClusterRole") {
		rules, _ := objs[k].Object["rules"].([]any)
		for _, r := range rules {
			for _, f := range []string{"verbs", "resources", "apiGroups"} {
				list, _ := r.(map[string]any)[f].([]any)
				if slices.Contains(list, any("*")) {
					t.Errorf("%s grants a wildcard %s", k, f)
				}
			}
		}
	}
	if hook := objs["Job/eo-ecs-operator-pre-delete"]; hook == nil || hook.GetAnnotations()["helm.sh/hook"] != "pre-delete" ||
		!slices.Contains(args(container(t, hook)), "--delete-webhook-configurations") {
		t.Errorf("pre-delete hook %v", hook)
	}
	for _, absent := range []string{"ServiceMonitor/eo-ecs-operator", "NetworkPolicy/eo-ecs-operator", "Certificate/eo-ecs-operator-webhook"} {
		if objs[absent] != nil {
			t.Errorf("%s rendered by default", absent)
		}
	}
}

func TestChart_ValuesChangeWhatTheyName(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	objs := render(t, "ecs-operator", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor",
		"--set", "certManager.enabled=true", "--set", "image.tag=v1.2.3", "--set", "image.digest="+digest,
		"--set", "crds.enabled=false", "--set", "networkPolicy.enabled=true", "--set", "priorityClassName=system-cluster-critical",
		"--set", "replicaCount=3", "--set", "manager.alertmanagerURL=http://am.monitoring:9093", "--set", "leaderElection.leaseDuration=30s",
		"--set", "leaderElection.renewDeadline=20s", "--set", "manager.extraArgs[0]=--zap-devel")
	d := objs["Deployment/eo-ecs-operator"]
	c := container(t, d)
	if c["image"] != "ghcr.io/ecs-operator/ecs-operator:v1.2.3@"+digest {
		t.Errorf("image %v, want tag@digest", c["image"])
	}
	a := args(c)
	for _, want := range []string{"--cert-rotation=false", "--alertmanager-url=http://am.monitoring:9093", "--leader-elect-lease-duration=30s", "--leader-elect-renew-deadline=20s", "--zap-devel"} {
		if !slices.Contains(a, want) {
			t.Errorf("args %q lack %s", a, want)
		}
	}
	if r := number(d, "spec", "replicas"); r != 3 {
		t.Errorf("replicas %v", r)
	}
	if p, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "priorityClassName"); p != "system-cluster-critical" {
		t.Errorf("priorityClassName %q", p)
	}
	if kinds(objs, "CustomResourceDefinition") != nil {
		t.Error("CRDs rendered with crds.enabled=false")
	}
	for _, want := range []string{"Issuer/eo-ecs-operator-selfsigned", "Certificate/eo-ecs-operator-webhook", "ServiceMonitor/eo-ecs-operator", "NetworkPolicy/eo-ecs-operator"} {
		if objs[want] == nil {
			t.Errorf("%s not rendered", want)
		}
	}
	if objs["Secret/eo-ecs-operator-webhook-cert"] != nil || objs["Role/eo-ecs-operator-cert-rotation"] != nil {
		t.Error("with cert-manager the chart still renders the rotation's Secret or Role")
	}
	for _, name := range webhookConfigurations {
		if objs[name].GetAnnotations()["cert-manager.io/inject-ca-from"] != "ecs-system/eo-ecs-operator-webhook" {
			t.Errorf("%s has no cert-manager CA injection", name)
		}
	}

	off := render(t, "ecs-operator", "--set", "webhooks.enabled=false")
	if got := append(kinds(off, "MutatingWebhookConfiguration"), kinds(off, "ValidatingWebhookConfiguration")...); got != nil {
		t.Errorf("webhooks.enabled=false still renders %q", got)
	}
	if e := container(t, off["Deployment/eo-ecs-operator"])["env"].([]any); !slices.ContainsFunc(e, func(v any) bool {
		m := v.(map[string]any)
		return m["name"] == "ENABLE_WEBHOOKS" && m["value"] == "false"
	}) {
		t.Errorf("ENABLE_WEBHOOKS not false: %v", e)
	}
}

func TestChart_ATypoInTheValuesFailsTheInstall(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"replicaCunt=2", "replicaCunt"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"manager.taskStartTimeout=soon", "taskStartTimeout"},
		{"image.digest=latest", "digest"},
	} {
		if _, err := renderErr(t, "ecs-operator", "--set", tc.set); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: want an error naming %s, got %v", tc.set, tc.want, err)
		}
	}
}

func TestCRDChart_RendersEveryCRDKeptUnlessToldOtherwise(t *testing.T) {
	kept := render(t, "ecs-operator-crds")
	crds := kinds(kept, "CustomResourceDefinition")
	if len(crds) != 6 {
		t.Fatalf("CRDs %q", crds)
	}
	for _, k := range crds {
		if kept[k].GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("%s is not kept", k)
		}
	}
	for k, o := range render(t, "ecs-operator-crds", "--set", "keep=false") {
		if _, ok := o.GetAnnotations()["helm.sh/resource-policy"]; ok {
			t.Errorf("%s kept with keep=false", k)
		}
	}
}

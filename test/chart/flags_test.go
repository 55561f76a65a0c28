package chart

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// notChartValues are the manager's flags the chart has no value for, and why.
var notChartValues = map[string]string{
	"kubeconfig": "in a cluster the manager reaches the API server as its ServiceAccount",
}

// TestChart_EveryManagerFlagIsAValue: a flag the chart cannot set is a setting its users
// cannot reach. Every flag the manager has must be rendered into the Deployment's (or the hook
// Job's) args by some value.
func TestChart_EveryManagerFlagIsAValue(t *testing.T) {
	_, root := helm(t)
	manager := filepath.Join(t.TempDir(), "manager")
	build := exec.Command("go", "build", "-o", manager, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	// -h prints the flags and exits with status 0 (flag.ExitOnError's help).
	help, _ := exec.Command(manager, "-h").CombinedOutput()
	flags := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(string(help), -1)
	if len(flags) < 20 {
		t.Fatalf("found %d flags in the manager's help, expected its whole list:\n%s", len(flags), help)
	}

	objs := render(t, "ecs-operator",
		"--set", "manager.alertmanagerURL=https://alertmanager.monitoring.svc:9093",
		"--set", "manager.pprofBindAddress=127.0.0.1:6060",
		"--set", "manager.logDevelopment=true",
		"--set", "manager.logEncoder=console",
		"--set", "manager.logStacktraceLevel=panic",
		"--set", "manager.logTimeEncoding=rfc3339",
		"--set", "webhooks.host=0.0.0.0",
		"--set", "webhooks.certExtraDNSNames={webhooks.example.com}",
		"--set", "ecsApi.enabled=true", "--set", "ecsApi.tlsSecret=ecs-api-tls",
	)
	var rendered []string
	for _, key := range []string{"Deployment/eo-ecs-operator", "Job/eo-ecs-operator-pre-delete"} {
		obj, ok := objs[key]
		if !ok {
			t.Fatalf("%s not rendered", key)
		}
		rendered = append(rendered, args(container(t, obj))...)
	}
	for _, f := range flags {
		name := f[1]
		if why, ok := notChartValues[name]; ok {
			t.Logf("--%s: no value (%s)", name, why)
			continue
		}
		if !slices.ContainsFunc(rendered, func(arg string) bool { return arg == "--"+name || strings.HasPrefix(arg, "--"+name+"=") }) {
			t.Errorf("--%s: no chart value renders it; add one to values.yaml, values.schema.json and the Deployment", name)
		}
	}
}

// TestChart_ECSAPIOnlyWhenEnabled: the ECS API's Service and the impersonation it needs exist
// only when the API is turned on.
func TestChart_ECSAPIOnlyWhenEnabled(t *testing.T) {
	off := render(t, "ecs-operator")
	for _, key := range []string{"Service/eo-ecs-operator-ecs-api", "ClusterRole/eo-ecs-operator-ecs-api-impersonate"} {
		if _, ok := off[key]; ok {
			t.Errorf("%s rendered with the ECS API off", key)
		}
	}
	on := render(t, "ecs-operator", "--set", "ecsApi.enabled=true")
	role, ok := on["ClusterRole/eo-ecs-operator-ecs-api-impersonate"]
	if !ok {
		t.Fatal("no impersonation ClusterRole with the ECS API on")
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	if len(rules) != 1 || !slices.Contains(rules[0].(map[string]any)["verbs"].([]any), any("impersonate")) {
		t.Fatalf("rules: %v", rules)
	}
	if _, ok := on["Service/eo-ecs-operator-ecs-api"]; !ok {
		t.Fatal("no ECS API Service")
	}
	if !slices.Contains(args(container(t, on["Deployment/eo-ecs-operator"])), "--ecs-api-bind-address=:8444") {
		t.Fatal("the manager does not serve the ECS API")
	}
}

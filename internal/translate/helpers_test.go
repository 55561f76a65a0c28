package translate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// diff fails the test when got is not want. (go-cmp is in the module graph but not in
// go.mod, so the comparison is the small one below.)
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if !deepEqual(reflect.ValueOf(want), reflect.ValueOf(got)) {
		t.Errorf("%s mismatch:\nwant %s\n got %s", what, show(want), show(got))
	}
}

func show(v any) string {
	b, err := json.MarshalIndent(v, "     ", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b) + "\n     (" + reflect.TypeOf(v).String() + ")"
}

var quantityType = reflect.TypeOf(resource.Quantity{})

// deepEqual is reflect.DeepEqual, except that quantities are equal when their values are
// ("1Gi" and 1073741824) and nil and empty slices and maps are alike.
func deepEqual(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == quantityType && a.CanInterface() && b.CanInterface() {
		qa, qb := a.Interface().(resource.Quantity), b.Interface().(resource.Quantity)
		return qa.Cmp(qb) == 0
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return deepEqual(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !deepEqual(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !deepEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Func:
		return a.IsNil() && b.IsNil()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.String:
		return a.String() == b.String()
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func TestDeepEqual_canFail(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{resource.MustParse("1Gi"), *resource.NewQuantity(1<<30, resource.BinarySI), true},
		{resource.MustParse("1Gi"), resource.MustParse("1G"), false},
		{[]string(nil), []string{}, true},
		{[]string{"a"}, []string{"b"}, false},
		{struct{ x int }{1}, struct{ x int }{2}, false},
		{map[string]int{"a": 1}, map[string]int{"a": 1, "b": 2}, false},
		{&corev1.Probe{PeriodSeconds: 1}, &corev1.Probe{PeriodSeconds: 2}, false},
		{(*corev1.Probe)(nil), &corev1.Probe{}, false},
	} {
		if got := deepEqual(reflect.ValueOf(tc.a), reflect.ValueOf(tc.b)); got != tc.want {
			t.Errorf("deepEqual(%#v, %#v) = %v", tc.a, tc.b, got)
		}
	}
}

// ctr is a container definition named name with image "img", changed by mods.
func ctr(name string, mods ...func(*ecsv1.ContainerDefinition)) ecsv1.ContainerDefinition {
	c := ecsv1.ContainerDefinition{Name: ecsv1.ContainerName(name), Image: "img"}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func nonEssential(c *ecsv1.ContainerDefinition) { c.Essential = ptr.To(false) }

func dependsOn(name string, cond ecsv1.DependencyCondition) func(*ecsv1.ContainerDefinition) {
	return func(c *ecsv1.ContainerDefinition) {
		c.DependsOn = append(c.DependsOn, ecsv1.ContainerDependency{ContainerName: ecsv1.ContainerName(name), Condition: cond})
	}
}

func healthCheck(cmd ...string) func(*ecsv1.ContainerDefinition) {
	return func(c *ecsv1.ContainerDefinition) { c.HealthCheck = &ecsv1.HealthCheck{Command: cmd} }
}

// service is the input of a Service running spec.
func service(spec *ecsv1.TaskDefinitionSpec) Input {
	return Input{
		Family: "web", Revision: 3, TaskDefinition: spec, Namespace: "shop",
		SelectorLabels: map[string]string{"ecs.operator.dev/service": "web"},
		RestartPolicy:  corev1.RestartPolicyAlways,
	}
}

// task is the input of a Task running spec.
func task(spec *ecsv1.TaskDefinitionSpec) Input {
	in := service(spec)
	in.SelectorLabels = map[string]string{"ecs.operator.dev/task": "t1"}
	in.RestartPolicy = corev1.RestartPolicyNever
	return in
}

func spec(containers ...ecsv1.ContainerDefinition) *ecsv1.TaskDefinitionSpec {
	return &ecsv1.TaskDefinitionSpec{ContainerDefinitions: containers}
}

// mustTranslate translates in, fails the test on an error, and checks the pod against the
// rules of checkPod. It returns a pointer so that callers can take the address of parts.
func mustTranslate(t *testing.T, in Input) *Output {
	t.Helper()
	out, err := PodTemplate(in)
	if err != nil {
		t.Fatalf("PodTemplate: %v", err)
	}
	checkPod(t, &out.Template.Spec)
	return &out
}

func wantError(t *testing.T, in Input, fragments ...string) {
	t.Helper()
	_, err := PodTemplate(in)
	if err == nil {
		t.Fatalf("PodTemplate succeeded, want an error with %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// container finds a container or init container by Kubernetes name.
func container(t *testing.T, pod *corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for i := range pod.InitContainers {
		if pod.InitContainers[i].Name == name {
			return &pod.InitContainers[i]
		}
	}
	for i := range pod.Containers {
		if pod.Containers[i].Name == name {
			return &pod.Containers[i]
		}
	}
	t.Fatalf("no container %q in %v / %v", name, names(pod.InitContainers), names(pod.Containers))
	return nil
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func hasNote(notes []string, fragments ...string) bool {
	for _, n := range notes {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(n, f)
		}
		if all {
			return true
		}
	}
	return false
}

// checkPod applies the API server's rules that a translation could break: names, unique
// volumes and mount paths, mounts of existing volumes, port names, probes only where allowed,
// restart rules only with a restart policy, sidecar policies.
func checkPod(t *testing.T, pod *corev1.PodSpec) {
	t.Helper()
	vols := map[string]bool{}
	for _, v := range pod.Volumes {
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			t.Errorf("volume name %q: %v", v.Name, errs)
		}
		if vols[v.Name] {
			t.Errorf("volume %q twice", v.Name)
		}
		vols[v.Name] = true
	}
	seen := map[string]bool{}
	check := func(c *corev1.Container, init bool) {
		if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
			t.Errorf("container name %q: %v", c.Name, errs)
		}
		if seen[c.Name] {
			t.Errorf("container %q twice", c.Name)
		}
		seen[c.Name] = true
		paths := map[string]bool{}
		for _, m := range c.VolumeMounts {
			if !vols[m.Name] {
				t.Errorf("container %q mounts missing volume %q", c.Name, m.Name)
			}
			if paths[m.MountPath] {
				t.Errorf("container %q mounts %q twice", c.Name, m.MountPath)
			}
			paths[m.MountPath] = true
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name == "" {
				continue
			}
			if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
				t.Errorf("container %q port name %q: %v", c.Name, p.Name, errs)
			}
			if ports[p.Name] {
				t.Errorf("container %q port name %q twice", c.Name, p.Name)
			}
			ports[p.Name] = true
		}
		if len(c.RestartPolicyRules) > 0 && c.RestartPolicy == nil {
			t.Errorf("container %q has restart rules without a restart policy", c.Name)
		}
		for _, r := range c.RestartPolicyRules {
			if r.ExitCodes == nil {
				t.Errorf("container %q has a restart rule without exitCodes", c.Name)
			}
		}
		sidecar := init && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if init && !sidecar && (c.ReadinessProbe != nil || c.LivenessProbe != nil || c.StartupProbe != nil) {
			t.Errorf("init container %q has probes", c.Name)
		}
		for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if p != nil && (p.PeriodSeconds < 1 || p.FailureThreshold < 1 || p.TimeoutSeconds < 1) {
				t.Errorf("container %q has an invalid probe %+v", c.Name, p)
			}
		}
		if c.LivenessProbe != nil && c.LivenessProbe.SuccessThreshold != 1 || c.StartupProbe != nil && c.StartupProbe.SuccessThreshold != 1 {
			t.Errorf("container %q: liveness and startup probes need successThreshold 1", c.Name)
		}
	}
	for i := range pod.InitContainers {
		check(&pod.InitContainers[i], true)
	}
	if len(pod.Containers) == 0 {
		t.Errorf("the pod has no regular container")
	}
	for i := range pod.Containers {
		check(&pod.Containers[i], false)
	}
	if pod.DNSPolicy == corev1.DNSNone && (pod.DNSConfig == nil || len(pod.DNSConfig.Nameservers) == 0) {
		t.Errorf("dnsPolicy None without name servers")
	}
	if a := pod.Affinity; a != nil && a.NodeAffinity != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			if len(term.MatchExpressions) == 0 {
				t.Errorf("an empty node selector term matches no node")
			}
		}
	}
}

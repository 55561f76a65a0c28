package controllers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// specField is a leaf field of a spec: its JSON path and the Go name of the field.
type specField struct {
	path, goName string
}

// specFields lists the leaf fields of an ECS spec type, with lists and maps as their fields.
func specFields(t reflect.Type, prefix string) []specField {
	var out []specField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		out = append(out, specField{path, f.Name})
		if ft.Kind() == reflect.Struct && ft.PkgPath() == reflect.TypeOf(ecsv1.ServiceSpec{}).PkgPath() {
			out = append(out, specFields(ft, path)...)
		}
	}
	return out
}

// selectedNames are the names selected (x.Name) anywhere in the operator's non-test code
// outside the API package: a spec field nobody selects is read by nobody.
func selectedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range []string{".", "../internal", "../cmd"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					names[x.Sel.Name] = true
				case *ast.KeyValueExpr: // composite literals copy fields by name too
					if id, ok := x.Key.(*ast.Ident); ok {
						names[id.Name] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// unsupportedFields are the spec fields ecs-operator keeps but does not act on, with where the
// UnsupportedSettings condition naming them comes from; an entry covers the fields below it.
var unsupportedFields = map[string]string{
	"ServiceSpec.enableECSManagedTags":                                "shared.ServiceSettingNotes",
	"ServiceSpec.propagateTags":                                       "shared.ServiceSettingNotes",
	"ServiceSpec.networkConfiguration":                                "shared.ServiceSettingNotes",
	"ServiceSpec.platformFamily":                                      "shared.ServiceSettingNotes",
	"ServiceSpec.platformVersion":                                     "shared.ServiceSettingNotes",
	"ServiceSpec.loadBalancers.loadBalancerName":                      "shared.ServiceSettingNotes",
	"ServiceSpec.serviceConnectConfiguration.logConfiguration":        "shared.ServiceSettingNotes",
	"ServiceSpec.serviceConnectConfiguration.services.timeout":        "shared.ServiceSettingNotes",
	"TaskSetSpec.networkConfiguration":                                "shared.TaskSetSettingNotes",
	"TaskSetSpec.platformVersion":                                     "shared.TaskSetSettingNotes",
	"TaskSetSpec.loadBalancers.loadBalancerName":                      "shared.TaskSetSettingNotes",
	"TaskSpec.enableECSManagedTags":                                   "shared.TaskSettingNotes",
	"TaskSpec.propagateTags":                                          "shared.TaskSettingNotes",
	"TaskSpec.networkConfiguration":                                   "shared.TaskSettingNotes",
	"TaskSpec.platformVersion":                                        "shared.TaskSettingNotes",
	"TaskDefinitionSpec.containerDefinitions.ulimits":                 "translate: containerDefinitions[x].ulimits",
	"TaskDefinitionSpec.containerDefinitions.linuxParameters.devices": "translate: containerDefinitions[x].linuxParameters.devices",
	"TaskDefinitionSpec.proxyConfiguration":                           "translate: proxyConfiguration",
}

// keptFields are read by the users of the object, not by the operator: kept verbatim on the
// object or, as JSON, on its tasks.
var keptFields = map[string]string{
	"ServiceSpec.tags":        "the Service's ECS resource tags, kept on the object (ListTagsForResource)",
	"TaskSpec.tags":           "the Task's ECS resource tags, kept on the object",
	"TaskSpec.startedBy":      "who started the Task, kept on the object (ListTasks --started-by)",
	"TaskSetSpec.tags":        "the task set's ECS resource tags, kept on the object",
	"TaskSetSpec.cluster":     "the ECS cluster named in ECS JSON, kept; the namespace is the cluster",
	"TaskSetSpec.externalId":  "the external deployment system's identifier, kept on the object for it",
	"TaskDefinitionSpec.tags": "the task definition's ECS resource tags, kept on the object",
	"ServiceSpec.deploymentConfiguration.lifecycleHooks.roleArn": "the IAM role ECS would invoke the hook's Lambda function with, kept on the object",
	"TaskDefinitionSpec.containerDefinitions.logConfiguration":   "copied as JSON into the tasks' ecs.operator.dev/log-configuration annotation for the cluster's log shipper",
}

// covered reports whether the field or one of its parents is in the list.
func covered(list map[string]string, key string) bool {
	for k := key; ; {
		if _, ok := list[k]; ok {
			return true
		}
		i := strings.LastIndex(k, ".")
		if i < 0 {
			return false
		}
		k = k[:i]
	}
}

func TestSpecFields_EveryFieldIsReadOrListedAsUnsupported(t *testing.T) {
	read := selectedNames(t)
	for _, kind := range []reflect.Type{reflect.TypeOf(ecsv1.ServiceSpec{}), reflect.TypeOf(ecsv1.TaskDefinitionSpec{}), reflect.TypeOf(ecsv1.TaskSpec{}), reflect.TypeOf(ecsv1.TaskSetSpec{})} {
		var missing []string
		for _, f := range specFields(kind, "") {
			key := kind.Name() + "." + f.path
			if covered(unsupportedFields, key) || covered(keptFields, key) {
				continue
			}
			if !read[f.goName] {
				missing = append(missing, key)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("fields neither read by the operator nor listed as unsupported:\n  %s", strings.Join(missing, "\n  "))
		}
	}
}

func TestSpecFields_TheListsNameRealFields(t *testing.T) {
	all := map[string]bool{}
	for _, kind := range []reflect.Type{reflect.TypeOf(ecsv1.ServiceSpec{}), reflect.TypeOf(ecsv1.TaskDefinitionSpec{}), reflect.TypeOf(ecsv1.TaskSpec{}), reflect.TypeOf(ecsv1.TaskSetSpec{})} {
		for _, f := range specFields(kind, "") {
			all[kind.Name()+"."+f.path] = true
		}
	}
	for _, list := range []map[string]string{unsupportedFields, keptFields} {
		for k := range list {
			if !all[k] {
				t.Errorf("%s is no spec field: a stale entry", k)
			}
		}
	}
}

func TestServiceSettingNotes_NameEverySettingOnlyAWSActsOn(t *testing.T) {
	spec := &ecsv1.ServiceSpec{
		NetworkConfiguration:        &ecsv1.NetworkConfiguration{},
		PlatformVersion:             "LATEST",
		PlatformFamily:              "Linux",
		EnableECSManagedTags:        ptr.To(true),
		PropagateTags:               "SERVICE",
		LoadBalancers:               []ecsv1.LoadBalancer{{LoadBalancerName: "classic"}},
		ServiceConnectConfiguration: &ecsv1.ServiceConnectConfiguration{LogConfiguration: &ecsv1.LogConfiguration{}, Services: []ecsv1.ServiceConnectService{{Timeout: &ecsv1.TimeoutConfiguration{}}}},
	}
	got := strings.Join(shared.ServiceSettingNotes(spec), "\n")
	for k := range unsupportedFields {
		field, ok := strings.CutPrefix(k, "ServiceSpec.")
		if !ok {
			continue
		}
		root := strings.Split(field, ".")[0]
		if !strings.Contains(got, root) {
			t.Errorf("no note names %s:\n%s", field, got)
		}
	}
	if notes := shared.ServiceSettingNotes(&ecsv1.ServiceSpec{DeploymentController: &ecsv1.DeploymentController{Type: "ECS"}}); len(notes) != 0 {
		t.Errorf("a plain Service has notes: %q", notes)
	}
	taskSetNotes := strings.Join(shared.TaskSetSettingNotes(&ecsv1.TaskSetSpec{NetworkConfiguration: &ecsv1.NetworkConfiguration{}, PlatformVersion: "1.4.0",
		LoadBalancers: []ecsv1.LoadBalancer{{LoadBalancerName: "classic"}}}), "\n")
	for _, f := range []string{"networkConfiguration", "platformVersion", "loadBalancerName"} {
		if !strings.Contains(taskSetNotes, f) {
			t.Errorf("no TaskSet note names %s", f)
		}
	}
	taskNotes := strings.Join(shared.TaskSettingNotes(&ecsv1.TaskSpec{NetworkConfiguration: &ecsv1.NetworkConfiguration{}, PlatformVersion: "1.4.0",
		EnableECSManagedTags: ptr.To(true), PropagateTags: "TASK_DEFINITION"}), "\n")
	for _, f := range []string{"networkConfiguration", "platformVersion", "enableECSManagedTags", "propagateTags"} {
		if !strings.Contains(taskNotes, f) {
			t.Errorf("no Task note names %s", f)
		}
	}
}

package ecsjson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// TestExportFormatsReadBack: a task definition and service exported as CloudFormation or as
// Terraform read back, through the importers of those formats, to the same specs.
func TestExportFormatsReadBack(t *testing.T) {
	for _, f := range realFiles(t) {
		if !strings.HasPrefix(f.kind, "taskdef") {
			continue
		}
		t.Run(f.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "ecs", f.file))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Read(raw, ReadOptions{Parameters: templateValues[f.file]})
			if err != nil {
				t.Fatal(err)
			}
			td := objs.TaskDefinitions[0]
			tdOut, _, err := TaskDefinitionToECS(td.Name, td.Spec)
			if err != nil {
				t.Fatal(err)
			}
			svcIn, err := ServiceFromECS(map[string]any{"serviceName": "web", "taskDefinition": string(td.Spec.Family),
				"desiredCount": json.Number("2"), "placementStrategy": []any{map[string]any{"type": "spread", "field": "attribute:ecs.availability-zone"}},
				"deploymentConfiguration": map[string]any{"maximumPercent": json.Number("200"), "minimumHealthyPercent": json.Number("50")},
				"networkConfiguration":    map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []any{"s-1"}, "assignPublicIp": "DISABLED"}},
				"tags":                    []any{map[string]any{"key": "team", "value": "a"}}})
			if err != nil {
				t.Fatal(err)
			}
			svcOut, _, err := ServiceToECS("web", "prod", svcIn.Spec)
			if err != nil {
				t.Fatal(err)
			}

			var report Report
			cfn := CloudFormationTemplate("web", tdOut, svcOut, &report)
			back, err := Read(mustJSON(t, cfn), ReadOptions{})
			if err != nil {
				t.Fatalf("reading the CloudFormation export: %v", err)
			}
			noLosses(t, back.TaskDefinitions[0].Report)
			if !jsonEqual(t, back.TaskDefinitions[0].Spec, td.Spec) {
				t.Fatalf("CloudFormation changed the task definition:\n%s", diffJSON(t, td.Spec, back.TaskDefinitions[0].Spec))
			}
			if !jsonEqual(t, back.Services[0].Spec, svcIn.Spec) {
				t.Fatalf("CloudFormation changed the service:\n%s", diffJSON(t, svcIn.Spec, back.Services[0].Spec))
			}

			tf := TerraformJSON("web", tdOut, svcOut, &report)
			noLosses(t, report)
			// terraform show -json holds each resource's arguments as its values.
			resources := tf["resource"].(map[string]any)
			var planned []any
			for typ, byName := range resources {
				for name, values := range byName.(map[string]any) {
					v := values.(map[string]any)
					if typ == "aws_ecs_service" {
						v = cloneMap(v)
						v["task_definition"] = string(td.Spec.Family) // what Terraform resolves the reference to
					}
					planned = append(planned, map[string]any{"address": typ + "." + name, "type": typ, "values": v})
				}
			}
			plan := map[string]any{"format_version": "1.2", "planned_values": map[string]any{"root_module": map[string]any{"resources": planned}}}
			back, err = Read(mustJSON(t, plan), ReadOptions{})
			if err != nil {
				t.Fatalf("reading the Terraform export: %v", err)
			}
			noLosses(t, back.TaskDefinitions[0].Report)
			// Terraform keeps tags as a map (in key order) and writes a volume's empty host
			// ({}: Docker picks the path, as with no host) as no host_path.
			want := td.Spec.DeepCopy()
			slices.SortFunc(want.Tags, func(a, b ecsv1.Tag) int { return strings.Compare(a.Key, b.Key) })
			for i := range want.Volumes {
				if h := want.Volumes[i].Host; h != nil && h.SourcePath == "" {
					want.Volumes[i].Host = nil
				}
			}
			if !jsonEqual(t, back.TaskDefinitions[0].Spec, want) {
				t.Fatalf("Terraform changed the task definition:\n%s", diffJSON(t, td.Spec, back.TaskDefinitions[0].Spec))
			}
			if !jsonEqual(t, back.Services[0].Spec, svcIn.Spec) {
				t.Fatalf("Terraform changed the service:\n%s", diffJSON(t, svcIn.Spec, back.Services[0].Spec))
			}
		})
	}
}

func TestSnakeKeyIsTerraformsName(t *testing.T) {
	for in, want := range map[string]string{
		"sizeInGiB": "size_in_gib", "enableECSManagedTags": "enable_ecs_managed_tags", "cpuArchitecture": "cpu_architecture",
		"executionRoleArn": "execution_role_arn", "family": "family", "ipcMode": "ipc_mode",
	} {
		if got := snakeKey(in); got != want {
			t.Errorf("snakeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

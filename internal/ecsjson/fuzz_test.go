package ecsjson

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: no input makes the importer panic, and whatever it reads exports and reads back
// without error. Seeded with the real files; `go test -fuzz FuzzRead ./internal/ecsjson` runs
// it for as long as asked.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "ecs", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`Resources: {T: {Type: "AWS::ECS::TaskDefinition", Properties: {Family: !Sub "${A}-x", ContainerDefinitions: [{Name: a, Image: !Ref I}]}}}`))
	f.Add([]byte(`{"format_version":"1","values":{"root_module":{"resources":[{"type":"aws_ecs_service","values":{"name":"s","network_configuration":[{"assign_public_ip":true}]}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Read(data, ReadOptions{Family: "fuzz", Parameters: map[string]string{"A": "a", "I": "nginx"}})
		if err != nil {
			return
		}
		for _, td := range objs.TaskDefinitions {
			out, _, err := TaskDefinitionToECS(td.Name, td.Spec)
			if err != nil {
				t.Fatalf("exporting what was read: %v", err)
			}
			if _, err := TaskDefinitionFromECS(out); err != nil {
				t.Fatalf("reading back the export of %s: %v", td.Name, err)
			}
			_ = Normalize(out)
		}
		for _, s := range objs.Services {
			out, _, err := ServiceToECS("s", "c", s.Spec)
			if err != nil {
				t.Fatalf("exporting what was read: %v", err)
			}
			if _, err := ServiceFromECS(out); err != nil {
				t.Fatalf("reading back the export: %v", err)
			}
		}
	})
}

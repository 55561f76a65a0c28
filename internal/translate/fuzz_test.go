package translate_test

import (
	"os"
	"path/filepath"
	"testing"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// FuzzPodTemplate: whatever task definition the importer reads, the translation returns a pod
// template or an error, never a panic — at every Pod Security level.
func FuzzPodTemplate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "ecsjson", "testdata", "ecs", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ecsjson.Read(data, ecsjson.ReadOptions{Family: "fuzz"})
		if err != nil {
			return
		}
		for _, td := range objs.TaskDefinitions {
			for _, level := range []ecsv1.PodSecurityLevel{ecsv1.PodSecurityRestricted, ecsv1.PodSecurityPrivileged} {
				_, _ = translate.PodTemplate(translate.Input{TaskDefinition: &td.Spec, Namespace: "fuzz",
					SelectorLabels: map[string]string{"app": "fuzz"}, PodSecurity: level})
			}
		}
	})
}

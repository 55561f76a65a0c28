package translate

import (
	"encoding/json"
	"strings"
	"testing"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_labels(t *testing.T) {
	in := service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.DockerLabels = map[string]string{
			"team":                         "payments",
			"com.datadoghq.ad.instances":   `[{"host": "%%host%%"}]`, // not a label value
			"ecs.operator.dev/service":     "spoofed",                // reserved
			"app.kubernetes.io/managed-by": "me",                     // reserved
			"with space":                   "x",                      // not a label key
		}
	}), ctr("side", nonEssential, func(c *ecsv1.ContainerDefinition) {
		c.DockerLabels = map[string]string{"team": "other", "tier": "web"}
	})))
	in.Family = "My_Family"
	in.Revision = 12
	meta := mustTranslate(t, in).Template.ObjectMeta
	diff(t, "labels", map[string]string{
		"ecs.operator.dev/service":  "web",
		"ecs.operator.dev/family":   "My_Family",
		"ecs.operator.dev/revision": "12",
		"team":                      "payments", // the first container in ECS order wins
		"tier":                      "web",
	}, meta.Labels)
	diff(t, "task definition annotation", "My_Family:12", meta.Annotations[ecsv1.AnnotationTaskDefinition])
	var docker map[string]map[string]string
	if err := json.Unmarshal([]byte(meta.Annotations[AnnotationDockerLabels]), &docker); err != nil {
		t.Fatal(err)
	}
	diff(t, "docker labels annotation", map[string]map[string]string{
		"app":  in.TaskDefinition.ContainerDefinitions[0].DockerLabels,
		"side": in.TaskDefinition.ContainerDefinitions[1].DockerLabels,
	}, docker)
}

func TestPodTemplate_longFamilyLabel(t *testing.T) {
	in := service(spec(ctr("app")))
	in.Family = strings.Repeat("family", 20)
	meta := mustTranslate(t, in).Template.ObjectMeta
	if got := meta.Labels[ecsv1.LabelFamily]; len(got) > 63 || got == in.Family {
		t.Errorf("family label %q", got)
	}
	if got := meta.Annotations[ecsv1.AnnotationTaskDefinition]; got != in.Family+":3" {
		t.Errorf("the annotation keeps the whole family: %q", got)
	}
}

func TestPodTemplate_containerNamesAnnotation(t *testing.T) {
	meta := mustTranslate(t, service(spec(ctr("Web_App"), ctr("db")))).Template.ObjectMeta
	var got map[string]string
	if err := json.Unmarshal([]byte(meta.Annotations[AnnotationContainerNames]), &got); err != nil {
		t.Fatal(err)
	}
	diff(t, "container names", map[string]string{ContainerName("Web_App"): "Web_App", "db": "db"}, got)
}

func TestPodTemplate_logConfigurationRecorded(t *testing.T) {
	out := mustTranslate(t, service(spec(
		ctr("app", func(c *ecsv1.ContainerDefinition) {
			c.LogConfiguration = &ecsv1.LogConfiguration{LogDriver: "awsfirelens", Options: map[string]string{"Name": "cloudwatch"}}
		}),
		ctr("log_router", func(c *ecsv1.ContainerDefinition) {
			c.FirelensConfiguration = &ecsv1.FirelensConfiguration{Type: "fluentbit"}
			c.LogConfiguration = &ecsv1.LogConfiguration{LogDriver: "awslogs", SecretOptions: []ecsv1.Secret{{Name: "k", ValueFrom: "/p"}}}
		}),
		ctr("quiet"),
	)))
	const want = `{"app":{"logConfiguration":{"logDriver":"awsfirelens","options":{"Name":"cloudwatch"}}},` +
		`"log_router":{"logConfiguration":{"logDriver":"awslogs","secretOptions":[{"name":"k","valueFrom":"/p"}]},"firelensConfiguration":{"type":"fluentbit"}}}`
	diff(t, "log configuration annotation", want, out.Template.Annotations[AnnotationLogConfiguration])
	if len(out.Unsupported) > 0 {
		t.Errorf("log configuration is recorded, not unsupported: %q", out.Unsupported)
	}
}

func TestPodTemplate_executionRoleRecorded(t *testing.T) {
	s := spec(ctr("app"))
	s.ExecutionRoleArn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
	out := mustTranslate(t, service(s))
	diff(t, "annotation", s.ExecutionRoleArn, out.Template.Annotations[AnnotationExecutionRoleArn])
	if _, ok := mustTranslate(t, service(spec(ctr("app")))).Template.Annotations[AnnotationExecutionRoleArn]; ok {
		t.Error("no execution role: no annotation")
	}
}

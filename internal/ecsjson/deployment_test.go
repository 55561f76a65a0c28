package ecsjson

import (
	"testing"

	"github.com/ecs-operator/ecs-operator/internal/sdkjson"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestFromDeploymentIsTheClosestECSTaskDefinitionAndService(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr[int32](4),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxSurge: ptr(intstr.FromInt32(2)), MaxUnavailable: ptr(intstr.FromString("25%"))}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				ServiceAccountName: "checkout",
				NodeSelector:       map[string]string{corev1.LabelArchStable: "arm64", "team": "shop"},
				InitContainers: []corev1.Container{
					{Name: "migrate", Image: "checkout:1", Args: []string{"migrate"}},
					{Name: "proxy", Image: "envoy:1", RestartPolicy: &always},
				},
				Containers: []corev1.Container{{
					Name: "app", Image: "checkout:1", Command: []string{"/app"}, Args: []string{"--port=8080"},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"},
						{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}}},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
						Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
					},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString("http")}}},
					LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/app", "check"}}}},
					VolumeMounts:   []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}},
				}},
				Volumes: []corev1.Volume{
					{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
				},
			}},
		},
	}
	services := []corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "checkout"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "checkout"}, Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: ptr[int32](2), MaxReplicas: 10}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "checkout", Annotations: map[string]string{IRSARoleAnnotation: "arn:aws:iam::1:role/checkout"}}}

	td, svc, report := FromDeployment(d, services, hpa, sa, "shop")

	var tdIn awsecs.RegisterTaskDefinitionInput
	if err := sdkjson.Decode(jsonRoundTrip(t, td), &tdIn); err != nil {
		t.Fatalf("not a RegisterTaskDefinition input: %v", err)
	}
	var svcIn awsecs.CreateServiceInput
	if err := sdkjson.Decode(jsonRoundTrip(t, svc), &svcIn); err != nil {
		t.Fatalf("not a CreateService input: %v", err)
	}
	app := tdIn.ContainerDefinitions[2]
	switch {
	case *tdIn.Family != "checkout" || *tdIn.TaskRoleArn != "arn:aws:iam::1:role/checkout" || tdIn.RuntimePlatform.CpuArchitecture != "ARM64":
		t.Errorf("task definition: %+v", tdIn)
	case app.Cpu != 512 || *app.Memory != 512 || *app.MemoryReservation != 256 || app.EntryPoint[0] != "/app" || app.Command[0] != "--port=8080":
		t.Errorf("app container: cpu %d memory %d reservation %d entryPoint %v command %v", app.Cpu, *app.Memory, *app.MemoryReservation, app.EntryPoint, app.Command)
	case len(app.DependsOn) != 2 || *app.DependsOn[0].ContainerName != "migrate" || app.DependsOn[0].Condition != "SUCCESS" || app.DependsOn[1].Condition != "START":
		t.Errorf("dependsOn: %+v", app.DependsOn)
	case app.HealthCheck == nil || app.HealthCheck.Command[0] != "CMD" || len(app.Environment) != 1:
		t.Errorf("health check %+v, environment %+v", app.HealthCheck, app.Environment)
	case *svcIn.DesiredCount != 4 || *svcIn.DeploymentConfiguration.MaximumPercent != 150 || *svcIn.DeploymentConfiguration.MinimumHealthyPercent != 75:
		t.Errorf("service: desired %d, max %d, min %d", *svcIn.DesiredCount, *svcIn.DeploymentConfiguration.MaximumPercent, *svcIn.DeploymentConfiguration.MinimumHealthyPercent)
	case svcIn.ServiceConnectConfiguration == nil || *svcIn.ServiceConnectConfiguration.Services[0].PortName != "http":
		t.Errorf("service connect: %+v", svcIn.ServiceConnectConfiguration)
	}
	losses(t, report, "spec.template.spec.containers[0].env[1]", "spec.template.spec.containers[0].readinessProbe",
		"spec.template.spec.volumes[1]", "spec.template.spec.nodeSelector.team", "HorizontalPodAutoscaler/checkout")

	// And ecs-operator reads it back with nothing lost.
	back, err := TaskDefinitionFromECS(td)
	if err != nil {
		t.Fatal(err)
	}
	noLosses(t, back.Report)
}

package ecsjson

import (
	"testing"
	"time"

	"github.com/ecs-operator/ecs-operator/internal/sdkjson"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

var testARNs = ARNs{Region: "us-east-1", Account: "111122223333"}

// TestDescriptionsAreTheAWSCLIsShapes: every description unmarshals into the SDK's output type
// member for member, times as the CLI prints them.
func TestDescriptionsAreTheAWSCLIsShapes(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 5, 1, 10, 0, 0, 123000000, time.UTC))
	svc := &ecsv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", CreationTimestamp: created, Generation: 2},
		Spec: ecsv1.ServiceSpec{TaskDefinition: "web:3", DesiredCount: ptr[int32](3), LaunchType: "FARGATE",
			Role: "arn:aws:iam::111122223333:role/ecs"},
		Status: ecsv1.ServiceStatus{ObservedGeneration: 2, Status: "ACTIVE", DesiredCount: 3, RunningCount: 2, PendingCount: 1, TaskDefinition: "web:3",
			Deployments: []ecsv1.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDefinition: "web:3", DesiredCount: 3, RunningCount: 2, PendingCount: 1,
				RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment ecs-svc/1 in progress.", CreatedAt: &created, UpdatedAt: &created}},
			Events: []ecsv1.ServiceEvent{{ID: "e1", CreatedAt: created, Message: "(service web) has started 1 tasks: (task abc)."}}},
	}
	desc, err := DescribeService(svc, "prod", testARNs)
	if err != nil {
		t.Fatal(err)
	}
	var services awsecs.DescribeServicesOutput
	if err := sdkjson.Decode(jsonRoundTrip(t, Render(map[string]any{"services": []any{desc}, "failures": []any{}}, false)), &services); err != nil {
		t.Fatalf("describe-services: %v", err)
	}
	s := services.Services[0]
	if *s.ServiceArn != "arn:aws:ecs:us-east-1:111122223333:service/prod/web" || *s.TaskDefinition != "arn:aws:ecs:us-east-1:111122223333:task-definition/web:3" ||
		s.RunningCount != 2 || s.Deployments[0].RolloutState != "IN_PROGRESS" || !s.CreatedAt.Equal(created.Time) || *s.RoleArn != "arn:aws:iam::111122223333:role/ecs" {
		t.Fatalf("service: %+v", s)
	}

	cluster := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "prod"}, Status: ecsv1.ClusterStatus{Status: "ACTIVE", ActiveServicesCount: 1, RunningTasksCount: 2}}
	var clusters awsecs.DescribeClustersOutput
	if err := sdkjson.Decode(jsonRoundTrip(t, Render(map[string]any{"clusters": []any{DescribeCluster(cluster, testARNs)}, "failures": []any{}}, false)), &clusters); err != nil {
		t.Fatalf("describe-clusters: %v", err)
	}
	if *clusters.Clusters[0].ClusterArn != "arn:aws:ecs:us-east-1:111122223333:cluster/prod" || clusters.Clusters[0].RunningTasksCount != 2 {
		t.Fatalf("cluster: %+v", clusters.Clusters[0])
	}

	td, tags, err := DescribeTaskDefinition("web", 3, ecsv1.TaskDefinitionSpec{Family: "web", ContainerDefinitions: []ecsv1.ContainerDefinition{{Name: "app", Image: "nginx"}},
		Tags: []ecsv1.Tag{{Key: "team", Value: "a"}}}, "ACTIVE", created.Time, testARNs)
	if err != nil {
		t.Fatal(err)
	}
	var tdOut awsecs.DescribeTaskDefinitionOutput
	if err := sdkjson.Decode(jsonRoundTrip(t, Render(map[string]any{"taskDefinition": td, "tags": tags}, false)), &tdOut); err != nil {
		t.Fatalf("describe-task-definition: %v", err)
	}
	if tdOut.TaskDefinition.Revision != 3 || len(tdOut.Tags) != 1 || *tdOut.TaskDefinition.TaskDefinitionArn != "arn:aws:ecs:us-east-1:111122223333:task-definition/web:3" {
		t.Fatalf("task definition: %+v", tdOut.TaskDefinition)
	}

	exit := int32(1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", UID: "0f8e7a5c-1111-2222-3333-444455556666", CreationTimestamp: created,
			Labels: map[string]string{ecsv1.LabelService: "web"}, Annotations: map[string]string{ecsv1.AnnotationTaskDefinition: "web:3"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &created, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit}}}}},
	}
	task := DescribeTask(taskview.FromPod(pod), TaskContext{Cluster: "prod", AvailabilityZone: "us-east-1a", LaunchType: "EC2"}, testARNs)
	var tasks awsecs.DescribeTasksOutput
	if err := sdkjson.Decode(jsonRoundTrip(t, Render(map[string]any{"tasks": []any{task}, "failures": []any{}}, false)), &tasks); err != nil {
		t.Fatalf("describe-tasks: %v", err)
	}
	got := tasks.Tasks[0]
	if *got.TaskArn != "arn:aws:ecs:us-east-1:111122223333:task/prod/0f8e7a5c111122223333444455556666" || *got.LastStatus != "RUNNING" ||
		*got.Group != "service:web" || *got.Containers[0].Image != "nginx" || *got.AvailabilityZone != "us-east-1a" {
		t.Fatalf("task: %+v", got)
	}
}

func TestCLITimeIsPythonsISOFormat(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC):         "2026-05-01T10:00:00+00:00",
		time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.UTC): "2026-05-01T10:00:00.123456+00:00",
	} {
		if got := CLITime(in); got != want {
			t.Errorf("CLITime(%v) = %q, want %q", in, got, want)
		}
	}
}

package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

func stopPod(mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{}
	p.Annotations = map[string]string{taskview.AnnotationEssential: "app,proxy"}
	p.Spec.InitContainers = []corev1.Container{{Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
	p.Spec.Containers = []corev1.Container{{Name: "app"}, {Name: "logger"}}
	p.Status.Phase = corev1.PodRunning
	run := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "proxy", State: run}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: run}, {Name: "logger", State: run}}
	mutate(p)
	return p
}

func terminated(code int32) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}
}

func TestStopDecision_TheECSWay(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want ecsv1.TaskStopCode
	}{
		{"all running: no stop", stopPod(func(*corev1.Pod) {}), ""},
		{"a non-essential container exiting does not stop the task",
			stopPod(func(p *corev1.Pod) { p.Status.ContainerStatuses[1].State = terminated(1) }), ""},
		{"an essential container exiting stops it",
			stopPod(func(p *corev1.Pod) { p.Status.ContainerStatuses[0].State = terminated(0) }), ecsv1.StopCodeEssentialContainerExited},
		{"an essential sidecar that exited and was restarted in place stopped it",
			stopPod(func(p *corev1.Pod) {
				p.Status.InitContainerStatuses[0].RestartCount = 1
				p.Status.InitContainerStatuses[0].LastTerminationState = terminated(137)
			}), ecsv1.StopCodeEssentialContainerExited},
		{"an ECS restart policy restarts the container in place instead",
			stopPod(func(p *corev1.Pod) {
				p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart,
					ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: []int32{0}}}}
				p.Status.ContainerStatuses[0].State = terminated(2)
			}), ""},
		{"an exit code the ECS restart policy ignores stops the task",
			stopPod(func(p *corev1.Pod) {
				p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart,
					ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: []int32{0}}}}
				p.Status.ContainerStatuses[0].State = terminated(0)
			}), ecsv1.StopCodeEssentialContainerExited},
		{"an image that cannot be pulled fails the task to start",
			stopPod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses[1].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}
			}), ecsv1.StopCodeTaskFailedToStart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stopDecision(tc.pod).Code; got != tc.want {
				t.Fatalf("stop code %q, want %q", got, tc.want)
			}
		})
	}
}

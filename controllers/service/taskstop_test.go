package service

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

func TestJudgeTask_StopsWhatECSStops(t *testing.T) {
	ran := func(d time.Duration, code int32) *corev1.ContainerStateTerminated {
		return &corev1.ContainerStateTerminated{ExitCode: code,
			StartedAt: metav1.NewTime(testNow.Add(-d)), FinishedAt: metav1.NewTime(testNow)}
	}
	status := func(name string, st corev1.ContainerStatus) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			st.Name = name
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, st)
		}
	}
	exited := func(name string, term *corev1.ContainerStateTerminated) func(*corev1.Pod) {
		return status(name, corev1.ContainerStatus{State: corev1.ContainerState{Terminated: term}})
	}
	restartedAfter := func(name string, term *corev1.ContainerStateTerminated) func(*corev1.Pod) {
		return status(name, corev1.ContainerStatus{RestartCount: 1, LastTerminationState: corev1.ContainerState{Terminated: term},
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	}
	waiting := func(name, reason string) func(*corev1.Pod) {
		return status(name, corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "pull access denied"}}})
	}
	restartPolicy := func(json string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Annotations[translate.AnnotationRestartPolicies] = json }
	}
	startedAgo := func(d time.Duration) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Status.StartTime = ptr.To(metav1.NewTime(testNow.Add(-d))) }
	}
	phase := func(ph corev1.PodPhase) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Status.Phase = ph } }
	sidecarInit := func(name string, st corev1.ContainerStatus) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: name, RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)})
			st.Name = name
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, st)
		}
	}
	initContainer := func(name string, st corev1.ContainerStatus) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: name})
			st.Name = name
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, st)
		}
	}
	const timeout = 20 * time.Second
	for _, tc := range []struct {
		name    string
		mutate  []func(*corev1.Pod)
		stop    string
		failed  bool
		recheck time.Duration
	}{
		{"a running task runs on", nil, "", false, 0},
		{"an essential container that exited stops the task",
			[]func(*corev1.Pod){exited("app", ran(time.Minute, 3))},
			"Essential container in task exited: app exited with code 3", true, 0},
		{"a non-essential container that exited does not",
			[]func(*corev1.Pod){exited("log", ran(time.Minute, 1))}, "", false, 0},
		{"an essential container a kubelet restarted in place stops the task all the same",
			[]func(*corev1.Pod){restartedAfter("app", ran(time.Hour, 137))},
			"Essential container in task exited: app exited with code 137", true, 0},
		{"ECS's restart policy restarts in place after restartAttemptPeriod",
			[]func(*corev1.Pod){restartPolicy(`{"app":{"restartAttemptPeriod":60}}`), restartedAfter("app", ran(2*time.Minute, 1))}, "", false, 0},
		{"a container that ran less than restartAttemptPeriod stops the task",
			[]func(*corev1.Pod){restartPolicy(`{"app":{"restartAttemptPeriod":300}}`), restartedAfter("app", ran(10*time.Second, 1))},
			"Essential container in task exited: app exited with code 1", true, 0},
		{"an ignored exit code is not restarted: the task stops",
			[]func(*corev1.Pod){restartPolicy(`{"app":{"ignoredExitCodes":[0],"restartAttemptPeriod":60}}`), exited("app", ran(time.Hour, 0))},
			"Essential container in task exited: app exited with code 0", true, 0},
		{"an essential sidecar that exited stops the task",
			[]func(*corev1.Pod){sidecarInit("app", corev1.ContainerStatus{RestartCount: 2, LastTerminationState: corev1.ContainerState{Terminated: ran(time.Second, 2)}})},
			"Essential container in task exited: app exited with code 2", true, 0},
		{"a failed dependency stops the task",
			[]func(*corev1.Pod){initContainer("migrate", corev1.ContainerStatus{RestartCount: 1, LastTerminationState: corev1.ContainerState{Terminated: ran(time.Second, 5)}})},
			"Dependency container in task exited: migrate exited with code 5", true, 0},
		{"a completed dependency is fine",
			[]func(*corev1.Pod){initContainer("migrate", corev1.ContainerStatus{State: corev1.ContainerState{Terminated: ran(time.Second, 0)}})}, "", false, 0},
		{"an image that cannot be pulled fails the task at once",
			[]func(*corev1.Pod){startedAgo(5 * time.Second), waiting("log", "ErrImagePull")}, "", true, 15 * time.Second},
		{"and stops it after the start timeout",
			[]func(*corev1.Pod){startedAgo(timeout), waiting("log", "ImagePullBackOff")},
			"CannotPullContainerError: log: pull access denied", true, 0},
		{"a failed Pod is a stopped task",
			[]func(*corev1.Pod){phase(corev1.PodFailed), exited("app", ran(time.Second, 1))},
			"Essential container in task exited: app exited with code 1", true, 0},
		{"a task being deleted is still judged, so that its failure counts",
			[]func(*corev1.Pod){exited("app", ran(time.Second, 1)), func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(testNow)) }},
			"Essential container in task exited: app exited with code 1", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := taskPod("t", "web:1", true, func(p *corev1.Pod) { p.Annotations[taskview.AnnotationEssential] = "app" })
			for _, m := range tc.mutate {
				m(&pod)
			}
			v := judgeTask(&pod, testNow, timeout)
			if v.stop != tc.stop || v.failed != tc.failed || v.recheck != tc.recheck {
				t.Fatalf("verdict %+v, want stop %q failed %v recheck %v", v, tc.stop, tc.failed, tc.recheck)
			}
		})
	}
}

func TestFailedHealthCheck_AnEssentialContainerKilledByItsHealthCheck(t *testing.T) {
	killed := func(code int32, reason string, probe bool, essential string) *corev1.Pod {
		p := taskPod("t", "web:1", false, func(p *corev1.Pod) {
			p.Annotations[taskview.AnnotationEssential] = essential
			c := corev1.Container{Name: "app"}
			if probe {
				c.ReadinessProbe = &corev1.Probe{}
			}
			p.Spec.Containers = []corev1.Container{c}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", RestartCount: 1,
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}}}
		})
		return &p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"killed (137) with a health check", killed(137, "Error", true, "app"), true},
		{"out of memory is no health check failure", killed(137, "OOMKilled", true, "app"), false},
		{"an exit code of its own", killed(1, "Error", true, "app"), false},
		{"no health check", killed(137, "Error", false, "app"), false},
		{"a non-essential container", killed(137, "Error", true, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := failedHealthCheck(tc.pod); got != tc.want {
				t.Fatalf("failedHealthCheck = %v, want %v", got, tc.want)
			}
		})
	}
}

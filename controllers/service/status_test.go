package service

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testService() *ecsv1.Service {
	svc := &ecsv1.Service{}
	svc.Name, svc.Namespace, svc.UID, svc.Generation = "web", "tenant-a", "uid-1", 1
	return svc
}

// taskPod makes a task Pod of a deployment: ready, pending, or failing as asked.
func taskPod(name, td string, ready bool, mutate ...func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{}
	p.Name = name
	p.Annotations = map[string]string{ecsv1.AnnotationTaskDefinition: td}
	p.Status.Phase = corev1.PodRunning
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	for _, m := range mutate {
		m(&p)
	}
	return p
}

func restarted(n int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", RestartCount: n}}
	}
}

func pods(n int, prefix, td string, ready bool) []corev1.Pod {
	var out []corev1.Pod
	for i := 0; i < n; i++ {
		out = append(out, taskPod(fmt.Sprintf("%s-%d", prefix, i), td, ready))
	}
	return out
}

func TestComputeServiceStatus_SteadyStateWhenAllTasksOfThePrimaryRun(t *testing.T) {
	svc := testService()
	st, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 3, Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: pods(3, "a", "web:1", true),
	})
	if st.RunningCount != 3 || st.PendingCount != 0 || st.DesiredCount != 3 {
		t.Fatalf("counts running=%d pending=%d desired=%d", st.RunningCount, st.PendingCount, st.DesiredCount)
	}
	if len(st.Deployments) != 1 || st.Deployments[0].Status != ecsv1.DeploymentPrimary || st.Deployments[0].RolloutState != ecsv1.RolloutCompleted {
		t.Fatalf("deployments %+v", st.Deployments)
	}
	if !shared.IsReady(st.Conditions) {
		t.Fatal("a service in steady state is not Ready")
	}
	if !containsMessage(events, "(service web) has reached a steady state.") {
		t.Fatalf("no steady state event in %q", events)
	}
	// A resync with nothing new adds no steady state event again.
	st2, events2 := computeServiceStatus(svc, st, serviceObservation{DesiredKnown: true,
		Now: testNow.Add(time.Minute), Desired: 3, Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: pods(3, "a", "web:1", true),
	})
	if len(events2) != 0 {
		t.Fatalf("a resync produced events %q", events2)
	}
	if *st2.Deployments[0].UpdatedAt != *st.Deployments[0].UpdatedAt {
		t.Fatal("updatedAt moved although nothing changed")
	}
}

func TestComputeServiceStatus_RolloutShowsPrimaryAndActive(t *testing.T) {
	svc := testService()
	prev, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 2, Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: pods(2, "old", "web:1", true),
	})
	observed := append(pods(2, "old", "web:1", true), pods(1, "new", "web:2", false)...)
	st, _ := computeServiceStatus(svc, prev, serviceObservation{DesiredKnown: true,
		Now: testNow.Add(time.Minute), Desired: 2, Primary: deploymentKey{TaskDefinition: "web:2"}, Pods: observed,
	})
	if len(st.Deployments) != 2 {
		t.Fatalf("want PRIMARY and ACTIVE, got %+v", st.Deployments)
	}
	primary, active := st.Deployments[0], st.Deployments[1]
	if primary.TaskDefinition != "web:2" || primary.RolloutState != ecsv1.RolloutInProgress || primary.PendingCount != 1 {
		t.Fatalf("primary %+v", primary)
	}
	if active.Status != ecsv1.DeploymentActive || active.TaskDefinition != "web:1" || active.RunningCount != 2 || active.RolloutState != ecsv1.RolloutCompleted {
		t.Fatalf("active %+v", active)
	}
	if shared.IsReady(st.Conditions) {
		t.Fatal("a service mid-rollout is Ready")
	}
	if st.TaskDefinition != "web:2" {
		t.Fatalf("status.taskDefinition %q", st.TaskDefinition)
	}
}

func TestComputeServiceStatus_CircuitBreakerFailsAtThreshold(t *testing.T) {
	svc := testService()
	cb := &ecsv1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
	tests := []struct {
		name     string
		desired  int32
		failures int32
		want     ecsv1.RolloutState
	}{
		{"2 failures of 1 task stay under the minimum threshold of 3", 1, 2, ecsv1.RolloutInProgress},
		{"3 failures of 1 task trip it", 1, 3, ecsv1.RolloutFailed},
		{"5 failures of 10 tasks trip it (half)", 10, 5, ecsv1.RolloutFailed},
		{"4 failures of 10 tasks do not", 10, 4, ecsv1.RolloutInProgress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			observed := []corev1.Pod{taskPod("new-0", "web:2", false, restarted(tc.failures))}
			st, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
				Now: testNow, Desired: tc.desired, Primary: deploymentKey{TaskDefinition: "web:2"}, Pods: observed, CircuitBreaker: cb,
			})
			if got := st.Deployments[0].RolloutState; got != tc.want {
				t.Fatalf("rolloutState %s, want %s (failedTasks %d)", got, tc.want, st.Deployments[0].FailedTasks)
			}
			if tc.want == ecsv1.RolloutFailed {
				if !containsMessage(events, "deployment failed: tasks failed to start.") {
					t.Fatalf("no failure event in %q", events)
				}
				if !shared.IsStalledWith(st.Conditions, shared.ReasonDeploymentFailed) {
					t.Fatal("a failed deployment is not Stalled")
				}
			}
		})
	}
}

func TestComputeServiceStatus_FailedTasksNeverDecrease(t *testing.T) {
	svc := testService()
	prev, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 10, Primary: deploymentKey{TaskDefinition: "web:2"},
		Pods: []corev1.Pod{taskPod("p", "web:2", false, restarted(2))},
	})
	// The crashing Pod was replaced: its restarts are gone from the Pods, not from the count.
	st, _ := computeServiceStatus(svc, prev, serviceObservation{DesiredKnown: true,
		Now: testNow.Add(time.Minute), Desired: 10, Primary: deploymentKey{TaskDefinition: "web:2"},
		Pods: []corev1.Pod{taskPod("q", "web:2", false, restarted(1))},
	})
	if st.Deployments[0].FailedTasks != 2 {
		t.Fatalf("failedTasks %d, want the high-water mark 2", st.Deployments[0].FailedTasks)
	}
}

func TestComputeServiceStatus_UnplaceableTaskEvent(t *testing.T) {
	svc := testService()
	unschedulable := func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: 3 Insufficient cpu."}}
	}
	_, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 1, Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: []corev1.Pod{taskPod("p", "web:1", false, unschedulable)},
	})
	want := "(service web) was unable to place a task because no container instance met all of its requirements. Reason: 0/3 nodes are available: 3 Insufficient cpu."
	if !containsMessage(events, want) {
		t.Fatalf("want %q in %q", want, events)
	}
}

func TestComputeServiceStatus_TasksThatCannotBeCreatedAreAnEvent(t *testing.T) {
	svc := testService()
	msg := `pods "web-1" is forbidden: exceeded quota: ecs-cluster-quota, requested: pods=1, used: pods=10, limited: pods=10`
	st, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 1, Primary: deploymentKey{TaskDefinition: "web:1"}, LaunchFailures: []string{msg},
	})
	want := "(service web) failed to launch a task with (error " + msg + ")."
	if !containsMessage(events, want) {
		t.Fatalf("want %q in %q", want, events)
	}
	if shared.IsReady(st.Conditions) {
		t.Fatal("a Service whose tasks cannot be created is not steady")
	}
}

func TestAddServiceEvents_NewestFirstCappedAndDeduplicated(t *testing.T) {
	var evs []ecsv1.ServiceEvent
	for i := 0; i < 120; i++ {
		evs = addServiceEvents(evs, []message{{text: fmt.Sprintf("message %d", i)}}, testNow.Add(time.Duration(i)*time.Second))
	}
	if len(evs) != maxServiceEvents {
		t.Fatalf("%d events kept, want %d", len(evs), maxServiceEvents)
	}
	if evs[0].Message != "message 119" {
		t.Fatalf("newest first: got %q", evs[0].Message)
	}
	evs = addServiceEvents(evs, []message{{text: "message 119"}}, testNow.Add(time.Hour))
	if evs[1].Message == "message 119" {
		t.Fatal("a repeat of the newest message was added again")
	}
	if evs[0].CreatedAt != metav1.NewTime(testNow.Add(119*time.Second)) {
		t.Fatal("the suppressed repeat changed the newest event")
	}
}

func containsMessage(events []message, want string) bool {
	for _, e := range events {
		if strings.Contains(e.text, want) {
			return true
		}
	}
	return false
}

func TestTaskChanges_ReportsStartedStoppedAndEssentialExits(t *testing.T) {
	r := &Reconciler{}
	svc := testService()
	msgs, commit := r.taskChanges(svc, pods(2, "a", "web:1", true))
	if len(msgs) != 0 {
		t.Fatalf("the first look reports nothing, got %q", msgs)
	}
	commit()
	crashed := taskPod("a-0", "web:1", true, func(p *corev1.Pod) {
		p.Annotations[shared.AnnotationEssential] = "web"
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", RestartCount: 1,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137}}}}
	})
	// Until the first look is committed (its status written), it is not remembered.
	if again, _ := r.taskChanges(svc, pods(2, "a", "web:1", true)); len(again) != 0 {
		t.Fatalf("an uncommitted look reports nothing new, got %q", again)
	}
	msgs, _ = r.taskChanges(svc, []corev1.Pod{crashed, taskPod("b-0", "web:1", false)})
	want := []string{
		"(service web) has stopped 1 running tasks: (task a-1).",
		"(service web) (task a-0) Essential container in task exited: web exited with code 137; the task was restarted in place.",
		"(service web) has started 1 tasks: (task b-0).",
	}
	if got := strings.Join(texts(msgs), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestAddServiceEvents_CrashLoopingTasksDoNotFloodTheEvents(t *testing.T) {
	evs := addServiceEvents(nil, []message{
		{kindSteadyState, "(service web) has reached a steady state."},
		{kindDeploymentFailed, "(service web) (deployment d) deployment failed: tasks failed to start."},
	}, testNow)
	for i := 0; i < 200; i++ {
		evs = addServiceEvents(evs, []message{
			{kindTaskRestarted, fmt.Sprintf("(service web) (task web-%d) Essential container in task exited: app exited with code 1; the task was restarted in place.", i%2)},
			{kindUnableToStartTasks, "(service web) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."},
		}, testNow.Add(time.Duration(i)*time.Second))
	}
	if len(evs) != 5 {
		t.Fatalf("%d events, want the 2 first and 3 repeating ones once each: %+v", len(evs), evs)
	}
	if evs[len(evs)-1].Message != "(service web) has reached a steady state." {
		t.Fatalf("the first event was pushed out: %+v", evs)
	}
}

func texts(msgs []message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.text)
	}
	return out
}

func TestEventFor_OneEventPerReconcileWithTheMostImportantReason(t *testing.T) {
	for _, tc := range []struct {
		name             string
		msgs             []message
		wantType, reason string
	}{
		{"a new service's completion and steady state are one event",
			[]message{{kindDeploymentCompleted, "(service web) (deployment d) deployment completed."}, {kindSteadyState, "(service web) has reached a steady state."}},
			corev1.EventTypeNormal, "SteadyState"},
		{"a failure outranks the tasks started with it",
			[]message{{kindTasksStarted, "(service web) has started 1 tasks: (task a)."}, {kindDeploymentFailed, "(service web) (deployment d) deployment failed: tasks failed to start."}},
			corev1.EventTypeWarning, "DeploymentFailed"},
		{"tasks started alone",
			[]message{{kindTasksStarted, "(service web) has started 1 tasks: (task a)."}},
			corev1.EventTypeNormal, "TasksStarted"},
		{"a launch failure is a warning",
			[]message{{kindFailedToLaunchTask, "(service web) failed to launch a task with (error quota)."}},
			corev1.EventTypeWarning, "FailedToLaunchTask"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, reason, note := eventFor(tc.msgs)
			if typ != tc.wantType || reason != tc.reason {
				t.Fatalf("got %s/%s, want %s/%s", typ, reason, tc.wantType, tc.reason)
			}
			for _, m := range tc.msgs {
				if !strings.Contains(note, m.text) {
					t.Fatalf("the note %q lacks %q", note, m.text)
				}
			}
		})
	}
	if typ, reason, _ := eventFor(nil); typ != "" || reason != "" {
		t.Fatalf("no messages make an event: %s/%s", typ, reason)
	}
}

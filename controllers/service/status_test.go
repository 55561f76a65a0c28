package service

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/alarms"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
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
	st.Events = addServiceEvents(st.Events, events, testNow)
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
	primary := deploymentKey{TaskDefinition: "web:2"}
	breaker := func(mut ...func(*ecsv1.DeploymentCircuitBreaker)) *ecsv1.DeploymentCircuitBreaker {
		cb := &ecsv1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
		for _, m := range mut {
			m(cb)
		}
		return cb
	}
	noReset := func(cb *ecsv1.DeploymentCircuitBreaker) { cb.ResetOnHealthyTask = ptr.To(false) }
	countOf := func(n int32) func(*ecsv1.DeploymentCircuitBreaker) {
		return func(cb *ecsv1.DeploymentCircuitBreaker) {
			cb.ThresholdConfiguration = &ecsv1.ThresholdConfiguration{Type: ecsv1.ThresholdCount, Value: n}
		}
	}
	// look is one observation: failures counted since the last one, and whether a task became
	// healthy meanwhile.
	type look struct {
		failures int32
		healthy  bool
	}
	tests := []struct {
		name      string
		desired   int32
		cb        *ecsv1.DeploymentCircuitBreaker
		looks     []look
		want      ecsv1.RolloutState
		wantCount int32
		threshold int32
	}{
		{"2 failures of 1 task stay under the minimum threshold of 3", 1, breaker(), []look{{2, false}}, ecsv1.RolloutInProgress, 2, 3},
		{"3 failures of 1 task trip it", 1, breaker(), []look{{1, false}, {1, false}, {1, false}}, ecsv1.RolloutFailed, 3, 3},
		{"5 failures of 10 tasks trip it (half)", 10, breaker(), []look{{5, false}}, ecsv1.RolloutFailed, 5, 5},
		{"4 failures of 10 tasks do not", 10, breaker(), []look{{4, false}}, ecsv1.RolloutInProgress, 4, 5},
		{"a task that becomes healthy resets the count (the default)", 1, breaker(), []look{{2, false}, {0, true}, {2, false}}, ecsv1.RolloutInProgress, 2, 3},
		{"resetOnHealthyTask false keeps counting", 1, breaker(noReset), []look{{2, false}, {0, true}, {1, false}}, ecsv1.RolloutFailed, 3, 3},
		{"COUNT 1 fails on the first failure", 10, breaker(countOf(1)), []look{{1, false}}, ecsv1.RolloutFailed, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st ecsv1.ServiceStatus
			var events []message
			observed := []corev1.Pod{taskPod("new-0", "web:2", false)}
			for i, l := range tc.looks {
				st, events = computeServiceStatus(svc, st, serviceObservation{DesiredKnown: true,
					Now: testNow.Add(time.Duration(i) * time.Second), Desired: tc.desired, Primary: primary, Pods: observed, CircuitBreaker: tc.cb,
					Failures: map[deploymentKey]int32{primary: l.failures}, Healthy: map[deploymentKey]bool{primary: l.healthy},
				})
			}
			d := st.Deployments[0]
			if d.RolloutState != tc.want {
				t.Fatalf("rolloutState %s, want %s (breaker %+v)", d.RolloutState, tc.want, d.CircuitBreaker)
			}
			if d.CircuitBreaker == nil || d.CircuitBreaker.FailureCount != tc.wantCount || d.CircuitBreaker.Threshold != tc.threshold {
				t.Fatalf("breaker %+v, want failureCount %d threshold %d", d.CircuitBreaker, tc.wantCount, tc.threshold)
			}
			var total int32
			for _, l := range tc.looks {
				total += l.failures
			}
			if d.FailedTasks != total {
				t.Fatalf("failedTasks %d, want every failure counted: %d", d.FailedTasks, total)
			}
			if tc.want == ecsv1.RolloutFailed {
				if d.CircuitBreaker.Status != ecsv1.CircuitBreakerTriggered {
					t.Fatalf("breaker status %s, want TRIGGERED", d.CircuitBreaker.Status)
				}
				if !containsMessage(events, "deployment failed: tasks failed to start.") {
					t.Fatalf("no failure event in %q", events)
				}
				if !shared.IsStalledWith(st.Conditions, shared.ReasonDeploymentFailed) {
					t.Fatal("a failed deployment is not Stalled")
				}
			} else if d.CircuitBreaker.Status != ecsv1.CircuitBreakerMonitoring {
				t.Fatalf("breaker status %s, want MONITORING", d.CircuitBreaker.Status)
			}
		})
	}
}

func TestComputeServiceStatus_FailedTasksAccumulateOverReplacedTasks(t *testing.T) {
	svc := testService()
	key := deploymentKey{TaskDefinition: "web:2"}
	prev, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 10, Primary: key, Failures: map[deploymentKey]int32{key: 2},
		Pods: []corev1.Pod{taskPod("p", "web:2", false)},
	})
	// The failed Pod was replaced and its replacement failed too.
	st, _ := computeServiceStatus(svc, prev, serviceObservation{DesiredKnown: true,
		Now: testNow.Add(time.Minute), Desired: 10, Primary: key, Failures: map[deploymentKey]int32{key: 1},
		Pods: []corev1.Pod{taskPod("q", "web:2", false)},
	})
	if st.Deployments[0].FailedTasks != 3 {
		t.Fatalf("failedTasks %d, want 3", st.Deployments[0].FailedTasks)
	}
	if st.Deployments[0].CircuitBreaker != nil {
		t.Fatalf("no breaker, no breaker state: %+v", st.Deployments[0].CircuitBreaker)
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

func TestTaskChanges_ReportsStartedAndStoppedAndCountsEachFailureOnce(t *testing.T) {
	r := &Reconciler{Clock: clocktesting.NewFakePassiveClock(testNow)}
	svc := testService()
	first := r.taskChanges(svc, pods(2, "a", "web:1", true))
	if len(first.messages) != 0 || len(first.failures) != 0 {
		t.Fatalf("the first look reports nothing, got %q %v", first.messages, first.failures)
	}
	first.commit()
	crashed := taskPod("a-0", "web:1", true, func(p *corev1.Pod) {
		p.Annotations[taskview.AnnotationEssential] = "web"
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", RestartCount: 1,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137}}}}
	})
	// Until the first look is committed (its status written), it is not remembered.
	if again := r.taskChanges(svc, pods(2, "a", "web:1", true)); len(again.messages) != 0 {
		t.Fatalf("an uncommitted look reports nothing new, got %q", again.messages)
	}
	look := r.taskChanges(svc, []corev1.Pod{crashed, taskPod("b-0", "web:2", true)})
	want := []string{
		"(service web) has stopped 1 running tasks: (task a-1).",
		"(service web) has started 1 tasks: (task b-0).",
	}
	if got := strings.Join(texts(look.messages), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	web1, web2 := deploymentKey{TaskDefinition: "web:1"}, deploymentKey{TaskDefinition: "web:2"}
	if look.failures[web1] != 1 || look.failures[web2] != 0 {
		t.Fatalf("failures %v, want the crashed task of web:1 once", look.failures)
	}
	if !look.healthy[web2] || look.healthy[web1] {
		t.Fatalf("healthy %v, want web:2's new ready task only", look.healthy)
	}
	look.commit()
	if again := r.taskChanges(svc, []corev1.Pod{crashed, taskPod("b-0", "web:2", true)}); again.failures[web1] != 0 || again.healthy[web2] {
		t.Fatalf("a failure or a healthy task counted twice: %v %v", again.failures, again.healthy)
	}
	// The controller stopped the crashed task: reported once, with its reason, not counted again.
	going := crashed.DeepCopy()
	going.DeletionTimestamp = ptr.To(metav1.NewTime(testNow))
	stop := r.taskChanges(svc, []corev1.Pod{*going, taskPod("b-0", "web:2", true)})
	want = []string{
		"(service web) has stopped 1 running tasks: (task a-0).",
		"(service web) (task a-0) was stopped: Essential container in task exited: web exited with code 137.",
	}
	if got := strings.Join(texts(stop.messages), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if stop.failures[web1] != 0 {
		t.Fatalf("the stopped task's failure counted again: %v", stop.failures)
	}
}

func TestTaskChanges_ATaskStoppedBeforeItsFailureWasWrittenStillCounts(t *testing.T) {
	r := &Reconciler{Clock: clocktesting.NewFakePassiveClock(testNow)}
	svc := testService()
	healthy := taskPod("a-0", "web:2", false)
	r.taskChanges(svc, []corev1.Pod{healthy}).commit()
	// The reconcile that saw it fail and stopped it lost its status write; the retry sees the
	// Pod going.
	going := taskPod("a-0", "web:2", false, func(p *corev1.Pod) {
		p.Annotations[taskview.AnnotationEssential] = "web"
		p.DeletionTimestamp = ptr.To(metav1.NewTime(testNow))
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}}}
	})
	if got := r.taskChanges(svc, []corev1.Pod{going}).failures[deploymentKey{TaskDefinition: "web:2"}]; got != 1 {
		t.Fatalf("failures %d, want 1", got)
	}
}

func TestTaskChanges_AfterARestartOnlyNewTasksCount(t *testing.T) {
	r := &Reconciler{Clock: clocktesting.NewFakePassiveClock(testNow), started: testNow.Add(-time.Minute)}
	svc := testService()
	failing := func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
	}
	old := taskPod("old", "web:2", false, failing)
	old.CreationTimestamp = metav1.NewTime(testNow.Add(-time.Hour))
	fresh := taskPod("new", "web:2", false, failing)
	fresh.CreationTimestamp = metav1.NewTime(testNow)
	look := r.taskChanges(svc, []corev1.Pod{old, fresh})
	if got := look.failures[deploymentKey{TaskDefinition: "web:2"}]; got != 1 {
		t.Fatalf("failures %d, want only the task created since the restart", got)
	}
}

func TestAddServiceEvents_CrashLoopingTasksDoNotFloodTheEvents(t *testing.T) {
	evs := addServiceEvents(nil, []message{
		{kindSteadyState, "(service web) has reached a steady state."},
		{kindDeploymentFailed, "(service web) (deployment d) deployment failed: tasks failed to start."},
	}, testNow)
	for i := 0; i < 200; i++ {
		evs = addServiceEvents(evs, []message{
			{kindTaskFailed, fmt.Sprintf("(service web) (task web-%d) was stopped: Essential container in task exited: app exited with code 1.", i%2)},
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

func TestComputeServiceStatus_ARollbackIsANewDeploymentInProgressUntilItCompletes(t *testing.T) {
	svc := testService()
	web1, web2 := deploymentKey{TaskDefinition: "web:1"}, deploymentKey{TaskDefinition: "web:2"}
	completed, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 2, Primary: web1, Wanted: web1, Pods: pods(2, "old", "web:1", true)})
	failedID := deploymentID(svc, web2)
	prev := completed
	prev.Deployments = append([]ecsv1.Deployment{{ID: failedID, Status: ecsv1.DeploymentPrimary, TaskDefinition: "web:2",
		RolloutState: ecsv1.RolloutFailed}}, prev.Deployments...)
	prev.Deployments[1].Status = ecsv1.DeploymentActive

	rollback := serviceObservation{DesiredKnown: true, Now: testNow.Add(time.Minute), Desired: 2, Primary: web1, Wanted: web2,
		RollbackOf: failedID, Pods: append(pods(1, "old", "web:1", true), pods(1, "bad", "web:2", false)...)}
	st, _ := computeServiceStatus(svc, prev, rollback)
	primary := st.Deployments[0]
	if primary.ID == deploymentID(svc, web1) || primary.ID != rollbackDeploymentID(svc, web1, failedID) {
		t.Fatalf("the rollback reuses the completed deployment's ID: %+v", st.Deployments)
	}
	if primary.TaskDefinition != "web:1" || primary.RolloutState != ecsv1.RolloutInProgress {
		t.Fatalf("rollback %+v, want web:1 IN_PROGRESS", primary)
	}

	rollback.Now, rollback.Pods = testNow.Add(2*time.Minute), pods(2, "old", "web:1", true)
	st, events := computeServiceStatus(svc, st, rollback)
	if st.Deployments[0].RolloutState != ecsv1.RolloutCompleted {
		t.Fatalf("rollback %+v, want COMPLETED", st.Deployments[0])
	}
	if !containsMessage(events, "(deployment "+rollbackDeploymentID(svc, web1, failedID)+") deployment completed.") {
		t.Fatalf("no completion event for the rollback in %q", events)
	}
	if !slices.ContainsFunc(st.Deployments, func(d ecsv1.Deployment) bool {
		return d.ID == failedID && d.Status == ecsv1.DeploymentInactive && d.RolloutState == ecsv1.RolloutFailed
	}) {
		t.Fatalf("the failed deployment is not listed INACTIVE/FAILED: %+v", st.Deployments)
	}
}

type firingAlarms alarms.Set

func (f firingAlarms) Current() alarms.Set { return alarms.Set(f) }

func TestAlarmsInAlarm_FromTheAnnotationAndTheAlertmanager(t *testing.T) {
	svc := testService()
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{Alarms: &ecsv1.DeploymentAlarms{
		AlarmNames: []string{"HighErrors", "Latency", "Saturation"}, Enable: true}}
	svc.Annotations = map[string]string{alarms.AnnotationAlarmsInAlarm: " Latency, Unrelated"}
	source := firingAlarms(alarms.NewSet(
		alarms.Key{Namespace: "tenant-a", AlertName: "HighErrors"},
		alarms.Key{Namespace: "tenant-b", AlertName: "Saturation"}, // another tenant's alert
	))
	if got := alarmsInAlarm(svc, source); !slices.Equal(got, []string{"HighErrors", "Latency"}) {
		t.Fatalf("in alarm %q, want HighErrors (Alertmanager) and Latency (annotation)", got)
	}
	svc.Spec.DeploymentConfiguration.Alarms.Enable = false
	if got := alarmsInAlarm(svc, source); got != nil {
		t.Fatalf("alarms that are off fire: %q", got)
	}
}

func TestComputeServiceStatus_AnAlarmFailsTheDeploymentInProgress(t *testing.T) {
	svc := testService()
	web2 := deploymentKey{TaskDefinition: "web:2"}
	st, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 2, Primary: web2, Wanted: web2, Pods: pods(1, "new", "web:2", true), AlarmsInAlarm: []string{"HighErrors"}})
	d := st.Deployments[0]
	if d.RolloutState != ecsv1.RolloutFailed || !failedByAlarm(&d) {
		t.Fatalf("deployment %+v, want FAILED by its alarm", d)
	}
	if !containsMessage(events, "deployment failed: alarm(s) HighErrors in ALARM state.") {
		t.Fatalf("no alarm event in %q", events)
	}
	// Once COMPLETED, a deployment stays so: ECS watches alarms while it rolls out.
	done, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 1, Primary: web2, Wanted: web2, Pods: pods(1, "new", "web:2", true)})
	again, _ := computeServiceStatus(svc, done, serviceObservation{DesiredKnown: true,
		Now: testNow, Desired: 1, Primary: web2, Wanted: web2, Pods: pods(1, "new", "web:2", true), AlarmsInAlarm: []string{"HighErrors"}})
	if again.Deployments[0].RolloutState != ecsv1.RolloutCompleted {
		t.Fatalf("a completed deployment failed: %+v", again.Deployments[0])
	}
}

func TestRollsBack_ByWhatFailedTheDeployment(t *testing.T) {
	svc := testService()
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		DeploymentCircuitBreaker: &ecsv1.DeploymentCircuitBreaker{Enable: true, Rollback: false},
		Alarms:                   &ecsv1.DeploymentAlarms{AlarmNames: []string{"HighErrors"}, Enable: true, Rollback: true},
	}
	byAlarm := &ecsv1.Deployment{RolloutState: ecsv1.RolloutFailed, RolloutStateReason: alarmFailurePrefix + "alarm(s) HighErrors in ALARM state."}
	byBreaker := &ecsv1.Deployment{RolloutState: ecsv1.RolloutFailed, RolloutStateReason: "ECS deployment circuit breaker: tasks failed to start."}
	if !rollsBack(svc, byAlarm) || rollsBack(svc, byBreaker) {
		t.Fatal("the alarms' rollback applies to what they failed, the breaker's to what it failed")
	}
}

func TestComputeServiceStatus_ASteadyServiceSaysSoAgainEverySixHours(t *testing.T) {
	svc := testService()
	obs := serviceObservation{DesiredKnown: true, Now: testNow, Desired: 1, Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: pods(1, "a", "web:1", true)}
	st, events := computeServiceStatus(svc, ecsv1.ServiceStatus{}, obs)
	st.Events = addServiceEvents(st.Events, events, testNow)
	if got := nextSteadyReport(st, svc.Name, testNow.Add(time.Hour)); got != 5*time.Hour {
		t.Fatalf("next steady report in %v, want 5h", got)
	}
	obs.Now = testNow.Add(5 * time.Hour)
	if _, events := computeServiceStatus(svc, st, obs); len(events) != 0 {
		t.Fatalf("steady for 5 h: %q, want nothing", events)
	}
	obs.Now = testNow.Add(6 * time.Hour)
	_, events = computeServiceStatus(svc, st, obs)
	if !containsMessage(events, "(service web) has reached a steady state.") {
		t.Fatalf("steady for 6 h: %q, want the steady state again", events)
	}
	if got := addServiceEvents(st.Events, events, obs.Now); len(got) != len(st.Events)+1 || got[0].Message != "(service web) has reached a steady state." {
		t.Fatalf("the re-report is not added: %+v", got)
	}
	if got := nextSteadyReport(ecsv1.ServiceStatus{}, svc.Name, testNow); got != 0 {
		t.Fatalf("a Service that is not steady is not looked at again for it: %v", got)
	}
}

func TestAddServiceEvents_ARepeatingMessageWaitsSixHoursWhileItsCauseLasts(t *testing.T) {
	place := message{kindUnableToPlaceTask, "(service web) was unable to place a task because no container instance met all of its requirements. Reason: no nodes."}
	started := message{kindTasksStarted, "(service web) has started 1 tasks: (task a)."}
	evs := addServiceEvents(nil, []message{place}, testNow)
	evs = addServiceEvents(evs, []message{started}, testNow.Add(time.Minute))
	evs = addServiceEvents(evs, []message{place}, testNow.Add(5*time.Hour))
	if len(evs) != 2 {
		t.Fatalf("repeated within 6 h: %+v", evs)
	}
	evs = addServiceEvents(evs, []message{place}, testNow.Add(6*time.Hour))
	if len(evs) != 3 || evs[0].Message != place.text {
		t.Fatalf("not repeated after 6 h: %+v", evs)
	}
}

func TestComputeServiceStatus_NothingCompletesWhileAWorkloadStillRolls(t *testing.T) {
	svc := testService()
	obs := serviceObservation{DesiredKnown: true, Unsettled: true, Now: testNow, Desired: 2,
		Primary: deploymentKey{TaskDefinition: "web:1"}, Pods: pods(2, "a", "web:1", true)}
	st, _ := computeServiceStatus(svc, ecsv1.ServiceStatus{}, obs)
	if st.Deployments[0].RolloutState != ecsv1.RolloutInProgress || shared.IsReady(st.Conditions) {
		t.Fatalf("completed while its Deployment still runs older tasks: %+v", st.Deployments[0])
	}
	obs.Unsettled = false
	if st, _ = computeServiceStatus(svc, st, obs); st.Deployments[0].RolloutState != ecsv1.RolloutCompleted || !shared.IsReady(st.Conditions) {
		t.Fatalf("not completed once settled: %+v", st.Deployments[0])
	}
}

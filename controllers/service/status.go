package service

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// maxServiceEvents is how many events a Service keeps, as DescribeServices shows.
const maxServiceEvents = 100

// deploymentKey identifies an ECS deployment: a task definition revision and the
// force-new-deployment token it was started with.
type deploymentKey struct {
	TaskDefinition string
	Token          string
}

// podDeploymentKey reads the deployment a Pod belongs to from its template annotations.
func podDeploymentKey(pod *corev1.Pod) deploymentKey {
	return deploymentKey{
		TaskDefinition: pod.Annotations[ecsv1.AnnotationTaskDefinition],
		Token:          pod.Annotations[ecsv1.AnnotationForceNewDeployment],
	}
}

// deploymentID is a stable ECS-style deployment ID ("ecs-svc/" and 19 digits).
func deploymentID(svc *ecsv1.Service, key deploymentKey) string {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s/%s/%s", svc.UID, key.TaskDefinition, key.Token)
	return fmt.Sprintf("ecs-svc/%019d", h.Sum64()%10_000_000_000_000_000_000)
}

// alarmFailurePrefix starts the rolloutStateReason of a deployment its alarms failed.
const alarmFailurePrefix = "ECS deployment alarms: "

// hookFailurePrefix starts the rolloutStateReason of a deployment a lifecycle hook failed.
const hookFailurePrefix = "ECS deployment lifecycle hook: "

// failedByHook tells a deployment a lifecycle hook failed: ECS rolls it back to blue.
func failedByHook(d *ecsv1.Deployment) bool {
	return strings.HasPrefix(d.RolloutStateReason, hookFailurePrefix)
}

// failedByAlarm tells a deployment its alarms failed from one the circuit breaker failed.
func failedByAlarm(d *ecsv1.Deployment) bool {
	return strings.HasPrefix(d.RolloutStateReason, alarmFailurePrefix)
}

// rollbackDeploymentID is the ID of the deployment that rolls the failed deployment back to
// key: a new deployment, as in ECS, not the completed one it returns to.
func rollbackDeploymentID(svc *ecsv1.Service, key deploymentKey, failedID string) string {
	return deploymentID(svc, deploymentKey{TaskDefinition: key.TaskDefinition, Token: key.Token + "/rollback-of/" + failedID})
}

// serviceObservation is what the Service reconciler saw, for the pure status computation.
type serviceObservation struct {
	Now     time.Time
	Desired int32
	// DesiredKnown is false while the number of tasks is not known yet (a DaemonSet its
	// controller has not observed), so that nothing completes on a count of zero.
	DesiredKnown bool
	// Primary is the deployment the Service is rolling out (or running, once complete).
	Primary deploymentKey
	// Wanted is the deployment the spec asks for; it differs from Primary after a rollback.
	Wanted deploymentKey
	// RollbackOf is the ID of the failed deployment Primary rolls back, if it does.
	RollbackOf string
	// Pods are the Service's task Pods.
	Pods []corev1.Pod
	// CircuitBreaker is the Service's deployment circuit breaker, nil when off.
	CircuitBreaker *ecsv1.DeploymentCircuitBreaker
	// Problems are messages about the spec the user must act on (Stalled), for ProblemReason.
	Problems      []string
	ProblemReason string
	// LaunchFailures are why tasks could not be created (quota, Pod Security, admission).
	LaunchFailures []string
	// AlarmsInAlarm are the Service's deployment alarms in ALARM state.
	AlarmsInAlarm []string
	// Unsettled is true while a workload is still rolling (workloads.go): nothing completes.
	Unsettled bool
	// Failures are each deployment's tasks that failed since the last observation.
	Failures map[deploymentKey]int32
	// Healthy marks the deployments one of whose tasks became healthy since then.
	Healthy map[deploymentKey]bool
	// Lifecycle is where a BLUE_GREEN, LINEAR or CANARY deployment is (nil for ROLLING, and
	// once it completed or rolls back); Blue is the revision it replaces.
	Lifecycle *stageResult
	Blue      *deploymentKey
}

// taskCounts are a deployment's task counts, read off its Pods.
type taskCounts struct {
	Running, Pending int32
	Pods             []*corev1.Pod
}

// countTasks groups Pods by deployment and counts them the ECS way: running = ready (the task
// is RUNNING and passes its health checks), pending = not yet.
func countTasks(pods []corev1.Pod) map[deploymentKey]*taskCounts {
	out := map[deploymentKey]*taskCounts{}
	for i := range pods {
		pod := &pods[i]
		key := podDeploymentKey(pod)
		c := out[key]
		if c == nil {
			c = &taskCounts{}
			out[key] = c
		}
		if !pod.DeletionTimestamp.IsZero() || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
			continue
		}
		c.Pods = append(c.Pods, pod)
		if taskview.PodReady(pod) {
			c.Running++
		} else {
			c.Pending++
		}
	}
	return out
}

// computeServiceStatus derives DescribeServices-style status from what was observed: the
// deployments with their counts and rollout states, the Service's counts, and the ECS events
// that the change from the previous status brings (returned too, for Kubernetes Events).
func computeServiceStatus(svc *ecsv1.Service, prev ecsv1.ServiceStatus, obs serviceObservation) (ecsv1.ServiceStatus, []message) {
	now := metav1.NewTime(obs.Now)
	name := svc.Name
	counts := countTasks(obs.Pods)
	previous := map[string]ecsv1.Deployment{}
	for _, d := range prev.Deployments {
		previous[d.ID] = d
	}

	status := prev
	status.Status = ecsv1.ServiceActive
	if !svc.DeletionTimestamp.IsZero() {
		status.Status = ecsv1.ServiceDraining
	}
	status.DesiredCount = obs.Desired
	status.TaskDefinition = obs.Primary.TaskDefinition
	status.Selector = "" // set by the reconciler
	status.RunningCount, status.PendingCount = 0, 0
	for _, c := range counts {
		status.RunningCount += c.Running
		status.PendingCount += c.Pending
	}

	var events []message
	var deployments []ecsv1.Deployment

	// PRIMARY: the deployment being rolled out.
	primaryID := deploymentID(svc, obs.Primary)
	if obs.RollbackOf != "" {
		primaryID = rollbackDeploymentID(svc, obs.Primary, obs.RollbackOf)
	}
	pc := counts[obs.Primary]
	if pc == nil {
		pc = &taskCounts{}
	}
	othersRunning := false
	for key, c := range counts {
		if key != obs.Primary && len(c.Pods) > 0 {
			othersRunning = true
		}
	}
	primary := newDeployment(previous[primaryID], primaryID, ecsv1.DeploymentPrimary, obs.Primary.TaskDefinition, now)
	primary.DesiredCount = obs.Desired
	primary.RunningCount, primary.PendingCount = pc.Running, pc.Pending
	newFailures := obs.Failures[obs.Primary]
	primary.FailedTasks += newFailures
	final := primary.RolloutState == ecsv1.RolloutCompleted || primary.RolloutState == ecsv1.RolloutFailed
	breakerTripped := !final && countBreakerFailures(&primary, obs)
	lc := obs.Lifecycle
	if lc != nil && !final {
		if primary.LifecycleStage != lc.Stage || primary.LifecycleStageStartedAt == nil {
			primary.LifecycleStage, primary.LifecycleStageStartedAt = lc.Stage, &metav1.Time{Time: lc.StartedAt}
		}
		primary.ProductionTrafficWeight = ptr.To(lc.Weight)
	}
	switch {
	case final:
		// Final states stay, as in ECS.
	case lc != nil && lc.HookFailed != "":
		primary.RolloutState = ecsv1.RolloutFailed
		primary.RolloutStateReason = boundMessage(hookFailurePrefix + lc.HookFailed)
		events = append(events, newMessage(kindDeploymentFailed, "(service %s) (deployment %s) deployment failed: %s.", name, primaryID, lc.HookFailed))
	case breakerTripped:
		primary.RolloutState = ecsv1.RolloutFailed
		primary.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
		primary.CircuitBreaker.Status = ecsv1.CircuitBreakerTriggered
		events = append(events, newMessage(kindDeploymentFailed, "(service %s) (deployment %s) deployment failed: tasks failed to start.", name, primaryID))
	case len(obs.AlarmsInAlarm) > 0 && obs.RollbackOf == "":
		// A rollback is not failed again by the alarms that failed what it rolls back: it brings the Service back.
		names := strings.Join(obs.AlarmsInAlarm, ", ")
		primary.RolloutState = ecsv1.RolloutFailed
		primary.RolloutStateReason = boundMessage(alarmFailurePrefix + "alarm(s) " + names + " in ALARM state.")
		events = append(events, newMessage(kindDeploymentFailed, "(service %s) (deployment %s) deployment failed: alarm(s) %s in ALARM state.", name, primaryID, names))
	case obs.DesiredKnown && !obs.Unsettled && pc.Running >= obs.Desired && !othersRunning && (lc == nil || lc.Done):
		primary.RolloutState = ecsv1.RolloutCompleted
		primary.RolloutStateReason = "ECS deployment " + primaryID + " completed."
		if primary.CircuitBreaker != nil {
			primary.CircuitBreaker.Status = ecsv1.CircuitBreakerMonitoringComplete
		}
		events = append(events, newMessage(kindDeploymentCompleted, "(service %s) (deployment %s) deployment completed.", name, primaryID))
	default:
		primary.RolloutState = ecsv1.RolloutInProgress
		primary.RolloutStateReason = "ECS deployment " + primaryID + " in progress."
	}
	if newFailures > 0 && primary.RolloutState != ecsv1.RolloutFailed {
		events = append(events, newMessage(kindUnableToStartTasks, "(service %s) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", name))
	}
	setUpdated(&primary, previous[primaryID], now)
	deployments = append(deployments, primary)

	// ACTIVE: older deployments that still have tasks, oldest last.
	var activeKeys []deploymentKey
	for key, c := range counts {
		if key != obs.Primary && len(c.Pods) > 0 {
			activeKeys = append(activeKeys, key)
		}
	}
	slices.SortFunc(activeKeys, func(a, b deploymentKey) int {
		return strings.Compare(a.TaskDefinition+"/"+a.Token, b.TaskDefinition+"/"+b.Token)
	})
	for _, key := range activeKeys {
		c := counts[key]
		id := deploymentID(svc, key)
		d := newDeployment(previous[id], id, ecsv1.DeploymentActive, key.TaskDefinition, now)
		d.DesiredCount = c.Running + c.Pending
		d.RunningCount, d.PendingCount = c.Running, c.Pending
		d.FailedTasks += obs.Failures[key]
		if lc != nil && obs.Blue != nil && key == *obs.Blue {
			d.ProductionTrafficWeight = ptr.To(100 - lc.Weight)
		}
		if d.RolloutState == "" {
			d.RolloutState = ecsv1.RolloutInProgress
		}
		setUpdated(&d, previous[id], now)
		deployments = append(deployments, d)
	}

	// INACTIVE entries: a failed deployment stays listed while it is what the spec asks for, so
	// a failed revision is not rolled out again until the spec or the task definition changes;
	// and the last completed deployment stays listed as the circuit breaker's rollback target
	// even after its tasks are gone.
	wantedID := deploymentID(svc, obs.Wanted)
	listed := func(id string) bool {
		return slices.ContainsFunc(deployments, func(x ecsv1.Deployment) bool { return x.ID == id })
	}
	keptCompleted := slices.ContainsFunc(deployments, func(x ecsv1.Deployment) bool { return x.RolloutState == ecsv1.RolloutCompleted })
	for _, d := range prev.Deployments {
		if listed(d.ID) {
			continue
		}
		switch {
		case d.RolloutState == ecsv1.RolloutFailed && d.ID == wantedID:
		case d.RolloutState == ecsv1.RolloutCompleted && !keptCompleted:
			keptCompleted = true
		default:
			continue
		}
		d.Status = ecsv1.DeploymentInactive
		d.DesiredCount, d.RunningCount, d.PendingCount = 0, 0, 0
		deployments = append(deployments, d)
	}
	status.Deployments = deployments

	// Unplaceable tasks, reported for the first Pod by name so the message is stable.
	slices.SortFunc(pc.Pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for _, pod := range pc.Pods {
		if msg := unschedulableMessage(pod); msg != "" {
			events = append(events, newMessage(kindUnableToPlaceTask, "(service %s) was unable to place a task because no container instance met all of its requirements. Reason: %s", name, msg))
			break
		}
	}

	for _, msg := range obs.LaunchFailures {
		events = append(events, newMessage(kindFailedToLaunchTask, "(service %s) failed to launch a task with (error %s).", name, msg))
	}

	steady := obs.DesiredKnown && !obs.Unsettled && primary.RolloutState == ecsv1.RolloutCompleted && !othersRunning && pc.Running == obs.Desired && pc.Pending == 0 && len(obs.Problems) == 0
	wasSteady := shared.IsReady(prev.Conditions)
	steadyMessage := newMessage(kindSteadyState, "(service %s) has reached a steady state.", name)
	if steady && (!wasSteady || !reportedWithin(prev.Events, steadyMessage.text, obs.Now)) {
		// A steady Service says so again every eventRepeatInterval, as ECS does.
		events = append(events, steadyMessage)
	}

	switch {
	case len(obs.Problems) > 0:
		shared.SetStalled(&status.Conditions, svc.Generation, obs.ProblemReason, boundMessage(strings.Join(obs.Problems, "; ")))
	case primary.RolloutState == ecsv1.RolloutFailed:
		shared.SetStalled(&status.Conditions, svc.Generation, shared.ReasonDeploymentFailed, primary.RolloutStateReason)
	case steady:
		shared.SetReady(&status.Conditions, svc.Generation, fmt.Sprintf("(service %s) has reached a steady state.", name))
	default:
		msg := fmt.Sprintf("%d of %d tasks running (%d pending) on %s", pc.Running, obs.Desired, pc.Pending, obs.Primary.TaskDefinition)
		if lc != nil && primary.RolloutState == ecsv1.RolloutInProgress {
			msg += fmt.Sprintf("; %s at %s", deploymentStrategy(svc), lc.Stage)
			if lc.Waiting != "" {
				msg += ": " + lc.Waiting
			}
		}
		shared.SetReconciling(&status.Conditions, svc.Generation, shared.ReasonProgressing, boundMessage(msg))
	}
	return status, events
}

// countBreakerFailures keeps the PRIMARY's circuit breaker count: with resetOnHealthyTask (the
// default) a task that became healthy resets it, then the new failures add to it. It reports
// whether the count reached the threshold. Without a breaker the deployment has no count.
func countBreakerFailures(d *ecsv1.Deployment, obs serviceObservation) bool {
	cb := obs.CircuitBreaker
	if cb == nil || !cb.Enable {
		d.CircuitBreaker = nil
		return false
	}
	state := ecsv1.ServiceDeploymentCircuitBreaker{Status: ecsv1.CircuitBreakerMonitoring}
	if d.CircuitBreaker != nil {
		state = *d.CircuitBreaker
	}
	state.Threshold = translate.CircuitBreakerThreshold(obs.Desired, cb.ThresholdConfiguration)
	if obs.Healthy[obs.Primary] && (cb.ResetOnHealthyTask == nil || *cb.ResetOnHealthyTask) {
		state.FailureCount = 0
	}
	state.FailureCount += obs.Failures[obs.Primary]
	d.CircuitBreaker = &state
	return state.FailureCount >= state.Threshold
}

func newDeployment(prev ecsv1.Deployment, id string, st ecsv1.DeploymentStatus, td string, now metav1.Time) ecsv1.Deployment {
	d := prev
	d.ID, d.Status, d.TaskDefinition = id, st, td
	if d.CreatedAt == nil {
		d.CreatedAt = &now
	}
	return d
}

// setUpdated moves updatedAt only when something about the deployment changed, so an idle
// resync writes nothing.
func setUpdated(d *ecsv1.Deployment, prev ecsv1.Deployment, now metav1.Time) {
	p := prev
	p.UpdatedAt, p.CreatedAt = nil, nil
	c := *d
	c.UpdatedAt, c.CreatedAt = nil, nil
	if prev.UpdatedAt == nil || p != c {
		d.UpdatedAt = &now
	}
}

func unschedulableMessage(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message
		}
	}
	return ""
}

// eventRepeatInterval is how long ECS keeps from repeating a message whose cause lasts, and how
// often a steady Service reports its steady state again.
const eventRepeatInterval = 6 * time.Hour

// addServiceEvents puts new events first and keeps at most maxServiceEvents. As ECS does, a
// message that repeats the newest event is not added again while its cause lasts, up to
// eventRepeatInterval, and a repeating one (a task that cannot be placed, launched or started) is
// not added while it is anywhere among the events of that interval, so that failures side by
// side cannot push everything else out.
func addServiceEvents(existing []ecsv1.ServiceEvent, messages []message, now time.Time) []ecsv1.ServiceEvent {
	out := existing
	for _, m := range messages {
		msg := m.text
		if len(out) > 0 && out[0].Message == msg && now.Sub(out[0].CreatedAt.Time) < eventRepeatInterval {
			continue
		}
		if repeating(m.kind) && reportedWithin(out, msg, now) {
			continue
		}
		h := fnv.New64a()
		_, _ = fmt.Fprintf(h, "%d/%s", now.UnixNano(), msg)
		ev := ecsv1.ServiceEvent{ID: fmt.Sprintf("%016x", h.Sum64()), CreatedAt: metav1.NewTime(now), Message: msg}
		out = append([]ecsv1.ServiceEvent{ev}, out...)
	}
	if len(out) > maxServiceEvents {
		out = out[:maxServiceEvents]
	}
	return out
}

// reportedWithin reports whether the message is among the events of the last eventRepeatInterval.
func reportedWithin(events []ecsv1.ServiceEvent, msg string, now time.Time) bool {
	return slices.ContainsFunc(events, func(e ecsv1.ServiceEvent) bool {
		return e.Message == msg && now.Sub(e.CreatedAt.Time) < eventRepeatInterval
	})
}

// nextSteadyReport is when a steady Service must be looked at again to report its steady state
// once more; zero when it is not steady.
func nextSteadyReport(st ecsv1.ServiceStatus, name string, now time.Time) time.Duration {
	if !shared.IsReady(st.Conditions) {
		return 0
	}
	text := fmt.Sprintf("(service %s) has reached a steady state.", name)
	for _, e := range st.Events {
		if e.Message == text {
			return max(eventRepeatInterval-now.Sub(e.CreatedAt.Time), time.Second)
		}
	}
	return eventRepeatInterval
}

// repeating reports messages that a failing Service says again and again.
func repeating(kind messageKind) bool {
	switch kind {
	case kindTaskFailed, kindUnableToStartTasks, kindUnableToPlaceTask, kindFailedToLaunchTask:
		return true
	}
	return false
}

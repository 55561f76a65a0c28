package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

func newService(ns, name, taskDefinition string, desired int32) *ecsv1.Service {
	svc := &ecsv1.Service{}
	svc.Namespace, svc.Name = ns, name
	svc.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(taskDefinition)
	svc.Spec.DesiredCount = ptr.To(desired)
	return svc
}

func deploymentOf(t *testing.T, svc *ecsv1.Service, check func(*appsv1.Deployment) error) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	eventually(t, "the service's deployment", func() error {
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: svc.Namespace, Name: svc.Name}, d); err != nil {
			return err
		}
		return check(d)
	})
	return d
}

func runsRevision(td string) func(*appsv1.Deployment) error {
	return func(d *appsv1.Deployment) error {
		if got := d.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition]; got != td {
			return fmt.Errorf("template runs %q, want %q", got, td)
		}
		return nil
	}
}

// runTasks plays kube-controller-manager and the kubelet: it creates n ready (or failing)
// task Pods of the Deployment's current template.
func runTasks(t *testing.T, d *appsv1.Deployment, prefix string, n int, ready bool, restarts int32) {
	t.Helper()
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = "node-1"
	}
	runTasksOn(t, d, prefix, nodes, ready, restarts)
}

// runTasksOn runs one task on each of the named nodes.
func runTasksOn(t *testing.T, d *appsv1.Deployment, prefix string, nodes []string, ready bool, restarts int32) {
	t.Helper()
	for i, node := range nodes {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%s-%d", d.Name, prefix, i), Namespace: d.Namespace,
				Labels: d.Spec.Template.Labels, Annotations: d.Spec.Template.Annotations,
			},
			Spec: *d.Spec.Template.Spec.DeepCopy(),
		}
		pod.Spec.NodeName = node
		mustCreate(t, pod)
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: status},
		}
		for _, c := range pod.Spec.Containers {
			cs := corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, Ready: ready, RestartCount: restarts,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
			}
			if restarts > 0 {
				// It exited at once and was restarted in place: the task failed.
				cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, StartedAt: metav1.Now(), FinishedAt: metav1.Now()}
			}
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, cs)
		}
		if err := k8s.Status().Update(t.Context(), pod); err != nil {
			t.Fatalf("updating pod status: %v", err)
		}
	}
}

func deletePods(t *testing.T, ns, prefix string) {
	t.Helper()
	list := &corev1.PodList{}
	if err := k8s.List(t.Context(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if strings.Contains(list.Items[i].Name, prefix) {
			if err := k8s.Delete(t.Context(), &list.Items[i], client.GracePeriodSeconds(0)); err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
		}
	}
}

func serviceStatus(t *testing.T, svc *ecsv1.Service, check func(ecsv1.ServiceStatus) error) {
	t.Helper()
	eventually(t, "service status", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		return check(svc.Status)
	})
}

func hasEvent(st ecsv1.ServiceStatus, substr string) error {
	for _, e := range st.Events {
		if strings.Contains(e.Message, substr) {
			return nil
		}
	}
	var msgs []string
	for _, e := range st.Events {
		msgs = append(msgs, e.Message)
	}
	return fmt.Errorf("no event with %q in %q", substr, msgs)
}

func TestService_RunsTheLatestRevisionWithECSRolloutBoundsAndReachesSteadyState(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 3)
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](150), MinimumHealthyPercent: ptr.To[int32](50)}
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1", ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	mustCreate(t, svc)

	d := deploymentOf(t, svc, runsRevision("web:1"))
	if *d.Spec.Replicas != 3 {
		t.Fatalf("replicas %d", *d.Spec.Replicas)
	}
	// floor(3×150/100)−3 = 1 surge; 3−ceil(3×50/100) = 1 unavailable.
	if ru := d.Spec.Strategy.RollingUpdate; ru.MaxSurge.IntValue() != 1 || ru.MaxUnavailable.IntValue() != 1 {
		t.Fatalf("rolling update %v/%v, want 1/1", ru.MaxSurge, ru.MaxUnavailable)
	}
	if ref := metav1.GetControllerOf(d); ref == nil || ref.UID != svc.UID {
		t.Fatal("the Deployment is not owned by the Service")
	}
	if d.Spec.MinReadySeconds != 40 {
		t.Fatalf("minReadySeconds %d, want ECS's 40 s for a task without a health check", d.Spec.MinReadySeconds)
	}
	pdb := &policyv1.PodDisruptionBudget{}
	eventually(t, "the PodDisruptionBudget", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web"}, pdb)
	})
	if pdb.Spec.MinAvailable.IntValue() != 2 {
		t.Fatalf("minAvailable %v, want ceil(3×50%%) = 2", pdb.Spec.MinAvailable)
	}
	lb := &corev1.Service{}
	eventually(t, "the load balancer's Service", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web-8080"}, lb)
	})
	if lb.Spec.Ports[0].Port != 8080 || lb.Spec.Selector[ecsv1.LabelService] != "web" {
		t.Fatalf("load balancer service %+v", lb.Spec)
	}

	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.TaskDefinition != "web:1" || len(st.Deployments) != 1 || st.Deployments[0].RolloutState != ecsv1.RolloutInProgress {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	runTasks(t, d, "a", 3, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.RunningCount != 3 || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("running %d, conditions %+v", st.RunningCount, st.Conditions)
		}
		return hasEvent(st, "(service web) has reached a steady state.")
	})

	// A new revision of the family rolls out to every Service that follows the family.
	updateImage(t, td, "nginx:1.28")
	deploymentOf(t, svc, runsRevision("web:2"))
}

func TestService_PinnedRevisionDoesNotFollowTheFamily(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1")
	mustCreate(t, td)
	waitRevision(t, td, 1)
	svc := newService(ns, "pinned", "web:1", 1)
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	updateImage(t, td, "nginx:2")
	waitRevision(t, td, 2)
	consistently(t, "the pinned service stays on web:1", 500*time.Millisecond, func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "pinned"}, d); err != nil {
			return err
		}
		return runsRevision("web:1")(d)
	})
}

// revisionPolicy Pinned keeps ECS's behaviour for a family: resolved when the spec changes,
// not followed as new revisions are registered.
func TestService_APinnedFamilyIsResolvedWhenTheSpecChanges(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 1)
	svc.Spec.RevisionPolicy = ecsv1.RevisionPolicyPinned
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.TaskDefinition != "web:1" || st.ObservedGeneration != svc.Generation {
			return fmt.Errorf("status on %q at generation %d", st.TaskDefinition, st.ObservedGeneration)
		}
		return nil
	})
	updateImage(t, td, "nginx:2")
	waitRevision(t, td, 2)
	consistently(t, "the pinned family stays on web:1", time.Second, func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(svc), d); err != nil {
			return err
		}
		return runsRevision("web:1")(d)
	})
	// An UpdateService, here a new desiredCount, resolves the family again.
	eventually(t, "updating the service", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		svc.Spec.DesiredCount = ptr.To[int32](2)
		return k8s.Update(t.Context(), svc)
	})
	deploymentOf(t, svc, runsRevision("web:2"))
}

func TestService_MissingTaskDefinitionIsStalledNotRetried(t *testing.T) {
	ns := newNamespace(t)
	svc := newService(ns, "web", "nothere:3", 1)
	mustCreate(t, svc)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsStalledWith(st.Conditions, shared.ReasonTaskDefinitionMiss) {
			return fmt.Errorf("conditions %+v", st.Conditions)
		}
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); !strings.Contains(msg, `task definition family "nothere" not found`) {
			return fmt.Errorf("message %q", msg)
		}
		return nil
	})

	// A pinned revision that does not exist is named in the message.
	td := newTaskDefinition(ns, "web", "nginx")
	mustCreate(t, td)
	waitRevision(t, td, 1)
	svc2 := newService(ns, "web2", "web:7", 1)
	mustCreate(t, svc2)
	serviceStatus(t, svc2, func(st ecsv1.ServiceStatus) error {
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); !strings.Contains(msg, "task definition web:7 not found") {
			return fmt.Errorf("message %q", msg)
		}
		return nil
	})
}

func TestService_DeploymentBlockedByPercentagesKeepsTheRunningRevision(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 1)
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](100), MinimumHealthyPercent: ptr.To[int32](100)}
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	updateImage(t, td, "nginx:2")
	waitRevision(t, td, 2)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled)
		if !strings.Contains(msg, "unable to stop or start tasks during a deployment because of the service deployment configuration") {
			return fmt.Errorf("stalled message %q", msg)
		}
		return nil
	})
	deploymentOf(t, svc, runsRevision("web:1"))
}

func TestService_CircuitBreakerFailsTheDeploymentAndRollsBack(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:good")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 2)
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		DeploymentCircuitBreaker: &ecsv1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "good", 2, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady: %+v", st.Conditions)
		}
		return nil
	})

	updateImage(t, td, "nginx:broken")
	d = deploymentOf(t, svc, runsRevision("web:2"))
	// The new revision's tasks exit at once: 3 failed tasks reach the threshold clamp(ceil(2/2), 3, 200).
	runTasks(t, d, "bad", 3, false, 1)

	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if err := hasEvent(st, "deployment failed: tasks failed to start."); err != nil {
			return fmt.Errorf("%w (deployments %+v)", err, st.Deployments)
		}
		return hasEvent(st, "rolling back to deployment")
	})
	deploymentOf(t, svc, runsRevision("web:1"))
	deletePods(t, ns, "-bad-")
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.TaskDefinition != "web:1" || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("after rollback: taskDefinition %q, conditions %+v", st.TaskDefinition, st.Conditions)
		}
		for _, dep := range st.Deployments {
			if dep.TaskDefinition == "web:2" && dep.RolloutState == ecsv1.RolloutFailed && dep.Status == ecsv1.DeploymentInactive {
				return nil
			}
		}
		return fmt.Errorf("the failed deployment is not listed INACTIVE/FAILED: %+v", st.Deployments)
	})
	// The failed revision is not rolled out again while the spec still asks for it.
	consistently(t, "no second attempt at web:2", 500*time.Millisecond, func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
			return err
		}
		return runsRevision("web:1")(d)
	})
}

func TestService_DaemonRunsADaemonSetWithoutDisruptionBudget(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "agent", "agent:1"))
	svc := newService(ns, "agent", "agent", 0)
	svc.Spec.DesiredCount = nil
	svc.Spec.SchedulingStrategy = ecsv1.SchedulingDaemon
	mustCreate(t, svc)
	ds := &appsv1.DaemonSet{}
	eventually(t, "the DaemonSet", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "agent"}, ds)
	})
	consistently(t, "no Deployment or PDB for a daemon", 300*time.Millisecond, func() error {
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "agent"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("deployment: %w", err)
		}
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "agent"}, &policyv1.PodDisruptionBudget{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("pdb: %w", err)
		}
		return nil
	})
}

func TestService_ScaleAndAutoScaling(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 2)
	svc.Spec.AutoScaling = &ecsv1.AutoScaling{MinCapacity: 1, MaxCapacity: 10, TargetTrackingPolicies: []ecsv1.TargetTrackingPolicy{
		{PredefinedMetricType: "ECSServiceAverageCPUUtilization", TargetValue: 60, ScaleInCooldown: ptr.To[int32](300)},
	}}
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	eventually(t, "the HPA", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "web"}, hpa)
	})
	if hpa.Spec.ScaleTargetRef.Kind != "Service" || hpa.Spec.MaxReplicas != 10 || *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization != 60 {
		t.Fatalf("hpa %+v", hpa.Spec)
	}
	eventually(t, "scaling to 5", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		svc.Spec.DesiredCount = ptr.To[int32](5)
		return k8s.Update(t.Context(), svc)
	})
	deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		if *d.Spec.Replicas != 5 {
			return fmt.Errorf("replicas %d", *d.Spec.Replicas)
		}
		return nil
	})
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.Selector != "ecs.operator.dev/service=web" {
			return fmt.Errorf("selector %q", st.Selector)
		}
		return nil
	})
}

func TestService_DeletionDrainsThenGoes(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "a", 1, true, 0)
	if err := k8s.Delete(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.Status != ecsv1.ServiceDraining {
			return fmt.Errorf("status %q", st.Status)
		}
		return nil
	})
	deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		if *d.Spec.Replicas != 0 {
			return fmt.Errorf("replicas %d while draining", *d.Spec.Replicas)
		}
		return nil
	})
	deletePods(t, ns, "web-a-")
	eventually(t, "the service goes once drained", func() error {
		if err := get(t, svc); !apierrors.IsNotFound(err) {
			return fmt.Errorf("still there: %w", err)
		}
		return nil
	})
}

func TestService_ForceNewDeploymentRestartsTasksAsANewDeployment(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "a", 1, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady")
		}
		return nil
	})
	firstID := svc.Status.Deployments[0].ID
	eventually(t, "forcing a new deployment", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[ecsv1.AnnotationForceNewDeployment] = "2026-11-23T12:00:00Z"
		return k8s.Update(t.Context(), svc)
	})
	deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		if d.Spec.Template.Annotations[ecsv1.AnnotationForceNewDeployment] != "2026-11-23T12:00:00Z" {
			return fmt.Errorf("template annotations %v", d.Spec.Template.Annotations)
		}
		return nil
	})
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if len(st.Deployments) != 2 || st.Deployments[0].ID == firstID || st.Deployments[1].ID != firstID {
			return fmt.Errorf("want a new PRIMARY and the old one ACTIVE, got %+v", st.Deployments)
		}
		return nil
	})
}

func TestService_ServiceConnectPublishesClientAliases(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	svc.Spec.ServiceConnectConfiguration = &ecsv1.ServiceConnectConfiguration{Enabled: true, Services: []ecsv1.ServiceConnectService{{
		PortName: "http", DiscoveryName: "web-api",
		ClientAliases: []ecsv1.ServiceConnectClientAlias{{Port: 80, DNSName: "frontend"}},
	}}}
	mustCreate(t, svc)
	alias := &corev1.Service{}
	eventually(t, "the client alias Service", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "frontend"}, alias)
	})
	p := alias.Spec.Ports[0]
	if p.Port != 80 || p.TargetPort.IntValue() != 8080 || alias.Spec.Selector[ecsv1.LabelService] != "web" {
		t.Fatalf("alias service %+v", alias.Spec)
	}
}

func TestService_RollsBackEvenWhenTheCompletedRevisionHasNoTasksLeft(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:good")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 1)
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		MaximumPercent: ptr.To[int32](100), MinimumHealthyPercent: ptr.To[int32](0),
		DeploymentCircuitBreaker: &ecsv1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "good", 1, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady")
		}
		return nil
	})
	updateImage(t, td, "nginx:broken")
	d = deploymentOf(t, svc, runsRevision("web:2"))
	// With 100/0 the old task goes first, as ECS does.
	deletePods(t, ns, "-good-")
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		for _, dep := range st.Deployments {
			if dep.TaskDefinition == "web:1" && dep.Status == ecsv1.DeploymentInactive && dep.RolloutState == ecsv1.RolloutCompleted {
				return nil
			}
		}
		return fmt.Errorf("the completed deployment is not kept as the rollback target: %+v", st.Deployments)
	})
	runTasks(t, d, "bad", 3, false, 1)
	deploymentOf(t, svc, runsRevision("web:1"))
}

func TestService_MemberOfRegexSelectsAPlacementLabelAndNodeChurnNeverRollsTheService(t *testing.T) {
	ns := newNamespace(t)
	node := func(name, itype string) {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"node.kubernetes.io/instance-type": itype}}}
		mustCreate(t, n)
		// t.Context() is already canceled when cleanups run.
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), n) })
	}
	node("n-"+ns+"-1", "t3.large")
	node("n-"+ns+"-2", "m6i.large")
	const expression = "attribute:ecs.instance-type =~ t3.*"
	labels, err := translate.PlacementLabelsOf(expression)
	if err != nil || len(labels) != 1 {
		t.Fatalf("placement labels of %q: %v %v", expression, labels, err)
	}
	key := labels[0].Key
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	svc.Spec.PlacementConstraints = []ecsv1.PlacementConstraint{{Type: ecsv1.PlacementConstraintMemberOf, Expression: expression}}
	mustCreate(t, svc)
	d := deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		aff := d.Spec.Template.Spec.Affinity
		if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
			return fmt.Errorf("no required node affinity: %+v", aff)
		}
		for _, term := range aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, req := range term.MatchExpressions {
				if req.Key == key && req.Operator == corev1.NodeSelectorOpIn && strings.Join(req.Values, ",") == "true" {
					return nil
				}
			}
		}
		return fmt.Errorf("the template does not select %s: %+v", key, aff.NodeAffinity)
	})
	labelled := func(name string, want bool) {
		t.Helper()
		eventually(t, "placement label on "+name, func() error {
			n := &corev1.Node{}
			if err := k8s.Get(t.Context(), client.ObjectKey{Name: name}, n); err != nil {
				return err
			}
			if got := n.Labels[key] == "true"; got != want {
				return fmt.Errorf("labelled %v, want %v", got, want)
			}
			return nil
		})
	}
	labelled("n-"+ns+"-1", true)
	labelled("n-"+ns+"-2", false)

	// A matching node joins and a node leaves: the new node is labelled, the template stays.
	node("n-"+ns+"-3", "t3.xlarge")
	labelled("n-"+ns+"-3", true)
	if err := k8s.Delete(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n-" + ns + "-1"}}); err != nil {
		t.Fatal(err)
	}
	consistently(t, "the deployment is not rolled by node churn", 2*time.Second, func() error {
		now := &appsv1.Deployment{}
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(d), now); err != nil {
			return err
		}
		if now.Generation != d.Generation {
			return fmt.Errorf("generation %d, was %d: the template changed", now.Generation, d.Generation)
		}
		return nil
	})
}

// createTwoProviderCluster makes tenant-a's Cluster for ns with an on-demand and a spot EC2
// capacity provider.
func createTwoProviderCluster(t *testing.T, name, ns string) {
	t.Helper()
	cluster := &ecsv1.Cluster{}
	cluster.Name = name
	cluster.Spec.Tenant = "tenant-a"
	cluster.Spec.Namespace = ns
	cluster.Spec.CapacityProviders = []ecsv1.CapacityProvider{
		{Name: "on-demand", Type: ecsv1.CapacityProviderEC2, NodeSelector: map[string]string{"capacity": "on-demand"}},
		{Name: "spot", Type: ecsv1.CapacityProviderEC2, NodeSelector: map[string]string{"capacity": "spot"}},
	}
	mustCreate(t, cluster)
}

// ECS bounds a rollout over the whole Service: 3 tasks split 2 + 1 at 150/50 may replace one
// task (4 running at most, 2 healthy at least) though neither share alone could.
func TestService_RolloutBoundsHoldForTheWholeServiceAcrossProviders(t *testing.T) {
	ns := newNamespace(t)
	createTwoProviderCluster(t, "bounds-"+ns, ns)
	td := newTaskDefinition(ns, "web", "nginx:1")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 3)
	svc.Spec.CapacityProviderStrategy = ecsv1.CapacityProviderStrategy{
		{CapacityProvider: "on-demand", Weight: ptr.To[int32](2)},
		{CapacityProvider: "spot", Weight: ptr.To[int32](1)},
	}
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](150), MinimumHealthyPercent: ptr.To[int32](50)}
	mustCreate(t, svc)
	for _, name := range []string{"web-on-demand", "web-spot"} {
		deploymentOf(t, &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, runsRevision("web:1"))
	}
	updateImage(t, td, "nginx:2")
	var surge, unavailable int
	for _, name := range []string{"web-on-demand", "web-spot"} {
		d := deploymentOf(t, &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, runsRevision("web:2"))
		ru := d.Spec.Strategy.RollingUpdate
		surge += ru.MaxSurge.IntValue()
		unavailable += ru.MaxUnavailable.IntValue()
	}
	if surge > 1 || unavailable > 1 {
		t.Fatalf("the shares together may surge %d and take %d down; the Service allows 1 and 1", surge, unavailable)
	}
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if reason := stalledReasonOf(st.Conditions); reason != "" {
			return fmt.Errorf("stalled (%s): the split Service was held back", reason)
		}
		return nil
	})
}

func TestService_CapacityProviderStrategySplitsTasksByBaseAndWeight(t *testing.T) {
	ns := newNamespace(t)
	createTwoProviderCluster(t, "split-"+ns, ns)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 10)
	svc.Spec.CapacityProviderStrategy = ecsv1.CapacityProviderStrategy{
		{CapacityProvider: "on-demand", Base: ptr.To[int32](2), Weight: ptr.To[int32](1)},
		{CapacityProvider: "spot", Weight: ptr.To[int32](3)},
	}
	mustCreate(t, svc)
	replicas := map[string]int32{}
	eventually(t, "one Deployment per provider", func() error {
		for _, name := range []string{"web-on-demand", "web-spot"} {
			d := &appsv1.Deployment{}
			if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
				return err
			}
			replicas[name] = *d.Spec.Replicas
			if d.Spec.Template.Spec.NodeSelector["capacity"] == "" {
				return fmt.Errorf("%s has no provider node selector", name)
			}
			// EC2 capacity means the tenant's own nodes.
			if d.Spec.Template.Spec.NodeSelector[ecsv1.LabelTenant] != "tenant-a" ||
				!slices.ContainsFunc(d.Spec.Template.Spec.Tolerations, func(tol corev1.Toleration) bool {
					return tol.Key == ecsv1.LabelTenant && tol.Value == "tenant-a" && tol.Effect == corev1.TaintEffectNoSchedule
				}) {
				return fmt.Errorf("%s is not placed on the tenant's dedicated nodes: %v %v", name, d.Spec.Template.Spec.NodeSelector, d.Spec.Template.Spec.Tolerations)
			}
		}
		return nil
	})
	// base 2 on on-demand, the other 8 split 1:3.
	if replicas["web-on-demand"] != 4 || replicas["web-spot"] != 6 {
		t.Fatalf("split %v, want on-demand 4 and spot 6", replicas)
	}

	bad := newService(ns, "bad", "web", 1)
	bad.Spec.CapacityProviderStrategy = ecsv1.CapacityProviderStrategy{{CapacityProvider: "gpu", Weight: ptr.To[int32](1)}}
	mustCreate(t, bad)
	serviceStatus(t, bad, func(st ecsv1.ServiceStatus) error {
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); !strings.Contains(msg, `capacity provider "gpu" is not one of cluster`) {
			return fmt.Errorf("stalled message %q", msg)
		}
		return nil
	})
}

func TestService_RolloutBoundsForECSDesiredCounts(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	// maximumPercent 150, minimumHealthyPercent 75: surge floor(d×1.5)−d, unavailable d−ceil(d×0.75).
	tests := []struct {
		desired, surge, unavailable int32
		minAvailable                int32
	}{
		{0, 0, 1, 0}, {1, 0, 0, 1}, {2, 1, 0, 2}, {3, 1, 0, 3}, {10, 5, 2, 8}, {5000, 2500, 1250, 3750},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("desiredCount %d", tc.desired), func(t *testing.T) {
			svc := newService(ns, fmt.Sprintf("web-%d", tc.desired), "web", tc.desired)
			svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](150), MinimumHealthyPercent: ptr.To[int32](75)}
			mustCreate(t, svc)
			d := deploymentOf(t, svc, runsRevision("web:1"))
			ru := d.Spec.Strategy.RollingUpdate
			if tc.surge == 0 && tc.unavailable == 0 {
				// ECS cannot replace the one task: the first deployment still starts it.
				if *d.Spec.Replicas != tc.desired {
					t.Fatalf("replicas %d", *d.Spec.Replicas)
				}
			} else if int32(ru.MaxSurge.IntValue()) != tc.surge || int32(ru.MaxUnavailable.IntValue()) != tc.unavailable {
				t.Fatalf("maxSurge/maxUnavailable %v/%v, want %d/%d", ru.MaxSurge, ru.MaxUnavailable, tc.surge, tc.unavailable)
			}
			pdb := &policyv1.PodDisruptionBudget{}
			err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: svc.Name}, pdb)
			if tc.minAvailable == 0 {
				if !apierrors.IsNotFound(err) {
					t.Fatalf("a PDB for a floor of 0: %v", err)
				}
				return
			}
			eventually(t, "the PDB", func() error {
				return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: svc.Name}, pdb)
			})
			if int32(pdb.Spec.MinAvailable.IntValue()) != tc.minAvailable {
				t.Fatalf("minAvailable %v, want %d", pdb.Spec.MinAvailable, tc.minAvailable)
			}
		})
	}
}

func TestService_EFSVolumeGetsAStaticPersistentVolumeReservedForItsClaim(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx")
	td.Spec.Volumes = []ecsv1.Volume{{Name: "shared", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{
		FileSystemID: "fs-12345678", RootDirectory: "/data", TransitEncryption: "ENABLED"}}}
	td.Spec.ContainerDefinitions[0].MountPoints = []ecsv1.MountPoint{{SourceVolume: "shared", ContainerPath: "/mnt/shared"}}
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 1)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	var claim string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	if claim == "" {
		t.Fatalf("no claim in the pod volumes %+v", d.Spec.Template.Spec.Volumes)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	eventually(t, "the claim", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: claim}, pvc)
	})
	pv := &corev1.PersistentVolume{}
	eventually(t, "the persistent volume", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Name: pvc.Spec.VolumeName}, pv)
	})
	if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != "efs.csi.aws.com" || !strings.HasPrefix(pv.Spec.CSI.VolumeHandle, "fs-12345678:") {
		t.Fatalf("pv %+v", pv.Spec.PersistentVolumeSource)
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != ns || ref.Name != claim {
		t.Fatalf("claimRef %+v, want %s/%s", ref, ns, claim)
	}
}

func TestService_AScaleInStopsTasksInTheFullestZoneFirst(t *testing.T) {
	ns := newNamespace(t)
	for name, zone := range map[string]string{"zb-a1": "us-east-1a", "zb-a2": "us-east-1a", "zb-b1": "us-east-1b"} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": zone}}}
		if err := k8s.Create(t.Context(), node); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	mustCreate(t, newTaskDefinition(ns, "web", "nginx:1.27"))
	svc := newService(ns, "web", "web", 4)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasksOn(t, d, "t", []string{"zb-a1", "zb-a2", "zb-a1", "zb-b1"}, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.RunningCount != 4 {
			return fmt.Errorf("running %d", st.RunningCount)
		}
		return nil
	})
	eventually(t, "scaling in to 2", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		svc.Spec.DesiredCount = ptr.To[int32](2)
		return k8s.Update(t.Context(), svc)
	})
	deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		if *d.Spec.Replicas != 2 {
			return fmt.Errorf("replicas %d", *d.Spec.Replicas)
		}
		return nil
	})
	// Zone a has three tasks, zone b one: a's two newest go first, leaving one task per zone.
	costs := map[string]string{}
	list := &corev1.PodList{}
	if err := k8s.List(t.Context(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Items {
		costs[p.Name] = p.Annotations["controller.kubernetes.io/pod-deletion-cost"]
	}
	want := map[string]string{d.Name + "-t-0": "0", d.Name + "-t-1": "-1", d.Name + "-t-2": "-2", d.Name + "-t-3": "0"}
	if !maps.Equal(costs, want) {
		t.Fatalf("deletion costs %v, want %v", costs, want)
	}
}

package controllers

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

const labelTaskSet = "ecs.operator.dev/task-set"

func newTaskSet(ns, name, service, td string, scale float64) *ecsv1.TaskSet {
	ts := &ecsv1.TaskSet{}
	ts.Namespace, ts.Name = ns, name
	ts.Spec.Service, ts.Spec.TaskDefinition = service, ecsv1.TaskDefinitionReference(td)
	ts.Spec.Scale = &ecsv1.Scale{Value: ptr.To(scale), Unit: ecsv1.ScaleUnitPercent}
	ts.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	return ts
}

func taskSetDeployment(t *testing.T, ns, name string, replicas int32) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	eventually(t, "the Deployment of task set "+name, func() error {
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "taskset-" + name}, d); err != nil {
			return err
		}
		if got := ptr.Deref(d.Spec.Replicas, 0); got != replicas {
			return fmt.Errorf("%d replicas, want %d", got, replicas)
		}
		return nil
	})
	return d
}

func taskSetStatus(t *testing.T, ts *ecsv1.TaskSet, check func(ecsv1.TaskSetStatus) error) {
	t.Helper()
	eventually(t, "task set status", func() error {
		if err := get(t, ts); err != nil {
			return err
		}
		return check(ts.Status)
	})
}

func TestTaskSet_AnExternalServiceRunsItsTaskSetsAndSendsTrafficToThePrimary(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx:1.27"))
	td2 := newTaskDefinition(ns, "web-next", "nginx:1.28")
	td2.Spec.Family = "web-next"
	mustCreate(t, td2)
	svc := newService(ns, "web", "", 4)
	svc.Spec.DeploymentController = &ecsv1.DeploymentController{Type: ecsv1.DeploymentControllerExternal}
	svc.Spec.PrimaryTaskSet = "blue"
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	mustCreate(t, svc)
	blue, green := newTaskSet(ns, "blue", "web", "web", 100), newTaskSet(ns, "green", "web", "web-next", 50)
	mustCreate(t, blue)
	mustCreate(t, green)

	// ceil(4 × 100%) and ceil(4 × 50%) tasks, each task set behind its own Service.
	blueTasks := taskSetDeployment(t, ns, "blue", 4)
	greenTasks := taskSetDeployment(t, ns, "green", 2)
	if greenTasks.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition] != "web-next:1" {
		t.Fatalf("green runs %q", greenTasks.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition])
	}
	selectsTaskSet(t, ns, "taskset-green-8080", "green")
	// Production traffic goes to the primary task set.
	selectsTaskSet(t, ns, "web-8080", "blue")

	runTasks(t, blueTasks, "blue", 4, true, 0)
	runTasks(t, greenTasks, "green", 2, true, 0)
	taskSetStatus(t, green, func(st ecsv1.TaskSetStatus) error {
		if st.Status != ecsv1.TaskSetActive || st.StabilityStatus != ecsv1.StabilitySteady || st.ComputedDesiredCount != 2 || st.RunningCount != 2 || st.TaskDefinition != "web-next:1" {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) || st.RunningCount != 6 || len(st.TaskSets) != 2 || st.TaskSets[0].Name != "blue" ||
			st.TaskSets[0].Status != ecsv1.TaskSetPrimary || st.TaskDefinition != "web:1" || len(st.Deployments) != 0 {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	// UpdateServicePrimaryTaskSet, then UpdateTaskSet: the external controller's blue/green.
	eventually(t, "switching the primary task set", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		svc.Spec.PrimaryTaskSet = "green"
		return k8s.Update(t.Context(), svc)
	})
	selectsTaskSet(t, ns, "web-8080", "green")
	eventually(t, "scaling green", func() error {
		if err := get(t, green); err != nil {
			return err
		}
		green.Spec.Scale.Value = ptr.To(100.0)
		return k8s.Update(t.Context(), green)
	})
	taskSetDeployment(t, ns, "green", 4)
	taskSetStatus(t, green, func(st ecsv1.TaskSetStatus) error {
		if st.Status != ecsv1.TaskSetPrimary || st.StabilityStatus != ecsv1.StabilityStabilizing || st.ComputedDesiredCount != 4 {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

func TestTaskSet_OfAServiceTheOperatorDeploysIsStalled(t *testing.T) {
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx:1.27"))
	mustCreate(t, newService(ns, "web", "web", 1))
	ts := newTaskSet(ns, "blue", "web", "web", 100)
	mustCreate(t, ts)
	taskSetStatus(t, ts, func(st ecsv1.TaskSetStatus) error {
		c := meta.FindStatusCondition(st.Conditions, ecsv1.ConditionStalled)
		if c == nil || c.Status != "True" || c.Message != "service: web does not use the EXTERNAL deployment controller; its task sets are not run" {
			return fmt.Errorf("conditions %+v", st.Conditions)
		}
		return nil
	})
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "taskset-blue"}, &appsv1.Deployment{}); client.IgnoreNotFound(err) != nil || err == nil {
		t.Fatalf("a Deployment was made for the stalled task set: %v", err)
	}
}

func selectsTaskSet(t *testing.T, ns, name, taskSet string) {
	t.Helper()
	eventually(t, "Service "+name+" selecting task set "+taskSet, func() error {
		s := &corev1.Service{}
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		if s.Spec.Selector[labelTaskSet] != taskSet || s.Spec.Selector[ecsv1.LabelService] != "web" {
			return fmt.Errorf("selector %v", s.Spec.Selector)
		}
		return nil
	})
}

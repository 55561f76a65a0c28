package controllers

import (
	"fmt"
	"maps"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/service"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

const labelRevision = "ecs.operator.dev/revision"

// revisionDeployment waits for the Deployment that runs one revision of a BLUE_GREEN, LINEAR
// or CANARY Service, with replicas tasks.
func revisionDeployment(t *testing.T, svc *ecsv1.Service, td string, replicas int32) *appsv1.Deployment {
	t.Helper()
	var found *appsv1.Deployment
	eventually(t, "the Deployment of "+td, func() error {
		list := &appsv1.DeploymentList{}
		if err := k8s.List(t.Context(), list, client.InNamespace(svc.Namespace)); err != nil {
			return err
		}
		for i := range list.Items {
			d := &list.Items[i]
			if d.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition] != td || d.DeletionTimestamp != nil {
				continue
			}
			if d.Spec.Selector.MatchLabels[labelRevision] == "" {
				return fmt.Errorf("%s selects every revision's tasks", d.Name)
			}
			if got := ptr.Deref(d.Spec.Replicas, 0); got != replicas {
				return fmt.Errorf("%s has %d replicas, want %d", d.Name, got, replicas)
			}
			found = d
			return nil
		}
		return fmt.Errorf("no Deployment runs %s", td)
	})
	return found
}

// selects waits for a Kubernetes Service to select exactly the given revision's tasks (all of
// the Service's tasks when revision is empty).
func selects(t *testing.T, ns, name string, revision string) {
	t.Helper()
	eventually(t, "Service "+name+" selecting revision "+revision, func() error {
		s := &corev1.Service{}
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		want := map[string]string{ecsv1.LabelService: "web"}
		if revision != "" {
			want[labelRevision] = revision
		}
		if !maps.Equal(s.Spec.Selector, want) {
			return fmt.Errorf("selector %v, want %v", s.Spec.Selector, want)
		}
		return nil
	})
}

func primaryAt(t *testing.T, svc *ecsv1.Service, stage ecsv1.LifecycleStage) ecsv1.Deployment {
	t.Helper()
	var primary ecsv1.Deployment
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if len(st.Deployments) == 0 || st.Deployments[0].LifecycleStage != stage {
			return fmt.Errorf("deployments %+v, want the PRIMARY at %s", st.Deployments, stage)
		}
		primary = st.Deployments[0]
		return nil
	})
	return primary
}

// approve answers the POST_TEST_TRAFFIC_SHIFT hook of a deployment through the annotation.
func approve(t *testing.T, svc *ecsv1.Service, deploymentID, answer string) {
	t.Helper()
	eventually(t, "annotating the Service", func() error {
		if err := get(t, svc); err != nil {
			return err
		}
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[service.AnnotationHookPrefix+string(ecsv1.StagePostTestTrafficShift)] = deploymentID + "=" + answer
		return k8s.Update(t.Context(), svc)
	})
}

func blueGreenService(ns string, desired int32) *ecsv1.Service {
	svc := newService(ns, "web", "web", desired)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		Strategy: ecsv1.StrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](0),
		LifecycleHooks: []ecsv1.DeploymentLifecycleHook{{
			HookTargetArn:   "arn:aws:lambda:us-east-1:111122223333:function:smoke",
			LifecycleStages: []ecsv1.HookStage{ecsv1.HookStage(ecsv1.StagePostTestTrafficShift)},
		}},
	}
	return svc
}

func TestService_BlueGreenTestsGreenThenSwitchesProductionAndRemovesBlue(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	svc := blueGreenService(ns, 2)
	mustCreate(t, svc)

	// The first deployment has no blue: its hook still decides, then it completes.
	blue := revisionDeployment(t, svc, "web:1", 2)
	runTasks(t, blue, "blue", 2, true, 0)
	first := primaryAt(t, svc, ecsv1.StagePostTestTrafficShift)
	approve(t, svc, first.ID, "SUCCEEDED")
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) || st.Deployments[0].RolloutState != ecsv1.RolloutCompleted {
			return fmt.Errorf("not steady: %+v", st.Deployments)
		}
		return nil
	})
	blueRevision := blue.Spec.Selector.MatchLabels[labelRevision]
	selects(t, ns, "web-8080", blueRevision)

	updateImage(t, td, "nginx:1.28")
	green := revisionDeployment(t, svc, "web:2", 2)
	greenRevision := green.Spec.Selector.MatchLabels[labelRevision]
	primaryAt(t, svc, ecsv1.StageScaleUp)
	// Blue keeps production; the test listener's Service reaches green only.
	selects(t, ns, "web-8080", blueRevision)
	selects(t, ns, "web-8080-test", greenRevision)

	runTasks(t, green, "green", 2, true, 0)
	second := primaryAt(t, svc, ecsv1.StagePostTestTrafficShift)
	selects(t, ns, "web-8080", blueRevision)
	if err := hasEvent(svc.Status, "(service web) has reached a steady state."); err != nil {
		t.Fatal(err)
	}
	revisionDeployment(t, svc, "web:1", 2)

	approve(t, svc, second.ID, "SUCCEEDED")
	selects(t, ns, "web-8080", greenRevision)
	primaryAt(t, svc, ecsv1.StageCleanUp)
	eventually(t, "blue's Deployment removed", func() error {
		d := &appsv1.Deployment{}
		err := k8s.Get(t.Context(), client.ObjectKeyFromObject(blue), d)
		if client.IgnoreNotFound(err) != nil {
			return err
		}
		if err == nil && d.DeletionTimestamp == nil {
			return fmt.Errorf("%s still there", blue.Name)
		}
		return nil
	})
	deletePods(t, ns, "-blue-") // the garbage collector's part; envtest runs none
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		p := st.Deployments[0]
		if p.ID != second.ID || p.RolloutState != ecsv1.RolloutCompleted || ptr.Deref(p.ProductionTrafficWeight, 0) != 100 || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("deployments %+v", st.Deployments)
		}
		return nil
	})
}

func TestService_BlueGreenHookFailureSwitchesTrafficBackToBlue(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	svc := blueGreenService(ns, 1)
	mustCreate(t, svc)
	blue := revisionDeployment(t, svc, "web:1", 1)
	runTasks(t, blue, "blue", 1, true, 0)
	approve(t, svc, primaryAt(t, svc, ecsv1.StagePostTestTrafficShift).ID, "SUCCEEDED")
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady: %+v", st.Deployments)
		}
		return nil
	})
	blueRevision := blue.Spec.Selector.MatchLabels[labelRevision]

	updateImage(t, td, "nginx:1.28")
	green := revisionDeployment(t, svc, "web:2", 1)
	runTasks(t, green, "green", 1, true, 0)
	second := primaryAt(t, svc, ecsv1.StagePostTestTrafficShift)
	approve(t, svc, second.ID, "FAILED")

	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if err := hasEvent(st, "deployment failed: lifecycle hook 0 failed at POST_TEST_TRAFFIC_SHIFT"); err != nil {
			return err
		}
		return hasEvent(st, "rolling back to deployment")
	})
	selects(t, ns, "web-8080", blueRevision)
	selects(t, ns, "web-8080-test", blueRevision)
	eventually(t, "green's Deployment removed", func() error {
		d := &appsv1.Deployment{}
		err := k8s.Get(t.Context(), client.ObjectKeyFromObject(green), d)
		if err == nil && d.DeletionTimestamp == nil {
			return fmt.Errorf("%s still there", green.Name)
		}
		return client.IgnoreNotFound(err)
	})
	deletePods(t, ns, "-green-")
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.TaskDefinition != "web:1" || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("after the rollback: %q %+v", st.TaskDefinition, st.Deployments)
		}
		for _, d := range st.Deployments {
			if d.ID == second.ID && d.RolloutState == ecsv1.RolloutFailed {
				return nil
			}
		}
		return fmt.Errorf("the failed deployment is not listed: %+v", st.Deployments)
	})
}

func TestService_CanaryShiftsItsShareOfTasksBehindOneService(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 4)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		Strategy:            ecsv1.StrategyCanary,
		CanaryConfiguration: &ecsv1.CanaryConfiguration{CanaryPercent: ptr.To(25.0), CanaryBakeTimeInMinutes: ptr.To[int32](1440)},
	}
	mustCreate(t, svc)
	blue := revisionDeployment(t, svc, "web:1", 4)
	runTasks(t, blue, "blue", 4, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady: %+v", st.Deployments)
		}
		return nil
	})

	updateImage(t, td, "nginx:1.28")
	green := revisionDeployment(t, svc, "web:2", 1)
	runTasks(t, green, "green", 1, true, 0)
	canary := primaryAt(t, svc, ecsv1.StageProductionTrafficShift)
	if ptr.Deref(canary.ProductionTrafficWeight, 0) != 25 {
		t.Fatalf("canary weight %v, want 25", canary.ProductionTrafficWeight)
	}
	// One Service over both revisions: one green task of four carries a quarter of the traffic.
	selects(t, ns, "web-8080", "")
	revisionDeployment(t, svc, "web:1", 3)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		for _, d := range st.Deployments {
			if d.Status == ecsv1.DeploymentActive && d.TaskDefinition == "web:1" && ptr.Deref(d.ProductionTrafficWeight, 0) == 75 {
				return nil
			}
		}
		return fmt.Errorf("blue's weight is not 75: %+v", st.Deployments)
	})
}

func TestService_LinearBehindAGatewayShiftsHTTPRouteWeightsBetweenFullSizeRevisions(t *testing.T) {
	installHTTPRouteCRD(t)
	cg := newCellGroup(t, "lin")
	cg.Spec.Ingress = &ecsv1.CellGroupIngress{Gateway: &ecsv1.GatewayReference{Name: "public", Namespace: "gateways"}}
	mustCreate(t, cg)
	cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not ready")
		}
		return nil
	})
	ns := tenantClusterName(cg, "lin")
	td := newTaskDefinition(ns, "web", "nginx:1.27")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 2)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyLinear,
		LinearConfiguration: &ecsv1.LinearConfiguration{StepPercent: ptr.To(30.0), StepBakeTimeInMinutes: ptr.To[int32](1440)}}
	mustCreate(t, svc)
	blue := revisionDeployment(t, svc, "web:1", 2)
	runTasks(t, blue, "blue", 2, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady: %+v", st.Deployments)
		}
		return nil
	})

	updateImage(t, td, "nginx:1.28")
	// Behind a route, green runs at full size and blue keeps its tasks: the weights shift.
	green := revisionDeployment(t, svc, "web:2", 2)
	runTasks(t, green, "green", 2, true, 0)
	shifting := primaryAt(t, svc, ecsv1.StageProductionTrafficShift)
	if ptr.Deref(shifting.ProductionTrafficWeight, 0) != 30 {
		t.Fatalf("weight %v, want the first step's 30", shifting.ProductionTrafficWeight)
	}
	revisionDeployment(t, svc, "web:1", 2)
	selects(t, ns, "web-8080", blue.Spec.Selector.MatchLabels[labelRevision])
	selects(t, ns, "web-8080-test", green.Spec.Selector.MatchLabels[labelRevision])
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(httpRouteGVK)
	eventually(t, "the HTTPRoute weighing blue 70 against green 30", func() error {
		if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: ingressName(cg)}, route); err != nil {
			return err
		}
		rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
		want := "[map[name:web-8080 port:8080 weight:70] map[name:web-8080-test port:8080 weight:30]]"
		for _, r := range rules {
			if got := fmt.Sprint(r.(map[string]any)["backendRefs"]); got != want {
				return fmt.Errorf("backendRefs %s, want %s", got, want)
			}
		}
		return nil
	})
}

package controllers

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// A Service scaled from 0 to 5,000 tasks: every status write is accepted (no message over the
// schema's limits), the counts reach 5,000, and the object stays far below etcd's limits.
func TestBoundedStatus_AServiceScaledTo5000TasksKeepsWritingItsStatus(t *testing.T) {
	const tasks = 5000
	ns := newNamespace(t)
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 0)
	mustCreate(t, svc)
	deploymentOf(t, svc, runsRevision("web:1"))
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not steady at 0: %+v", st.Conditions)
		}
		return nil
	})

	svc.Spec.DesiredCount = ptr.To[int32](tasks)
	if err := k8s.Update(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	d := deploymentOf(t, svc, func(d *appsv1.Deployment) error {
		if ptr.Deref(d.Spec.Replicas, 0) != tasks {
			return fmt.Errorf("replicas %d", ptr.Deref(d.Spec.Replicas, 0))
		}
		return nil
	})
	createReadyTasks(t, d, tasks)

	deadline := time.Now().Add(3 * time.Minute)
	for {
		if err := get(t, svc); err != nil {
			t.Fatal(err)
		}
		st := svc.Status
		if reason := stalledReasonOf(st.Conditions); reason != "" {
			t.Fatalf("stalled (%s): %s", reason, shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled))
		}
		if st.RunningCount == tasks && shared.IsReady(st.Conditions) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("running %d of %d, conditions %+v", st.RunningCount, tasks, st.Conditions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	raw, err := json.Marshal(svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 256<<10 {
		t.Fatalf("the Service is %d bytes, more than 256 KiB", len(raw))
	}
	for _, e := range svc.Status.Events {
		if len(e.Message) > 2048 {
			t.Fatalf("an event of %d bytes: %.200s…", len(e.Message), e.Message)
		}
	}
	if err := hasEvent(svc.Status, fmt.Sprintf("has started %d tasks: ", tasks)); err != nil {
		// Tasks may be seen in several batches; every batch names at most ten of them.
		if err := hasEvent(svc.Status, "more."); err != nil {
			t.Fatalf("no started message counts the tasks it does not name: %v", err)
		}
	}
}

// createReadyTasks plays the ReplicaSet controller and the kubelet for n ready tasks, with a
// few clients at once.
func createReadyTasks(t *testing.T, d *appsv1.Deployment, n int) {
	t.Helper()
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := createReadyTask(t, d, fmt.Sprintf("%s-scale-%05d", d.Name, i)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func createReadyTask(t *testing.T, d *appsv1.Deployment, name string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: d.Namespace, Labels: d.Spec.Template.Labels, Annotations: d.Spec.Template.Annotations},
		Spec:       *d.Spec.Template.Spec.DeepCopy(),
	}
	pod.Spec.NodeName = "node-1"
	if err := k8s.Create(t.Context(), pod); err != nil {
		return err
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	return k8s.Status().Update(t.Context(), pod, &client.SubResourceUpdateOptions{})
}

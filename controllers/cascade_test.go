package controllers

import (
	"fmt"
	"maps"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// reconcileCounts reads controller-runtime's controller_runtime_reconcile_total per controller.
func reconcileCounts(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// quietCounts waits until no controller reconciles for a second (other tests' objects settle)
// and returns the counts then.
func quietCounts(t *testing.T) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	before := reconcileCounts(t)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		now := reconcileCounts(t)
		if maps.Equal(before, now) {
			return now
		}
		before = now
	}
	t.Fatal("the controllers never went quiet")
	return nil
}

func TestCascade_APodReadinessChangeIsOneServiceReconcileAndNothingElse(t *testing.T) {
	cg := newCellGroup(t, "cascade")
	mustCreate(t, cg)
	ns := fmt.Sprintf("tier-9-cell-%d-ig-1-cascade", cg.Spec.Cell)
	cluster := &ecsv1.Cluster{}
	cluster.Name = ns
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.Status != ecsv1.ClusterActive {
			return fmt.Errorf("cluster %s", st.Status)
		}
		return nil
	})
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "a", 1, false, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.PendingCount != 1 {
			return fmt.Errorf("pending %d", st.PendingCount)
		}
		return nil
	})
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.PendingTasksCount != 1 || st.ActiveServicesCount != 1 {
			return fmt.Errorf("cluster counts %+v", st)
		}
		return nil
	})

	before := quietCounts(t)
	pod := &corev1.Pod{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: d.Name + "-a-0"}, pod); err != nil {
		t.Fatal(err)
	}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			pod.Status.Conditions[i].Status = corev1.ConditionTrue
		}
	}
	if err := k8s.Status().Update(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if st.RunningCount != 1 {
			return fmt.Errorf("running %d", st.RunningCount)
		}
		return nil
	})
	// The Cluster's counts still follow, written by the counter rather than a reconcile.
	clusterStatus(t, cluster, func(st ecsv1.ClusterStatus) error {
		if st.RunningTasksCount != 1 || st.PendingTasksCount != 0 {
			return fmt.Errorf("cluster counts %+v", st)
		}
		return nil
	})
	after := quietCounts(t)
	for controller, want := range map[string]float64{"service": 1, "cluster": 0, "cellgroup": 0, "taskdefinition": 0, "task": 0} {
		if got := after[controller] - before[controller]; got != want {
			t.Errorf("%s reconciles after one task became ready: %v, want %v (before %v, after %v)", controller, got, want, before, after)
		}
	}
}

package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// A Task whose Pod left the operator's cache before its stop was seen would, on a stale read,
// say TerminationNotice: the status writer's lock refuses that write, so the real stop code
// stays.
func TestLocks_ATaskNeverLosesItsStopCodeToAStaleRead(t *testing.T) {
	ns := newNamespace(t)
	task := newTask(ns, "locked", "nothing-here")
	mustCreate(t, task)
	stale := task.DeepCopy()

	// The reconciler works on the Task meanwhile: the stop is written on its newest version.
	eventually(t, "the task is stopped", func() error {
		fresh := &ecsv1.Task{}
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(task), fresh); err != nil {
			return err
		}
		markTaskStopped(fresh, taskStop{Code: ecsv1.StopCodeEssentialContainerExited, Reason: "Essential container in task exited"}, metav1.Now())
		return k8s.Status().Update(t.Context(), fresh)
	})

	original := stale.DeepCopy()
	markTaskStopped(stale, taskStop{Code: ecsv1.StopCodeTerminationNotice, Reason: "Task stopped: its pod was removed"}, metav1.Now())
	conflict, err := shared.PatchStatus(t.Context(), k8s, stale, original)
	if err != nil || !conflict {
		t.Fatalf("a write from a stale read: conflict %v, err %v; want a conflict", conflict, err)
	}
	if err := get(t, task); err != nil {
		t.Fatal(err)
	}
	if task.Status.StopCode != ecsv1.StopCodeEssentialContainerExited {
		t.Fatalf("stop code %q, want %q", task.Status.StopCode, ecsv1.StopCodeEssentialContainerExited)
	}
}

func TestLocks_AFinalizerFromAStaleReadDropsNoOtherFinalizer(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "fin", "nginx")
	td.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	mustCreate(t, td)
	stale := td.DeepCopy()
	controllerutil.RemoveFinalizer(stale, ecsv1.Finalizer)

	fresh := td.DeepCopy()
	controllerutil.AddFinalizer(fresh, "example.com/someone-else")
	if err := k8s.Update(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	if err := shared.AddFinalizer(t.Context(), k8s, stale); err == nil {
		t.Fatal("adding a finalizer to a stale copy succeeded; it could have dropped someone else's")
	}
	if err := get(t, td); err != nil {
		t.Fatal(err)
	}
	if !controllerutil.ContainsFinalizer(td, "example.com/someone-else") {
		t.Fatalf("finalizers %v lost someone else's", td.Finalizers)
	}
	controllerutil.RemoveFinalizer(td, "example.com/someone-else")
	if err := k8s.Update(t.Context(), td); err != nil {
		t.Fatal(err)
	}
}

package chaos

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// tracker watches every Service and Task for as long as the test runs and records what must
// never happen, whatever the faults: a status going back (observedGeneration, a task's
// lifecycle), a service event lost or written twice, a rollout marked FAILED (every revision
// the tests roll out is healthy).
type tracker struct {
	mu         sync.Mutex
	services   map[types.UID]*seenService
	tasks      map[types.UID]*seenTask
	violations []string
}

type seenService struct {
	observedGeneration int64
	events             map[string]string // id → message
}

type seenTask struct {
	observedGeneration int64
	lastStatus         int
}

// taskLifecycle is the order a task's lastStatus only moves forward in.
var taskLifecycle = []ecsv1.TaskLifecycleStatus{
	ecsv1.TaskProvisioning, ecsv1.TaskPending, ecsv1.TaskActivating, ecsv1.TaskRunning,
	ecsv1.TaskDeactivating, ecsv1.TaskStopping, ecsv1.TaskDeprovisioning, ecsv1.TaskStopped,
}

// maxServiceEvents is the schema's cap of status.events: older events drop off beyond it.
const maxServiceEvents = 100

func startTracker(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme) *tracker {
	t.Helper()
	tr := &tracker{services: map[types.UID]*seenService{}, tasks: map[types.UID]*seenTask{}}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for obj, observe := range map[client.Object]func(any){
		&ecsv1.Service{}: func(o any) {
			if svc, ok := o.(*ecsv1.Service); ok {
				tr.observeService(svc)
			}
		},
		&ecsv1.Task{}: func(o any) {
			if task, ok := o.(*ecsv1.Task); ok {
				tr.observeTask(task)
			}
		},
	} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    observe,
			UpdateFunc: func(_, o any) { observe(o) },
		}); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the tracker's cache did not sync")
	}
	return tr
}

func (tr *tracker) violate(format string, args ...any) {
	tr.violations = append(tr.violations, fmt.Sprintf(format, args...))
}

func (tr *tracker) observeService(svc *ecsv1.Service) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	key := svc.Namespace + "/" + svc.Name
	seen := tr.services[svc.UID]
	if seen == nil {
		seen = &seenService{events: map[string]string{}}
		tr.services[svc.UID] = seen
	}
	st := svc.Status
	if st.ObservedGeneration < seen.observedGeneration {
		tr.violate("Service %s: observedGeneration went back from %d to %d", key, seen.observedGeneration, st.ObservedGeneration)
	}
	seen.observedGeneration = max(seen.observedGeneration, st.ObservedGeneration)

	now := map[string]string{}
	for i, ev := range st.Events {
		now[ev.ID] = ev.Message
		if i > 0 && st.Events[i-1].Message == ev.Message {
			tr.violate("Service %s: event %q written twice in a row (%s and %s)", key, ev.Message, st.Events[i-1].ID, ev.ID)
		}
	}
	if len(st.Events) < maxServiceEvents {
		for id, msg := range seen.events {
			if _, ok := now[id]; !ok {
				tr.violate("Service %s: event %s %q was lost", key, id, msg)
			}
		}
	}
	seen.events = now
	for _, d := range st.Deployments {
		if d.RolloutState == ecsv1.RolloutFailed {
			msg := fmt.Sprintf("Service %s: deployment %s (%s) FAILED: %s", key, d.ID, d.TaskDefinition, d.RolloutStateReason)
			if !slices.Contains(tr.violations, msg) {
				tr.violations = append(tr.violations, msg)
			}
		}
	}
}

func (tr *tracker) observeTask(task *ecsv1.Task) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	key := task.Namespace + "/" + task.Name
	seen := tr.tasks[task.UID]
	if seen == nil {
		seen = &seenTask{lastStatus: -1}
		tr.tasks[task.UID] = seen
	}
	st := task.Status
	if st.ObservedGeneration < seen.observedGeneration {
		tr.violate("Task %s: observedGeneration went back from %d to %d", key, seen.observedGeneration, st.ObservedGeneration)
	}
	seen.observedGeneration = max(seen.observedGeneration, st.ObservedGeneration)
	if st.LastStatus == "" {
		return
	}
	i := slices.Index(taskLifecycle, st.LastStatus)
	if i < seen.lastStatus {
		tr.violate("Task %s: lastStatus went back from %s to %s", key, taskLifecycle[seen.lastStatus], st.LastStatus)
	}
	seen.lastStatus = max(seen.lastStatus, i)
}

// expectNoViolations fails the test for everything recorded since the last call.
func (tr *tracker) expectNoViolations(t *testing.T) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, v := range tr.violations {
		t.Error(v)
	}
	tr.violations = nil
}

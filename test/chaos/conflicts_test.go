package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// specWrite is a successful write of a Service's spec: which field, the value written, and the
// resource version it made (etcd's revision, so writes order by it).
type specWrite struct {
	field string
	value string
	rv    int64
}

// persistent is how the writers retry a conflict: as a user would, a few times over a second.
var persistent = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 0.5}

type writes struct {
	mu  sync.Mutex
	all []specWrite
}

func (w *writes) add(field, value, rv string) {
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("resource version %q is not a number", rv))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all, specWrite{field, value, n})
}

// testConflicts has three writers on one Service while the operator reconciles it and writes
// its status: the tenant's `kubectl scale` and an autoscaler (the scale subresource, as an
// HPA writes it), and the tenant's `kubectl edit` of its tags and labels (a whole-object
// update from what it read). In the end the spec is what the last write of each field made,
// the generation counted exactly the writes that changed the spec (the operator never wrote
// it), the operator's finalizer survived the whole-object updates, and the status caught up.
func testConflicts(t *testing.T, e *env) {
	ctx, g := t.Context(), NewWithT(t)
	tn := e.tenants[1]
	const name = "contended"
	if err := createTaskDefinition(ctx, tn.c, tn.namespace, family); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	g.Expect(tn.c.Create(ctx, &ecsv1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: tn.namespace, Name: name},
		Spec:       ecsv1.ServiceSpec{TaskDefinition: family, DesiredCount: ptr.To(int32(2))},
	})).To(Succeed())
	e.waitConverged(t, time.Now(), time.Now().Add(90*time.Second))
	start := e.service(t, tn.namespace, name)
	g.Expect(start.Finalizers).To(ContainElement(ecsv1.Finalizer))

	var w writes
	w.add("desiredCount", "2", start.ResourceVersion)
	w.add("tags", "", start.ResourceVersion)
	runCtx, stop := context.WithTimeout(ctx, e.o.conflicts)
	defer stop()
	var wg sync.WaitGroup
	key := client.ObjectKey{Namespace: tn.namespace, Name: name}
	scaler := func(c client.Client, seed int) func() {
		return func() {
			for i := seed; runCtx.Err() == nil; i++ {
				err := retry.RetryOnConflict(persistent, func() error {
					svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
					scale := &autoscalingv1.Scale{}
					// The test's context, not runCtx: a write cut off as the window closes could
					// land unrecorded.
					if err := c.SubResource("scale").Get(ctx, svc, scale); err != nil {
						return err
					}
					scale.Spec.Replicas = int32(i % 4)
					if err := c.SubResource("scale").Update(ctx, svc, client.WithSubResourceBody(scale)); err != nil {
						return err
					}
					w.add("desiredCount", strconv.Itoa(int(scale.Spec.Replicas)), scale.ResourceVersion)
					return nil
				})
				// A write refused for a conflict is not lost: its writer knows and tries again.
				if err != nil && !apierrors.IsConflict(err) {
					t.Errorf("scaling: %v", err)
				}
				time.Sleep(150 * time.Millisecond)
			}
		}
	}
	wg.Go(scaler(tn.c, 0))     // kubectl scale, as the tenant
	wg.Go(scaler(e.Client, 1)) // the autoscaler, as kube-controller-manager
	wg.Go(func() {
		for i := 0; runCtx.Err() == nil; i++ {
			err := retry.RetryOnConflict(persistent, func() error {
				svc := &ecsv1.Service{}
				if err := tn.c.Get(ctx, key, svc); err != nil {
					return err
				}
				if svc.Labels == nil {
					svc.Labels = map[string]string{}
				}
				svc.Labels["chaos.example.com/edit"] = strconv.Itoa(i)
				svc.Spec.Tags = []ecsv1.Tag{{Key: "edit", Value: strconv.Itoa(i)}}
				if err := tn.c.Update(ctx, svc); err != nil {
					return err
				}
				w.add("tags", strconv.Itoa(i), svc.ResourceVersion)
				return nil
			})
			if err != nil && !apierrors.IsConflict(err) {
				t.Errorf("editing: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	wg.Wait()

	// Replay the writes in the order the API server took them.
	slices.SortFunc(w.all, func(a, b specWrite) int { return int(a.rv - b.rv) })
	state := map[string]string{}
	changes := int64(0)
	for i, wr := range w.all {
		if i >= 2 && state[wr.field] != wr.value {
			changes++
		}
		state[wr.field] = wr.value
	}
	end := e.service(t, tn.namespace, name)
	if n := len(w.all); n > 0 {
		last := w.all[max(0, n-6):]
		t.Logf("the last writes by resource version: %+v; the Service is at %s, generation %d (from %d)", last, end.ResourceVersion, end.Generation, start.Generation)
	}
	g.Expect(strconv.Itoa(int(ptr.Deref(end.Spec.DesiredCount, -1)))).To(Equal(state["desiredCount"]), "a scale was lost")
	g.Expect(end.Spec.Tags).To(ConsistOf(ecsv1.Tag{Key: "edit", Value: state["tags"]}), "an edit was lost")
	g.Expect(end.Labels).To(HaveKeyWithValue("chaos.example.com/edit", state["tags"]))
	g.Expect(end.Generation-start.Generation).To(Equal(changes), "the generation counts %d spec changes of %d writes: a writer other than the tenant's and the autoscaler's changed the spec", changes, len(w.all)-2)
	g.Expect(end.Finalizers).To(ContainElement(ecsv1.Finalizer), "a whole-object update dropped the operator's finalizer")
	took := e.waitConverged(t, time.Now(), time.Now().Add(60*time.Second))
	t.Logf("conflicts: %d writes in %s (%d changed the spec), none lost; status caught up %.1fs after the last", len(w.all)-2, e.o.conflicts, changes, took.Seconds())
}

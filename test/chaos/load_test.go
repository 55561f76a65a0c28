package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// family is the task definition every Service and Task of the load runs.
const family = "chaos"

// load is one tenant's churn, as its developer makes it with kubectl: Services created,
// scaled, rolled to a new revision and deleted, Tasks run and stopped. Every create and
// update goes through the webhooks; none may fail other than by losing a race with another
// writer (conflict, not found, already exists).
type load struct {
	tn  tenant
	rnd *rand.Rand
	// services are the Services the load made and has not deleted, tasks likewise; next
	// numbers the next name, revision the next change of the task definition.
	services, tasks []string
	next, revision  int

	mu       sync.Mutex
	done     map[string]int
	failures []string
}

func newLoad(tn tenant, seed uint64) *load {
	return &load{tn: tn, rnd: rand.New(rand.NewPCG(seed, 14)), done: map[string]int{}}
}

// taskDefinitionYAML is the task definition of the load: one essential container, its
// environment changed by every new revision.
func taskDefinitionYAML(namespace, name string, revision int) string {
	return fmt.Sprintf(`
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: %s
  namespace: %s
spec:
  family: %s
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - name: app
    image: public.ecr.aws/nginx/nginx:1.27
    essential: true
    environment:
    - name: REVISION
      value: "%d"
    # A health check, as production services have: a task counts once healthy, rather than
    # after ECS's 40 seconds for unchecked tasks.
    healthCheck:
      command: ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]
      interval: 5
      timeout: 2
      retries: 3
    portMappings:
    - name: http
      containerPort: 8080
`, name, namespace, name, revision)
}

func createTaskDefinition(ctx context.Context, c client.Client, namespace, name string) error {
	td := &ecsv1.TaskDefinition{}
	if err := yaml.Unmarshal([]byte(taskDefinitionYAML(namespace, name, 0)), td); err != nil {
		return err
	}
	return c.Create(ctx, td)
}

// run churns until ctx ends.
func (l *load) run(ctx context.Context) {
	for ctx.Err() == nil {
		l.step(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(300+l.rnd.IntN(500)) * time.Millisecond):
		}
	}
}

func (l *load) step(ctx context.Context) {
	ns := l.tn.namespace
	switch p := l.rnd.IntN(100); {
	case len(l.services) < 2 || (p < 15 && len(l.services) < 6):
		name := fmt.Sprintf("svc-%d", l.next)
		l.next++
		svc := &ecsv1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: ecsv1.ServiceSpec{
				TaskDefinition: ecsv1.TaskDefinitionReference(family),
				DesiredCount:   ptr.To(int32(1 + l.rnd.IntN(3))),
			},
		}
		if l.record(ctx, "create service", l.tn.c.Create(ctx, svc)) {
			l.services = append(l.services, name)
		}
	case p < 45:
		name := l.services[l.rnd.IntN(len(l.services))]
		patch := fmt.Appendf(nil, `{"spec":{"desiredCount":%d}}`, l.rnd.IntN(4))
		svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		l.record(ctx, "scale service", l.tn.c.Patch(ctx, svc, client.RawPatch("application/merge-patch+json", patch)))
	case p < 55:
		l.revision++
		td := &ecsv1.TaskDefinition{}
		if err := yaml.Unmarshal([]byte(taskDefinitionYAML(ns, family, l.revision)), td); err != nil {
			panic(err)
		}
		l.record(ctx, "update task definition", l.tn.c.Patch(ctx, td, client.Merge))
	case p < 65 && len(l.services) > 2:
		i := l.rnd.IntN(len(l.services))
		svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: l.services[i]}}
		if l.record(ctx, "delete service", l.tn.c.Delete(ctx, svc)) {
			l.services = append(l.services[:i], l.services[i+1:]...)
		}
	case p < 85 && len(l.tasks) < 4:
		name := fmt.Sprintf("task-%d", l.next)
		l.next++
		task := &ecsv1.Task{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       ecsv1.TaskSpec{TaskDefinition: ecsv1.TaskDefinitionReference(family)},
		}
		if l.record(ctx, "run task", l.tn.c.Create(ctx, task)) {
			l.tasks = append(l.tasks, name)
		}
	case len(l.tasks) > 0:
		i := l.rnd.IntN(len(l.tasks))
		task := &ecsv1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: l.tasks[i]}}
		if l.record(ctx, "stop task", l.tn.c.Delete(ctx, task)) {
			l.tasks = append(l.tasks[:i], l.tasks[i+1:]...)
		}
	}
}

// record counts a call and says whether it took effect; a failure other than a lost race is
// kept (the test fails on it), unless ctx ended meanwhile.
func (l *load) record(ctx context.Context, action string, err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.done[action]++
		return true
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err) || apierrors.IsAlreadyExists(err):
		l.done[action+" (lost a race)"]++
	case ctx.Err() != nil:
	default:
		l.failures = append(l.failures, fmt.Sprintf("%s %s in %s: %v", time.Now().Format(time.TimeOnly), action, l.tn.namespace, err))
	}
	return false
}

// report logs what the loads did and fails the test for every failed call.
func report(t *testing.T, loads []*load) {
	t.Helper()
	total := map[string]int{}
	for _, l := range loads {
		l.mu.Lock()
		for k, n := range l.done {
			total[k] += n
		}
		for _, f := range l.failures {
			t.Errorf("a call of the load failed: %s", f)
		}
		l.mu.Unlock()
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, total[k])
	}
	t.Logf("load: %s", strings.Join(parts, ", "))
}

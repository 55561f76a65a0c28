package chaos

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/test/chartenv"
)

// leaderPod is the manager Pod whose running process holds the Lease ("" when none does: the
// holder died and nobody has taken over yet). Each process logs its identity when it joins
// the election.
func (e *env) leaderPod(ctx context.Context) (string, error) {
	lease := &coordinationv1.Lease{}
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: chartenv.Namespace, Name: chartenv.LeaseName}, lease); err != nil {
		return "", err
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		return "", nil
	}
	holder := *lease.Spec.HolderIdentity
	pod, _, _ := strings.Cut(holder, "_")
	out, err := e.Nodes.Output(chartenv.Namespace, pod)
	if err != nil || !strings.Contains(out, holder) {
		return "", err
	}
	return pod, nil
}

// managerPods are the manager's Pods, by name, and whether each is ready.
func (e *env) managerPods(ctx context.Context) (map[string]bool, error) {
	var pods corev1.PodList
	if err := e.Client.List(ctx, &pods, client.InNamespace(chartenv.Namespace), chartenv.ManagerPods); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range pods.Items {
		ready := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				ready = c.Status == corev1.ConditionTrue
			}
		}
		out[p.Name] = ready && e.Nodes.Process(p.Namespace, p.Name) != nil
	}
	return out, nil
}

// killLeader waits for a leader and for another replica to be ready (so that one replica is
// always up), then kills the leader's process with SIGKILL, as a crash or the OOM killer
// would: it cannot hand its Lease over, and its node restarts it. It returns the Pod killed.
func (e *env) killLeader(ctx context.Context) (string, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		leader, err := e.leaderPod(ctx)
		if err != nil {
			return "", err
		}
		pods, err := e.managerPods(ctx)
		if err != nil {
			return "", err
		}
		otherReady := false
		for name, ready := range pods {
			otherReady = otherReady || (ready && name != leader)
		}
		if leader != "" && otherReady {
			return leader, e.Nodes.Signal(chartenv.Namespace, leader, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no leader with another ready replica within 90s (leader %q, replicas %v)", leader, pods)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(poll):
		}
	}
}

func testLeaderLoss(t *testing.T, e *env) {
	ctx := t.Context()
	for _, tn := range e.tenants {
		if err := createTaskDefinition(ctx, tn.c, tn.namespace, family); err != nil {
			t.Fatal(err)
		}
	}
	loadCtx, stop := context.WithTimeout(ctx, e.o.churn)
	defer stop()
	var loads []*load
	done := make(chan struct{}, len(e.tenants))
	for i, tn := range e.tenants {
		l := newLoad(tn, uint64(i+1))
		loads = append(loads, l)
		go func() { l.run(loadCtx); done <- struct{}{} }()
	}
	kills := 0
	tick := time.NewTicker(e.o.killEvery)
	defer tick.Stop()
	for loadCtx.Err() == nil {
		select {
		case <-loadCtx.Done():
		case <-tick.C:
			pod, err := e.killLeader(loadCtx)
			if err != nil && loadCtx.Err() == nil {
				t.Fatal(err)
			}
			if err == nil {
				kills++
				t.Logf("%s killed the leader %s", time.Now().Format(time.TimeOnly), pod)
			}
		}
	}
	for range e.tenants {
		<-done
	}
	// The last kill as the load stops: everything it left in flight lands on a new leader.
	pod, err := e.killLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := time.Now()
	kills++
	t.Logf("%s killed the leader %s, the last of %d kills", last.Format(time.TimeOnly), pod, kills)
	report(t, loads)
	took := e.waitConverged(t, last, last.Add(e.o.afterKill))
	e.expectNoDoubledEvents(t)
	t.Logf("leader loss: %d kills in %s; every Service and Task converged %.1fs after the last", kills, e.o.churn, took.Seconds())
}

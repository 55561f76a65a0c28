package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

const (
	scaleName      = "scale"
	plainNamespace = "bench-plain"
)

// scaleResult is one Service scaling out from 0 to -scale-tasks against a plain Deployment of
// the same pod spec doing the same.
type scaleResult struct {
	Tasks int `json:"tasks"`
	// OperatorSeconds is until every task Pod of the Service was Running and Ready;
	// ServiceReadySeconds until the Service's status said so too (runningCount, Ready).
	OperatorSeconds     number `json:"operatorSeconds"`
	ServiceReadySeconds number `json:"serviceReadySeconds"`
	PlainSeconds        number `json:"plainSeconds"`
}

// runScaleOut scales the plain Deployment first (in a namespace without tenant, webhooks or
// operator), removes its Pods, then scales the Service in its tenant's namespace, where its
// Pods also pass the operator's Pod webhooks and Pod Security admission.
func runScaleOut(ctx context.Context, e *env, template *appsv1.Deployment) (scaleResult, error) {
	o, c := e.opts, e.cluster.Client
	res := scaleResult{Tasks: o.scaleTasks, OperatorSeconds: nan(), ServiceReadySeconds: nan(), PlainSeconds: nan()}
	tasks := int32(o.scaleTasks)
	timeout := max(5*time.Minute, time.Duration(o.scaleTasks)*time.Second)

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: plainNamespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return res, fmt.Errorf("creating namespace %s: %w", plainNamespace, err)
	}
	if err := waitDefaultServiceAccount(ctx, c, plainNamespace); err != nil {
		return res, err
	}
	plain := plainDeployment(template, plainNamespace, scaleName, 0, false)
	if err := c.Create(ctx, plain); err != nil {
		return res, fmt.Errorf("creating the plain Deployment: %w", err)
	}
	logf("scale-out: plain Deployment 0 -> %d", tasks)
	took, err := scaleAndWait(ctx, e, plainNamespace, labels.Set{labelApp: scaleName}, int(tasks), timeout, func() error {
		return c.Patch(ctx, plain, client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, tasks)))
	}, nil)
	if err != nil {
		return res, fmt.Errorf("scaling the plain Deployment: %w", err)
	}
	res.PlainSeconds = number(took.Seconds())
	logf("scale-out: plain Deployment Running and Ready in %.1fs", took.Seconds())
	if err := c.Delete(ctx, plain); err != nil {
		return res, fmt.Errorf("deleting the plain Deployment: %w", err)
	}
	if err := waitNoPods(ctx, c, plainNamespace, labels.Set{labelApp: scaleName}); err != nil {
		return res, err
	}

	tenantNS := tenantName(0)
	if err := createService(ctx, c, tenantNS, scaleName, 0); err != nil {
		return res, err
	}
	if _, err := waitService(ctx, c, tenantNS, scaleName, 0); err != nil {
		return res, err
	}
	logf("scale-out: Service 0 -> %d", tasks)
	svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: tenantNS, Name: scaleName}}
	var serviceReady time.Duration
	took, err = scaleAndWait(ctx, e, tenantNS, labels.Set{ecsv1.LabelService: scaleName}, int(tasks), timeout, func() error {
		return c.Patch(ctx, svc, client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"desiredCount":%d}}`, tasks)))
	}, func(start time.Time) error {
		// The Service's own view: its status counts every task running and steady.
		return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			got := &ecsv1.Service{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(svc), got); err != nil {
				return false, err
			}
			if got.Status.RunningCount == tasks && serviceConverged(got) && got.Status.ObservedGeneration == got.Generation {
				serviceReady = time.Since(start)
				return true, nil
			}
			return false, nil
		})
	})
	if err != nil {
		return res, fmt.Errorf("scaling the Service: %w", err)
	}
	res.OperatorSeconds, res.ServiceReadySeconds = number(took.Seconds()), number(serviceReady.Seconds())
	logf("scale-out: Service's tasks Running and Ready in %.1fs, its status Ready at %.1fs", took.Seconds(), serviceReady.Seconds())
	return res, nil
}

// scaleAndWait watches the Pods selected in namespace, calls scale, and returns how long it
// took until want Pods were Running and Ready. also, when set, runs alongside and must finish
// too.
func scaleAndWait(ctx context.Context, e *env, namespace string, selector labels.Set, want int, timeout time.Duration,
	scale func() error, also func(start time.Time) error) (time.Duration, error) {
	conv := newConvergence(want)
	w, err := watch(ctx, e.cluster.Config, e.cluster.Client.Scheme(), cache.Options{
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		ByObject:          map[client.Object]cache.ByObject{&corev1.Pod{}: {Label: labels.SelectorFromSet(selector)}},
	}, func(obj client.Object) {
		p, ok := obj.(*corev1.Pod)
		if ok && podRunningAndReady(p) {
			conv.mark(p.Name)
		}
	}, &corev1.Pod{})
	if err != nil {
		return 0, err
	}
	defer w.stop()
	conv.begin()
	start := time.Now()
	if err := scale(); err != nil {
		return 0, err
	}
	alsoErr := make(chan error, 1)
	if also != nil {
		go func() { alsoErr <- also(start) }()
	} else {
		alsoErr <- nil
	}
	if !conv.wait(ctx, timeout) {
		return 0, fmt.Errorf("only %d of %d Pods Running and Ready after %s: %s", len(conv.times()), want, timeout,
			podSummary(ctx, e.cluster.Client, namespace, selector))
	}
	took := conv.times()[want-1]
	if err := <-alsoErr; err != nil {
		return took, err
	}
	return took, nil
}

func podRunningAndReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitNoPods waits until the selected Pods of namespace are gone.
func waitNoPods(ctx context.Context, c client.Client, namespace string, selector labels.Set) error {
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels(selector)); err != nil {
			return false, err
		}
		return len(pods.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the Pods of %s to go: %w", namespace, err)
	}
	return nil
}

// podSummary describes the selected Pods of namespace, for an error: how many there are in
// each phase, and why the first one that is not ready is not.
func podSummary(ctx context.Context, c client.Client, namespace string, selector labels.Set) string {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels(selector)); err != nil {
		return "listing them: " + err.Error()
	}
	phases := map[corev1.PodPhase]int{}
	why := ""
	for i := range pods.Items {
		p := &pods.Items[i]
		phases[p.Status.Phase]++
		if why == "" && !podRunningAndReady(p) {
			why = fmt.Sprintf("%s on node %q: %+v", p.Name, p.Spec.NodeName, p.Status.Conditions)
		}
	}
	return fmt.Sprintf("%d Pods by phase %v; %s", len(pods.Items), phases, why)
}

// waitDefaultServiceAccount waits until kube-controller-manager has made a new namespace's
// default ServiceAccount, without which its Pods are refused and the ReplicaSet controller
// backs off: that would be timed as the plain Deployment's slowness.
func waitDefaultServiceAccount(ctx context.Context, c client.Client, namespace string) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		return fmt.Errorf("waiting for the default ServiceAccount of %s: %w", namespace, err)
	}
	return nil
}

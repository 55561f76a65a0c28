package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func (n *ProcessNodes) probe(ctx context.Context, p *processPod) bool {
	if p.probeURL == "" {
		return true
	}
	if p.probe != nil && time.Since(p.started.Time) < time.Duration(p.probe.InitialDelaySeconds)*time.Second {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.probeURL, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

// report writes the Pod's status as a kubelet does, only when it changed.
func (n *ProcessNodes) report(ctx context.Context, pod *corev1.Pod, p *processPod) error {
	container := pod.Spec.Containers[0]
	status := corev1.ContainerStatus{
		Name: container.Name, Image: container.Image, ImageID: container.Image, RestartCount: p.restarts,
		Ready: p.ready, Started: ptr.To(!p.exited),
	}
	phase := corev1.PodRunning
	if p.exited {
		status.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: int32(p.exitCode), StartedAt: p.started, FinishedAt: metav1.Now()}
		phase = corev1.PodSucceeded
		if p.exitCode != 0 {
			phase = corev1.PodFailed
		}
		status.State.Terminated.Reason = map[bool]string{true: "Completed", false: "Error"}[p.exitCode == 0]
	} else {
		status.State.Running = &corev1.ContainerStateRunning{StartedAt: p.started}
	}
	summary := fmt.Sprintf("%s/%t/%d/%d", phase, p.ready, p.restarts, p.exitCode)
	if summary == p.reported && pod.Status.PodIP == n.o.HostIP {
		return nil
	}
	now := metav1.Now()
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
	}
	pod.Status.Phase = phase
	pod.Status.HostIP, pod.Status.PodIP = n.o.HostIP, n.o.HostIP
	pod.Status.HostIPs, pod.Status.PodIPs = []corev1.HostIP{{IP: n.o.HostIP}}, []corev1.PodIP{{IP: n.o.HostIP}}
	if pod.Status.StartTime == nil {
		pod.Status.StartTime = &now
	}
	pod.Status.Conditions = []corev1.PodCondition{
		cond(corev1.PodScheduled, true), cond(corev1.PodInitialized, true),
		cond(corev1.ContainersReady, p.ready), cond(corev1.PodReady, p.ready),
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{status}
	if err := n.c.Status().Update(ctx, pod); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil // the next sync writes it again
		}
		return fmt.Errorf("writing the status: %w", err)
	}
	p.reported = summary
	return nil
}

// reportFailed fails a Pod whose container cannot start, with the reason, as a kubelet does.
func (n *ProcessNodes) reportFailed(ctx context.Context, pod *corev1.Pod, cause error) error {
	pod.Status.Phase = corev1.PodFailed
	pod.Status.Reason, pod.Status.Message = "ProcessNodes", cause.Error()
	if err := n.c.Status().Update(ctx, pod); err != nil && !apierrors.IsConflict(err) {
		return errors.Join(cause, err)
	}
	return cause
}

// WaitPodsReady waits until the Pods matching the labels in namespace are n and all Ready.
func WaitPodsReady(ctx context.Context, c client.Client, namespace string, labels map[string]string, count int, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabels(labels)); err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods.Items {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
					ready++
				}
			}
		}
		last = fmt.Sprintf("%d of %d Pods Ready", ready, len(pods.Items))
		return ready == count && len(pods.Items) == count, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d Ready Pods in %s (%s): %w", count, namespace, last, err)
	}
	return nil
}

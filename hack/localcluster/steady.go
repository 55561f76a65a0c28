package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// watchSteadyState shows the ECS objects each time they change, like `kubectl get ecs -A -w`
// would, until every Cluster is ACTIVE and every Service has reached a steady state, or until
// timeout or ctx ends. It only reports; what does not converge stays visible in the last view.
func watchSteadyState(ctx context.Context, out io.Writer, c client.Reader, timeout time.Duration) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		view, steady, err := ecsView(ctx, c)
		switch {
		case err != nil:
			log.Error(err, "reading the ECS objects")
		case view != last:
			_, _ = fmt.Fprintf(out, "\n--- %5.1fs ---\n%s", time.Since(start).Seconds(), view)
			last = view
		}
		if steady {
			_, _ = fmt.Fprintf(out, "\nEvery Cluster is ACTIVE and every Service has reached a steady state (%.1fs).\n", time.Since(start).Seconds())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			_, _ = fmt.Fprintf(out, "\nNot everything reached a steady state within %s; the view above is the latest.\n", timeout)
			return
		case <-tick.C:
		}
	}
}

// ecsView renders the Clusters, Services and Tasks, and says whether all are settled.
func ecsView(ctx context.Context, c client.Reader) (string, bool, error) {
	var clusters ecsv1.ClusterList
	if err := c.List(ctx, &clusters); err != nil {
		return "", false, err
	}
	var services ecsv1.ServiceList
	if err := c.List(ctx, &services); err != nil {
		return "", false, err
	}
	var tasks ecsv1.TaskList
	if err := c.List(ctx, &tasks); err != nil {
		return "", false, err
	}
	steady := len(clusters.Items) > 0
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "CLUSTER\tTENANT\tSTATUS\tSERVICES\tRUNNING TASKS")
	for _, cl := range clusters.Items {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", cl.Name, cl.Spec.Tenant, orDash(string(cl.Status.Status)),
			cl.Status.ActiveServicesCount, cl.Status.RunningTasksCount)
		steady = steady && cl.Status.Status == ecsv1.ClusterActive
	}
	if len(services.Items) > 0 {
		_, _ = fmt.Fprintln(tw, "\nSERVICE\tTASK DEFINITION\tDESIRED\tRUNNING\tPENDING\tROLLOUT\tLAST EVENT")
	}
	for _, s := range services.Items {
		rollout := "-"
		if len(s.Status.Deployments) > 0 {
			rollout = string(s.Status.Deployments[0].RolloutState)
		}
		event := "-"
		if len(s.Status.Events) > 0 {
			event = s.Status.Events[0].Message
		}
		_, _ = fmt.Fprintf(tw, "%s/%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Namespace, s.Name, orDash(s.Status.TaskDefinition),
			s.Status.DesiredCount, s.Status.RunningCount, s.Status.PendingCount, orDash(rollout), event)
		steady = steady && meta.IsStatusConditionTrue(s.Status.Conditions, "Ready")
	}
	if len(tasks.Items) > 0 {
		_, _ = fmt.Fprintln(tw, "\nTASK\tTASK DEFINITION\tLAST STATUS\tSTOP CODE")
	}
	for _, t := range tasks.Items {
		_, _ = fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\n", t.Namespace, t.Name, orDash(string(t.Spec.TaskDefinition)),
			orDash(string(t.Status.LastStatus)), orDash(string(t.Status.StopCode)))
		steady = steady && (t.Status.LastStatus == ecsv1.TaskRunning || t.Status.LastStatus == ecsv1.TaskStopped)
	}
	_ = tw.Flush() // writes to b, cannot fail
	return b.String(), steady, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

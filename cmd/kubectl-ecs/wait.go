package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newWaitCommand(s streams, k *kubeFlags) *cobra.Command {
	wait := &cobra.Command{Use: "wait", Short: "Wait for services or tasks, as aws ecs wait does"}
	a := &awsFlags{}
	var names []string
	var timeout, interval time.Duration
	stable := &cobra.Command{
		Use:   "services-stable --services NAME... [--cluster C]",
		Short: "Wait until every service has one deployment and runs its desired count",
		Long: `services-stable polls until, for every service, there is exactly one deployment and runningCount
equals desiredCount, as the AWS waiter does; it fails at once when a service is missing or
INACTIVE, and after --timeout. A progress line shows each service's state while it waits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.resolve(cmd.Context(), k)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			last := ""
			for attempt := 1; ; attempt++ {
				doc, err := t.DescribeServices(ctx, names)
				if err != nil {
					return err
				}
				if failures := doc["failures"].([]any); len(failures) > 0 {
					return awsError("Waiter ServicesStable failed: %s is MISSING", failures[0].(map[string]any)["arn"])
				}
				stable, progress := servicesStable(doc["services"].([]any))
				if progress != last {
					_, _ = fmt.Fprintf(s.err, "waiting for services to be stable (attempt %d): %s\n", attempt, progress)
					last = progress
				}
				switch stable {
				case stateStable:
					return nil
				case stateFailed:
					return awsError("Waiter ServicesStable failed: %s", progress)
				}
				select {
				case <-ctx.Done():
					return awsError("Waiter ServicesStable failed: Max attempts exceeded (%s): %s", timeout, progress)
				case <-time.After(interval):
				}
			}
		},
	}
	a.bind(stable, true)
	stable.Flags().StringSliceVar(&names, "services", nil, "Service names or ARNs.")
	stable.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "Give up after this long (the AWS waiter: 40 attempts, 15 s apart).")
	stable.Flags().DurationVar(&interval, "interval", 2*time.Second, "How often to look.")
	_ = stable.MarkFlagRequired("services")
	wait.AddCommand(stable)
	return wait
}

type waitState int

const (
	stateWaiting waitState = iota
	stateStable
	stateFailed
)

// servicesStable is the AWS waiter's ServicesStable rule over describe-services output, and a
// one-line summary of where each service stands.
func servicesStable(services []any) (waitState, string) {
	state := stateStable
	var parts []string
	for _, item := range services {
		m := item.(map[string]any)
		deployments := m["deployments"].([]any)
		running, desired := fmt.Sprint(m["runningCount"]), fmt.Sprint(m["desiredCount"])
		parts = append(parts, fmt.Sprintf("%s %s/%s running, %d deployment(s)", m["serviceName"], running, desired, len(deployments)))
		switch {
		case m["status"] == "INACTIVE" || m["status"] == "DRAINING":
			return stateFailed, fmt.Sprintf("%s is %s", m["serviceName"], m["status"])
		case len(deployments) != 1 || running != desired:
			state = stateWaiting
		}
	}
	return state, strings.Join(parts, "; ")
}

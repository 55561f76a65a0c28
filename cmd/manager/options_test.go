package main

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseOptions_FlagsUsersExpect(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     string
		check   func(*options) bool
		wantErr string
	}{
		{name: "defaults serve metrics on :8080 and probes on :8081 with webhooks on",
			check: func(o *options) bool {
				return o.metricsAddr == ":8080" && o.probeAddr == ":8081" && !o.leaderElect && o.enableWebhooks && o.webhookPort == 9443 && o.maxConcurrentReconciles == 16
			}},
		{name: "the controller-runtime flags are honoured",
			args: []string{"--metrics-bind-address=0", "--health-probe-bind-address=:9000", "--leader-elect", "--metrics-secure", "--zap-log-level=debug"},
			check: func(o *options) bool {
				return o.metricsAddr == "0" && o.probeAddr == ":9000" && o.leaderElect && o.secureMetrics
			}},
		{name: "certificates are rotated in-process unless cert-manager provides them",
			check: func(o *options) bool { return o.certs.rotate && o.certs.namespace() == "ecs-operator-system" }},
		{name: "--cert-rotation=false uses a mounted certificate", args: []string{"--cert-rotation=false", "--webhook-service-namespace=ops"},
			check: func(o *options) bool { return !o.certs.rotate && o.certs.namespace() == "ops" }},
		{name: "a loopback webhook server names localhost in its certificate", args: []string{"--webhook-host=127.0.0.1", "--webhook-cert-extra-dns-names=localhost, webhook.example.com"},
			check: func(o *options) bool {
				return o.webhookHost == "127.0.0.1" && strings.Join(o.certs.extraDNSNames, ",") == "localhost,webhook.example.com"
			}},
		{name: "an extra certificate name that is no DNS name is an error", args: []string{"--webhook-cert-extra-dns-names=not a name"}, wantErr: `"not a name" is not a DNS name`},
		{name: "ENABLE_WEBHOOKS=false turns the webhook server off", env: "false",
			check: func(o *options) bool { return !o.enableWebhooks }},
		{name: "ENABLE_WEBHOOKS that is no boolean is an error", env: "maybe", wantErr: `ENABLE_WEBHOOKS="maybe" is not a boolean`},
		{name: "a webhook port out of range is an error", args: []string{"--webhook-port=70000"}, wantErr: "--webhook-port 70000 is not a TCP port"},
		{name: "no workers is an error", args: []string{"--max-concurrent-reconciles=0"}, wantErr: "--max-concurrent-reconciles 0 must be at least 1"},
		{name: "Cluster counts are written every 5 s unless told otherwise", args: []string{"--cluster-count-interval=30s", "--pprof-bind-address=127.0.0.1:6060"},
			check: func(o *options) bool {
				return o.clusterCountInterval == 30*time.Second && o.pprofAddr == "127.0.0.1:6060"
			}},
		{name: "a Cluster count interval below 100ms is an error", args: []string{"--cluster-count-interval=1ms"}, wantErr: "--cluster-count-interval 1ms must be at least 100ms"},
		{name: "a Service task waits 20 s for a container that cannot start unless told otherwise", args: nil,
			check: func(o *options) bool { return o.taskStartTimeout == 20*time.Second }},
		{name: "the task start timeout is a flag", args: []string{"--task-start-timeout=2m"},
			check: func(o *options) bool { return o.taskStartTimeout == 2*time.Minute }},
		{name: "a task start timeout under a second is an error", args: []string{"--task-start-timeout=10ms"}, wantErr: "--task-start-timeout 10ms must be at least 1s"},
		{name: "an Alertmanager is polled every 15 s by default", args: []string{"--alertmanager-url=http://alertmanager.monitoring:9093"},
			check: func(o *options) bool {
				return o.alertmanagerURL == "http://alertmanager.monitoring:9093" && o.alarmPollInterval == 15*time.Second
			}},
		{name: "an Alertmanager URL that is no http URL is an error", args: []string{"--alertmanager-url=ftp://am"}, wantErr: "--alertmanager-url"},
		{name: "tasks without a health check count after ECS's 40 s by default", args: nil,
			check: func(o *options) bool { return o.uncheckedTaskWait == 40*time.Second }},
		{name: "an unchecked task wait in fractions of a second is an error", args: []string{"--unchecked-task-wait=1500ms"}, wantErr: "--unchecked-task-wait 1.5s must be whole seconds"},
		{name: "bake times count in minutes unless told otherwise", args: nil,
			check: func(o *options) bool { return o.bakeTimeUnit == time.Minute }},
		{name: "the bake time unit is a flag", args: []string{"--bake-time-unit=1s"},
			check: func(o *options) bool { return o.bakeTimeUnit == time.Second }},
		{name: "a bake time unit under 100ms is an error", args: []string{"--bake-time-unit=1ms"}, wantErr: "--bake-time-unit 1ms must be at least 100ms"},
		{name: "the leader election is timed like controller-runtime's unless told otherwise", args: nil,
			check: func(o *options) bool {
				return o.leaseDuration == 15*time.Second && o.renewDeadline == 10*time.Second && o.retryPeriod == 2*time.Second
			}},
		{name: "leader election timings are flags", args: []string{"--leader-elect-lease-duration=30s", "--leader-elect-renew-deadline=20s", "--leader-elect-retry-period=5s"},
			check: func(o *options) bool {
				return o.leaseDuration == 30*time.Second && o.renewDeadline == 20*time.Second && o.retryPeriod == 5*time.Second
			}},
		{name: "a renew deadline beyond the lease is an error", args: []string{"--leader-elect-renew-deadline=20s"}, wantErr: "leader election timings must satisfy"},
		{name: "stray arguments are an error", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ENABLE_WEBHOOKS", tc.env)
			fs := flag.NewFlagSet("manager", flag.ContinueOnError)
			fs.String("kubeconfig", "", "")
			opts, err := parseOptions(fs, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(opts) {
				t.Fatalf("options %+v", opts)
			}
		})
	}
}

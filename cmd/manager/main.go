// Command manager is the ecs-operator: it runs the reconcilers that bring the Amazon ECS model
// (CellGroups, Clusters, TaskDefinitions, Services and Tasks) to Kubernetes.
//
// Flags are listed by --help. The environment variable ENABLE_WEBHOOKS=false runs the manager
// without its webhook server, for running it outside the cluster where no serving certificate
// is mounted.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers"
	"github.com/ecs-operator/ecs-operator/controllers/service"
	"github.com/ecs-operator/ecs-operator/internal/alarms"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// leaderElectionID names the Lease the replicas of the manager elect their leader with.
const leaderElectionID = "ecs-operator.ecs.operator.dev"

var setupLog = ctrl.Log.WithName("setup")

// options are the command line flags and environment of the manager.
type options struct {
	metricsAddr   string
	secureMetrics bool
	probeAddr     string
	leaderElect   bool
	// leaseDuration, renewDeadline and retryPeriod time the leader election.
	leaseDuration, renewDeadline, retryPeriod time.Duration
	// outageTolerance is how long the leader keeps leading while the API server does not answer.
	outageTolerance time.Duration
	webhookCertDir  string
	webhookPort     int
	webhookHost     string
	// maxConcurrentReconciles is how many objects of one kind are reconciled at once.
	maxConcurrentReconciles int
	// clusterCountInterval is how often at most a Cluster's counts are written.
	clusterCountInterval time.Duration
	// taskStartTimeout is how long a Service task may wait for a container that cannot start.
	taskStartTimeout time.Duration
	// uncheckedTaskWait is how long a task without an essential health check runs before it counts.
	uncheckedTaskWait time.Duration
	// bakeTimeUnit is how long a minute of the deployment strategies' bake times lasts.
	bakeTimeUnit time.Duration
	// alertmanagerURL and alarmPollInterval: where deployment alarms are read, how often.
	alertmanagerURL   string
	alarmPollInterval time.Duration
	// pprofAddr serves net/http/pprof when set.
	pprofAddr   string
	enableHTTP2 bool
	// enableWebhooks is false when ENABLE_WEBHOOKS=false.
	enableWebhooks bool
	certs          certOptions
	zap            zap.Options
	ecsAPI         ecsAPIOptions
	// deleteWebhooks removes the webhook configurations and exits (the chart's pre-delete hook).
	deleteWebhooks bool
}

func main() {
	opts, err := parseOptions(flag.CommandLine, os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "ecs-operator: %v\n", err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts.zap)))
	if err := run(opts); err != nil {
		setupLog.Error(err, "manager failed")
		os.Exit(1)
	}
}

// parseOptions binds the flags to fs (which already holds controller-runtime's --kubeconfig),
// parses args and reads ENABLE_WEBHOOKS.
func parseOptions(fs *flag.FlagSet, args []string) (*options, error) {
	opts := &options{zap: zap.Options{Development: false}}
	fs.StringVar(&opts.metricsAddr, "metrics-bind-address", ":8080",
		`Address the metrics endpoint binds to, for example ":8080"; "0" disables it.`)
	fs.BoolVar(&opts.secureMetrics, "metrics-secure", false,
		"Serve the metrics endpoint over HTTPS and allow only clients that the API server "+
			"authenticates and authorizes (TokenReview and SubjectAccessReview).")
	fs.StringVar(&opts.probeAddr, "health-probe-bind-address", ":8081",
		"Address the /healthz and /readyz probe endpoints bind to.")
	fs.BoolVar(&opts.leaderElect, "leader-elect", false,
		"Elect a leader so that only one replica of the manager reconciles at a time.")
	fs.DurationVar(&opts.leaseDuration, "leader-elect-lease-duration", 15*time.Second,
		"How long a non-leader replica waits before it may take a Lease its leader stopped renewing.")
	fs.DurationVar(&opts.renewDeadline, "leader-elect-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew its Lease before it gives leadership up.")
	fs.DurationVar(&opts.retryPeriod, "leader-elect-retry-period", 2*time.Second,
		"How often replicas try to acquire or renew the Lease.")
	fs.DurationVar(&opts.outageTolerance, "leader-elect-outage-tolerance", time.Minute,
		"How long after the API server's last answer the leader keeps leading while the API server does not answer "+
			"(nobody can take the Lease then); the manager's requests wait until the Lease confirms it. 0 gives "+
			"leadership up after the renew deadline, and the process exits.")
	fs.BoolVar(&opts.deleteWebhooks, "delete-webhook-configurations", false,
		"Delete the operator's webhook configurations (gone ones are fine) and exit, instead of running: "+
			"what an uninstall does first, so that no webhook is left pointing at a server that is gone.")
	fs.StringVar(&opts.webhookCertDir, "webhook-cert-dir", "",
		"Directory holding the webhook server's tls.crt and tls.key "+
			"(empty: controller-runtime's default, <temp dir>/k8s-webhook-server/serving-certs).")
	fs.IntVar(&opts.webhookPort, "webhook-port", webhook.DefaultPort, "Port the webhook server listens on.")
	fs.StringVar(&opts.webhookHost, "webhook-host", "",
		`Address the webhook server binds to, for example "127.0.0.1"; empty means every interface.`)
	fs.IntVar(&opts.maxConcurrentReconciles, "max-concurrent-reconciles", 16,
		"How many objects of one kind each controller reconciles at once (never the same object twice); "+
			"a reconcile that writes mostly waits on the API server, so few workers leave thousands of Services queued.")
	fs.DurationVar(&opts.clusterCountInterval, "cluster-count-interval", controllers.DefaultCountInterval,
		"How often at most each Cluster's activeServicesCount, runningTasksCount and pendingTasksCount are written.")
	fs.DurationVar(&opts.taskStartTimeout, "task-start-timeout", service.DefaultTaskStartTimeout,
		"How long a Service task may wait for a container that cannot start (an image that cannot be pulled, "+
			"a missing Secret) before it is stopped as ECS stops it (CannotPullContainerError) and replaced; "+
			"each such task counts toward the deployment circuit breaker.")
	fs.DurationVar(&opts.uncheckedTaskWait, "unchecked-task-wait", translate.UncheckedTaskWait,
		"How long a Service task whose essential containers have no health check runs before it counts toward "+
			"minimumHealthyPercent in a rollout (the Deployment's minReadySeconds); ECS waits 40s.")
	fs.DurationVar(&opts.bakeTimeUnit, "bake-time-unit", time.Minute,
		"How long one minute of bakeTimeInMinutes, stepBakeTimeInMinutes and canaryBakeTimeInMinutes lasts; "+
			"a minute, as in ECS, unless a demo or a test wants BLUE_GREEN, LINEAR and CANARY deployments to bake faster.")
	fs.StringVar(&opts.alertmanagerURL, "alertmanager-url", "",
		"Base URL of an Alertmanager-compatible API (v2) whose active alerts are deployment alarms: an alert whose "+
			"alertname is one of a Service's deploymentConfiguration.alarms.alarmNames, with no namespace label or the "+
			"Service's, fails its deployment. Empty: only the Service annotation ecs.operator.dev/alarms-in-alarm says.")
	fs.DurationVar(&opts.alarmPollInterval, "alarm-poll-interval", 15*time.Second, "How often the Alertmanager is asked for active alerts.")
	fs.StringVar(&opts.pprofAddr, "pprof-bind-address", "",
		`Address to serve net/http/pprof on, for example "127.0.0.1:6060"; empty (the default) serves nothing.`)
	fs.BoolVar(&opts.enableHTTP2, "enable-http2", false,
		"Serve HTTP/2 on the metrics and webhook servers; off by default because of the HTTP/2 "+
			"Stream Cancellation and Rapid Reset vulnerabilities (CVE-2023-44487, CVE-2023-39325).")
	opts.certs.bindFlags(fs)
	opts.ecsAPI.bindFlags(fs)
	opts.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if opts.maxConcurrentReconciles < 1 {
		return nil, fmt.Errorf("--max-concurrent-reconciles %d must be at least 1", opts.maxConcurrentReconciles)
	}
	if opts.clusterCountInterval < 100*time.Millisecond {
		return nil, fmt.Errorf("--cluster-count-interval %s must be at least 100ms", opts.clusterCountInterval)
	}
	if opts.taskStartTimeout < time.Second {
		return nil, fmt.Errorf("--task-start-timeout %s must be at least 1s", opts.taskStartTimeout)
	}
	if opts.uncheckedTaskWait < 0 || opts.uncheckedTaskWait%time.Second != 0 {
		return nil, fmt.Errorf("--unchecked-task-wait %s must be whole seconds, 0 or more", opts.uncheckedTaskWait)
	}
	if opts.retryPeriod <= 0 || opts.renewDeadline <= opts.retryPeriod || opts.leaseDuration <= opts.renewDeadline {
		return nil, fmt.Errorf("leader election timings must satisfy 0 < --leader-elect-retry-period (%s) < --leader-elect-renew-deadline (%s) < --leader-elect-lease-duration (%s)",
			opts.retryPeriod, opts.renewDeadline, opts.leaseDuration)
	}
	if opts.outageTolerance < 0 {
		return nil, fmt.Errorf("--leader-elect-outage-tolerance %s must be 0 or more", opts.outageTolerance)
	}
	if opts.bakeTimeUnit < 100*time.Millisecond {
		return nil, fmt.Errorf("--bake-time-unit %s must be at least 100ms", opts.bakeTimeUnit)
	}
	if opts.alarmPollInterval < time.Second {
		return nil, fmt.Errorf("--alarm-poll-interval %s must be at least 1s", opts.alarmPollInterval)
	}
	if opts.alertmanagerURL != "" {
		if _, err := alarms.NewClient(opts.alertmanagerURL, nil); err != nil {
			return nil, fmt.Errorf("--alertmanager-url: %w", err)
		}
	}
	if opts.webhookPort < 1 || opts.webhookPort > 65535 {
		return nil, fmt.Errorf("--webhook-port %d is not a TCP port", opts.webhookPort)
	}
	opts.enableWebhooks = true
	if v, ok := os.LookupEnv("ENABLE_WEBHOOKS"); ok && v != "" {
		enabled, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("ENABLE_WEBHOOKS=%q is not a boolean", v)
		}
		opts.enableWebhooks = enabled
	}
	return opts, nil
}

// newScheme holds the Kubernetes built-in kinds and the ECS kinds.
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(ecsv1.AddToScheme(s))
	return s
}

// run builds the manager, registers the reconcilers, webhooks and probes, and runs until
// SIGINT or SIGTERM.
func run(opts *options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	if opts.deleteWebhooks {
		return deleteWebhookConfigurations(ctrl.SetupSignalHandler(), cfg)
	}

	tlsOpts := serverTLSOptions(opts.enableHTTP2)

	metricsOpts := metricsserver.Options{
		BindAddress:   opts.metricsAddr,
		SecureServing: opts.secureMetrics,
		TLSOpts:       tlsOpts,
	}
	if opts.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	mgrOpts := ctrl.Options{
		Scheme:                 newScheme(),
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsOpts,
		HealthProbeBindAddress: opts.probeAddr,
		LeaderElection:         opts.leaderElect,
		// The Lease: newLeaderLock, below.
		LeaseDuration: &opts.leaseDuration,
		RenewDeadline: &opts.renewDeadline,
		RetryPeriod:   &opts.retryPeriod,
		// The process exits as soon as the manager stops, so the leader may hand the Lease over
		// at once instead of making the next leader wait for it to expire.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    ctrlconfig.Controller{MaxConcurrentReconciles: opts.maxConcurrentReconciles},
		PprofBindAddress:              opts.pprofAddr,
	}
	certDir := opts.webhookCertDir
	if certDir == "" {
		certDir = defaultCertDir
	}
	var webhookServer webhook.Server
	if opts.enableWebhooks {
		// The server is given to the manager but only runs once a webhook registers on it,
		// which serveWebhooks does when the certificate exists.
		webhookServer = webhook.NewServer(webhook.Options{Host: opts.webhookHost, Port: opts.webhookPort, CertDir: certDir, TLSOpts: tlsOpts})
		mgrOpts.WebhookServer = webhookServer
	}

	if opts.leaderElect {
		lock, err := newLeaderLock(cfg, opts)
		if err != nil {
			return fmt.Errorf("creating the leader election lock: %w", err)
		}
		mgrOpts.LeaderElectionResourceLockInterface = lock
		cfg = rest.CopyConfig(cfg)
		cfg.Wrap(lock.Gate)
	}

	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	ctx := ctrl.SetupSignalHandler()
	if err := setupControllers(ctx, mgr, controllers.Options{
		ClusterCountInterval: opts.clusterCountInterval, TaskStartTimeout: opts.taskStartTimeout,
		AlertmanagerURL: opts.alertmanagerURL, AlarmPollInterval: opts.alarmPollInterval,
		UncheckedTaskWait: &opts.uncheckedTaskWait, BakeTimeUnit: opts.bakeTimeUnit}); err != nil {
		return err
	}
	if opts.enableWebhooks {
		if err := serveWebhooks(ctx, mgr, webhookServer, certDir, opts.certs); err != nil {
			return err
		}
	} else {
		setupLog.Info("webhooks are disabled (ENABLE_WEBHOOKS=false)")
	}
	if opts.ecsAPI.bindAddress != "" {
		if err := serveECSAPI(mgr, opts.ecsAPI, certDir, opts.certs.namespace(), tlsOpts); err != nil {
			return err
		}
	}
	if err := setupProbes(mgr); err != nil {
		return err
	}

	setupLog.Info("starting manager", "metricsBindAddress", opts.metricsAddr, "metricsSecure", opts.secureMetrics,
		"healthProbeBindAddress", opts.probeAddr, "leaderElection", opts.leaderElect, "webhooks", opts.enableWebhooks)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	setupLog.Info("manager stopped")
	return nil
}

// setupProbes serves /healthz and /readyz (serveWebhooks adds the webhook server's readiness,
// so that no replica is sent admission requests it cannot serve yet).
func setupProbes(mgr ctrl.Manager) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the ready check: %w", err)
	}
	return nil
}

// defaultCertDir is controller-runtime's default webhook certificate directory.
var defaultCertDir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")

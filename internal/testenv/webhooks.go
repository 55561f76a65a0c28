package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// WebhookServer is a manager serving webhooks where the Env's webhook configurations point.
type WebhookServer struct {
	Manager ctrl.Manager
	// Stop stops the manager and so the webhook server.
	Stop context.CancelFunc
	addr string
}

// ServeWebhooks runs a manager whose webhook server listens where StartWithWebhooks pointed
// the installed configurations, registers webhooks with setup, and waits until the server
// answers. customize may change the manager's options (its cache, say) before it is made.
func (e *Env) ServeWebhooks(setup func(context.Context, ctrl.Manager) error, customize ...func(*ctrl.Options)) (*WebhookServer, error) {
	install := e.Environment.WebhookInstallOptions
	opts := ctrl.Options{
		Scheme:                 e.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: install.LocalServingHost, Port: install.LocalServingPort, CertDir: install.LocalServingCertDir,
		}),
	}
	for _, c := range customize {
		c(&opts)
	}
	mgr, err := ctrl.NewManager(e.Config, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := setup(ctx, mgr); err != nil {
		cancel()
		return nil, err
	}
	go func() { _ = mgr.Start(ctx) }()
	s := &WebhookServer{Manager: mgr, Stop: cancel, addr: net.JoinHostPort(install.LocalServingHost, strconv.Itoa(install.LocalServingPort))}
	for deadline := time.Now().Add(20 * time.Second); !s.Serving(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			return nil, errors.New("the webhook server did not start within 20s")
		}
	}
	return s, nil
}

// Serving reports whether the webhook server answers TLS.
func (s *WebhookServer) Serving() bool {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", s.addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // probing a local test server
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// AsUser is a client acting as another user (impersonation), with the given groups: webhook
// tests send their objects as a tenant's user rather than as the admin that runs the test.
func (e *Env) AsUser(name string, groups ...string) (client.Client, error) {
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: groups}
	return client.New(cfg, client.Options{Scheme: e.Scheme})
}

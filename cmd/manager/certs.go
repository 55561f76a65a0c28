package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// The webhook configurations whose CA bundle the rotator injects; config/default's namePrefix
// "ecs-operator-" makes these names from config/webhook's.
var webhookConfigurations = []rotator.WebhookInfo{
	{Name: "ecs-operator-validating-webhook-configuration", Type: rotator.Validating},
	{Name: "ecs-operator-mutating-webhook-configuration", Type: rotator.Mutating},
	{Name: "ecs-operator-pod-validating-webhook-configuration", Type: rotator.Validating},
	{Name: "ecs-operator-pod-mutating-webhook-configuration", Type: rotator.Mutating},
	{Name: "ecs-operator-namespace-validating-webhook-configuration", Type: rotator.Validating},
}

// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations;mutatingwebhookconfigurations,verbs=get;list;watch;update;patch

// certOptions say where the webhook server's certificate comes from.
type certOptions struct {
	// rotate makes and rotates the certificate in-process (cert-controller) and injects its CA
	// into the webhook configurations; false means cert-manager (or anyone) mounts it in the
	// certificate directory and injects the CA.
	rotate           bool
	secretName       string
	serviceName      string
	serviceNamespace string
	// extraDNSNames are further names the certificate is valid for, such as "localhost" for a
	// webhook server that the API server reaches on loopback (make run).
	extraDNSNames []string
}

func (c *certOptions) bindFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.rotate, "cert-rotation", true,
		"Make and rotate the webhook server's certificate in-process and inject its CA into the webhook configurations. "+
			"Set to false to use a certificate that cert-manager mounts in --webhook-cert-dir.")
	fs.StringVar(&c.secretName, "webhook-secret-name", "ecs-operator-webhook-server-cert",
		"Secret, in the manager's namespace, that holds the rotated webhook certificate.")
	fs.StringVar(&c.serviceName, "webhook-service-name", "ecs-operator-webhook-service",
		"Service in front of the webhook server, named in the certificate.")
	fs.StringVar(&c.serviceNamespace, "webhook-service-namespace", "",
		"Namespace of the manager and its webhook Service (default: $POD_NAMESPACE, else ecs-operator-system).")
	fs.Func("webhook-cert-extra-dns-names",
		`Comma-separated further DNS names the rotated certificate is valid for, such as "localhost" when the API server reaches the webhook server on loopback.`,
		func(v string) error {
			for _, name := range strings.Split(v, ",") {
				name = strings.TrimSpace(name)
				if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
					return fmt.Errorf("%q is not a DNS name: %s", name, strings.Join(errs, "; "))
				}
				c.extraDNSNames = append(c.extraDNSNames, name)
			}
			return nil
		})
}

func (c *certOptions) namespace() string {
	if c.serviceNamespace != "" {
		return c.serviceNamespace
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	return "ecs-operator-system"
}

// serveWebhooks registers the webhooks once the certificate exists, so that the webhook server
// never starts without one: with rotation it waits for the rotator, without it the certificate
// is mounted from the start. /readyz fails until the server serves.
func serveWebhooks(ctx context.Context, mgr ctrl.Manager, server webhook.Server, certDir string, c certOptions) error {
	var serving atomic.Bool
	check := func(req *http.Request) error {
		if !serving.Load() {
			return errors.New("the webhook server is waiting for its certificate")
		}
		return server.StartedChecker()(req)
	}
	if err := mgr.AddReadyzCheck("webhook", healthz.Checker(check)); err != nil {
		return fmt.Errorf("adding the webhook ready check: %w", err)
	}
	register := func() error {
		if err := setupWebhooks(ctx, mgr); err != nil {
			return err
		}
		serving.Store(true)
		return nil
	}
	if !c.rotate {
		return register()
	}
	ready := make(chan struct{})
	ns := c.namespace()
	if err := ensureSecret(ctx, mgr, types.NamespacedName{Namespace: ns, Name: c.secretName}); err != nil {
		return err
	}
	if err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: ns, Name: c.secretName},
		CertDir:        certDir,
		CAName:         "ecs-operator-ca",
		CAOrganization: "ecs-operator",
		DNSName:        fmt.Sprintf("%s.%s.svc", c.serviceName, ns),
		ExtraDNSNames:  append([]string{fmt.Sprintf("%s.%s.svc.cluster.local", c.serviceName, ns)}, c.extraDNSNames...),
		IsReady:        ready,
		Webhooks:       webhookConfigurations,
		FieldOwner:     "ecs-operator",
	}); err != nil {
		return fmt.Errorf("adding the certificate rotator: %w", err)
	}
	go syncCertFiles(ctx, mgr.GetAPIReader(), types.NamespacedName{Namespace: ns, Name: c.secretName}, certDir)
	go func() {
		select {
		case <-ready:
		case <-ctx.Done():
			return
		}
		if err := waitForCertFiles(ctx, mgr.GetAPIReader(), types.NamespacedName{Namespace: ns, Name: c.secretName}, certDir); err != nil {
			setupLog.Error(err, "waiting for the webhook certificate files")
			os.Exit(1)
		}
		setupLog.Info("webhook certificate ready; serving webhooks")
		if err := register(); err != nil {
			setupLog.Error(err, "registering the webhooks")
			os.Exit(1)
		}
	}()
	return nil
}

// ensureSecret creates the (empty) Secret the rotator fills, which it expects to exist.
func ensureSecret(ctx context.Context, mgr ctrl.Manager, key types.NamespacedName) error {
	secret := &corev1.Secret{}
	err := mgr.GetAPIReader().Get(ctx, key, secret)
	switch {
	case err == nil:
		return nil
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading the webhook certificate secret %s: %w", key, err)
	}
	secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "ecs-operator"}}}
	if err := mgr.GetClient().Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the webhook certificate secret %s: %w", key, err)
	}
	return nil
}

// syncCertFiles writes the rotated certificate from its Secret into the certificate directory.
// In a cluster the Secret is mounted there (config/manager) and the kubelet keeps it current,
// the directory is read-only, and this writes nothing; a manager run outside the cluster
// (make run) has no kubelet to do it.
func syncCertFiles(ctx context.Context, reader client.Reader, key types.NamespacedName, dir string) {
	for {
		secret := &corev1.Secret{}
		if err := reader.Get(ctx, key, secret); err == nil && len(secret.Data["tls.crt"]) > 0 && !certFilesMatch(dir, secret) {
			_ = writeCertFiles(dir, secret.Data) // a read-only mount is the kubelet's to update
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// certFilesMatch reports whether the certificate directory holds the Secret's certificate.
func certFilesMatch(dir string, secret *corev1.Secret) bool {
	b, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	return err == nil && len(b) > 0 && string(b) == string(secret.Data["tls.crt"])
}

// waitForCertFiles waits until the certificate directory holds the rotated certificate. The
// rotator is ready as soon as the directory holds any certificate, which may be an old one
// (a restart outside the cluster, a mounted Secret the kubelet has not refreshed yet); serving
// that while the configurations carry the new CA would fail every admission request.
func waitForCertFiles(ctx context.Context, reader client.Reader, key types.NamespacedName, dir string) error {
	for start := time.Now(); ; {
		secret := &corev1.Secret{}
		if err := reader.Get(ctx, key, secret); err == nil && certFilesMatch(dir, secret) {
			return nil
		}
		if time.Since(start) > 2*time.Minute {
			return fmt.Errorf("the certificate in %s is still not the one in Secret %s after %s", dir, key, time.Since(start).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func writeCertFiles(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range []string{"ca.crt", "tls.key", "tls.crt"} {
		if err := os.WriteFile(filepath.Join(dir, name), data[name], 0o600); err != nil {
			return err
		}
	}
	return nil
}

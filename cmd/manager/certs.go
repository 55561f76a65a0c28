package main

import (
	"bytes"
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

	"github.com/fsnotify/fsnotify"
	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1informers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

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
	// rotatorName names the rotator's controller; empty is cert-controller's "cert-rotator".
	// Tests start the rotator more than once in one process, and controller-runtime refuses a
	// second controller of the same name.
	rotatorName string
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

// certWaitTimeout bounds how long a starting manager waits for its certificate files and for
// its CA in the webhook configurations before it gives up and exits.
const certWaitTimeout = 2 * time.Minute

// servingPath on the webhook server answers 200 once the webhooks are served, 503 before.
const servingPath = "/serving"

// serveWebhooks registers the webhooks once the certificate exists, so that the webhook server
// never starts without one: with rotation it waits for the rotator, for the Secret's certificate
// in the certificate directory and for its CA in every installed webhook configuration; without
// rotation the certificate is mounted from the start and someone else injects the CA. /readyz
// fails until the server serves.
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
	// Registering a path now, before the manager starts the server, sets the server's defaults
	// (its mux) here rather than in Start: the webhooks registered later, from another goroutine,
	// then read a mux that was settled before that goroutine began, not one Start may be writing.
	server.Register(servingPath, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !serving.Load() {
			http.Error(w, "waiting for the webhook certificate", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
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
	key := types.NamespacedName{Namespace: c.namespace(), Name: c.secretName}
	if err := ensureSecret(ctx, mgr, key); err != nil {
		return err
	}
	if err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      key,
		CertDir:        certDir,
		CAName:         "ecs-operator-ca",
		CAOrganization: "ecs-operator",
		DNSName:        fmt.Sprintf("%s.%s.svc", c.serviceName, key.Namespace),
		ExtraDNSNames:  append([]string{fmt.Sprintf("%s.%s.svc.cluster.local", c.serviceName, key.Namespace)}, c.extraDNSNames...),
		IsReady:        ready,
		// No Webhooks: the rotator would update every configuration on every start, changed
		// or not; caInjector writes only a caBundle that differs.
		ControllerName: c.rotatorName,
	}); err != nil {
		return fmt.Errorf("adding the certificate rotator: %w", err)
	}
	clientset, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return fmt.Errorf("creating the clientset for the webhook certificate: %w", err)
	}
	secret, err := newCertSecret(clientset, key)
	if err != nil {
		return err
	}
	files, err := newCertFiles(certDir, secret)
	if err != nil {
		return err
	}
	injector, err := newCAInjector(clientset, secret, webhookConfigurations, "ecs-operator")
	if err != nil {
		return err
	}
	if err := mgr.Add(secret); err != nil {
		return fmt.Errorf("adding the webhook certificate Secret's informer: %w", err)
	}
	if err := mgr.Add(injector); err != nil {
		return fmt.Errorf("adding the CA injector: %w", err)
	}
	go func() {
		select {
		case <-ready:
		case <-ctx.Done():
			return
		}
		waitCtx, cancel := context.WithTimeout(ctx, certWaitTimeout)
		defer cancel()
		// The rotator is ready once it has checked the Secret and the directory holds any
		// certificate, which may be an old one (a restart outside the cluster, a mount the
		// kubelet has not refreshed yet); and with no Webhooks it injects nothing. Serving while
		// the files or the configurations lag behind the Secret would fail every admission
		// request.
		if err := files.wait(waitCtx); err != nil {
			if ctx.Err() != nil {
				return
			}
			setupLog.Error(err, "waiting for the webhook certificate files")
			os.Exit(1)
		}
		if err := injector.waitInjected(waitCtx); err != nil {
			if ctx.Err() != nil {
				return
			}
			setupLog.Error(err, "waiting for the CA in the webhook configurations")
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

// certSecret follows the rotated certificate's Secret with an informer limited to its name, so
// that the certificate files and the webhook configurations follow the Secret as it changes
// without the Secret being read from the API server again and again.
type certSecret struct {
	key      types.NamespacedName
	informer toolscache.SharedIndexInformer
}

func newCertSecret(clientset kubernetes.Interface, key types.NamespacedName) (*certSecret, error) {
	informer := corev1informers.NewFilteredSecretInformer(clientset, key.Namespace, 0, toolscache.Indexers{}, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", key.Name).String()
	})
	if err := informer.SetTransform(stripManagedFields); err != nil {
		return nil, fmt.Errorf("watching Secret %s: %w", key, err)
	}
	return &certSecret{key: key, informer: informer}, nil
}

// NeedLeaderElection is false: every replica serves webhooks and needs the certificate.
func (s *certSecret) NeedLeaderElection() bool { return false }

// Start runs the informer until ctx ends.
func (s *certSecret) Start(ctx context.Context) error {
	s.informer.RunWithContext(ctx)
	return nil
}

// current is the Secret as the informer last saw it, nil before it is listed or if it is gone.
func (s *certSecret) current() *corev1.Secret {
	obj, exists, err := s.informer.GetStore().GetByKey(s.key.String())
	if err != nil || !exists {
		return nil
	}
	secret, _ := obj.(*corev1.Secret)
	return secret
}

// ca is the Secret's CA certificate (PEM), nil while there is none.
func (s *certSecret) ca() []byte {
	if secret := s.current(); secret != nil {
		return secret.Data["ca.crt"]
	}
	return nil
}

// certFiles keeps the certificate directory in step with the Secret. In a cluster the Secret is
// mounted there (config/manager), the kubelet keeps it current and the directory is read-only,
// so writing fails and is left to the kubelet; a manager run outside the cluster (make run) has
// no kubelet, and the files are written here whenever the Secret's certificate changes.
type certFiles struct {
	dir    string
	secret *certSecret
	synced toolscache.DoneChecker
	// write is writeCertFiles; tests make it fail the way a read-only mount does.
	write func(dir string, data map[string][]byte) error
	// changed wakes wait after every Secret event, once the files are written.
	changed signal
}

func newCertFiles(dir string, secret *certSecret) (*certFiles, error) {
	f := &certFiles{dir: dir, secret: secret, write: writeCertFiles}
	reg, err := secret.informer.AddEventHandler(changeHandler(f.sync))
	if err != nil {
		return nil, fmt.Errorf("watching Secret %s for the certificate files: %w", secret.key, err)
	}
	f.synced = reg.HasSyncedChecker()
	return f, nil
}

func (f *certFiles) sync() {
	defer f.changed.notify()
	secret := f.secret.current()
	if secret == nil || len(secret.Data["tls.crt"]) == 0 || certFilesMatch(f.dir, secret) {
		return
	}
	if err := f.write(f.dir, secret.Data); err != nil {
		// Expected in a cluster, where the mount is read-only and the kubelet's to update.
		setupLog.V(1).Info("not writing the webhook certificate files", "dir", f.dir, "reason", err.Error())
	}
}

// wait waits until the certificate directory holds the Secret's certificate. The files change
// either here (sync) or under the kubelet, which swaps the mounted directory's contents; a
// watch on the directory sees the latter.
func (f *certFiles) wait(ctx context.Context) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("creating the certificate directory %s: %w", f.dir, err)
	}
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the certificate directory %s: %w", f.dir, err)
	}
	defer func() { _ = watcher.Close() }()
	if err := watcher.Add(f.dir); err != nil {
		return fmt.Errorf("watching the certificate directory %s: %w", f.dir, err)
	}
	if !toolscache.WaitFor(ctx, "", f.synced) {
		return fmt.Errorf("watching Secret %s: %w", f.secret.key, context.Cause(ctx))
	}
	for {
		changed := f.changed.wait()
		if secret := f.secret.current(); secret != nil && certFilesMatch(f.dir, secret) {
			return nil
		}
		select {
		case <-changed:
		case <-watcher.Events:
		case err := <-watcher.Errors:
			// An overflow loses events, not files: look again.
			setupLog.V(1).Info("watching the certificate directory", "dir", f.dir, "error", err.Error())
		case <-ctx.Done():
			return fmt.Errorf("the certificate in %s is still not the one in Secret %s: %w", f.dir, f.secret.key, context.Cause(ctx))
		}
	}
}

// certFilesMatch reports whether the certificate directory holds the Secret's certificate.
func certFilesMatch(dir string, secret *corev1.Secret) bool {
	b, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	return err == nil && len(b) > 0 && bytes.Equal(b, secret.Data["tls.crt"])
}

// writeCertFiles writes tls.crt last, so that certFilesMatch never sees a certificate whose key
// is not written yet.
func writeCertFiles(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the certificate directory %s: %w", dir, err)
	}
	for _, name := range []string{"ca.crt", "tls.key", "tls.crt"} {
		if err := os.WriteFile(filepath.Join(dir, name), data[name], 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

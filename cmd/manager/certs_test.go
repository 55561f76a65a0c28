package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"go.uber.org/zap/zapcore"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// The certificate tests run against a real kube-apiserver, started by the first test that needs
// one, so that the option tests do not wait for it.
var (
	envOnce sync.Once
	env     *testenv.Env
	envErr  error
)

func TestMain(m *testing.M) {
	level := zapcore.ErrorLevel
	if os.Getenv("ECS_TEST_VERBOSE") != "" {
		level = zapcore.DebugLevel
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}
	os.Exit(code)
}

func apiServer(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() { env, envErr = testenv.Start() })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return env
}

func TestCAInjector_RestartWithTheCAInPlaceWritesNothing(t *testing.T) {
	e := apiServer(t)
	ns := newNamespace(t, e.Client)
	ca := newCA(t)
	key := createCertSecret(t, e.Client, ns, map[string][]byte{"ca.crt": ca})
	configs := testConfigurations(ns, 3, 2)
	for _, w := range configs {
		createConfiguration(t, e.Client, w, ca, ca)
	}
	before := resourceVersions(t, e.Client, configs)

	for run := 1; run <= 2; run++ {
		cfg, writes := countWrites(e.Config)
		inj, stop := startInjector(t, cfg, key, configs)
		waitInjected(t, inj)
		stop() // drains the work queue: every configuration has been looked at
		if got := writes.list(); len(got) > 0 {
			t.Fatalf("start %d: the injector wrote %v; want no write when every caBundle is current", run, got)
		}
		if after := resourceVersions(t, e.Client, configs); !maps.Equal(before, after) {
			t.Fatalf("start %d: resourceVersions went from %v to %v", run, before, after)
		}
	}
}

func TestCAInjector_FixesStaleAndMissingCABundlesAndFollowsTheSecret(t *testing.T) {
	e := apiServer(t)
	ns := newNamespace(t, e.Client)
	ca, oldCA := newCA(t), newCA(t)
	key := createCertSecret(t, e.Client, ns, map[string][]byte{"ca.crt": ca})
	configs := testConfigurations(ns, 2, 1)
	stale, current, later := configs[0], configs[2], configs[1]
	createConfiguration(t, e.Client, stale, oldCA, nil) // one webhook with an old CA, one with none
	createConfiguration(t, e.Client, current, ca, ca)
	currentRV := resourceVersions(t, e.Client, []webhookConfiguration{current})

	cfg, writes := countWrites(e.Config)
	inj, stop := startInjector(t, cfg, key, configs)
	defer stop()
	// Not installed yet, the third configuration does not hold readiness up.
	waitInjected(t, inj)
	if got := caBundlesOf(t, e.Client, stale); !allEqual(got, ca) {
		t.Fatalf("%s: caBundles %q once ready; want the Secret's CA in both webhooks", stale, got)
	}
	if got := writes.list(); len(got) != 1 || !strings.HasPrefix(got[0], "PATCH ") {
		t.Fatalf("writes %v; want the one patch of %s", got, stale)
	}
	if after := resourceVersions(t, e.Client, []webhookConfiguration{current}); !maps.Equal(currentRV, after) {
		t.Fatalf("%s already had the CA and was written: resourceVersion %v -> %v", current, currentRV, after)
	}

	// A configuration installed while the manager runs gets the CA.
	createConfiguration(t, e.Client, later, nil, nil)
	waitForCABundles(t, e.Client, []webhookConfiguration{later}, ca)

	// A new CA in the Secret goes into every configuration.
	newCA := newCA(t)
	secret := &corev1.Secret{}
	if err := e.Client.Get(context.Background(), key, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["ca.crt"] = newCA
	if err := e.Client.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitForCABundles(t, e.Client, configs, newCA)
}

func TestCertFiles_FollowTheSecret(t *testing.T) {
	e := apiServer(t)
	ns := newNamespace(t, e.Client)
	key := createCertSecret(t, e.Client, ns, certData("one"))
	dir := t.TempDir()
	if err := writeCertFiles(dir, certData("stale")); err != nil {
		t.Fatal(err)
	}
	files, stop := startCertFiles(t, e.Config, key, dir)
	defer stop()

	waitCertFiles(t, files)
	assertCertFiles(t, dir, certData("one"))

	updateCertSecret(t, e.Client, key, certData("two"))
	waitForFile(t, filepath.Join(dir, "tls.crt"), certData("two")["tls.crt"])
	assertCertFiles(t, dir, certData("two"))
}

// In a cluster the directory is the Secret's read-only mount: the files cannot be written and
// the kubelet swaps them in later, which wait must notice without reading the Secret again.
func TestCertFiles_WaitNoticesTheKubeletsUpdate(t *testing.T) {
	e := apiServer(t)
	ns := newNamespace(t, e.Client)
	key := createCertSecret(t, e.Client, ns, certData("one"))
	dir := t.TempDir()
	kubeletWrite(t, dir, "..2026_01_01", certData("stale"))

	clientset := newClientset(t, e.Config)
	secret, err := newCertSecret(clientset, key)
	if err != nil {
		t.Fatal(err)
	}
	files, err := newCertFiles(dir, secret)
	if err != nil {
		t.Fatal(err)
	}
	var tried atomic.Int32
	files.write = func(string, map[string][]byte) error {
		tried.Add(1)
		return &os.PathError{Op: "open", Path: filepath.Join(dir, "ca.crt"), Err: syscall.EROFS}
	}
	stop := runAll(t, secret.Start)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- files.wait(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("wait returned (%v) while the directory still held the stale certificate", err)
	case <-time.After(500 * time.Millisecond):
	}
	if tried.Load() == 0 {
		t.Fatal("the files were never written from the Secret")
	}
	kubeletWrite(t, dir, "..2026_02_01", certData("one"))
	if err := <-done; err != nil {
		t.Fatalf("wait after the kubelet's update: %v", err)
	}
}

// The whole certificate start-up of the manager, twice: the first start makes the certificate
// and injects its CA; the second, with nothing changed, must not write at all (the benchmark's
// restart), and each is ready only once every configuration carries the CA.
func TestServeWebhooks_RestartWritesNothing(t *testing.T) {
	e := apiServer(t)
	ns := newNamespace(t, e.Client)
	for _, w := range webhookConfigurations {
		createConfiguration(t, e.Client, w, nil, nil)
	}
	certDir := t.TempDir()
	opts := certOptions{rotate: true, secretName: "webhook-server-cert", serviceName: "webhook-service",
		serviceNamespace: ns, extraDNSNames: []string{"localhost"}}
	key := types.NamespacedName{Namespace: ns, Name: opts.secretName}

	stop := startManager(t, e.Config, certDir, opts)
	secret := &corev1.Secret{}
	if err := e.Client.Get(context.Background(), key, secret); err != nil {
		t.Fatal(err)
	}
	ca := secret.Data["ca.crt"]
	if len(ca) == 0 {
		t.Fatal("ready without a CA in the Secret")
	}
	for _, w := range webhookConfigurations {
		if got := caBundlesOf(t, e.Client, w); !allEqual(got, ca) {
			t.Fatalf("ready while %s has caBundles %q; want the Secret's CA", w, got)
		}
	}
	assertCertFiles(t, certDir, secret.Data)
	stop()

	before := resourceVersions(t, e.Client, webhookConfigurations)
	cfg, writes := countWrites(e.Config)
	stop = startManager(t, cfg, certDir, opts)
	stop()
	if got := writes.list(); len(got) > 0 {
		t.Fatalf("the restarted manager wrote %v; want nothing written", got)
	}
	if after := resourceVersions(t, e.Client, webhookConfigurations); !maps.Equal(before, after) {
		t.Fatalf("resourceVersions went from %v to %v", before, after)
	}
}

var rotators atomic.Int32

// startManager runs a manager with serveWebhooks as run does, and waits until it is ready.
func startManager(t *testing.T, cfg *rest.Config, certDir string, opts certOptions) (stop func()) {
	t.Helper()
	opts.rotatorName = fmt.Sprintf("cert-rotator-%d", rotators.Add(1))
	probeAddr, webhookAddr := freeAddr(t), freeAddr(t)
	_, port, _ := net.SplitHostPort(webhookAddr)
	var webhookPort int
	if _, err := fmt.Sscan(port, &webhookPort); err != nil {
		t.Fatal(err)
	}
	server := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: webhookPort, CertDir: certDir})
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 newScheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: probeAddr,
		WebhookServer:          server,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := serveWebhooks(ctx, mgr, server, certDir, opts); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+probeAddr+"/readyz", nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		stop()
		t.Fatalf("the manager was not ready: %v", err)
	}
	return stop
}

func startInjector(t *testing.T, cfg *rest.Config, key types.NamespacedName, configs []webhookConfiguration) (*caInjector, func()) {
	t.Helper()
	clientset := newClientset(t, cfg)
	secret, err := newCertSecret(clientset, key)
	if err != nil {
		t.Fatal(err)
	}
	inj, err := newCAInjector(clientset, secret, configs, "ecs-operator-test")
	if err != nil {
		t.Fatal(err)
	}
	return inj, runAll(t, secret.Start, inj.Start)
}

func startCertFiles(t *testing.T, cfg *rest.Config, key types.NamespacedName, dir string) (*certFiles, func()) {
	t.Helper()
	secret, err := newCertSecret(newClientset(t, cfg), key)
	if err != nil {
		t.Fatal(err)
	}
	files, err := newCertFiles(dir, secret)
	if err != nil {
		t.Fatal(err)
	}
	return files, runAll(t, secret.Start)
}

// runAll runs the functions until the returned stop, which waits for them to return.
func runAll(t *testing.T, starts ...func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, start := range starts {
		wg.Go(func() {
			if err := start(ctx); err != nil {
				t.Errorf("start: %v", err)
			}
		})
	}
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }
}

func waitInjected(t *testing.T, inj *caInjector) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := inj.waitInjected(ctx); err != nil {
		t.Fatal(err)
	}
}

func waitCertFiles(t *testing.T, files *certFiles) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := files.wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func newClientset(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return clientset
}

// writeLog records the requests that may store something.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (l *writeLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

type recordWrites struct {
	log  *writeLog
	next http.RoundTripper
}

func (r recordWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	// Reviews are answered, not stored (the namespace webhook asks who the operator is).
	review := strings.HasSuffix(req.URL.Path, "reviews")
	if req.Method != http.MethodGet && !review {
		r.log.mu.Lock()
		r.log.writes = append(r.log.writes, req.Method+" "+req.URL.Path)
		r.log.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// countWrites is cfg with every write request recorded, as the benchmark counts the
// operator's writes at the API server.
func countWrites(cfg *rest.Config) (*rest.Config, *writeLog) {
	log := &writeLog{}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return recordWrites{log: log, next: rt} })
	return cfg, log
}

var namespaces atomic.Int32

func newNamespace(t *testing.T, c client.Client) string {
	t.Helper()
	name := fmt.Sprintf("certs-%d", namespaces.Add(1))
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

func newCA(t *testing.T) []byte {
	t.Helper()
	now := time.Now()
	ca, err := (&rotator.CertRotator{CAName: "test-ca", CAOrganization: "ecs-operator"}).CreateCACert(now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca.CertPEM
}

func certData(name string) map[string][]byte {
	return map[string][]byte{"ca.crt": []byte("ca " + name), "tls.key": []byte("key " + name), "tls.crt": []byte("cert " + name)}
}

func createCertSecret(t *testing.T, c client.Client, ns string, data map[string][]byte) types.NamespacedName {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook-server-cert"}, Data: data}
	if err := c.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(secret)
}

func updateCertSecret(t *testing.T, c client.Client, key types.NamespacedName, data map[string][]byte) {
	t.Helper()
	secret := &corev1.Secret{}
	if err := c.Get(context.Background(), key, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data = data
	if err := c.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
}

// testConfigurations names validating and mutating configurations unique to the namespace.
func testConfigurations(ns string, validating, mutating int) []webhookConfiguration {
	var configs []webhookConfiguration
	for i := range validating {
		configs = append(configs, webhookConfiguration{Name: fmt.Sprintf("%s-validating-%d", ns, i)})
	}
	for i := range mutating {
		configs = append(configs, webhookConfiguration{Name: fmt.Sprintf("%s-mutating-%d", ns, i), Mutating: true})
	}
	return configs
}

// createConfiguration installs a configuration of two webhooks with the given caBundles, whose
// rules match nothing, so that the API server never calls them.
func createConfiguration(t *testing.T, c client.Client, w webhookConfiguration, caBundles ...[]byte) {
	t.Helper()
	none := admissionregistrationv1.SideEffectClassNone
	ignore := admissionregistrationv1.Ignore
	rules := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{"example.invalid"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}},
	}}
	url := "https://127.0.0.1:1/never"
	var obj client.Object
	if w.Mutating {
		m := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: w.Name}}
		for i, ca := range caBundles {
			m.Webhooks = append(m.Webhooks, admissionregistrationv1.MutatingWebhook{
				Name: fmt.Sprintf("m%d.example.invalid", i), ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
				Rules: rules, SideEffects: &none, FailurePolicy: &ignore, AdmissionReviewVersions: []string{"v1"},
			})
		}
		obj = m
	} else {
		v := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: w.Name}}
		for i, ca := range caBundles {
			v.Webhooks = append(v.Webhooks, admissionregistrationv1.ValidatingWebhook{
				Name: fmt.Sprintf("v%d.example.invalid", i), ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
				Rules: rules, SideEffects: &none, FailurePolicy: &ignore, AdmissionReviewVersions: []string{"v1"},
			})
		}
		obj = v
	}
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
}

func getConfiguration(t *testing.T, c client.Client, w webhookConfiguration) client.Object {
	t.Helper()
	var obj client.Object = &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if w.Mutating {
		obj = &admissionregistrationv1.MutatingWebhookConfiguration{}
	}
	if err := c.Get(context.Background(), client.ObjectKey{Name: w.Name}, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func caBundlesOf(t *testing.T, c client.Client, w webhookConfiguration) [][]byte {
	t.Helper()
	_, bundles, _ := caBundles(getConfiguration(t, c, w))
	return bundles
}

func resourceVersions(t *testing.T, c client.Client, configs []webhookConfiguration) map[string]string {
	t.Helper()
	rvs := map[string]string{}
	for _, w := range configs {
		rvs[w.String()] = getConfiguration(t, c, w).GetResourceVersion()
	}
	return rvs
}

func waitForCABundles(t *testing.T, c client.Client, configs []webhookConfiguration, ca []byte) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		for _, w := range configs {
			if !allEqual(caBundlesOf(t, c, w), ca) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the CA did not reach %v: %v", configs, err)
	}
}

func waitForFile(t *testing.T, path string, want []byte) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		b, err := os.ReadFile(path)
		return err == nil && bytes.Equal(b, want), nil
	})
	if err != nil {
		t.Fatalf("%s never held %q: %v", path, want, err)
	}
}

func assertCertFiles(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	for _, name := range []string{"ca.crt", "tls.key", "tls.crt"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want[name]) {
			t.Fatalf("%s holds %q; want %q", name, b, want[name])
		}
	}
}

// kubeletWrite updates dir the way the kubelet updates a Secret volume: the files are links
// through ..data, which is swapped atomically to a new timestamped directory.
func kubeletWrite(t *testing.T, dir, version string, data map[string][]byte) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range data {
		if err := os.WriteFile(filepath.Join(dir, version, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range data {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func allEqual(bundles [][]byte, ca []byte) bool {
	return len(bundles) > 0 && len(staleWebhooks(bundles, ca)) == 0
}

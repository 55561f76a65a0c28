package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// OperatorNamespace is where the operator keeps its webhook certificate Secret, as
	// config/default installs it.
	OperatorNamespace = "ecs-operator-system"
	// webhookNamePrefix is config/default's namePrefix: the operator's certificate rotator
	// injects its CA into the webhook configurations under these names.
	webhookNamePrefix = "ecs-operator-"
	fieldOwner        = client.FieldOwner("ecs-operator-localcluster")
	operatorReadyTime = 2 * time.Minute
)

// OperatorOptions say how to run the operator binary against a cluster.
type OperatorOptions struct {
	// Binary is the operator (bin/manager).
	Binary string
	// Kubeconfig is the cluster's kubeconfig.
	Kubeconfig string
	// WebhookDir is config/webhook: its webhook configurations are installed pointing at the
	// operator's webhook server on loopback (https://localhost:<port>), whose certificate the
	// operator makes and rotates itself. Empty runs the operator without webhooks.
	WebhookDir string
	// CertDir is where the operator keeps its serving certificate.
	CertDir string
	// MetricsAddr and ProbeAddr are the operator's --metrics-bind-address and
	// --health-probe-bind-address; empty picks a free loopback port.
	MetricsAddr, ProbeAddr string
	// Args are further flags; Env further environment variables.
	Args, Env []string
	// Out receives the operator's output, each line prefixed with "operator | ".
	Out io.Writer
}

// Operator is the running operator.
type Operator struct {
	*Process
	// MetricsURL is the operator's /metrics.
	MetricsURL string
	// WebhookURL is where the API server sends admission requests, "" without webhooks.
	WebhookURL string
}

// StartOperator installs the webhook configurations (when asked), starts the operator and
// waits until it is ready and its CA is in every webhook configuration.
func StartOperator(ctx context.Context, c client.Client, o OperatorOptions) (_ *Operator, err error) {
	if o.MetricsAddr == "" {
		if o.MetricsAddr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
	}
	if o.ProbeAddr == "" {
		if o.ProbeAddr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
	}
	args := []string{
		"--kubeconfig=" + o.Kubeconfig,
		"--metrics-bind-address=" + o.MetricsAddr,
		"--health-probe-bind-address=" + o.ProbeAddr,
	}
	env := append([]string{}, o.Env...)
	op := &Operator{MetricsURL: "http://" + o.MetricsAddr + "/metrics"}
	var webhooks []string
	if o.WebhookDir == "" {
		env = append(env, "ENABLE_WEBHOOKS=false")
	} else {
		addr, err := freeLoopbackAddr()
		if err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		op.WebhookURL = "https://localhost:" + port
		if err := ensureNamespace(ctx, c, OperatorNamespace); err != nil {
			return nil, err
		}
		if webhooks, err = InstallWebhooks(ctx, c, o.WebhookDir, op.WebhookURL); err != nil {
			return nil, err
		}
		certDir := o.CertDir
		if certDir == "" {
			certDir = filepath.Join(os.TempDir(), "ecs-operator-local-certs")
		}
		args = append(args,
			"--webhook-host=127.0.0.1",
			"--webhook-port="+port,
			"--webhook-cert-dir="+certDir,
			"--webhook-service-namespace="+OperatorNamespace,
			"--webhook-cert-extra-dns-names=localhost",
		)
		env = append(env, "ENABLE_WEBHOOKS=true")
	}
	args = append(args, o.Args...)
	if op.Process, err = StartProcess("operator", o.Binary, args, env, o.Out); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = op.Stop(10 * time.Second)
		}
	}()
	if err := WaitReady(ctx, op.Process, "http://"+o.ProbeAddr+"/readyz", operatorReadyTime); err != nil {
		return nil, err
	}
	if err := waitCABundles(ctx, c, webhooks); err != nil {
		return nil, err
	}
	return op, nil
}

// InstallWebhooks server-side-applies the webhook configurations of dir under the names
// config/default gives them, each webhook sent to baseURL plus its service path instead of
// the in-cluster Service. It returns their names.
func InstallWebhooks(ctx context.Context, c client.Client, dir, baseURL string) ([]string, error) {
	ms, err := ReadManifests(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms {
		u := m.Object
		if u.GroupVersionKind().Group != admissionregistrationv1.GroupName ||
			(u.GetKind() != "ValidatingWebhookConfiguration" && u.GetKind() != "MutatingWebhookConfiguration") {
			continue
		}
		u.SetName(webhookNamePrefix + u.GetName())
		webhooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
		for i, w := range webhooks {
			wh, _ := w.(map[string]any)
			path, _, _ := unstructured.NestedString(wh, "clientConfig", "service", "path")
			if path == "" {
				return nil, fmt.Errorf("%s: webhook %d of %s has no clientConfig.service.path", m.Source, i, u.GetName())
			}
			wh["clientConfig"] = map[string]any{"url": baseURL + path}
		}
		if err := unstructured.SetNestedSlice(u.Object, webhooks, "webhooks"); err != nil {
			return nil, err
		}
		u.SetManagedFields(nil)
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), fieldOwner, client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("%s: installing %s: %w", m.Source, u.GetName(), err)
		}
		names = append(names, u.GetKind()+"/"+u.GetName())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no webhook configurations in %s", dir)
	}
	return names, nil
}

// waitCABundles waits until the operator has put its CA into every webhook of the
// configurations ("Kind/name").
func waitCABundles(ctx context.Context, c client.Client, names []string) error {
	var missing string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, n := range names {
			kind, name, _ := strings.Cut(n, "/")
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind(kind))
			if err := c.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
				return false, err
			}
			webhooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
			for _, w := range webhooks {
				wh, _ := w.(map[string]any)
				if ca, _, _ := unstructured.NestedString(wh, "clientConfig", "caBundle"); ca == "" {
					missing = n
					return false, nil
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("the operator did not inject its CA into %s: %w", missing, err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// freeLoopbackAddr is 127.0.0.1 with a port nobody listens on right now.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port
	if port == 0 {
		return "", errors.New("finding a free port: got port 0")
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

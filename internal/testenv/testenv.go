// Package testenv starts a real kube-apiserver and etcd (the envtest assets that `make envtest`
// builds into bin/k8s/<version>) with the ecs-operator CRDs installed, for tests that must prove
// behaviour against the API server rather than a fake client.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// KubernetesVersion is the version of the control plane that hack/ builds; keep it in step with
// K8S_VERSION in the Makefile.
const KubernetesVersion = "1.37.2"

// Env is a running control plane with the CRDs installed.
type Env struct {
	Environment *envtest.Environment
	Config      *rest.Config
	Client      client.Client
	Scheme      *runtime.Scheme
	// Root is the repository's root directory.
	Root string
}

// Scheme returns a scheme with the Kubernetes built-in kinds, CRDs and the ECS kinds.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := ecsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	// Tests read the installed CRDs back.
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts etcd and kube-apiserver and installs the CRDs of config/crd/bases. The binaries
// come from KUBEBUILDER_ASSETS, or from bin/k8s/<version> of the repository when it is unset.
func Start() (*Env, error) {
	return start(nil)
}

// StartWithWebhooks is Start, and also installs the named webhook configuration files of
// config/webhook pointing at a local webhook server whose address and certificates are in
// Environment.WebhookInstallOptions (LocalServingHost, LocalServingPort, LocalServingCertDir).
// A test installs the configurations of the webhooks it serves, so that no request goes to a
// path its server does not handle.
func StartWithWebhooks(files ...string) (*Env, error) {
	if len(files) == 0 {
		return nil, errors.New("StartWithWebhooks needs the webhook configuration files to install")
	}
	return start(files)
}

func start(webhookFiles []string) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", KubernetesVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("envtest asset %s not found in %s: run 'make envtest' first: %w", bin, assets, err)
		}
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:  []string{filepath.Join(root, "config", "crd", "bases")},
			Scheme: scheme,
		},
		// Start copies this over CRDInstallOptions.ErrorIfPathMissing.
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	if len(webhookFiles) > 0 {
		var paths []string
		for _, f := range webhookFiles {
			paths = append(paths, filepath.Join(root, "config", "webhook", f))
		}
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{Paths: paths}
	}
	// KUBEBUILDER_ASSETS wins over BinaryAssetsDirectory inside envtest; point it at the same place.
	if err := os.Setenv("KUBEBUILDER_ASSETS", assets); err != nil {
		return nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return &Env{Environment: env, Config: cfg, Client: c, Scheme: scheme, Root: root}, nil
}

// Stop stops the control plane.
func (e *Env) Stop() error {
	return e.Environment.Stop()
}

// RepoRoot finds the repository root: the nearest parent directory of the working directory
// holding the operator's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isOperatorModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found: no parent directory holds the ecs-operator go.mod")
		}
		dir = parent
	}
}

func isOperatorModule(gomod []byte) bool {
	return strings.Contains("\n"+string(gomod), "\nmodule github.com/ecs-operator/ecs-operator\n")
}

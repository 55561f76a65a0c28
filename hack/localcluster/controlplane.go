package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const (
	// controlPlaneStartTimeout is how long etcd and kube-apiserver each get to start; more than
	// envtest's 20 s default, for a busy laptop or CI machine.
	controlPlaneStartTimeout = time.Minute
	controlPlaneStopTimeout  = 20 * time.Second
)

// startControlPlane starts etcd and kube-apiserver from the binaries in assets and installs the
// CRDs of crdDir. On failure nothing is left running.
func startControlPlane(assets, crdDir string) (*envtest.Environment, error) {
	assets, err := filepath.Abs(assets)
	if err != nil {
		return nil, err
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("control plane binary %s not found in %s (run 'make envtest'): %w", bin, assets, err)
		}
	}
	// envtest prefers KUBEBUILDER_ASSETS over BinaryAssetsDirectory; make them agree.
	if err := os.Setenv("KUBEBUILDER_ASSETS", assets); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crdDir},
		// Start copies this over CRDInstallOptions.ErrorIfPathMissing.
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: controlPlaneStartTimeout,
		ControlPlaneStopTimeout:  controlPlaneStopTimeout,
	}
	if _, err := env.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("starting the control plane: %w", err), stopOnError(env))
	}
	if len(env.CRDs) == 0 {
		return nil, errors.Join(fmt.Errorf("no CustomResourceDefinitions found in %s", crdDir), stopOnError(env))
	}
	for _, crd := range env.CRDs {
		log.Info("installed CRD", "name", crd.Name)
	}
	return env, nil
}

// stopOnError stops what a failed start left running.
func stopOnError(env *envtest.Environment) error {
	if err := env.Stop(); err != nil {
		return fmt.Errorf("stopping the control plane: %w", err)
	}
	return nil
}

// writeKubeconfig writes the admin (system:masters) kubeconfig of env to dir/kubeconfig and
// returns its absolute path.
func writeKubeconfig(env *envtest.Environment, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path, err := filepath.Abs(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		return "", err
	}
	// env.KubeConfig is the kubeconfig of the admin user envtest provisions on start.
	if len(env.KubeConfig) == 0 {
		return "", errors.New("the control plane has no admin kubeconfig")
	}
	if err := os.WriteFile(path, env.KubeConfig, 0o600); err != nil {
		return "", fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return path, nil
}

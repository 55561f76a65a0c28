// Package crd proves the ecs-operator CRDs' schemas and CEL rules against a real kube-apiserver:
// every rule has an accepted and a rejected case, checked by the exact message the API server
// gives back.
package crd

import (
	"context"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

var (
	env *testenv.Env
	k8s client.Client
)

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Strict field validation makes the API server reject fields the schema does not know, so
	// the tests also prove that nothing users write is silently pruned.
	k8s = client.WithFieldValidation(env.Client, "Strict")
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}

func ctx(t *testing.T) context.Context {
	return t.Context()
}

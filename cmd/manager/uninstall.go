package main

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// deleteWebhookConfigurations removes the operator's webhook configurations, tolerating them
// being gone: the Helm chart's pre-delete hook runs it first, so that uninstalling never leaves
// configurations whose failurePolicy Fail points at a server that no longer runs (a deadlock for
// every later ECS object and Pod in cluster namespaces). It is idempotent.
func deleteWebhookConfigurations(ctx context.Context, cfg *rest.Config) error {
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, w := range webhookConfigurations {
		var err error
		if w.Mutating {
			err = clientset.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, w.Name, metav1.DeleteOptions{})
		} else {
			err = clientset.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, w.Name, metav1.DeleteOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", w, err)
		}
		setupLog.Info("webhook configuration removed", "configuration", w.String())
	}
	return nil
}

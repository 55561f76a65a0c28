// Package namespace holds the validating webhook of ECS cluster namespaces: only the operator
// sets, changes or removes the labels the tenant wall keys on (ecs.operator.dev/* and the Pod
// Security labels) — the label-spoofing hole other multi-tenancy tools had — and a cluster
// namespace cannot be deleted while its Cluster exists.
package namespace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// Path is the webhook's path; its configuration is config/webhook/namespace-webhook.yaml.
const Path = "/validate--v1-namespace"

// SetupWithManager registers the namespace webhook. The operator's own identity is learned from
// the API server (a SelfSubjectReview of the manager's credentials), so it is right whatever
// service account or kubeconfig the manager runs with.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	operator, err := ownUserName(ctx, mgr.GetClient())
	if err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &corev1.Namespace{}).
		WithValidator(&Validator{Reader: mgr.GetClient(), Operator: operator}).
		WithValidatorCustomPath(Path).
		Complete()
}

// ownUserName asks the API server who the manager is. It tries again until it is told (or ctx
// ends): a replica starting while the API server restarts, which answers 403 until its
// authorizer has synced, waits rather than exiting.
func ownUserName(ctx context.Context, c client.Client) (string, error) {
	var user string
	backoff := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Cap: 10 * time.Second, Steps: math.MaxInt32}
	err := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		review := &authenticationv1.SelfSubjectReview{}
		if err := c.Create(ctx, review); err != nil {
			ctrl.LoggerFrom(ctx).Info("learning the operator's own user name; trying again", "error", err.Error())
			return false, nil
		}
		user = review.Status.UserInfo.Username
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("learning the operator's own user name: %w", err)
	}
	return user, nil
}

// Validator guards cluster namespaces' labels and existence.
type Validator struct {
	Reader client.Reader
	// Operator is the user name of ecs-operator's own requests.
	Operator string
}

// protectedLabel reports whether a label is one the tenant wall keys on.
func protectedLabel(key string) bool {
	return strings.HasPrefix(key, "ecs.operator.dev/") || strings.HasPrefix(key, "pod-security.kubernetes.io/")
}

func (v *Validator) byOperator(ctx context.Context) bool {
	req, err := admission.RequestFromContext(ctx)
	return err == nil && req.UserInfo.Username == v.Operator
}

// ValidateCreate refuses namespaces that claim to be a cluster's, unless the operator makes them.
func (v *Validator) ValidateCreate(ctx context.Context, ns *corev1.Namespace) (admission.Warnings, error) {
	if v.byOperator(ctx) {
		return nil, nil
	}
	return nil, labelChanges(ns.Name, nil, ns.Labels)
}

// ValidateUpdate refuses label changes the operator did not make.
func (v *Validator) ValidateUpdate(ctx context.Context, oldNS, ns *corev1.Namespace) (admission.Warnings, error) {
	if v.byOperator(ctx) {
		return nil, nil
	}
	return nil, labelChanges(ns.Name, oldNS.Labels, ns.Labels)
}

// ValidateDelete refuses deleting a cluster namespace while its Cluster exists; deleting the
// Cluster deprovisions it and then deletes the namespace.
func (v *Validator) ValidateDelete(ctx context.Context, ns *corev1.Namespace) (admission.Warnings, error) {
	if v.byOperator(ctx) {
		return nil, nil
	}
	clusters := &ecsv1.ClusterList{}
	if err := v.Reader.List(ctx, clusters); err != nil {
		return nil, err
	}
	for _, c := range clusters.Items {
		if lookup.ClusterNamespace(&c) == ns.Name && c.DeletionTimestamp.IsZero() {
			return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, ns.Name,
				fmt.Errorf("namespace %s holds ECS cluster %s: delete the Cluster, which drains its services and then deletes the namespace", ns.Name, c.Name))
		}
	}
	return nil, nil
}

// labelChanges lists the protected labels that differ between old and new.
func labelChanges(name string, oldLabels, newLabels map[string]string) error {
	keys := map[string]bool{}
	for k := range oldLabels {
		keys[k] = true
	}
	for k := range newLabels {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if protectedLabel(k) && oldLabels[k] != newLabels[k] {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	var errs field.ErrorList
	for _, k := range changed {
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "labels").Key(k),
			"only ecs-operator sets, changes or removes this label of an ECS cluster namespace"))
	}
	return apierrors.NewInvalid(schema.GroupKind{Kind: "Namespace"}, name, errs)
}

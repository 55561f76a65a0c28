package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// The Pod webhooks are configured by hand in config/webhook/pod-webhooks.yaml rather than by
// markers: they need a namespaceSelector (only ECS cluster namespaces, so that an outage of the
// webhook never blocks kube-system or any other namespace), which markers cannot express.
const (
	MutatePath   = "/mutate--v1-pod"
	ValidatePath = "/validate--v1-pod"
)

// SetupWithManager registers the Pod webhooks; they read the manager's cache.
func SetupWithManager(mgr ctrl.Manager) error {
	r := mgr.GetClient()
	return ctrl.NewWebhookManagedBy(mgr, &corev1.Pod{}).
		WithDefaulter(&Defaulter{Reader: r}).
		WithValidator(&Validator{Reader: r}).
		WithDefaulterCustomPath(MutatePath).
		WithValidatorCustomPath(ValidatePath).
		Complete()
}

// Defaulter gives Pods in a cluster namespace the tenant's environment and placement, and what
// the cluster's Pod Security level requires.
type Defaulter struct{ Reader client.Reader }

// Default mutates a Pod being created.
func (d *Defaulter) Default(ctx context.Context, pod *corev1.Pod) error {
	cluster, err := lookup.ClusterOfNamespace(ctx, d.Reader, namespaceOf(ctx, pod))
	if err != nil || cluster == nil {
		return err
	}
	addTenantEnv(pod, cluster)
	placeOnClusterCapacity(pod, cluster)
	hardenForRestricted(pod, cluster)
	return nil
}

// Validator keeps Pods in a cluster namespace on their tenant's side of the wall.
type Validator struct{ Reader client.Reader }

// ValidateCreate validates a new Pod.
func (v *Validator) ValidateCreate(ctx context.Context, pod *corev1.Pod) (admission.Warnings, error) {
	return nil, v.validate(ctx, pod)
}

// ValidateUpdate validates a changed Pod (tolerations can be added to a running Pod).
func (v *Validator) ValidateUpdate(ctx context.Context, _, pod *corev1.Pod) (admission.Warnings, error) {
	return nil, v.validate(ctx, pod)
}

// ValidateDelete admits every deletion.
func (v *Validator) ValidateDelete(context.Context, *corev1.Pod) (admission.Warnings, error) {
	return nil, nil
}

func (v *Validator) validate(ctx context.Context, pod *corev1.Pod) error {
	cluster, err := lookup.ClusterOfNamespace(ctx, v.Reader, namespaceOf(ctx, pod))
	if err != nil || cluster == nil {
		return err
	}
	var errs field.ErrorList
	errs = append(errs, validateTenantEnv(pod, cluster)...)
	errs = append(errs, validateTenantNodes(pod, cluster)...)
	errs = append(errs, validateHostAccess(pod, cluster)...)
	if len(errs) == 0 {
		return nil
	}
	name := pod.Name
	if name == "" {
		name = pod.GenerateName
	}
	return apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, name, errs)
}

// namespaceOf is the Pod's namespace; a Pod created by a controller may leave it to the request.
func namespaceOf(ctx context.Context, pod *corev1.Pod) string {
	if pod.Namespace != "" {
		return pod.Namespace
	}
	if req, err := admission.RequestFromContext(ctx); err == nil {
		return req.Namespace
	}
	return ""
}

package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-cluster,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=clusters,verbs=create;update,versions=v1alpha1,name=vcluster.ecs.operator.dev,admissionReviewVersions=v1

// SetupWithManager registers the validating webhook of Clusters on the manager's webhook server.
// It reads the manager's cache, and the API server directly for a namespace the cache does not
// hold (the cache keeps only the namespaces the operator manages).
func SetupWithManager(mgr ctrl.Manager) error {
	v := &ClusterValidator{Reader: mgr.GetClient(), APIReader: mgr.GetAPIReader()}
	return ctrl.NewWebhookManagedBy(mgr, &ecsv1.Cluster{}).WithValidator(v).Complete()
}

// ClusterValidator admits a new Cluster within its tenant's and its CellGroup's caps, in an
// existing CellGroup, and in a namespace no one else has.
type ClusterValidator struct {
	// Reader is the manager's cache.
	Reader client.Reader
	// APIReader reads from the API server what the cache may not hold: a namespace the operator
	// does not manage, a CellGroup created a moment ago. Without it, Reader alone is used.
	APIReader client.Reader
}

// ValidateCreate validates a new Cluster.
func (v *ClusterValidator) ValidateCreate(ctx context.Context, c *ecsv1.Cluster) (admission.Warnings, error) {
	group, groupErr, err := v.cellGroup(ctx, c)
	if err != nil {
		return nil, err
	}
	list := &ecsv1.ClusterList{}
	if err := v.Reader.List(ctx, list); err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	// A Cluster of the same name is the one being created (a retry or a conflict the API server
	// answers with AlreadyExists); it must not count against itself.
	others := make([]ecsv1.Cluster, 0, len(list.Items))
	for _, o := range list.Items {
		if o.Name != c.Name {
			others = append(others, o)
		}
	}
	var errs field.ErrorList
	if groupErr != nil {
		errs = append(errs, groupErr)
	}
	if e := validateTenantCap(c, group, others); e != nil {
		errs = append(errs, e)
	}
	if e := validateGroupCap(group, others); e != nil {
		errs = append(errs, e)
	}
	if e := validateNamespaceClaims(c, others); e != nil {
		// The other Cluster's namespace exists too and is labelled for it: one answer is enough.
		errs = append(errs, e)
	} else {
		e, err := v.validateNamespaceOwner(ctx, c)
		if err != nil {
			return nil, err
		}
		if e != nil {
			errs = append(errs, e)
		}
	}
	return nil, invalid(c.Name, errs)
}

// ValidateUpdate admits every update: tenant, cellGroup and namespace are immutable (CEL), and a
// Cluster that is already there keeps its place even when a cap was lowered beneath it.
func (v *ClusterValidator) ValidateUpdate(context.Context, *ecsv1.Cluster, *ecsv1.Cluster) (admission.Warnings, error) {
	return nil, nil
}

// ValidateDelete admits every deletion.
func (v *ClusterValidator) ValidateDelete(context.Context, *ecsv1.Cluster) (admission.Warnings, error) {
	return nil, nil
}

// invalid turns field errors into the API server's Invalid answer, naming every field.
func invalid(name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(ecsv1.GroupVersion.WithKind("Cluster").GroupKind(), name, errs)
}

// namespaceOf is the namespace a Cluster's workloads live in: spec.namespace, or its name.
func namespaceOf(c *ecsv1.Cluster) string {
	if c.Spec.Namespace != "" {
		return c.Spec.Namespace
	}
	return c.Name
}

// clusters is "1 cluster" or "n clusters".
func clusters(n int) string {
	if n == 1 {
		return "1 cluster"
	}
	return fmt.Sprintf("%d clusters", n)
}

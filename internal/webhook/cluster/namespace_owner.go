package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// validateNamespaceOwner denies a Cluster a namespace that already exists and is not its own:
// one that does not carry ecs.operator.dev/cluster=<the Cluster's name> (the operator
// re-creating a Cluster finds its namespace labelled so), or that carries another tenant's
// ecs.operator.dev/tenant, whatever its cluster label says.
func (v *ClusterValidator) validateNamespaceOwner(ctx context.Context, c *ecsv1.Cluster) (*field.Error, error) {
	name := namespaceOf(c)
	ns, err := v.namespace(ctx, name)
	if err != nil || ns == nil {
		return nil, err
	}
	tenant, hasTenant := ns.Labels[ecsv1.LabelTenant]
	owner := ns.Labels[ecsv1.LabelCluster]
	if (!hasTenant || tenant == string(c.Spec.Tenant)) && owner == c.Name {
		return nil, nil
	}
	msg := fmt.Sprintf("namespace %q already exists and does not belong to cluster %s", name, c.Name)
	switch {
	case hasTenant && tenant != string(c.Spec.Tenant) && owner != "":
		msg += fmt.Sprintf(": it belongs to cluster %s of tenant %s", owner, tenant)
	case hasTenant && tenant != string(c.Spec.Tenant):
		msg += fmt.Sprintf(": it belongs to tenant %s", tenant)
	case owner != "":
		msg += fmt.Sprintf(": it belongs to cluster %s", owner)
	}
	return field.Forbidden(field.NewPath("spec", "namespace"), msg), nil
}

// namespace gets a namespace, nil when it does not exist. The manager caches only the namespaces
// the operator manages, so a miss in the cache is asked of the API server: one GET.
func (v *ClusterValidator) namespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	err := v.Reader.Get(ctx, client.ObjectKey{Name: name}, ns)
	if apierrors.IsNotFound(err) && v.APIReader != nil {
		err = v.APIReader.Get(ctx, client.ObjectKey{Name: name}, ns)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("getting namespace %s: %w", name, err)
	}
	return ns, nil
}

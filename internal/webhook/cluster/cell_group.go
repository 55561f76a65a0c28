package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// cellGroup returns the CellGroup a Cluster names, nil when it names none, and a NotFound field
// error when the CellGroup does not exist. A miss in the cache is confirmed with the API server,
// so that a CellGroup created a moment before its Cluster is not denied for the cache's lag.
func (v *ClusterValidator) cellGroup(ctx context.Context, c *ecsv1.Cluster) (*ecsv1.CellGroup, *field.Error, error) {
	name := c.Spec.CellGroup
	if name == "" {
		return nil, nil, nil
	}
	group := &ecsv1.CellGroup{}
	err := v.Reader.Get(ctx, client.ObjectKey{Name: name}, group)
	if apierrors.IsNotFound(err) && v.APIReader != nil {
		err = v.APIReader.Get(ctx, client.ObjectKey{Name: name}, group)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, field.NotFound(field.NewPath("spec", "cellGroup"), name), nil
	case err != nil:
		return nil, nil, fmt.Errorf("getting cell group %s: %w", name, err)
	}
	return group, nil, nil
}

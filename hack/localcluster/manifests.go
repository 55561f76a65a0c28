package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/localcluster"
)

// fieldOwner is the server-side apply field manager of what localcluster applies.
const fieldOwner = client.FieldOwner("ecs-operator-local")

// objectRef names an object.
type objectRef struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

// applyManifests server-side-applies the cluster-scoped objects, makes sure the namespaces the
// namespaced objects name exist, then applies the namespaced objects; each group in the order
// given. Namespaced objects without a namespace go to "default". A namespace that an ECS
// Cluster (or a CellGroup's tenant Cluster) among the objects claims is the operator's to
// create when it runs: creating it here would take it from the Cluster.
func applyManifests(ctx context.Context, c client.Client, ms []localcluster.Manifest, operatorRuns bool) ([]objectRef, error) {
	var clusterScoped, namespaced []localcluster.Manifest
	var namespaces []string
	seenNS := map[string]bool{}
	for _, m := range ms {
		isNamespaced, err := c.IsObjectNamespaced(m.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", m.Source, m.Object.GroupVersionKind(), err)
		}
		if !isNamespaced {
			m.Object.SetNamespace("")
			clusterScoped = append(clusterScoped, m)
			continue
		}
		if m.Object.GetNamespace() == "" {
			m.Object.SetNamespace(metav1.NamespaceDefault)
		}
		if ns := m.Object.GetNamespace(); !seenNS[ns] {
			seenNS[ns] = true
			namespaces = append(namespaces, ns)
		}
		namespaced = append(namespaced, m)
	}

	var applied []objectRef
	for _, m := range clusterScoped {
		if err := applyManifest(ctx, c, m); err != nil {
			return nil, err
		}
		applied = append(applied, refOf(m.Object))
	}
	claimed := map[string]bool{}
	if operatorRuns {
		claimed = clusterNamespaces(clusterScoped)
	}
	if err := ensureNamespaces(ctx, c, namespaces, claimed); err != nil {
		return nil, err
	}
	for _, m := range namespaced {
		if err := applyManifest(ctx, c, m); err != nil {
			return nil, err
		}
		applied = append(applied, refOf(m.Object))
	}
	return applied, nil
}

func applyManifest(ctx context.Context, c client.Client, m localcluster.Manifest) error {
	obj := m.Object.DeepCopy() // Apply overwrites it with the server's answer
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("%s: applying %s: %w", m.Source, describe(refOf(m.Object)), err)
	}
	log.Info("applied", "object", describe(refOf(m.Object)))
	return nil
}

// clusterNamespaces are the namespaces the ECS Clusters among the objects will have: a
// Cluster's spec.namespace or name, and each CellGroup tenant's
// tier-<tier>-cell-<cell>-ig-<infraGroup>-<tenant>.
func clusterNamespaces(objs []localcluster.Manifest) map[string]bool {
	out := map[string]bool{}
	for _, m := range objs {
		gvk := m.Object.GroupVersionKind()
		if gvk.Group != "ecs.operator.dev" {
			continue
		}
		switch gvk.Kind {
		case "Cluster":
			ns, _, _ := unstructured.NestedString(m.Object.Object, "spec", "namespace")
			if ns == "" {
				ns = m.Object.GetName()
			}
			out[ns] = true
		case "CellGroup":
			tier, _, _ := unstructured.NestedInt64(m.Object.Object, "spec", "tier")
			cell, _, _ := unstructured.NestedInt64(m.Object.Object, "spec", "cell")
			ig, _, _ := unstructured.NestedInt64(m.Object.Object, "spec", "infraGroup")
			tenants, _, _ := unstructured.NestedSlice(m.Object.Object, "spec", "tenants")
			for _, t := range tenants {
				if tm, ok := t.(map[string]any); ok {
					out[fmt.Sprintf("tier-%d-cell-%d-ig-%d-%v", tier, cell, ig, tm["name"])] = true
				}
			}
		}
	}
	return out
}

// clusterNamespaceWait is how long the operator gets to create a Cluster's namespace.
const clusterNamespaceWait = time.Minute

// ensureNamespaces makes sure the namespaces exist: it waits for those the operator's
// Clusters create (claimed) and creates the others.
func ensureNamespaces(ctx context.Context, c client.Client, names []string, claimed map[string]bool) error {
	for _, name := range names {
		if claimed[name] {
			if err := waitNamespace(ctx, c, name); err != nil {
				return err
			}
			continue
		}
		err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
		if err == nil {
			continue
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("reading namespace %s: %w", name, err)
		}
		err = c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
		log.Info("created namespace", "name", name)
	}
	return nil
}

// waitNamespace waits until the operator has created a Cluster's namespace.
func waitNamespace(ctx context.Context, c client.Client, name string) error {
	deadline := time.Now().Add(clusterNamespaceWait)
	for {
		err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
		switch {
		case err == nil:
			return nil
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading namespace %s: %w", name, err)
		case time.Now().After(deadline):
			return fmt.Errorf("the operator did not create namespace %s of its Cluster within %s; see its log above", name, clusterNamespaceWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func refOf(u *unstructured.Unstructured) objectRef {
	return objectRef{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// describe is "Kind namespace/name", or "Kind name" for a cluster-scoped object.
func describe(r objectRef) string {
	if r.Namespace == "" {
		return r.GVK.Kind + " " + r.Name
	}
	return r.GVK.Kind + " " + r.Namespace + "/" + r.Name
}

package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// FieldOwner is the one server-side apply field manager of every object ecs-operator writes.
const FieldOwner = client.FieldOwner("ecs-operator")

// annotationAppliedHash records the hash of what was last applied, so that a resync that would
// apply the same content makes no API request at all.
const annotationAppliedHash = "ecs.operator.dev/applied-hash"

// apply server-side-applies desired, built by a desiredX function, under FieldOwner. It skips
// the request when current (the object as cached, nil when absent) carries the hash of the same
// desired content.
func apply(ctx context.Context, c client.Client, scheme *runtime.Scheme, desired, current client.Object) error {
	gvk, err := apiutil.GVKForObject(desired, scheme)
	if err != nil {
		return err
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(desired)
	if err != nil {
		return fmt.Errorf("converting %s %s: %w", gvk.Kind, desired.GetName(), err)
	}
	obj := &unstructured.Unstructured{Object: u}
	obj.SetGroupVersionKind(gvk)
	pruneEmptyApplyFields(obj.Object)

	hash, err := contentHash(obj.Object)
	if err != nil {
		return err
	}
	if current != nil && current.GetAnnotations()[annotationAppliedHash] == hash {
		return nil
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annotationAppliedHash] = hash
	obj.SetAnnotations(annotations)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ecsv1.LabelManagedBy] = ecsv1.ManagedByValue
	obj.SetLabels(labels)

	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), FieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// ownershipError says that an object of the name ecs-operator needs exists and belongs to
// someone else; ecs-operator never takes such an object over.
type ownershipError struct {
	kind, namespace, name string
}

func (e *ownershipError) Error() string {
	name := e.name
	if e.namespace != "" {
		name = e.namespace + "/" + e.name
	}
	return fmt.Sprintf("%s %s already exists and is not ecs-operator's; rename or remove it, ecs-operator will not take it over",
		e.kind, name)
}

// ownershipProblem is the message of an ownershipError, or empty for any other error.
func ownershipProblem(err error) string {
	var oe *ownershipError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return ""
}

// applyOwned applies desired, which carries its owner as controller reference. current is the
// object from the cache (nil when the cache has none); because the cache holds only objects
// ecs-operator labelled, an absent one is confirmed with reader, and an existing object with
// another controller, or none, is refused with an ownershipError.
func applyOwned(ctx context.Context, c client.Client, reader client.Reader, scheme *runtime.Scheme, desired, current client.Object) error {
	if current == nil {
		probe, ok := desired.DeepCopyObject().(client.Object)
		if !ok {
			return fmt.Errorf("%T is not a client.Object", desired)
		}
		switch err := reader.Get(ctx, client.ObjectKeyFromObject(desired), probe); {
		case err == nil:
			current = probe
		case !apierrors.IsNotFound(err):
			return err
		}
	}
	if current != nil {
		owner := metav1.GetControllerOf(current)
		refs := desired.GetOwnerReferences()
		if owner == nil || len(refs) == 0 || owner.UID != refs[0].UID {
			gvk, _ := apiutil.GVKForObject(desired, scheme)
			return &ownershipError{kind: gvk.Kind, namespace: desired.GetNamespace(), name: desired.GetName()}
		}
	}
	return apply(ctx, c, scheme, desired, current)
}

// pruneEmptyApplyFields removes what a typed object carries but an apply configuration must not:
// the status, and the null creationTimestamps of the object and its templates.
func pruneEmptyApplyFields(u map[string]any) {
	delete(u, "status")
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if md, ok := v["metadata"].(map[string]any); ok {
				if md["creationTimestamp"] == nil {
					delete(md, "creationTimestamp")
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(u)
}

// contentHash is a short, stable hash of a JSON-able value.
func contentHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

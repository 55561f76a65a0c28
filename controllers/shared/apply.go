// Package shared holds what every ecs-operator reconciler does the same way: server-side apply
// with drift detection, finalizers and status written under an optimistic lock, conditions,
// task definition references, cache indexes and the small naming helpers.
package shared

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// FieldOwner is the one server-side apply field manager of every object ecs-operator writes.
const FieldOwner = client.FieldOwner("ecs-operator")

// AnnotationAppliedHash records the hash of what was last applied. After a restart, when the
// Applier has no memory of its own applies, an object carrying the hash of the same desired
// content is taken as applied, so that a restart writes nothing.
const AnnotationAppliedHash = "ecs.operator.dev/applied-hash"

// Applier server-side-applies desired objects under FieldOwner. It remembers, per object, the
// desired content it applied and a fingerprint of what the API server returned, and skips the
// request only when the object is still exactly that: any other change to a field it manages —
// a hand edit, a label removed, a different desired object — is applied again. Status-only
// changes (a controller updating the object's status) do not count as drift.
type Applier struct {
	Client client.Client
	// Reader reads past the cache, which holds only objects labelled managed-by=ecs-operator:
	// an object that lost that label is found there and given it back.
	Reader client.Reader
	Scheme *runtime.Scheme

	mu   sync.Mutex
	last map[applyKey]appliedState
	// owned indexes last by the controller owner of each object, so that an owner's deletion
	// forgets its children.
	owned map[types.UID][]applyKey
}

type applyKey struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

type appliedState struct {
	desiredHash string
	fingerprint string
	// checkedVersion is the last resourceVersion found to match fingerprint, so that an
	// unchanged object is not converted and hashed again on every reconcile.
	checkedVersion string
}

// Apply applies desired, built by a desiredX function. current is the object as cached, nil
// when the cache has none.
func (a *Applier) Apply(ctx context.Context, desired, current client.Object) error {
	obj, hash, err := a.prepare(desired)
	if err != nil {
		return err
	}
	key := applyKey{gvk: obj.GroupVersionKind(), namespace: obj.GetNamespace(), name: obj.GetName()}
	if current != nil {
		a.mu.Lock()
		st, known := a.last[key]
		a.mu.Unlock()
		if known && st.desiredHash == hash && st.checkedVersion == current.GetResourceVersion() {
			return nil // the very version already found in sync
		}
		live, err := runtime.DefaultUnstructuredConverter.ToUnstructured(current)
		if err != nil {
			return fmt.Errorf("converting %s %s: %w", key.gvk.Kind, obj.GetName(), err)
		}
		fp, err := fingerprint(live, obj)
		if err != nil {
			return err
		}
		a.mu.Lock()
		if !known && current.GetAnnotations()[AnnotationAppliedHash] == hash {
			// Applied by an earlier run of the operator: take it as ours as it is.
			st, known = appliedState{desiredHash: hash, fingerprint: fp}, true
		}
		inSync := known && st.desiredHash == hash && st.fingerprint == fp
		if inSync {
			// A status write or someone else's label changed the version, not our fields.
			st.checkedVersion = current.GetResourceVersion()
			a.remember(key, st)
		}
		a.mu.Unlock()
		if inSync {
			return nil
		}
	}
	sent := obj.DeepCopy()
	if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), FieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", key.gvk.Kind, objectName(sent), err)
	}
	// The object now holds the API server's answer: what the next comparison starts from.
	fp, err := fingerprint(obj.Object, sent)
	if err != nil {
		return err
	}
	a.mu.Lock()
	if _, seen := a.last[key]; !seen {
		if owner := metav1.GetControllerOf(sent); owner != nil {
			if a.owned == nil {
				a.owned = map[types.UID][]applyKey{}
			}
			a.owned[owner.UID] = append(a.owned[owner.UID], key)
		}
	}
	a.remember(key, appliedState{desiredHash: hash, fingerprint: fp, checkedVersion: obj.GetResourceVersion()})
	a.mu.Unlock()
	return nil
}

// ForgetOwner drops what the Applier remembers of the children of an owner that is gone.
func (a *Applier) ForgetOwner(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, key := range a.owned[uid] {
		delete(a.last, key)
	}
	delete(a.owned, uid)
}

// remember records an apply; a.mu must be held.
func (a *Applier) remember(key applyKey, st appliedState) {
	if a.last == nil {
		a.last = map[applyKey]appliedState{}
	}
	a.last[key] = st
}

// prepare turns desired into the unstructured object to apply, with the managed-by label and
// the hash of its content.
func (a *Applier) prepare(desired client.Object) (*unstructured.Unstructured, string, error) {
	gvk, err := apiutil.GVKForObject(desired, a.Scheme)
	if err != nil {
		return nil, "", err
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(desired)
	if err != nil {
		return nil, "", fmt.Errorf("converting %s %s: %w", gvk.Kind, desired.GetName(), err)
	}
	obj := &unstructured.Unstructured{Object: u}
	obj.SetGroupVersionKind(gvk)
	pruneEmptyApplyFields(obj.Object)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ecsv1.LabelManagedBy] = ecsv1.ManagedByValue
	obj.SetLabels(labels)
	hash, err := ContentHash(obj.Object)
	if err != nil {
		return nil, "", err
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationAppliedHash] = hash
	obj.SetAnnotations(annotations)
	return obj, hash, nil
}

func objectName(o client.Object) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// OwnershipError says that an object of the name ecs-operator needs exists and belongs to
// someone else; ecs-operator never takes such an object over.
type OwnershipError struct {
	Kind, Namespace, Name string
}

func (e *OwnershipError) Error() string {
	name := e.Name
	if e.Namespace != "" {
		name = e.Namespace + "/" + e.Name
	}
	return fmt.Sprintf("%s %s already exists and is not ecs-operator's; rename or remove it, ecs-operator will not take it over",
		e.Kind, name)
}

// OwnershipProblem is the message of an OwnershipError, or empty for any other error.
func OwnershipProblem(err error) string {
	var oe *OwnershipError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return ""
}

// ApplyOwned applies desired, which carries its owner as controller reference. current is the
// object from the cache (nil when the cache has none); because the cache holds only objects
// ecs-operator labelled, an absent one is looked up past the cache, and an existing object with
// another controller, or none, is refused with an OwnershipError.
func (a *Applier) ApplyOwned(ctx context.Context, desired, current client.Object) error {
	if current == nil {
		probe, ok := desired.DeepCopyObject().(client.Object)
		if !ok {
			return fmt.Errorf("%T is not a client.Object", desired)
		}
		switch err := a.Reader.Get(ctx, client.ObjectKeyFromObject(desired), probe); {
		case err == nil:
			// Outside the cache means our label is gone: apply, which restores it.
			owner := metav1.GetControllerOf(probe)
			refs := desired.GetOwnerReferences()
			if owner == nil || len(refs) == 0 || owner.UID != refs[0].UID {
				return a.ownershipError(desired)
			}
		case !apierrors.IsNotFound(err):
			return err
		}
		return a.Apply(ctx, desired, nil)
	}
	owner := metav1.GetControllerOf(current)
	refs := desired.GetOwnerReferences()
	if owner == nil || len(refs) == 0 || owner.UID != refs[0].UID {
		return a.ownershipError(desired)
	}
	return a.Apply(ctx, desired, current)
}

// ApplyCached reads desired's current version from the cache into current (an empty object of
// the same type), then applies it with ApplyOwned.
func (a *Applier) ApplyCached(ctx context.Context, desired, current client.Object) error {
	err := a.Client.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		return a.ApplyOwned(ctx, desired, nil)
	case err != nil:
		return err
	}
	return a.ApplyOwned(ctx, desired, current)
}

func (a *Applier) ownershipError(desired client.Object) error {
	gvk, _ := apiutil.GVKForObject(desired, a.Scheme)
	return &OwnershipError{Kind: gvk.Kind, Namespace: desired.GetNamespace(), Name: desired.GetName()}
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

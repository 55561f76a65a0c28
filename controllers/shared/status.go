package shared

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RequeueOnConflict is how soon a reconcile that lost a write race runs again, on the newer
// object.
const RequeueOnConflict = 100 * time.Millisecond

// ErrStatusRejected wraps a status write the API server refused as invalid: a bug in what the
// operator computed, which retrying cannot fix.
var ErrStatusRejected = errors.New("the API server rejected the status")

// PatchStatus is the one way every reconciler writes status: only when it differs from
// original (the object as read), as a merge patch that carries obj's resourceVersion, so a
// reconcile that read a stale object never overwrites a newer status. It reports a lost race
// as conflict, for the caller to requeue without an error.
func PatchStatus(ctx context.Context, c client.Client, obj, original client.Object) (conflict bool, err error) {
	changed, err := statusChanged(obj, original)
	if err != nil || !changed {
		return false, err
	}
	// The lock is on the object as this reconcile last saw it: read, or written since (a
	// finalizer added), not on the copy the status diff starts from.
	base, ok := original.DeepCopyObject().(client.Object)
	if !ok {
		return false, fmt.Errorf("%T is not a client.Object", original)
	}
	base.SetResourceVersion(obj.GetResourceVersion())
	perr := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	switch {
	case perr == nil || apierrors.IsNotFound(perr):
		return false, nil
	case apierrors.IsConflict(perr):
		return true, nil
	case apierrors.IsInvalid(perr):
		return false, fmt.Errorf("%w: %w", ErrStatusRejected, perr)
	}
	return false, fmt.Errorf("patching status: %w", perr)
}

// FinishStatus is PatchStatus on the way out of a reconcile that ended with result and err: a
// lost race requeues shortly; a failed write becomes the reconcile's error, unless it already
// has one.
func FinishStatus(ctx context.Context, c client.Client, obj, original client.Object, result *ctrl.Result, err *error) {
	if ConflictIsRequeue(result, err) {
		return
	}
	conflict, werr := PatchStatus(ctx, c, obj, original)
	switch {
	case *err != nil:
	case conflict:
		*result = ctrl.Result{RequeueAfter: RequeueOnConflict}
	case werr != nil:
		*err, *result = werr, ctrl.Result{}
	}
}

// statusChanged compares the Status fields of two objects of one API type.
func statusChanged(obj, original client.Object) (bool, error) {
	a, b := reflect.ValueOf(obj), reflect.ValueOf(original)
	if a.Kind() != reflect.Pointer || b.Type() != a.Type() {
		return false, fmt.Errorf("comparing the status of %T with that of %T", obj, original)
	}
	sa, sb := a.Elem().FieldByName("Status"), b.Elem().FieldByName("Status")
	if !sa.IsValid() || !sb.IsValid() {
		return false, fmt.Errorf("%T has no status", obj)
	}
	return !equality.Semantic.DeepEqual(sa.Interface(), sb.Interface()), nil
}

// ConflictIsRequeue turns a reconcile that failed on a write conflict (a finalizer patched from
// a stale object) into a short requeue without an error: the object changed, and the next
// reconcile starts from the newer one. It reports whether it did, so that nothing computed
// from the stale object is written.
func ConflictIsRequeue(result *ctrl.Result, err *error) bool {
	if *err == nil || !apierrors.IsConflict(*err) {
		return false
	}
	*err, *result = nil, ctrl.Result{RequeueAfter: RequeueOnConflict}
	return true
}

package ecsapi

import (
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// apiError is an ECS error: its type (the SDK's error code) and message, sent with the HTTP
// status ECS uses.
type apiError struct {
	Type    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func newError(typ string, status int, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...), Status: status}
}

func clientError(format string, args ...any) *apiError {
	return newError("ClientException", http.StatusBadRequest, format, args...)
}

func invalidParameter(format string, args ...any) *apiError {
	return newError("InvalidParameterException", http.StatusBadRequest, format, args...)
}

func clusterNotFound() *apiError {
	return newError("ClusterNotFoundException", http.StatusBadRequest, "Cluster not found.")
}

func serviceNotFound() *apiError {
	return newError("ServiceNotFoundException", http.StatusBadRequest, "Service not found.")
}

// fromKubernetes turns an API server refusal into ECS's error for it; a transient failure is a
// ServerException the SDK retries.
func fromKubernetes(err error) *apiError {
	var e *apiError
	switch {
	case errors.As(err, &e):
		return e
	case apierrors.IsForbidden(err):
		return newError("AccessDeniedException", http.StatusBadRequest, "User is not authorized to perform this action: %s", apierrors.ReasonForError(err))
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return invalidParameter("%s", statusMessage(err))
	case apierrors.IsAlreadyExists(err):
		return invalidParameter("%s", statusMessage(err))
	case apierrors.IsConflict(err):
		// Another writer won a race: the SDKs retry a ServerException.
		return newError("ServerException", http.StatusInternalServerError, "%s", statusMessage(err))
	case apierrors.IsNotFound(err):
		return clientError("%s", statusMessage(err))
	case apierrors.IsTooManyRequests(err):
		return newError("ThrottlingException", http.StatusBadRequest, "Rate exceeded")
	}
	return newError("ServerException", http.StatusInternalServerError, "%v", err)
}

func statusMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

package workload

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/ecs-operator/ecs-operator/internal/webhook/lookup"
)

// +kubebuilder:webhook:path=/validate-ecs-operator-dev-v1alpha1-service-scale,mutating=false,failurePolicy=fail,sideEffects=None,timeoutSeconds=3,groups=ecs.operator.dev,resources=services/scale,verbs=update,versions=v1alpha1,name=vservicescale.ecs.operator.dev,admissionReviewVersions=v1

// ScalePath is where the scale webhook is served.
const ScalePath = "/validate-ecs-operator-dev-v1alpha1-service-scale"

// setupScale registers the webhook that holds `kubectl scale` (and autoscalers) to the same
// maxTasksPerService as a write of desiredCount: scale writes go to the subresource, which the
// Service webhook does not see.
func setupScale(mgr ctrl.Manager) {
	mgr.GetWebhookServer().Register(ScalePath, admission.WithValidator[*autoscalingv1.Scale](mgr.GetScheme(), &ScaleValidator{Reader: mgr.GetClient()}))
}

// ScaleValidator bounds the replicas of a Service's scale subresource.
type ScaleValidator struct{ Reader client.Reader }

// ValidateCreate admits creates (scale is only updated).
func (v *ScaleValidator) ValidateCreate(context.Context, *autoscalingv1.Scale) (admission.Warnings, error) {
	return nil, nil
}

// ValidateUpdate refuses scaling a Service beyond its Cluster's maxTasksPerService.
func (v *ScaleValidator) ValidateUpdate(ctx context.Context, _, scale *autoscalingv1.Scale) (admission.Warnings, error) {
	cluster, err := lookup.ClusterOfNamespace(ctx, v.Reader, scale.Namespace)
	if err != nil || cluster == nil {
		return nil, err
	}
	limit := int32(defaultMaxTasksPerService)
	if q := cluster.Spec.Quota; q != nil && q.MaxTasksPerService != nil {
		limit = *q.MaxTasksPerService
	}
	if scale.Spec.Replicas > limit {
		return nil, invalid("Service", scale.Name, field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas,
			fmt.Sprintf("exceeds cluster %s's maxTasksPerService of %d", cluster.Name, limit))})
	}
	return nil, nil
}

// ValidateDelete admits deletes.
func (v *ScaleValidator) ValidateDelete(context.Context, *autoscalingv1.Scale) (admission.Warnings, error) {
	return nil, nil
}

package shared

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// PortServiceName names the Kubernetes Service of one container port of an ECS Service.
func PortServiceName(svc *ecsv1.Service, port int32) string {
	name := fmt.Sprintf("%s-%d", svc.Name, port)
	if len(validation.IsDNS1035Label(name)) > 0 {
		name = fmt.Sprintf("ecs-%s-%d", LabelValue(svc.Name), port)
	}
	return name
}

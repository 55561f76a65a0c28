package shared

import (
	"crypto/sha256"
	"encoding/hex"
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

// TestPortServiceName names the Kubernetes Service that carries one container port's test
// traffic (ECS's test listener) to a Service's new revision during a blue/green, linear or
// canary deployment.
func TestPortServiceName(svc *ecsv1.Service, port int32) string {
	name := fmt.Sprintf("%s-%d-test", svc.Name, port)
	if len(validation.IsDNS1035Label(name)) > 0 {
		sum := sha256.Sum256([]byte(svc.Name))
		name = fmt.Sprintf("ecs-%s-%d-test", hex.EncodeToString(sum[:])[:10], port)
	}
	return name
}

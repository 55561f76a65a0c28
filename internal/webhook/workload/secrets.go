package workload

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// validateSecretSources checks that every secret's valueFrom is a Secrets Manager or SSM
// Parameter Store ARN (or parameter name), as ECS accepts.
func validateSecretSources(spec *ecsv1.TaskDefinitionSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	check := func(p *field.Path, secrets []ecsv1.Secret) {
		for i, s := range secrets {
			if _, err := ecs.ParseSecretValueFrom(s.ValueFrom); err != nil {
				errs = append(errs, field.Invalid(p.Index(i).Child("valueFrom"), s.ValueFrom, err.Error()))
			}
		}
	}
	for i, c := range spec.ContainerDefinitions {
		cp := path.Child("containerDefinitions").Index(i)
		check(cp.Child("secrets"), c.Secrets)
		if c.LogConfiguration != nil {
			check(cp.Child("logConfiguration", "secretOptions"), c.LogConfiguration.SecretOptions)
		}
	}
	return errs
}

package workload

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// validateExpression parses a memberOf expression; the error names the position the parser
// stopped at.
func validateExpression(p *field.Path, expr string) *field.Error {
	if _, err := ecs.ParseExpression(expr); err != nil {
		return field.Invalid(p, expr, err.Error())
	}
	return nil
}

func validateTaskDefinitionPlacement(spec *ecsv1.TaskDefinitionSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range spec.PlacementConstraints {
		if err := validateExpression(path.Child("placementConstraints").Index(i).Child("expression"), c.Expression); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func validatePlacementConstraints(constraints []ecsv1.PlacementConstraint, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range constraints {
		if c.Type != ecsv1.PlacementConstraintMemberOf {
			continue
		}
		if err := validateExpression(path.Index(i).Child("expression"), c.Expression); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

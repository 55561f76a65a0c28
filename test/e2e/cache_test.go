package e2e

// The suite runs the operator binary it builds with `go build`, which go test's cache does not
// see: importing the operator's packages makes a change to them re-run the suite instead of
// replaying a cached pass.
import (
	_ "github.com/ecs-operator/ecs-operator/controllers"
	_ "github.com/ecs-operator/ecs-operator/internal/webhook/cluster"
	_ "github.com/ecs-operator/ecs-operator/internal/webhook/namespace"
	_ "github.com/ecs-operator/ecs-operator/internal/webhook/pod"
	_ "github.com/ecs-operator/ecs-operator/internal/webhook/workload"
)

package service

import (
	"fmt"
	"math"
	"time"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// ECS's defaults for the traffic-shifting strategies.
const (
	defaultStepPercent           = 10.0
	defaultStepBakeTimeInMinutes = 6
	defaultCanaryPercent         = 5.0
	defaultCanaryBakeTimeMinutes = 10
)

// stageOrder is the order ECS runs a BLUE_GREEN, LINEAR or CANARY deployment's stages in.
var stageOrder = []ecsv1.LifecycleStage{
	ecsv1.StageReconcileService,
	ecsv1.StagePreScaleUp,
	ecsv1.StageScaleUp,
	ecsv1.StagePostScaleUp,
	ecsv1.StageTestTrafficShift,
	ecsv1.StagePostTestTrafficShift,
	ecsv1.StageProductionTrafficShift,
	ecsv1.StagePostProductionTrafficShift,
	ecsv1.StageBakeTime,
	ecsv1.StageCleanUp,
}

func stageIndex(s ecsv1.LifecycleStage) int {
	for i, x := range stageOrder {
		if x == s {
			return i
		}
	}
	return -1
}

// deploymentStrategy is the strategy a Service deploys with: CODE_DEPLOY, whose traffic
// shifting ecs-operator runs itself, is BLUE_GREEN unless the configuration names LINEAR or
// CANARY; DAEMON services roll.
func deploymentStrategy(svc *ecsv1.Service) ecsv1.DeploymentStrategy {
	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		return ecsv1.StrategyRolling
	}
	strategy := ecsv1.StrategyRolling
	if dc := svc.Spec.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		strategy = dc.Strategy
	}
	if c := svc.Spec.DeploymentController; c != nil && c.Type == ecsv1.DeploymentControllerCodeDeploy && strategy == ecsv1.StrategyRolling {
		strategy = ecsv1.StrategyBlueGreen
	}
	return strategy
}

// trafficTarget is which revisions a production Service selects.
type trafficTarget int

const (
	trafficBlue  trafficTarget = iota // the running revision only
	trafficBoth                       // every task: LINEAR and CANARY shift by task counts
	trafficGreen                      // the new revision only
)

// hookResult is what a stage's lifecycle hooks answered.
type hookResult struct {
	// Status is SUCCEEDED (or no hook), FAILED or IN_PROGRESS (no answer yet included).
	Status string
	// Message says what is awaited or why the hook failed.
	Message string
	// RetryAfter is when to ask an IN_PROGRESS hook again.
	RetryAfter time.Duration
}

const (
	hookSucceeded  = "SUCCEEDED"
	hookFailed     = "FAILED"
	hookInProgress = "IN_PROGRESS"
)

// stageInput is what the stage machine of a traffic-shifting deployment looks at.
type stageInput struct {
	Strategy ecsv1.DeploymentStrategy
	Config   *ecsv1.DeploymentConfiguration
	// Stage and StartedAt are where the deployment was, empty when it starts now.
	Stage     ecsv1.LifecycleStage
	StartedAt time.Time
	Now       time.Time
	// Minute is how long a configured minute lasts (a minute, unless the operator was told
	// otherwise to run bake times quickly).
	Minute  time.Duration
	Desired int32
	// GreenReady is how many of the new revision's tasks are running and healthy.
	GreenReady int32
	// HasBlue is false for a Service's first deployment: nothing to shift traffic from.
	HasBlue bool
	// BlueTasks is how many tasks of older revisions remain.
	BlueTasks int32
	// Frozen holds the deployment where it is (it failed and is not rolled back).
	Frozen bool
	// Weighted is set when an HTTPRoute carries the Service's production traffic: LINEAR and
	// CANARY then shift it by backend weights between the production Service (blue) and the
	// test Service (green), both revisions at full size, instead of by task counts.
	Weighted bool
	// Hooks answers for the hooks of a stage; nil means no hooks.
	Hooks func(ecsv1.LifecycleStage) hookResult
}

// stageResult is what the deployment runs at its stage.
type stageResult struct {
	Stage     ecsv1.LifecycleStage
	StartedAt time.Time
	// GreenReplicas and BlueReplicas are the tasks each revision runs.
	GreenReplicas, BlueReplicas int32
	// Production is what production traffic reaches; Weight is the new revision's share in
	// percent.
	Production trafficTarget
	Weight     int32
	// Done is set once CLEAN_UP finished: the deployment may complete.
	Done bool
	// Waiting says what the deployment waits for, for the Reconciling condition.
	Waiting string
	// HookFailed is set when a lifecycle hook failed the deployment.
	HookFailed string
	// RetryAfter is when a timer (a bake time, a step, a hook to ask again) runs out.
	RetryAfter time.Duration
}

// advanceStages moves a traffic-shifting deployment through as many stages as it can finish
// now and says what it runs at the stage where it stops. Pure: the reconciler writes the
// result.
func advanceStages(in stageInput) stageResult {
	stage, started := in.Stage, in.StartedAt
	if stageIndex(stage) < 0 {
		stage, started = stageOrder[0], in.Now
	}
	for {
		res := stageShape(in, stage, started)
		if in.Frozen {
			res.Waiting = "the deployment failed and is held at " + string(stage)
			return res
		}
		finished := stageWorkDone(in, &res)
		if finished && hookStage(stage) && in.Hooks != nil {
			h := in.Hooks(stage)
			switch h.Status {
			case hookFailed:
				res.HookFailed = h.Message
				return res
			case hookInProgress:
				res.Waiting, res.RetryAfter, finished = h.Message, minPositive(res.RetryAfter, h.RetryAfter), false
			}
		}
		if !finished {
			return res
		}
		next := stageIndex(stage) + 1
		if next == len(stageOrder) {
			res.Done, res.Waiting, res.RetryAfter = true, "", 0
			return res
		}
		stage, started = stageOrder[next], in.Now
	}
}

// hookStage reports the stages lifecycle hooks may run at.
func hookStage(s ecsv1.LifecycleStage) bool {
	switch s {
	case ecsv1.StageScaleUp, ecsv1.StageBakeTime, ecsv1.StageCleanUp:
		return false
	}
	return true
}

// stageShape is what each revision runs and where production traffic goes at a stage.
func stageShape(in stageInput, stage ecsv1.LifecycleStage, started time.Time) stageResult {
	res := stageResult{Stage: stage, StartedAt: started, BlueReplicas: in.Desired}
	i := stageIndex(stage)
	stepped := in.Strategy == ecsv1.StrategyLinear || in.Strategy == ecsv1.StrategyCanary
	shifting := stepped && !in.Weighted // shifting by task counts
	switch {
	case i < stageIndex(ecsv1.StageScaleUp):
		res.GreenReplicas = 0
	case i < stageIndex(ecsv1.StageProductionTrafficShift):
		res.GreenReplicas = in.Desired
		if shifting {
			// Traffic follows task counts: green starts with its first step's share.
			res.GreenReplicas = share(in.Desired, firstWeight(in))
		}
	case stage == ecsv1.StageProductionTrafficShift:
		res.GreenReplicas, res.Production, res.Weight = in.Desired, trafficGreen, 100
		if stepped && in.Weighted {
			// The production Service stays on blue; the route weighs it against green's.
			res.Weight, res.RetryAfter = shiftWeight(in, in.Now.Sub(started))
			res.Production = trafficBlue
		}
		if shifting {
			w, next := shiftWeight(in, in.Now.Sub(started))
			res.Weight, res.RetryAfter = w, next
			res.GreenReplicas = share(in.Desired, float64(w))
			// Blue gives up only what green already serves, so capacity never dips.
			res.BlueReplicas = in.Desired - min(res.GreenReplicas, in.GreenReady)
			res.Production = trafficBoth
		}
	default:
		res.GreenReplicas, res.Production, res.Weight = in.Desired, trafficGreen, 100
		if shifting || stage == ecsv1.StageCleanUp {
			res.BlueReplicas = 0
		}
	}
	if !in.HasBlue {
		res.BlueReplicas, res.Production, res.Weight = 0, trafficGreen, 100
		if i >= stageIndex(ecsv1.StageScaleUp) {
			res.GreenReplicas = in.Desired
		}
	}
	return res
}

// stageWorkDone reports whether the stage's own work is done, and says what it waits for.
func stageWorkDone(in stageInput, res *stageResult) bool {
	switch res.Stage {
	case ecsv1.StageScaleUp:
		if in.GreenReady < res.GreenReplicas {
			res.Waiting = fmt.Sprintf("%d of %d tasks of the new revision running", in.GreenReady, res.GreenReplicas)
			return false
		}
	case ecsv1.StageProductionTrafficShift:
		if res.Weight < 100 {
			res.Waiting = fmt.Sprintf("%d%% of production traffic shifted", res.Weight)
			return false
		}
		if in.GreenReady < in.Desired {
			res.Waiting = fmt.Sprintf("%d of %d tasks of the new revision running", in.GreenReady, in.Desired)
			return false
		}
	case ecsv1.StageBakeTime:
		var bake time.Duration
		if in.Config != nil {
			bake = time.Duration(ptr.Deref(in.Config.BakeTimeInMinutes, 0)) * in.Minute
		}
		if left := bake - in.Now.Sub(res.StartedAt); left > 0 {
			res.Waiting = fmt.Sprintf("baking for %s more", left.Round(time.Second))
			res.RetryAfter = left
			return false
		}
	case ecsv1.StageCleanUp:
		if in.BlueTasks > 0 {
			res.Waiting = fmt.Sprintf("%d tasks of the previous revision stopping", in.BlueTasks)
			return false
		}
	}
	return true
}

// firstWeight is the share of production traffic the first shift gives the new revision.
func firstWeight(in stageInput) float64 {
	if in.Strategy == ecsv1.StrategyCanary {
		return canaryPercent(in.Config)
	}
	return stepPercent(in.Config)
}

// shiftWeight is the new revision's production share after elapsed in PRODUCTION_TRAFFIC_SHIFT,
// and how long until it next changes (0 once it is 100).
func shiftWeight(in stageInput, elapsed time.Duration) (int32, time.Duration) {
	if in.Strategy == ecsv1.StrategyCanary {
		bake := time.Duration(canaryBake(in.Config)) * in.Minute
		if bake <= 0 || elapsed >= bake {
			return 100, 0
		}
		return int32(math.Round(canaryPercent(in.Config))), bake - elapsed
	}
	bake := time.Duration(stepBake(in.Config)) * in.Minute
	if bake <= 0 {
		return 100, 0
	}
	step := int64(elapsed / bake)
	percent := stepPercent(in.Config) * float64(step+1)
	if percent >= 100 {
		return 100, 0
	}
	return int32(math.Round(percent)), time.Duration(step+1)*bake - elapsed
}

// share is the number of tasks that carry percent of the traffic: at least one while the share
// is above zero, all of them at 100.
func share(desired int32, percent float64) int32 {
	if percent <= 0 || desired == 0 {
		return 0
	}
	n := int32(math.Ceil(float64(desired) * percent / 100))
	return min(max(n, 1), desired)
}

func stepPercent(dc *ecsv1.DeploymentConfiguration) float64 {
	if dc != nil && dc.LinearConfiguration != nil && dc.LinearConfiguration.StepPercent != nil {
		return *dc.LinearConfiguration.StepPercent
	}
	return defaultStepPercent
}

func stepBake(dc *ecsv1.DeploymentConfiguration) int32 {
	if dc != nil && dc.LinearConfiguration != nil && dc.LinearConfiguration.StepBakeTimeInMinutes != nil {
		return *dc.LinearConfiguration.StepBakeTimeInMinutes
	}
	return defaultStepBakeTimeInMinutes
}

func canaryPercent(dc *ecsv1.DeploymentConfiguration) float64 {
	if dc != nil && dc.CanaryConfiguration != nil && dc.CanaryConfiguration.CanaryPercent != nil {
		return *dc.CanaryConfiguration.CanaryPercent
	}
	return defaultCanaryPercent
}

func canaryBake(dc *ecsv1.DeploymentConfiguration) int32 {
	if dc != nil && dc.CanaryConfiguration != nil && dc.CanaryConfiguration.CanaryBakeTimeInMinutes != nil {
		return *dc.CanaryConfiguration.CanaryBakeTimeInMinutes
	}
	return defaultCanaryBakeTimeMinutes
}

func minPositive(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

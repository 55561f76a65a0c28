package service

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestAdvanceStages_EachStrategyRunsECSStagesWithItsTrafficAndTaskCounts(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	blueGreen := &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyBlueGreen, BakeTimeInMinutes: ptr.To[int32](5)}
	canary := &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyCanary, BakeTimeInMinutes: ptr.To[int32](0),
		CanaryConfiguration: &ecsv1.CanaryConfiguration{CanaryPercent: ptr.To(20.0), CanaryBakeTimeInMinutes: ptr.To[int32](2)}}
	linear := &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyLinear,
		LinearConfiguration: &ecsv1.LinearConfiguration{StepPercent: ptr.To(25.0), StepBakeTimeInMinutes: ptr.To[int32](1)}}
	hooks := func(stage ecsv1.LifecycleStage, status string) func(ecsv1.LifecycleStage) hookResult {
		return func(s ecsv1.LifecycleStage) hookResult {
			if s == stage {
				return hookResult{Status: status, Message: "hook says " + status, RetryAfter: 30 * time.Second}
			}
			return hookResult{Status: hookSucceeded}
		}
	}
	for _, tc := range []struct {
		name string
		in   stageInput
		want stageResult
	}{
		{
			name: "blue/green starts green beside blue, production stays on blue",
			in:   stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 3, GreenReady: 1, HasBlue: true, BlueTasks: 3},
			want: stageResult{Stage: ecsv1.StageScaleUp, GreenReplicas: 3, BlueReplicas: 3, Production: trafficBlue, Waiting: "1 of 3 tasks of the new revision running"},
		},
		{
			name: "blue/green with green ready switches production at once and bakes with blue kept",
			in:   stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 3, GreenReady: 3, HasBlue: true, BlueTasks: 3},
			want: stageResult{Stage: ecsv1.StageBakeTime, GreenReplicas: 3, BlueReplicas: 3, Production: trafficGreen, Weight: 100,
				Waiting: "baking for 5m0s more", RetryAfter: 5 * time.Minute},
		},
		{
			name: "blue/green after the bake time removes blue",
			in: stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 3, GreenReady: 3, HasBlue: true, BlueTasks: 3,
				Stage: ecsv1.StageBakeTime, StartedAt: now.Add(-5 * time.Minute)},
			want: stageResult{Stage: ecsv1.StageCleanUp, GreenReplicas: 3, BlueReplicas: 0, Production: trafficGreen, Weight: 100,
				Waiting: "3 tasks of the previous revision stopping"},
		},
		{
			name: "blue/green is done once blue's tasks are gone",
			in: stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 3, GreenReady: 3, HasBlue: true,
				Stage: ecsv1.StageCleanUp, StartedAt: now},
			want: stageResult{Stage: ecsv1.StageCleanUp, GreenReplicas: 3, Production: trafficGreen, Weight: 100, Done: true},
		},
		{
			name: "a hook in progress holds its stage and is asked again",
			in: stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 2, GreenReady: 2, HasBlue: true, BlueTasks: 2,
				Hooks: hooks(ecsv1.StagePostScaleUp, hookInProgress)},
			want: stageResult{Stage: ecsv1.StagePostScaleUp, GreenReplicas: 2, BlueReplicas: 2, Production: trafficBlue,
				Waiting: "hook says IN_PROGRESS", RetryAfter: 30 * time.Second},
		},
		{
			name: "a failed hook fails the deployment before production traffic moves",
			in: stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 2, GreenReady: 2, HasBlue: true, BlueTasks: 2,
				Hooks: hooks(ecsv1.StageTestTrafficShift, hookFailed)},
			want: stageResult{Stage: ecsv1.StageTestTrafficShift, GreenReplicas: 2, BlueReplicas: 2, Production: trafficBlue, HookFailed: "hook says FAILED"},
		},
		{
			name: "canary starts with its share of the tasks",
			in:   stageInput{Strategy: ecsv1.StrategyCanary, Config: canary, Desired: 10, GreenReady: 0, HasBlue: true, BlueTasks: 10},
			want: stageResult{Stage: ecsv1.StageScaleUp, GreenReplicas: 2, BlueReplicas: 10, Production: trafficBlue, Waiting: "0 of 2 tasks of the new revision running"},
		},
		{
			name: "canary shifts its percentage by task counts during the canary bake",
			in: stageInput{Strategy: ecsv1.StrategyCanary, Config: canary, Desired: 10, GreenReady: 2, HasBlue: true, BlueTasks: 10,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-time.Minute)},
			want: stageResult{Stage: ecsv1.StageProductionTrafficShift, GreenReplicas: 2, BlueReplicas: 8, Production: trafficBoth, Weight: 20,
				Waiting: "20% of production traffic shifted", RetryAfter: time.Minute},
		},
		{
			name: "canary shifts the rest after the canary bake, blue shrinking only as green runs",
			in: stageInput{Strategy: ecsv1.StrategyCanary, Config: canary, Desired: 10, GreenReady: 4, HasBlue: true, BlueTasks: 8,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-2 * time.Minute)},
			want: stageResult{Stage: ecsv1.StageProductionTrafficShift, GreenReplicas: 10, BlueReplicas: 6, Production: trafficBoth, Weight: 100,
				Waiting: "4 of 10 tasks of the new revision running"},
		},
		{
			name: "linear steps by stepPercent every stepBakeTime",
			in: stageInput{Strategy: ecsv1.StrategyLinear, Config: linear, Desired: 8, GreenReady: 2, HasBlue: true, BlueTasks: 8,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-90 * time.Second)},
			want: stageResult{Stage: ecsv1.StageProductionTrafficShift, GreenReplicas: 4, BlueReplicas: 6, Production: trafficBoth, Weight: 50,
				Waiting: "50% of production traffic shifted", RetryAfter: 30 * time.Second},
		},
		{
			name: "linear at 100% with green running moves on and scales blue away",
			in: stageInput{Strategy: ecsv1.StrategyLinear, Config: linear, Desired: 8, GreenReady: 8, HasBlue: true, BlueTasks: 1,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-4 * time.Minute)},
			want: stageResult{Stage: ecsv1.StageCleanUp, GreenReplicas: 8, BlueReplicas: 0, Production: trafficGreen, Weight: 100,
				Waiting: "1 tasks of the previous revision stopping"},
		},
		{
			name: "behind an HTTPRoute, linear runs green at full size and weighs production on blue against it",
			in: stageInput{Strategy: ecsv1.StrategyLinear, Config: linear, Desired: 8, GreenReady: 8, HasBlue: true, BlueTasks: 8, Weighted: true,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-90 * time.Second)},
			want: stageResult{Stage: ecsv1.StageProductionTrafficShift, GreenReplicas: 8, BlueReplicas: 8, Production: trafficBlue, Weight: 50,
				Waiting: "50% of production traffic shifted", RetryAfter: 30 * time.Second},
		},
		{
			name: "behind an HTTPRoute, canary scales green up in full before the shift",
			in:   stageInput{Strategy: ecsv1.StrategyCanary, Config: canary, Desired: 10, GreenReady: 3, HasBlue: true, BlueTasks: 10, Weighted: true},
			want: stageResult{Stage: ecsv1.StageScaleUp, GreenReplicas: 10, BlueReplicas: 10, Production: trafficBlue, Waiting: "3 of 10 tasks of the new revision running"},
		},
		{
			name: "behind an HTTPRoute, blue stays at full size through the bake time",
			in: stageInput{Strategy: ecsv1.StrategyCanary, Config: &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyCanary, BakeTimeInMinutes: ptr.To[int32](3),
				CanaryConfiguration: canary.CanaryConfiguration}, Desired: 10, GreenReady: 10, HasBlue: true, BlueTasks: 10, Weighted: true,
				Stage: ecsv1.StageProductionTrafficShift, StartedAt: now.Add(-2 * time.Minute)},
			want: stageResult{Stage: ecsv1.StageBakeTime, GreenReplicas: 10, BlueReplicas: 10, Production: trafficGreen, Weight: 100,
				Waiting: "baking for 3m0s more", RetryAfter: 3 * time.Minute},
		},
		{
			name: "a first deployment has no blue: green takes production from the start",
			in:   stageInput{Strategy: ecsv1.StrategyCanary, Config: canary, Desired: 4, GreenReady: 4},
			want: stageResult{Stage: ecsv1.StageCleanUp, GreenReplicas: 4, Production: trafficGreen, Weight: 100, Done: true},
		},
		{
			name: "a failed deployment is held where it is",
			in: stageInput{Strategy: ecsv1.StrategyBlueGreen, Config: blueGreen, Desired: 3, GreenReady: 3, HasBlue: true, BlueTasks: 3,
				Stage: ecsv1.StageScaleUp, StartedAt: now, Frozen: true},
			want: stageResult{Stage: ecsv1.StageScaleUp, GreenReplicas: 3, BlueReplicas: 3, Production: trafficBlue,
				Waiting: "the deployment failed and is held at SCALE_UP"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now, tc.in.Minute = now, time.Minute
			got := advanceStages(tc.in)
			if tc.want.StartedAt.IsZero() {
				tc.want.StartedAt = now
				if tc.in.Stage == tc.want.Stage && !tc.in.StartedAt.IsZero() {
					tc.want.StartedAt = tc.in.StartedAt
				}
			}
			if got != tc.want {
				t.Fatalf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDeploymentStrategy_CodeDeployIsBlueGreenAndDaemonsRoll(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec ecsv1.ServiceSpec
		want ecsv1.DeploymentStrategy
	}{
		{"unset is rolling", ecsv1.ServiceSpec{}, ecsv1.StrategyRolling},
		{"canary", ecsv1.ServiceSpec{DeploymentConfiguration: &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyCanary}}, ecsv1.StrategyCanary},
		{"CODE_DEPLOY is blue/green", ecsv1.ServiceSpec{DeploymentController: &ecsv1.DeploymentController{Type: ecsv1.DeploymentControllerCodeDeploy}}, ecsv1.StrategyBlueGreen},
		{"CODE_DEPLOY with linear stays linear", ecsv1.ServiceSpec{
			DeploymentController:    &ecsv1.DeploymentController{Type: ecsv1.DeploymentControllerCodeDeploy},
			DeploymentConfiguration: &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyLinear}}, ecsv1.StrategyLinear},
		{"daemon rolls", ecsv1.ServiceSpec{SchedulingStrategy: ecsv1.SchedulingDaemon,
			DeploymentController: &ecsv1.DeploymentController{Type: ecsv1.DeploymentControllerCodeDeploy}}, ecsv1.StrategyRolling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := deploymentStrategy(&ecsv1.Service{Spec: tc.spec}); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestShare_RoundsUpAndKeepsAtLeastOneTask(t *testing.T) {
	for _, tc := range []struct {
		desired int32
		percent float64
		want    int32
	}{{10, 5, 1}, {10, 20, 2}, {10, 25, 3}, {3, 100, 3}, {0, 50, 0}, {4, 0, 0}} {
		if got := share(tc.desired, tc.percent); got != tc.want {
			t.Errorf("share(%d, %v) = %d, want %d", tc.desired, tc.percent, got, tc.want)
		}
	}
}

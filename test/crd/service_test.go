package crd

import (
	"testing"
)

func validService(ns string) func() obj {
	return func() obj {
		o := fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
spec:
  taskDefinition: web
  desiredCount: 3
  deploymentConfiguration:
    deploymentCircuitBreaker:
      enable: true
      rollback: true
  placementConstraints:
  - type: distinctInstance
  placementStrategy:
  - type: spread
    field: attribute:ecs.availability-zone
  loadBalancers:
  - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123456789abcdef
    containerName: web
    containerPort: 80
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-1, subnet-2]
      securityGroups: [sg-1]
      assignPublicIp: DISABLED
  healthCheckGracePeriodSeconds: 60
`)
		o.set("metadata.namespace", ns)
		return o
	}
}

func TestServiceValidation(t *testing.T) {
	ns := newNamespace(t)
	runCases(t, validService(ns), []crdCase{
		{name: "a replica service gets ECS's deployment defaults", check: all2(
			expect("spec.schedulingStrategy", "REPLICA"),
			expect("spec.deploymentConfiguration.maximumPercent", 200),
			expect("spec.deploymentConfiguration.minimumHealthyPercent", 100))},
		{name: "a service without deploymentConfiguration gets the defaults", mutate: remove("spec.deploymentConfiguration"), check: all2(
			expect("spec.deploymentConfiguration.maximumPercent", 200),
			expect("spec.deploymentConfiguration.minimumHealthyPercent", 100))},
		{name: "taskDefinition is required", mutate: remove("spec.taskDefinition"), wantErr: "spec.taskDefinition: Invalid value: taskDefinition is required, unless the deploymentController is EXTERNAL"},
		{name: "an EXTERNAL service without taskDefinition is accepted", mutate: all(remove("spec.taskDefinition"), setTo("spec.deploymentController", map[string]any{"type": "EXTERNAL"}))},
		{name: "an EXTERNAL service with a primary task set is accepted", mutate: all(remove("spec.taskDefinition"), setTo("spec.deploymentController", map[string]any{"type": "EXTERNAL"}), setTo("spec.primaryTaskSet", "blue"))},
		{name: "a primary task set without the EXTERNAL controller is rejected", mutate: setTo("spec.primaryTaskSet", "blue"), wantErr: "primaryTaskSet applies only to a Service whose deploymentController is EXTERNAL"},
		{name: "a pinned revision is accepted", mutate: setTo("spec.taskDefinition", "web:3")},
		{name: "a family follows new revisions unless pinned", check: expect("spec.revisionPolicy", "Latest")},
		{name: "revisionPolicy Pinned is accepted", mutate: setTo("spec.revisionPolicy", "Pinned")},
		{name: "an unknown revisionPolicy is rejected", mutate: setTo("spec.revisionPolicy", "Sometimes"), wantErr: `spec.revisionPolicy: Unsupported value: "Sometimes"`},
		{name: "a circuit breaker with resetOnHealthyTask and a COUNT threshold is accepted", mutate: setTo("spec.deploymentConfiguration.deploymentCircuitBreaker",
			map[string]any{"enable": true, "rollback": true, "resetOnHealthyTask": false, "thresholdConfiguration": map[string]any{"type": "COUNT", "value": 5}})},
		{name: "an unknown threshold type is rejected", mutate: setTo("spec.deploymentConfiguration.deploymentCircuitBreaker",
			map[string]any{"enable": true, "rollback": true, "thresholdConfiguration": map[string]any{"type": "PERCENT", "value": 5}}),
			wantErr: `spec.deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration.type: Unsupported value: "PERCENT"`},
		{name: "a threshold of 0 is rejected", mutate: setTo("spec.deploymentConfiguration.deploymentCircuitBreaker",
			map[string]any{"enable": true, "rollback": true, "thresholdConfiguration": map[string]any{"type": "COUNT", "value": 0}}),
			wantErr: "spec.deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration.value: Invalid value: 0"},
		{name: "a family in another namespace is accepted", mutate: setTo("spec.taskDefinition", "tenant-a-shared/web:3")},
		{name: "an ECS task definition ARN is accepted", mutate: setTo("spec.taskDefinition", "arn:aws:ecs:us-east-1:111122223333:task-definition/web:7")},
		{name: "revision 0 is rejected", mutate: setTo("spec.taskDefinition", "web:0"), wantErr: `spec.taskDefinition: Invalid value: "web:0"`},
		{name: "a reference with spaces is rejected", mutate: setTo("spec.taskDefinition", "my web"), wantErr: `spec.taskDefinition: Invalid value: "my web"`},
		{name: "a negative desiredCount is rejected", mutate: setTo("spec.desiredCount", -1), wantErr: "spec.desiredCount: Invalid value: -1"},
		{name: "desiredCount 0 is accepted", mutate: setTo("spec.desiredCount", 0)},
		{name: "a DAEMON service without desiredCount is accepted", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.desiredCount"), remove("spec.placementStrategy"))},
		{name: "a DAEMON service with desiredCount is rejected", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.placementStrategy")), wantErr: "a DAEMON service runs one task per instance and takes no desiredCount"},
		{name: "a DAEMON service with a placement strategy is rejected", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.desiredCount")), wantErr: "a DAEMON service takes no placementStrategy"},
		{name: "a DAEMON service with maximumPercent 100 is accepted", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.desiredCount"), remove("spec.placementStrategy"), setTo("spec.deploymentConfiguration.maximumPercent", 100), setTo("spec.deploymentConfiguration.minimumHealthyPercent", 0))},
		{name: "an unknown scheduling strategy is rejected", mutate: setTo("spec.schedulingStrategy", "BATCH"), wantErr: `spec.schedulingStrategy: Unsupported value: "BATCH"`},
		{name: "maximumPercent 100 is accepted", mutate: setTo("spec.deploymentConfiguration.maximumPercent", 100)},
		{name: "maximumPercent 99 on a replica service is rejected", mutate: setTo("spec.deploymentConfiguration.maximumPercent", 99), wantErr: "maximumPercent must be at least 100 for a REPLICA service"},
		{name: "maximumPercent 201 is rejected", mutate: setTo("spec.deploymentConfiguration.maximumPercent", 201), wantErr: "spec.deploymentConfiguration.maximumPercent: Invalid value: 201"},
		{name: "minimumHealthyPercent 0 is accepted", mutate: setTo("spec.deploymentConfiguration.minimumHealthyPercent", 0)},
		{name: "minimumHealthyPercent 101 is rejected", mutate: setTo("spec.deploymentConfiguration.minimumHealthyPercent", 101), wantErr: "spec.deploymentConfiguration.minimumHealthyPercent: Invalid value: 101"},
		{name: "a circuit breaker without rollback is rejected", mutate: remove("spec.deploymentConfiguration.deploymentCircuitBreaker.rollback"), wantErr: "rollback: Required value"},
		{name: "launchType FARGATE is accepted", mutate: setTo("spec.launchType", "FARGATE")},
		{name: "launchType LAMBDA is rejected", mutate: setTo("spec.launchType", "LAMBDA"), wantErr: `spec.launchType: Unsupported value: "LAMBDA"`},
		{name: "launchType with a capacity provider strategy is rejected", mutate: all(setTo("spec.launchType", "EC2"), setTo("spec.capacityProviderStrategy", []any{map[string]any{"capacityProvider": "on-demand", "weight": 1}})), wantErr: "launchType and capacityProviderStrategy cannot both be set"},
		{name: "a capacity provider strategy is accepted", mutate: setTo("spec.capacityProviderStrategy", []any{map[string]any{"capacityProvider": "on-demand", "base": 1, "weight": 1}, map[string]any{"capacityProvider": "spot", "weight": 4}})},
		{name: "a capacity provider strategy with two bases is rejected", mutate: setTo("spec.capacityProviderStrategy", []any{map[string]any{"capacityProvider": "on-demand", "base": 1}, map[string]any{"capacityProvider": "spot", "base": 1}}), wantErr: "only one capacity provider in a strategy can have a base"},
		{name: "deploymentController CODE_DEPLOY is accepted", mutate: setTo("spec.deploymentController", map[string]any{"type": "CODE_DEPLOY"})},
		{name: "a BLUE_GREEN strategy with a bake time and hooks is accepted", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
			"lifecycleHooks": []any{map[string]any{"hookTargetArn": "arn:aws:lambda:us-east-1:111122223333:function:check", "roleArn": "arn:aws:iam::111122223333:role/hooks",
				"lifecycleStages": []any{"POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"}, "hookDetails": map[string]any{"suite": "smoke", "retries": 2}}}})},
		{name: "a LINEAR strategy with fractional steps is accepted", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "LINEAR",
			"linearConfiguration": map[string]any{"stepPercent": 12.5, "stepBakeTimeInMinutes": 2}})},
		{name: "a CANARY strategy with its ECS defaults written out is accepted", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "CANARY",
			"canaryConfiguration": map[string]any{"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}})},
		{name: "an unknown strategy is rejected", mutate: setTo("spec.deploymentConfiguration.strategy", "RED_BLACK"), wantErr: `spec.deploymentConfiguration.strategy: Unsupported value: "RED_BLACK"`},
		{name: "a linear step under 3 percent is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "LINEAR",
			"linearConfiguration": map[string]any{"stepPercent": 2.5}}), wantErr: "spec.deploymentConfiguration.linearConfiguration.stepPercent: Invalid value: 2.5"},
		{name: "a bake time over 24 hours is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1441}),
			wantErr: "spec.deploymentConfiguration.bakeTimeInMinutes: Invalid value: 1441"},
		{name: "a canary configuration on a LINEAR strategy is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "LINEAR",
			"canaryConfiguration": map[string]any{"canaryPercent": 10}}), wantErr: "canaryConfiguration applies only to strategy CANARY"},
		{name: "a linear configuration without a strategy is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{
			"linearConfiguration": map[string]any{"stepPercent": 10}}), wantErr: "linearConfiguration applies only to strategy LINEAR"},
		{name: "lifecycle hooks on a ROLLING strategy are rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "ROLLING",
			"lifecycleHooks": []any{map[string]any{"lifecycleStages": []any{"POST_SCALE_UP"}}}}), wantErr: "lifecycleHooks apply only to strategies BLUE_GREEN, LINEAR and CANARY"},
		{name: "a hook at BAKE_TIME is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "BLUE_GREEN",
			"lifecycleHooks": []any{map[string]any{"lifecycleStages": []any{"BAKE_TIME"}}}}), wantErr: `Unsupported value: "BAKE_TIME"`},
		{name: "a hook url of a cluster Service is accepted", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "CANARY",
			"lifecycleHooks": []any{map[string]any{"url": "http://smoke.tenant-a.svc:8080/hooks", "lifecycleStages": []any{"PRODUCTION_TRAFFIC_SHIFT"}}}})},
		{name: "a hook url outside the cluster is rejected", mutate: setTo("spec.deploymentConfiguration", map[string]any{"strategy": "CANARY",
			"lifecycleHooks": []any{map[string]any{"url": "http://169.254.169.254/latest/meta-data", "lifecycleStages": []any{"PRE_SCALE_UP"}}}}), wantErr: "url must be http(s)://NAME.NAMESPACE.svc"},
		{name: "a DAEMON service with a BLUE_GREEN strategy is rejected", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.desiredCount"), remove("spec.placementStrategy"),
			setTo("spec.deploymentConfiguration", map[string]any{"strategy": "BLUE_GREEN"})), wantErr: "a DAEMON service deploys with the ROLLING strategy only"},
		{name: "deploymentController ARGO is rejected", mutate: setTo("spec.deploymentController", map[string]any{"type": "ARGO"}), wantErr: `spec.deploymentController.type: Unsupported value: "ARGO"`},
		{name: "a memberOf constraint with an expression is accepted", mutate: setTo("spec.placementConstraints[0]", map[string]any{"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"})},
		{name: "a memberOf constraint without an expression is rejected", mutate: setTo("spec.placementConstraints[0]", map[string]any{"type": "memberOf"}), wantErr: "a memberOf constraint needs an expression"},
		{name: "a distinctInstance constraint with an expression is rejected", mutate: setTo("spec.placementConstraints[0].expression", "x"), wantErr: "a distinctInstance constraint takes no expression"},
		{name: "a binpack strategy on memory is accepted", mutate: setTo("spec.placementStrategy[0]", map[string]any{"type": "binpack", "field": "memory"})},
		{name: "a binpack strategy on disk is rejected", mutate: setTo("spec.placementStrategy[0]", map[string]any{"type": "binpack", "field": "disk"}), wantErr: "a binpack strategy needs the field cpu or memory"},
		{name: "a spread strategy without field is rejected", mutate: remove("spec.placementStrategy[0].field"), wantErr: "a spread strategy needs a field"},
		{name: "a random strategy with a field is rejected", mutate: setTo("spec.placementStrategy[0].type", "random"), wantErr: "a random strategy takes no field"},
		{name: "assignPublicIp MAYBE is rejected", mutate: setTo("spec.networkConfiguration.awsvpcConfiguration.assignPublicIp", "MAYBE"), wantErr: `Unsupported value: "MAYBE"`},
		{name: "propagateTags SERVICE is accepted", mutate: setTo("spec.propagateTags", "SERVICE")},
		{name: "propagateTags ALL is rejected", mutate: setTo("spec.propagateTags", "ALL"), wantErr: `spec.propagateTags: Unsupported value: "ALL"`},
		{name: "service connect with client aliases is accepted", mutate: setTo("spec.serviceConnectConfiguration", map[string]any{"enabled": true, "namespace": "tenant-a.local", "services": []any{map[string]any{"portName": "http", "discoveryName": "web", "clientAliases": []any{map[string]any{"port": 80, "dnsName": "web.local"}}}}})},
		{name: "autoScaling within its range is accepted", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 2, "maxCapacity": 10, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 60, "scaleInCooldown": 300}}})},
		{name: "autoScaling with minCapacity above maxCapacity is rejected", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 10, "maxCapacity": 2, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 60}}}), wantErr: "minCapacity cannot exceed maxCapacity"},
		{name: "autoScaling with two policies on one metric is rejected", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 1, "maxCapacity": 5, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 60}, map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 70}}}), wantErr: "one target tracking policy per metric"},
		{name: "autoScaling on cpu and memory is accepted", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 1, "maxCapacity": 5, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 60}, map[string]any{"predefinedMetricType": "ECSServiceAverageMemoryUtilization", "targetValue": 70}}})},
		{name: "autoScaling without policies is rejected", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 1, "maxCapacity": 5, "targetTrackingPolicies": []any{}}), wantErr: "targetTrackingPolicies in body should have at least 1 items"},
		{name: "autoScaling on an unknown metric is rejected", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 1, "maxCapacity": 5, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ALBRequestCountPerTarget", "targetValue": 60}}}), wantErr: `Unsupported value: "ALBRequestCountPerTarget"`},
		{name: "desiredCount outside the autoScaling range is rejected", mutate: setTo("spec.autoScaling", map[string]any{"minCapacity": 5, "maxCapacity": 10, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageMemoryUtilization", "targetValue": 70}}}), wantErr: "desiredCount must be within autoScaling minCapacity and maxCapacity"},
		{name: "a DAEMON service with autoScaling is rejected", mutate: all(setTo("spec.schedulingStrategy", "DAEMON"), remove("spec.desiredCount"), remove("spec.placementStrategy"), setTo("spec.autoScaling", map[string]any{"minCapacity": 1, "maxCapacity": 5, "targetTrackingPolicies": []any{map[string]any{"predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 60}}})), wantErr: "a DAEMON service cannot be auto scaled"},
		{name: "scaling an existing service is accepted", update: setTo("spec.desiredCount", 5)},
		{name: "changing the task definition of a service is accepted", update: setTo("spec.taskDefinition", "web:2")},
	})
}

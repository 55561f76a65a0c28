package workload

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func fargate(cpu, memory string) *ecsv1.TaskDefinitionSpec {
	return &ecsv1.TaskDefinitionSpec{
		CPU: ecsv1.TaskCPU(cpu), Memory: ecsv1.TaskMemory(memory), NetworkMode: ecsv1.NetworkModeAwsVpc,
		RequiresCompatibilities: []ecsv1.Compatibility{"FARGATE"},
		ContainerDefinitions:    []ecsv1.ContainerDefinition{{Name: "app", Image: "app"}},
	}
}

func TestValidateTaskDefinitionSpec_ECSRulesCELCannotSay(t *testing.T) {
	tests := []struct {
		name    string
		spec    *ecsv1.TaskDefinitionSpec
		wantErr string
	}{
		{"Fargate 256 with 512 MiB", fargate("256", "512"), ""},
		{"Fargate 256 with 2 GB", fargate("256", "2GB"), ""},
		{"Fargate 256 with 3 GB is not offered", fargate("256", "3GB"), "spec.memory: Invalid value: \"3GB\": Fargate does not offer 3072 MiB with 256 cpu units (allowed: 512, 1024 or 2048 MiB)"},
		{"Fargate 1 vCPU with 8 GB", fargate("1 vCPU", "8 GB"), ""},
		{"Fargate 1 vCPU with 1 GB is too little", fargate("1 vCPU", "1GB"), "Fargate does not offer 1024 MiB with 1024 cpu units"},
		{"Fargate 4 vCPU with 30 GB", fargate("4096", "30720"), ""},
		{"Fargate 8 vCPU with 18 GB is off the 4 GB steps", fargate("8 vCPU", "18GB"), "in steps of 4096 MiB"},
		{"Fargate 16 vCPU with 120 GB", fargate("16 vCPU", "120GB"), ""},
		{"Fargate 384 units do not exist", fargate("384", "1024"), `spec.cpu: Unsupported value: "384"`},
		{"containers over the task's cpu", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.ContainerDefinitions[0].CPU = ptr.To[int32](512)
			return s
		}(), "the containers' cpu (512 units) exceeds the task's cpu \"256\""},
		{"a container memory over the task's", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.ContainerDefinitions[0].Memory = ptr.To[int32](1024)
			return s
		}(), "spec.containerDefinitions[0].memory: Invalid value: 1024: exceeds the task's memory"},
		{"a dependsOn cycle", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.ContainerDefinitions = []ecsv1.ContainerDefinition{
				{Name: "a", Image: "x", DependsOn: []ecsv1.ContainerDependency{{ContainerName: "b", Condition: "START"}}},
				{Name: "b", Image: "x", DependsOn: []ecsv1.ContainerDependency{{ContainerName: "a", Condition: "START"}}},
			}
			return s
		}(), "dependsOn forms a cycle: a -> b -> a"},
		{"a memberOf that does not parse names the position", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.instance-type t2.micro"}}
			return s
		}(), "spec.placementConstraints[0].expression: Invalid value: \"attribute:ecs.instance-type t2.micro\": memberOf expression: at position"},
		{"a secret from S3 is not a secret store", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.ContainerDefinitions[0].Secrets = []ecsv1.Secret{{Name: "X", ValueFrom: "arn:aws:s3:::bucket/key"}}
			return s
		}(), "spec.containerDefinitions[0].secrets[0].valueFrom"},
		{"Secrets Manager and SSM secrets are accepted", func() *ecsv1.TaskDefinitionSpec {
			s := fargate("256", "512")
			s.ContainerDefinitions[0].Secrets = []ecsv1.Secret{
				{Name: "A", ValueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf:password::"},
				{Name: "B", ValueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/app/key"},
			}
			return s
		}(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateTaskDefinitionSpec(tc.spec)
			got := errs.ToAggregate()
			switch {
			case tc.wantErr == "" && got != nil:
				t.Fatalf("want accepted, got %v", got)
			case tc.wantErr != "" && (got == nil || !strings.Contains(got.Error(), tc.wantErr)):
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, got)
			}
		})
	}
}

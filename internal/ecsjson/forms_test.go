package ecsjson

import (
	"strings"
	"testing"
)

// TestReadForms reads each shape found in the wild and checks what it becomes.
func TestReadForms(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		params map[string]string
		family string
		shape  Shape
		check  func(t *testing.T, objs Objects)
	}{{
		name:  "register input with numbers as strings and unit forms",
		shape: ShapeRegisterTaskDefinition,
		doc: `{"family":"web","cpu":"1 vCPU","memory":"2 GB","containerDefinitions":[
			{"name":"app","image":"nginx","cpu":"256","memory":512,"essential":"true",
			 "portMappings":[{"containerPort":"8080","protocol":"tcp"}]}]}`,
		check: func(t *testing.T, objs Objects) {
			td := one(t, objs.TaskDefinitions)
			c := td.Spec.ContainerDefinitions[0]
			if td.Spec.CPU != "1 vCPU" || td.Spec.Memory != "2 GB" || c.CPU == nil || *c.CPU != 256 ||
				c.Memory == nil || *c.Memory != 512 || c.Essential == nil || !*c.Essential || c.PortMappings[0].ContainerPort == nil || *c.PortMappings[0].ContainerPort != 8080 {
				t.Fatalf("numbers and units not carried: %+v", td.Spec)
			}
		},
	}, {
		name:  "describe-task-definition output drops the revision's state and keeps the tags",
		shape: ShapeDescribeTaskDefinition,
		doc: `{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/web:7","family":"web","revision":7,
			"status":"ACTIVE","registeredAt":"2024-05-01T10:00:00Z","compatibilities":["EC2"],
			"containerDefinitions":[{"name":"app","image":"nginx","memory":128}]},"tags":[{"key":"team","value":"a"}]}`,
		check: func(t *testing.T, objs Objects) {
			td := one(t, objs.TaskDefinitions)
			if len(td.Spec.Tags) != 1 || td.Spec.Tags[0].Key != "team" {
				t.Fatalf("tags: %+v", td.Spec.Tags)
			}
			notes(t, td.Report, "taskDefinition.revision", "taskDefinition.registeredAt", "taskDefinition.taskDefinitionArn")
		},
	}, {
		name:  "a field ecs-operator does not carry is reported with its path",
		shape: ShapeRegisterTaskDefinition,
		doc:   `{"family":"web","inferenceAccelerators":[{"deviceName":"d","deviceType":"t"}],"containerDefinitions":[{"name":"app","image":"nginx","memory":128,"bogus":1}]}`,
		check: func(t *testing.T, objs Objects) {
			td := one(t, objs.TaskDefinitions)
			losses(t, td.Report, "inferenceAccelerators", "containerDefinitions[0].bogus")
		},
	}, {
		name:  "CreateService input with an ARN task definition",
		shape: ShapeCreateService,
		doc: `{"cluster":"arn:aws:ecs:us-east-1:1:cluster/prod","serviceName":"Web_API","taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/web:3",
			"desiredCount":"2","launchType":"FARGATE","clientToken":"x"}`,
		check: func(t *testing.T, objs Objects) {
			s := one(t, objs.Services)
			if s.Name != "web-api" || s.ECSName != "Web_API" || s.Cluster != "prod" || s.Spec.TaskDefinition != "web:3" ||
				s.Spec.DesiredCount == nil || *s.Spec.DesiredCount != 2 {
				t.Fatalf("service: %+v", s)
			}
		},
	}, {
		name:  "describe-services output",
		shape: ShapeDescribeServices,
		doc: `{"services":[{"serviceArn":"arn:aws:ecs:us-east-1:1:service/prod/web","serviceName":"web","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/prod",
			"taskDefinition":"web:3","desiredCount":2,"runningCount":2,"pendingCount":0,"status":"ACTIVE","events":[],"deployments":[],
			"roleArn":"arn:aws:iam::1:role/ecs"}],"failures":[]}`,
		check: func(t *testing.T, objs Objects) {
			s := one(t, objs.Services)
			if s.Cluster != "prod" || s.Spec.Role != "arn:aws:iam::1:role/ecs" {
				t.Fatalf("service: %+v", s)
			}
		},
	}, {
		name:   "CloudFormation YAML with short forms, parameters and a Ref to the template's task definition",
		shape:  ShapeCloudFormation,
		params: map[string]string{"AWS::Region": "eu-west-1"},
		doc: `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Image: {Type: String, Default: "nginx:1.27"}
Resources:
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: web
      Cpu: 256
      Memory: "512"
      NetworkMode: awsvpc
      ContainerDefinitions:
        - Name: app
          Image: !Ref Image
          PortMappings: [{ContainerPort: 80}]
          LogConfiguration:
            LogDriver: awslogs
            Options: {awslogs-region: !Sub "${AWS::Region}", awslogs-group: !Ref LogGroup}
  Svc:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref TaskDef
      DesiredCount: 2
      PlacementStrategies: [{Type: spread, Field: "attribute:ecs.availability-zone"}]`,
		check: func(t *testing.T, objs Objects) {
			td := one(t, objs.TaskDefinitions)
			c := td.Spec.ContainerDefinitions[0]
			if td.Spec.CPU != "256" || c.Image != "nginx:1.27" || c.LogConfiguration.Options["awslogs-region"] != "eu-west-1" {
				t.Fatalf("task definition: %+v", td.Spec)
			}
			losses(t, td.Report, "Resources.TaskDef.Properties.ContainerDefinitions[0].LogConfiguration.Options.awslogs-group")
			s := one(t, objs.Services)
			if s.Spec.TaskDefinition != "web" || s.Name != "svc" || len(s.Spec.PlacementStrategy) != 1 {
				t.Fatalf("service: %+v", s)
			}
		},
	}, {
		name:   "Terraform container_definitions",
		shape:  ShapeTerraformContainers,
		family: "worker",
		doc:    `[{"name":"w","image":"busybox","memory":64,"essential":true}]`,
		check: func(t *testing.T, objs Objects) {
			if td := one(t, objs.TaskDefinitions); td.Spec.Family != "worker" {
				t.Fatalf("family %q", td.Spec.Family)
			}
		},
	}, {
		name:  "Terraform plan JSON",
		shape: ShapeTerraformPlan,
		doc: `{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{"resources":[
			{"address":"aws_ecs_task_definition.app","type":"aws_ecs_task_definition","values":{"family":"app","cpu":"256","memory":"512",
			 "network_mode":"awsvpc","requires_compatibilities":["FARGATE"],"container_definitions":"[{\"name\":\"app\",\"image\":\"nginx\"}]",
			 "volume":[{"name":"data","host_path":"/data","efs_volume_configuration":[]}],"runtime_platform":[{"operating_system_family":"LINUX","cpu_architecture":"ARM64"}],
			 "tags":{"team":"a"},"tags_all":{"team":"a"},"arn":null,"revision":null}},
			{"address":"aws_ecs_service.app","type":"aws_ecs_service","values":{"name":"app","cluster":"arn:aws:ecs:us-east-1:1:cluster/prod",
			 "task_definition":"app","desired_count":2,"deployment_maximum_percent":200,"deployment_minimum_healthy_percent":50,
			 "deployment_circuit_breaker":[{"enable":true,"rollback":true}],
			 "network_configuration":[{"subnets":["s-1"],"security_groups":["sg-1"],"assign_public_ip":false}],"wait_for_steady_state":false}}]}}}`,
		check: func(t *testing.T, objs Objects) {
			td := one(t, objs.TaskDefinitions)
			if td.Spec.NetworkMode != "awsvpc" || td.Spec.RuntimePlatform == nil || td.Spec.RuntimePlatform.CPUArchitecture != "ARM64" ||
				td.Spec.Volumes[0].Host == nil || td.Spec.Volumes[0].Host.SourcePath != "/data" || len(td.Spec.Tags) != 1 {
				t.Fatalf("task definition: %+v", td.Spec)
			}
			s := one(t, objs.Services)
			dc := s.Spec.DeploymentConfiguration
			if s.Cluster != "prod" || dc == nil || dc.MaximumPercent == nil || *dc.MaximumPercent != 200 || dc.DeploymentCircuitBreaker == nil ||
				s.Spec.NetworkConfiguration == nil || s.Spec.NetworkConfiguration.AwsVpcConfiguration.AssignPublicIP != "DISABLED" {
				t.Fatalf("service: %+v", s.Spec)
			}
		},
	}, {
		name:   "template variables rendered from parameters, ecspresso's env default",
		shape:  ShapeRegisterTaskDefinition,
		params: map[string]string{"TAG": "v2"},
		doc:    "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"repo:${TAG}\",\"memory\":128,\"environment\":[{\"name\":\"E\",\"value\":\"{{ env `STAGE` `dev` }}\"}]}]}",
		check: func(t *testing.T, objs Objects) {
			c := one(t, objs.TaskDefinitions).Spec.ContainerDefinitions[0]
			if c.Image != "repo:v2" || c.Environment[0].Value != "dev" {
				t.Fatalf("container: %+v", c)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Read([]byte(tt.doc), ReadOptions{Parameters: tt.params, Family: tt.family})
			if err != nil {
				t.Fatal(err)
			}
			if objs.Shape != tt.shape {
				t.Fatalf("shape %q, want %q", objs.Shape, tt.shape)
			}
			tt.check(t, objs)
		})
	}
}

func TestReadRefusesWhatIsNoTaskDefinitionOrService(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"not ECS", `{"apiVersion":"v1","kind":"ConfigMap"}`, "not a task definition"},
		{"no family", `{"containerDefinitions":[{"name":"a","image":"b"}]}`, "no family"},
		{"bad family", `{"family":"a b","containerDefinitions":[{"name":"a","image":"b"}]}`, "family"},
		{"a list without a family", `[{"name":"a","image":"b"}]`, "--family"},
		{"broken JSON", `{"family": }`, "reading JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read([]byte(tt.doc), ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func one[T any](t *testing.T, list []T) T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("%d objects, want 1", len(list))
	}
	return list[0]
}

func losses(t *testing.T, r Report, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if !hasPath(r.Losses, p) {
			t.Errorf("no loss reported at %s; losses: %v", p, r.Losses)
		}
	}
}

func notes(t *testing.T, r Report, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if !hasPath(r.Notes, p) {
			t.Errorf("no note at %s; notes: %v", p, r.Notes)
		}
	}
}

func hasPath(issues []Issue, path string) bool {
	for _, i := range issues {
		if i.Path == path {
			return true
		}
	}
	return false
}

func TestReadRefusesAYAMLAliasBomb(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := range 9 {
		name := string(rune('b' + i))
		doc += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	if _, err := Read([]byte(doc), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("want a refusal of the alias bomb, got %v", err)
	}
}

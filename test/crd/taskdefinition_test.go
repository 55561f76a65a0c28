package crd

import (
	"testing"
)

func validTaskDefinition(ns string) func() obj {
	return func() obj {
		o := fromYAML(`
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
spec:
  cpu: "512"
  memory: "1024"
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  containerDefinitions:
  - name: web
    image: public.ecr.aws/nginx/nginx:1.27
    essential: true
    portMappings:
    - containerPort: 80
      name: http
      appProtocol: http
    healthCheck:
      command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
      interval: 30
      timeout: 5
      retries: 3
      startPeriod: 10
    dependsOn:
    - containerName: init
      condition: SUCCESS
    mountPoints:
    - sourceVolume: cache
      containerPath: /var/cache/nginx
  - name: init
    image: busybox:1.36
    essential: false
    command: ["sh", "-c", "echo ready"]
  volumes:
  - name: cache
`)
		o.set("metadata.namespace", ns)
		return o
	}
}

func TestTaskDefinitionValidation(t *testing.T) {
	ns := newNamespace(t)
	runCases(t, validTaskDefinition(ns), []crdCase{
		{name: "a web container with an init dependency is accepted",
			check: all2(expect("spec.containerDefinitions[0].portMappings[0].protocol", "tcp"), expect("spec.revisionHistoryLimit", 10))},
		{name: "family is optional and any ECS family name is accepted", mutate: setTo("spec.family", "My_App-1")},
		{name: "a family with a dot is rejected", mutate: setTo("spec.family", "my.app"), wantErr: "spec.family: Invalid value"},
		{name: "no container is rejected", mutate: setTo("spec.containerDefinitions", []any{}), wantErr: "spec.containerDefinitions: Invalid value: 0: spec.containerDefinitions in body should have at least 1 items"},
		{name: "eleven containers are rejected", mutate: func(o obj) {
			var cs []any
			for i := 0; i < 11; i++ {
				cs = append(cs, map[string]any{"name": "c" + string(rune('a'+i)), "image": "busybox"})
			}
			o.set("spec.containerDefinitions", cs)
			o.set("spec.volumes", deleted)
		}, wantErr: "must have at most 10 items"},
		{name: "duplicate container names are rejected", mutate: setTo("spec.containerDefinitions[1].name", "web"), wantErr: "container names must be unique in a task definition"},
		{name: "a container name with a dot is rejected", mutate: setTo("spec.containerDefinitions[1].name", "in.it"), wantErr: "spec.containerDefinitions[1].name: Invalid value"},
		{name: "a container without image is rejected", mutate: remove("spec.containerDefinitions[1].image"), wantErr: "spec.containerDefinitions[1].image: Required value"},
		{name: "no essential container is rejected", mutate: setTo("spec.containerDefinitions[0].essential", false), wantErr: "a task definition needs at least one essential container"},
		{name: "essential left unset counts as essential", mutate: all(remove("spec.containerDefinitions[0].essential"))},
		{name: "dependsOn naming a missing container is rejected", mutate: setTo("spec.containerDefinitions[0].dependsOn[0].containerName", "db"), wantErr: "dependsOn must name a container of this task definition"},
		{name: "dependsOn naming itself is rejected", mutate: setTo("spec.containerDefinitions[0].dependsOn[0].containerName", "web"), wantErr: "a container cannot depend on itself"},
		{name: "dependsOn condition HEALTHY is accepted", mutate: setTo("spec.containerDefinitions[0].dependsOn[0].condition", "HEALTHY")},
		{name: "dependsOn condition STOPPED is rejected", mutate: setTo("spec.containerDefinitions[0].dependsOn[0].condition", "STOPPED"), wantErr: `spec.containerDefinitions[0].dependsOn[0].condition: Unsupported value: "STOPPED"`},
		{name: "healthCheck interval 5 is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.interval", 5)},
		{name: "healthCheck interval 300 is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.interval", 300)},
		{name: "healthCheck interval 4 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.interval", 4), wantErr: "spec.containerDefinitions[0].healthCheck.interval: Invalid value: 4: spec.containerDefinitions[0].healthCheck.interval in body should be greater than or equal to 5"},
		{name: "healthCheck interval 301 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.interval", 301), wantErr: "healthCheck.interval in body should be less than or equal to 300"},
		{name: "healthCheck timeout 2 is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.timeout", 2)},
		{name: "healthCheck timeout 1 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.timeout", 1), wantErr: "healthCheck.timeout in body should be greater than or equal to 2"},
		{name: "healthCheck timeout 61 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.timeout", 61), wantErr: "healthCheck.timeout in body should be less than or equal to 60"},
		{name: "healthCheck retries 10 is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.retries", 10)},
		{name: "healthCheck retries 0 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.retries", 0), wantErr: "healthCheck.retries in body should be greater than or equal to 1"},
		{name: "healthCheck retries 11 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.retries", 11), wantErr: "healthCheck.retries in body should be less than or equal to 10"},
		{name: "healthCheck startPeriod 0 is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.startPeriod", 0)},
		{name: "healthCheck startPeriod 301 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.startPeriod", 301), wantErr: "healthCheck.startPeriod in body should be less than or equal to 300"},
		{name: "healthCheck startPeriod -1 is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.startPeriod", -1), wantErr: "healthCheck.startPeriod in body should be greater than or equal to 0"},
		{name: "healthCheck CMD is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.command", []any{"CMD", "/bin/check", "--quick"})},
		{name: "healthCheck NONE is accepted", mutate: setTo("spec.containerDefinitions[0].healthCheck.command", []any{"NONE"})},
		{name: "healthCheck without CMD or CMD-SHELL is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.command", []any{"curl", "localhost"}), wantErr: "the first item of a healthCheck command must be CMD, CMD-SHELL or NONE"},
		{name: "healthCheck CMD-SHELL without a command is rejected", mutate: setTo("spec.containerDefinitions[0].healthCheck.command", []any{"CMD-SHELL"}), wantErr: "a CMD or CMD-SHELL healthCheck command needs the command to run"},
		{name: "task cpu in vCPU is accepted", mutate: all(setTo("spec.cpu", "0.5 vCPU"), setTo("spec.memory", "1 GB"))},
		{name: "task cpu 1vcpu and memory 2GB are accepted", mutate: all(setTo("spec.cpu", "1vcpu"), setTo("spec.memory", "2GB"))},
		{name: "task cpu that is no ECS form is rejected", mutate: setTo("spec.cpu", "lots"), wantErr: `spec.cpu: Invalid value: "lots"`},
		{name: "task memory in TB is rejected", mutate: setTo("spec.memory", "1 TB"), wantErr: `spec.memory: Invalid value: "1 TB"`},
		{name: "networkMode bridge without FARGATE is accepted", mutate: all(setTo("spec.networkMode", "bridge"), setTo("spec.requiresCompatibilities", []any{"EC2"}))},
		{name: "networkMode overlay is rejected", mutate: setTo("spec.networkMode", "overlay"), wantErr: `spec.networkMode: Unsupported value: "overlay"`},
		{name: "FARGATE with bridge networking is rejected", mutate: setTo("spec.networkMode", "bridge"), wantErr: "FARGATE task definitions must use networkMode awsvpc"},
		{name: "FARGATE without task memory is rejected", mutate: remove("spec.memory"), wantErr: "FARGATE task definitions need task-level cpu and memory"},
		{name: "an unknown compatibility is rejected", mutate: setTo("spec.requiresCompatibilities", []any{"LAMBDA"}), wantErr: `Unsupported value: "LAMBDA"`},
		{name: "containerPort 65535 is accepted", mutate: setTo("spec.containerDefinitions[0].portMappings[0].containerPort", 65535)},
		{name: "containerPort 0 is rejected", mutate: setTo("spec.containerDefinitions[0].portMappings[0].containerPort", 0), wantErr: "containerPort in body should be greater than or equal to 1"},
		{name: "protocol sctp is rejected", mutate: setTo("spec.containerDefinitions[0].portMappings[0].protocol", "sctp"), wantErr: `protocol: Unsupported value: "sctp"`},
		{name: "a port range is accepted", mutate: setTo("spec.containerDefinitions[0].portMappings", []any{map[string]any{"containerPortRange": "8000-8010"}})},
		{name: "a hostPort with a port range is rejected", mutate: setTo("spec.containerDefinitions[0].portMappings", []any{map[string]any{"containerPortRange": "8000-8010", "hostPort": 8000}}), wantErr: "hostPort cannot be set with containerPortRange"},
		{name: "a port mapping with neither port nor range is rejected", mutate: setTo("spec.containerDefinitions[0].portMappings", []any{map[string]any{"protocol": "tcp"}}), wantErr: "set exactly one of containerPort and containerPortRange"},
		{name: "memoryReservation within memory is accepted", mutate: all(setTo("spec.containerDefinitions[0].memory", 512), setTo("spec.containerDefinitions[0].memoryReservation", 256))},
		{name: "memoryReservation above memory is rejected", mutate: all(setTo("spec.containerDefinitions[0].memory", 256), setTo("spec.containerDefinitions[0].memoryReservation", 512)), wantErr: "memoryReservation must not be greater than memory"},
		{name: "a mountPoint of a missing volume is rejected", mutate: remove("spec.volumes"), wantErr: "mountPoints sourceVolume must name a volume of this task definition"},
		{name: "volumesFrom a missing container is rejected", mutate: setTo("spec.containerDefinitions[1].volumesFrom", []any{map[string]any{"sourceContainer": "db"}}), wantErr: "volumesFrom must name a container of this task definition"},
		{name: "volumesFrom the container itself is rejected", mutate: setTo("spec.containerDefinitions[1].volumesFrom", []any{map[string]any{"sourceContainer": "init"}}), wantErr: "a container cannot mount volumes from itself"},
		{name: "volumesFrom another container is accepted", mutate: setTo("spec.containerDefinitions[1].volumesFrom", []any{map[string]any{"sourceContainer": "web", "readOnly": true}})},
		{name: "a volume with host and efs is rejected", mutate: setTo("spec.volumes[0]", map[string]any{"name": "cache", "host": map[string]any{"sourcePath": "/data"}, "efsVolumeConfiguration": map[string]any{"fileSystemId": "fs-1"}}), wantErr: "a volume takes at most one of host, dockerVolumeConfiguration and efsVolumeConfiguration"},
		{name: "an efs volume is accepted", mutate: setTo("spec.volumes[0]", map[string]any{"name": "cache", "efsVolumeConfiguration": map[string]any{"fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "ENABLED", "authorizationConfig": map[string]any{"accessPointId": "fsap-1", "iam": "ENABLED"}}})},
		{name: "a shared docker volume is accepted", mutate: setTo("spec.volumes[0]", map[string]any{"name": "cache", "dockerVolumeConfiguration": map[string]any{"scope": "shared", "autoprovision": true, "driver": "local"}})},
		{name: "autoprovision of a task-scoped docker volume is rejected", mutate: setTo("spec.volumes[0]", map[string]any{"name": "cache", "dockerVolumeConfiguration": map[string]any{"scope": "task", "autoprovision": true}}), wantErr: "autoprovision needs scope shared"},
		{name: "duplicate volume names are rejected", mutate: setTo("spec.volumes", []any{map[string]any{"name": "cache"}, map[string]any{"name": "cache"}}), wantErr: "Duplicate value"},
		{name: "proxyConfiguration naming a container is accepted", mutate: setTo("spec.proxyConfiguration", map[string]any{"containerName": "init", "properties": []any{map[string]any{"name": "AppPorts", "value": "80"}}}), check: expect("spec.proxyConfiguration.type", "APPMESH")},
		{name: "a memberOf placement constraint is accepted", mutate: setTo("spec.placementConstraints", []any{map[string]any{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}})},
		{name: "a distinctInstance constraint on a task definition is rejected", mutate: setTo("spec.placementConstraints", []any{map[string]any{"type": "distinctInstance", "expression": "x"}}), wantErr: `Unsupported value: "distinctInstance"`},
		{name: "an unknown field is rejected under strict validation", mutate: setTo("spec.containerDefinitions[0].colour", "blue"), wantErr: `unknown field "spec.containerDefinitions[0].colour"`},
		{name: "ulimits and systemControls are accepted", mutate: all(
			setTo("spec.containerDefinitions[0].ulimits", []any{map[string]any{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}}),
			setTo("spec.containerDefinitions[0].systemControls", []any{map[string]any{"namespace": "net.core.somaxconn", "value": "1024"}}))},
		{name: "an unknown ulimit is rejected", mutate: setTo("spec.containerDefinitions[0].ulimits", []any{map[string]any{"name": "files", "softLimit": 1, "hardLimit": 1}}), wantErr: `Unsupported value: "files"`},
		{name: "restartPolicy restartAttemptPeriod 59 is rejected", mutate: setTo("spec.containerDefinitions[0].restartPolicy", map[string]any{"enabled": true, "restartAttemptPeriod": 59}), wantErr: "restartAttemptPeriod in body should be greater than or equal to 60"},
		{name: "ephemeralStorage of 20 GiB is rejected", mutate: setTo("spec.ephemeralStorage", map[string]any{"sizeInGiB": 20}), wantErr: "sizeInGiB in body should be greater than or equal to 21"},
		{name: "an unchanged family on update is accepted", mutate: setTo("spec.family", "web"), update: setTo("spec.containerDefinitions[0].image", "nginx:1.28")},
		{name: "changing the family is rejected", mutate: setTo("spec.family", "web"), update: setTo("spec.family", "api"), wantErr: "family is immutable"},
		{name: "adding a family later is rejected", update: setTo("spec.family", "api"), wantErr: "family is immutable"},
	})
}

// all2 combines checks.
func all2(checks ...func(*testing.T, obj)) func(*testing.T, obj) {
	return func(t *testing.T, o obj) {
		t.Helper()
		for _, c := range checks {
			c(t, o)
		}
	}
}

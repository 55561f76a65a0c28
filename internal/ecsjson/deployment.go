package ecsjson

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// IRSARoleAnnotation is the ServiceAccount annotation of EKS's IAM roles for service accounts:
// the role a Pod's AWS calls use, an ECS task role.
const IRSARoleAnnotation = "eks.amazonaws.com/role-arn"

// FromDeployment turns a plain Kubernetes Deployment — with the Services that select its Pods,
// its HorizontalPodAutoscaler and its ServiceAccount, each optional — into the
// RegisterTaskDefinition and CreateService inputs closest to it, for teams going from EKS to
// ECS. What ECS has no equivalent for is reported lost with its path in the Deployment (or
// the object named in the path); what changes form is noted.
func FromDeployment(d *appsv1.Deployment, services []corev1.Service, hpa *autoscalingv2.HorizontalPodAutoscaler, sa *corev1.ServiceAccount, cluster string) (taskDefinition, service map[string]any, report Report) {
	pod := d.Spec.Template.Spec
	base := "spec.template.spec"
	td := map[string]any{"family": d.Name, "networkMode": "awsvpc"}
	report.note(base, "a Pod has its own IP address: networkMode awsvpc")
	var containers []any
	for i, c := range pod.InitContainers {
		cd := containerFromKubernetes(fmt.Sprintf("%s.initContainers[%d]", base, i), c, &report)
		cd["essential"] = false
		containers = append(containers, cd)
	}
	for i, c := range pod.Containers {
		containers = append(containers, containerFromKubernetes(fmt.Sprintf("%s.containers[%d]", base, i), c, &report))
	}
	// An init container runs to completion before the app starts; a sidecar (an init container
	// that restarts Always) starts first and runs beside it: dependsOn SUCCESS and START.
	for _, c := range pod.InitContainers {
		condition := "SUCCESS"
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			condition = "START"
		}
		for _, main := range containers[len(pod.InitContainers):] {
			m := main.(map[string]any)
			deps, _ := m["dependsOn"].([]any)
			m["dependsOn"] = append(deps, map[string]any{"containerName": c.Name, "condition": condition})
		}
	}
	td["containerDefinitions"] = containers
	volumesFromKubernetes(base, pod, td, &report)
	if sa != nil && sa.Annotations[IRSARoleAnnotation] != "" {
		td["taskRoleArn"] = sa.Annotations[IRSARoleAnnotation]
		report.note(base+".serviceAccountName", "the ServiceAccount's IAM role (%s) is the task role", IRSARoleAnnotation)
	} else if pod.ServiceAccountName != "" && pod.ServiceAccountName != "default" {
		report.lose(base+".serviceAccountName", "ServiceAccount %s has no %s annotation: give the task a taskRoleArn", pod.ServiceAccountName, IRSARoleAnnotation)
	}
	platform := map[string]any{}
	for k, v := range pod.NodeSelector {
		switch k {
		case corev1.LabelArchStable:
			platform["cpuArchitecture"] = map[string]string{"amd64": "X86_64", "arm64": "ARM64"}[v]
		case corev1.LabelOSStable:
			platform["operatingSystemFamily"] = map[string]string{"linux": "LINUX"}[v]
		default:
			report.lose(base+".nodeSelector."+k, "place the tasks with a placementConstraint (memberOf) on the ECS side")
		}
	}
	if len(platform) > 0 {
		td["runtimePlatform"] = platform
	}
	if pod.Affinity != nil {
		report.lose(base+".affinity", "ECS places tasks with placementConstraints and placementStrategy")
	}
	if len(pod.Tolerations) > 0 {
		report.lose(base+".tolerations", "ECS has no taints: choose the capacity provider instead")
	}
	if pod.HostNetwork {
		td["networkMode"] = "host"
	}
	if pod.TerminationGracePeriodSeconds != nil {
		stop := min(*pod.TerminationGracePeriodSeconds, 120)
		for _, c := range containers {
			c.(map[string]any)["stopTimeout"] = stop
		}
		report.note(base+".terminationGracePeriodSeconds", "each container's stopTimeout (ECS allows up to 120 s)")
	}

	svc := map[string]any{"serviceName": d.Name, "taskDefinition": d.Name, "schedulingStrategy": "REPLICA"}
	if cluster != "" {
		svc["cluster"] = cluster
	}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	svc["desiredCount"] = replicas
	svc["deploymentConfiguration"] = deploymentConfiguration(d, replicas, &report)
	if d.Spec.MinReadySeconds > 0 {
		report.note("spec.minReadySeconds", "ECS counts a task healthy once its health check passes: use healthCheckGracePeriodSeconds for load balancers")
	}
	serviceConnect(services, containers, svc, &report)
	if hpa != nil {
		min := int32(1)
		if hpa.Spec.MinReplicas != nil {
			min = *hpa.Spec.MinReplicas
		}
		report.lose("HorizontalPodAutoscaler/"+hpa.Name, "ECS scales services with Application Auto Scaling: register-scalable-target --min-capacity %d --max-capacity %d and a target tracking policy%s",
			min, hpa.Spec.MaxReplicas, hpaTarget(hpa))
	}
	return td, svc, report
}

func hpaTarget(hpa *autoscalingv2.HorizontalPodAutoscaler) string {
	for _, m := range hpa.Spec.Metrics {
		if m.Resource != nil && m.Resource.Target.AverageUtilization != nil {
			return fmt.Sprintf(" (ECSService%sUtilization at %d%%)", map[corev1.ResourceName]string{corev1.ResourceCPU: "AverageCPU", corev1.ResourceMemory: "AverageMemory"}[m.Resource.Name], *m.Resource.Target.AverageUtilization)
		}
	}
	return ""
}

// deploymentConfiguration is the rollout a Deployment's strategy asks for, in ECS's percents.
func deploymentConfiguration(d *appsv1.Deployment, replicas int32, report *Report) map[string]any {
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		report.note("spec.strategy", "Recreate: stop every task before starting new ones (minimumHealthyPercent 0, maximumPercent 100)")
		return map[string]any{"minimumHealthyPercent": 0, "maximumPercent": 100}
	}
	surge, unavailable := intstr.FromString("25%"), intstr.FromString("25%")
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			surge = *ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			unavailable = *ru.MaxUnavailable
		}
	}
	percent := func(v intstr.IntOrString, roundUp bool) int {
		if v.Type == intstr.String {
			p, _ := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
			return p
		}
		if replicas == 0 {
			return 0
		}
		f := 100 * float64(v.IntVal) / float64(replicas)
		if roundUp {
			return int(math.Ceil(f))
		}
		return int(math.Floor(f))
	}
	return map[string]any{
		"maximumPercent":        100 + percent(surge, false),
		"minimumHealthyPercent": 100 - percent(unavailable, false),
		"deploymentCircuitBreaker": map[string]any{
			"enable": d.Spec.ProgressDeadlineSeconds != nil, "rollback": false,
		},
	}
}

// containerFromKubernetes is a container definition of a Kubernetes container.
func containerFromKubernetes(path string, c corev1.Container, report *Report) map[string]any {
	cd := map[string]any{"name": c.Name, "image": c.Image, "essential": true}
	if len(c.Command) > 0 {
		cd["entryPoint"] = c.Command // Kubernetes' command replaces the image's ENTRYPOINT
	}
	if len(c.Args) > 0 {
		cd["command"] = c.Args // and args its CMD
	}
	if c.WorkingDir != "" {
		cd["workingDirectory"] = c.WorkingDir
	}
	var env []any
	for i, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, map[string]any{"name": e.Name, "value": e.Value})
		case e.ValueFrom.SecretKeyRef != nil:
			report.lose(fmt.Sprintf("%s.env[%d]", path, i), "Secret %s key %s: store it in Secrets Manager or SSM and name it in the container's secrets (valueFrom)",
				e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
		default:
			report.lose(fmt.Sprintf("%s.env[%d]", path, i), "%s is set from the Pod's fields or a ConfigMap, which ECS has not", e.Name)
		}
	}
	if len(env) > 0 {
		cd["environment"] = env
	}
	for i := range c.EnvFrom {
		report.lose(fmt.Sprintf("%s.envFrom[%d]", path, i), "ECS reads whole environment files from S3 (environmentFiles)")
	}
	var ports []any
	for _, p := range c.Ports {
		pm := map[string]any{"containerPort": p.ContainerPort, "protocol": strings.ToLower(string(orDefault(p.Protocol, corev1.ProtocolTCP)))}
		if p.Name != "" {
			pm["name"] = p.Name
		}
		ports = append(ports, pm)
	}
	if len(ports) > 0 {
		cd["portMappings"] = ports
	}
	if cpu, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		cd["cpu"] = int64(math.Ceil(float64(cpu.MilliValue()) * 1024 / 1000)) // 1 vCPU is 1024 units
	}
	if mem, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		cd["memory"] = (mem.Value() + (1<<20 - 1)) >> 20 // MiB, the hard limit
	}
	if mem, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
		cd["memoryReservation"] = (mem.Value() + (1<<20 - 1)) >> 20
	}
	if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		report.note(path+".resources.limits.cpu", "ECS caps a container's cpu only at the task level (task cpu)")
	}
	for _, pr := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.ReadinessProbe, path + ".readinessProbe"}, {c.LivenessProbe, path + ".livenessProbe"}, {c.StartupProbe, path + ".startupProbe"}} {
		probe := pr.probe
		switch {
		case probe == nil:
		case probe.Exec == nil:
			report.lose(pr.path, "ECS health checks run a command in the container: write one (for example CMD-SHELL curl -f http://localhost/health)")
		case cd["healthCheck"] != nil:
			report.lose(pr.path, "ECS has one health check per container; the first command probe is it")
		default:
			hc := map[string]any{"command": append([]string{"CMD"}, probe.Exec.Command...)}
			if probe.PeriodSeconds > 0 {
				hc["interval"] = max(probe.PeriodSeconds, 5)
			}
			if probe.TimeoutSeconds > 0 {
				hc["timeout"] = max(probe.TimeoutSeconds, 2)
			}
			if probe.FailureThreshold > 0 {
				hc["retries"] = min(probe.FailureThreshold, 10)
			}
			if probe.InitialDelaySeconds > 0 {
				hc["startPeriod"] = min(probe.InitialDelaySeconds, 300)
			}
			cd["healthCheck"] = hc
		}
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.Privileged != nil && *sc.Privileged {
			cd["privileged"] = true
		}
		if sc.ReadOnlyRootFilesystem != nil {
			cd["readonlyRootFilesystem"] = *sc.ReadOnlyRootFilesystem
		}
		if sc.RunAsUser != nil {
			user := strconv.FormatInt(*sc.RunAsUser, 10)
			if sc.RunAsGroup != nil {
				user += ":" + strconv.FormatInt(*sc.RunAsGroup, 10)
			}
			cd["user"] = user
		}
		if sc.Capabilities != nil && (len(sc.Capabilities.Add) > 0 || len(sc.Capabilities.Drop) > 0) {
			caps := map[string]any{}
			if len(sc.Capabilities.Add) > 0 {
				caps["add"] = sc.Capabilities.Add
			}
			if len(sc.Capabilities.Drop) > 0 {
				caps["drop"] = sc.Capabilities.Drop
			}
			cd["linuxParameters"] = map[string]any{"capabilities": caps}
		}
	}
	var mounts []any
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(m.MountPath, "/var/run/secrets/kubernetes.io/") {
			continue
		}
		mounts = append(mounts, map[string]any{"sourceVolume": m.Name, "containerPath": m.MountPath, "readOnly": m.ReadOnly})
	}
	if len(mounts) > 0 {
		cd["mountPoints"] = mounts
	}
	if c.Lifecycle != nil {
		report.lose(path+".lifecycle", "ECS has no postStart or preStop hooks")
	}
	return cd
}

// volumesFromKubernetes carries the volumes ECS has: emptyDir as a task volume, hostPath as a
// host volume; the rest are reported.
func volumesFromKubernetes(base string, pod corev1.PodSpec, td map[string]any, report *Report) {
	var vols []any
	for i, v := range pod.Volumes {
		p := fmt.Sprintf("%s.volumes[%d]", base, i)
		switch {
		case v.EmptyDir != nil:
			vols = append(vols, map[string]any{"name": v.Name})
		case v.HostPath != nil:
			vols = append(vols, map[string]any{"name": v.Name, "host": map[string]any{"sourcePath": v.HostPath.Path}})
		case v.PersistentVolumeClaim != nil:
			report.lose(p, "PersistentVolumeClaim %s: ECS mounts EFS (efsVolumeConfiguration) or EBS volumes configured on the service", v.PersistentVolumeClaim.ClaimName)
		case v.ConfigMap != nil, v.Secret != nil, v.Projected != nil:
			report.lose(p, "ECS has no ConfigMap or Secret volumes: use environment variables, secrets, or a file on EFS")
		default:
			report.lose(p, "no ECS volume of this kind")
		}
	}
	if len(vols) > 0 {
		td["volumes"] = vols
	}
}

// serviceConnect names the Deployment's ports for the Kubernetes Services that select it:
// Service Connect is ECS's in-cluster DNS name and port.
func serviceConnect(services []corev1.Service, containers []any, svc map[string]any, report *Report) {
	var entries []any
	for _, s := range services {
		p := "Service/" + s.Name
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer || s.Spec.Type == corev1.ServiceTypeNodePort {
			report.lose(p, "ECS puts a service behind a load balancer's target group (loadBalancers with a targetGroupArn), which the export cannot create")
		}
		for i, port := range s.Spec.Ports {
			name := namedPort(containers, port.TargetPort)
			if name == "" {
				report.lose(fmt.Sprintf("%s.spec.ports[%d]", p, i), "its targetPort is no port of the containers")
				continue
			}
			entries = append(entries, map[string]any{
				"portName": name, "discoveryName": s.Name,
				"clientAliases": []any{map[string]any{"port": port.Port, "dnsName": s.Name}},
			})
		}
	}
	if len(entries) > 0 {
		svc["serviceConnectConfiguration"] = map[string]any{"enabled": true, "services": entries}
		report.note("Service", "the Kubernetes Services are Service Connect names: the ECS cluster needs a Service Connect namespace")
	}
}

// namedPort is the name of the container port a Service's targetPort is, naming it after the
// port number when the container left it unnamed.
func namedPort(containers []any, target intstr.IntOrString) string {
	for _, c := range containers {
		ports, _ := c.(map[string]any)["portMappings"].([]any)
		for _, p := range ports {
			pm := p.(map[string]any)
			name, _ := pm["name"].(string)
			port, _ := pm["containerPort"].(int32)
			if (target.Type == intstr.String && name == target.StrVal) || (target.Type == intstr.Int && port == target.IntVal) {
				if name == "" {
					name = "port-" + strconv.Itoa(int(port))
					pm["name"] = name
				}
				return name
			}
		}
	}
	return ""
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

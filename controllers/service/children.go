package service

import (
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// labelCapacityProvider tells apart the Deployments of one Service whose capacity provider
// strategy splits its tasks over several providers.
const labelCapacityProvider = "ecs.operator.dev/capacity-provider"

// annotationServiceName on a task Pod names its Service in full (the selector label may be a
// hash of a long name), so the Pod watch finds the Service.
const annotationServiceName = "ecs.operator.dev/service-name"

// serviceTemplate adds the Service's selector and name to a task template.
func serviceTemplate(svc *ecsv1.Service, template corev1.PodTemplateSpec, selector map[string]string) corev1.PodTemplateSpec {
	t := *template.DeepCopy()
	t.Labels = shared.MergeLabels(t.Labels, selector)
	t.Labels[ecsv1.LabelManagedBy] = ecsv1.ManagedByValue
	t.Annotations = shared.MergeLabels(t.Annotations, map[string]string{annotationServiceName: svc.Name})
	return t
}

// serviceSelector selects every task of a Service, whatever its deployment or provider.
func serviceSelector(svc *ecsv1.Service) map[string]string {
	return map[string]string{ecsv1.LabelService: shared.LabelValue(svc.Name)}
}

// serviceWorkload is one Deployment's worth of a Service: all its tasks, or the share of one
// capacity provider.
type serviceWorkload struct {
	Name             string
	CapacityProvider string // empty when the Service runs on one provider or none
	// Revision is set on the Deployment of one revision (BLUE_GREEN, LINEAR, CANARY): its
	// selector takes only that revision's tasks.
	Revision string
	Replicas int32
	Template corev1.PodTemplateSpec
}

// workloadName names the Deployment of a provider's share.
func workloadName(svc *ecsv1.Service, provider string) string {
	if provider == "" {
		return svc.Name
	}
	name := svc.Name + "-" + shared.DNSLabel(provider)
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return svc.Name + "-" + shared.LabelValue(provider)
	}
	return name
}

func ownerRef(svc *ecsv1.Service) metav1.OwnerReference {
	return *metav1.NewControllerRef(svc, ecsv1.GroupVersion.WithKind("Service"))
}

func childMeta(svc *ecsv1.Service, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       svc.Namespace,
		Labels:          serviceSelector(svc),
		OwnerReferences: []metav1.OwnerReference{ownerRef(svc)},
	}
}

// desiredDeployment runs a REPLICA service's share of tasks with ECS's rollout bounds.
func desiredDeployment(svc *ecsv1.Service, w serviceWorkload, rollout translate.RollingUpdate) *appsv1.Deployment {
	selector := serviceSelector(svc)
	if w.CapacityProvider != "" {
		selector[labelCapacityProvider] = shared.LabelValue(w.CapacityProvider)
	}
	if w.Revision != "" {
		selector[labelRevision] = w.Revision
	}
	template := serviceTemplate(svc, w.Template, selector)
	meta := childMeta(svc, w.Name)
	meta.Labels = shared.MergeLabels(meta.Labels, selector)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(w.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: template,
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromInt32(rollout.MaxSurge)),
					MaxUnavailable: ptr.To(intstr.FromInt32(rollout.MaxUnavailable)),
				},
			},
		},
	}
}

// desiredRevisionDeployment runs one revision's tasks of a BLUE_GREEN, LINEAR or CANARY
// Service: its template does not change, only its replicas, so its own rollout bounds matter
// only when the operator's translation of the revision changes.
func desiredRevisionDeployment(svc *ecsv1.Service, w serviceWorkload, revision string) *appsv1.Deployment {
	w.Revision = revision
	return desiredDeployment(svc, w, translate.RollingUpdate{MaxSurge: 1})
}

// desiredDaemonSet runs one task of a DAEMON service on every node its placement allows, with
// ECS's daemon rollout bounds: no surge, and minimumHealthyPercent of the nodes rounded up.
func desiredDaemonSet(svc *ecsv1.Service, template corev1.PodTemplateSpec, update translate.DaemonUpdate) *appsv1.DaemonSet {
	selector := serviceSelector(svc)
	template = serviceTemplate(svc, template, selector)
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: childMeta(svc, svc.Name),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: template,
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{
					MaxSurge:       ptr.To(intstr.FromInt32(0)),
					MaxUnavailable: ptr.To(update.MaxUnavailable),
				},
			},
		},
	}
}

// desiredPodDisruptionBudget keeps voluntary disruptions (drains, node upgrades) from taking a
// REPLICA service below its minimumHealthyPercent, as ECS does while draining instances. It is
// nil when the floor is zero tasks.
func desiredPodDisruptionBudget(svc *ecsv1.Service, desired, minimumHealthyPercent int32) *policyv1.PodDisruptionBudget {
	minAvailable := translate.MinAvailable(desired, minimumHealthyPercent)
	if minAvailable == 0 {
		return nil
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: childMeta(svc, svc.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(minAvailable)),
			Selector:     &metav1.LabelSelector{MatchLabels: serviceSelector(svc)},
		},
	}
}

// desiredPortServices gives every container port named by loadBalancers or serviceRegistries
// a ClusterIP Service selecting the Service's tasks: what a target group or Cloud Map service
// reaches on ECS.
func desiredPortServices(svc *ecsv1.Service, td *ecsv1.TaskDefinitionSpec, traffic trafficSelectors) []*corev1.Service {
	type target struct {
		port        int32
		annotations map[string]string
	}
	targets := map[int32]*target{}
	add := func(port *int32, key, value string) {
		if port == nil {
			return
		}
		t, ok := targets[*port]
		if !ok {
			t = &target{port: *port, annotations: map[string]string{}}
			targets[*port] = t
		}
		if value != "" {
			t.annotations[key] = value
		}
	}
	for _, lb := range svc.Spec.LoadBalancers {
		add(lb.ContainerPort, "ecs.operator.dev/target-group-arn", lb.TargetGroupArn)
	}
	for _, reg := range svc.Spec.ServiceRegistries {
		port := reg.ContainerPort
		if port == nil {
			port = reg.Port
		}
		add(port, "ecs.operator.dev/registry-arn", reg.RegistryArn)
	}
	ports := make([]int32, 0, len(targets))
	for p := range targets {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	var out []*corev1.Service
	for _, p := range ports {
		mapping := findPortMapping(td, func(pm ecsv1.PortMapping) bool { return pm.ContainerPort != nil && *pm.ContainerPort == p })
		meta := childMeta(svc, shared.PortServiceName(svc, p))
		meta.Annotations = targets[p].annotations
		out = append(out, &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: meta,
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: traffic.production,
				Ports:    []corev1.ServicePort{servicePort(mapping, p, p)},
			},
		})
		if traffic.test == nil {
			continue
		}
		// ECS's test listener: the new revision's tasks only, while production stays on blue.
		test := childMeta(svc, shared.TestPortServiceName(svc, p))
		test.Annotations = map[string]string{annotationTrafficRole: "test"}
		out = append(out, &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: test,
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: traffic.test,
				Ports:    []corev1.ServicePort{servicePort(mapping, p, p)},
			},
		})
	}
	return out
}

// annotationTrafficRole marks the Kubernetes Service that carries a port's test traffic.
const annotationTrafficRole = "ecs.operator.dev/traffic"

// desiredServiceConnectServices publishes each Service Connect port under its client aliases
// (or its discovery name), so peers in the cluster reach "name:port" as on ECS. Aliases whose
// DNS name is not a single DNS label are returned as problems: a Kubernetes Service name is one.
func desiredServiceConnectServices(svc *ecsv1.Service, td *ecsv1.TaskDefinitionSpec, production map[string]string) ([]*corev1.Service, []string) {
	sc := svc.Spec.ServiceConnectConfiguration
	if sc == nil || !sc.Enabled {
		return nil, nil
	}
	var out []*corev1.Service
	var problems []string
	for _, s := range sc.Services {
		mapping := findPortMapping(td, func(pm ecsv1.PortMapping) bool { return pm.Name == s.PortName })
		if mapping == nil || mapping.ContainerPort == nil {
			problems = append(problems, fmt.Sprintf("serviceConnectConfiguration: portName %q names no port mapping of the task definition", s.PortName))
			continue
		}
		targetPort := *mapping.ContainerPort
		if s.IngressPortOverride != nil {
			targetPort = *s.IngressPortOverride
		}
		discovery := s.DiscoveryName
		if discovery == "" {
			discovery = s.PortName
		}
		aliases := s.ClientAliases
		if len(aliases) == 0 {
			aliases = []ecsv1.ServiceConnectClientAlias{{Port: *mapping.ContainerPort, DNSName: discovery}}
		}
		for _, alias := range aliases {
			name := alias.DNSName
			if name == "" {
				name = discovery
			}
			if len(validation.IsDNS1035Label(name)) > 0 {
				problems = append(problems, fmt.Sprintf("serviceConnectConfiguration: client alias %q is not a single DNS label, so no Kubernetes Service can carry it", name))
				continue
			}
			meta := childMeta(svc, name)
			meta.Annotations = map[string]string{"ecs.operator.dev/discovery-name": discovery}
			out = append(out, &corev1.Service{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: meta,
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeClusterIP,
					Selector: production,
					Ports:    []corev1.ServicePort{servicePort(mapping, alias.Port, targetPort)},
				},
			})
		}
	}
	return out, problems
}

func servicePort(mapping *ecsv1.PortMapping, port, targetPort int32) corev1.ServicePort {
	sp := corev1.ServicePort{
		Name:       "port-" + strconv.Itoa(int(port)),
		Port:       port,
		TargetPort: intstr.FromInt32(targetPort),
		Protocol:   corev1.ProtocolTCP,
	}
	if mapping == nil {
		return sp
	}
	if mapping.Protocol == ecsv1.ProtocolUDP {
		sp.Protocol = corev1.ProtocolUDP
	}
	if mapping.Name != "" && len(validation.IsDNS1123Label(mapping.Name)) == 0 {
		sp.Name = mapping.Name
	}
	if mapping.AppProtocol != "" {
		sp.AppProtocol = ptr.To(string(mapping.AppProtocol))
	}
	return sp
}

func findPortMapping(td *ecsv1.TaskDefinitionSpec, match func(ecsv1.PortMapping) bool) *ecsv1.PortMapping {
	for _, c := range td.ContainerDefinitions {
		for i := range c.PortMappings {
			if match(c.PortMappings[i]) {
				return &c.PortMappings[i]
			}
		}
	}
	return nil
}

// desiredHorizontalPodAutoscaler scales the Service through its scale subresource, as
// Application Auto Scaling scales an ECS service's desiredCount.
func desiredHorizontalPodAutoscaler(svc *ecsv1.Service) *autoscalingv2.HorizontalPodAutoscaler {
	as := svc.Spec.AutoScaling
	if as == nil {
		return nil
	}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: childMeta(svc, svc.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: ecsv1.GroupVersion.String(), Kind: "Service", Name: svc.Name,
			},
			MinReplicas: ptr.To(max(as.MinCapacity, 1)),
			MaxReplicas: as.MaxCapacity,
		},
	}
	var scaleIn, scaleOut *int32
	disableScaleIn := false
	for _, p := range as.TargetTrackingPolicies {
		resource := corev1.ResourceCPU
		if p.PredefinedMetricType == "ECSServiceAverageMemoryUtilization" {
			resource = corev1.ResourceMemory
		}
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   resource,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(p.TargetValue)},
			},
		})
		if p.ScaleInCooldown != nil {
			scaleIn = ptr.To(max(ptr.Deref(scaleIn, 0), *p.ScaleInCooldown))
		}
		if p.ScaleOutCooldown != nil {
			scaleOut = ptr.To(max(ptr.Deref(scaleOut, 0), *p.ScaleOutCooldown))
		}
		disableScaleIn = disableScaleIn || ptr.Deref(p.DisableScaleIn, false)
	}
	if scaleIn != nil || scaleOut != nil || disableScaleIn {
		b := &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		if scaleIn != nil || disableScaleIn {
			b.ScaleDown = &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: scaleIn}
			if disableScaleIn {
				b.ScaleDown.SelectPolicy = ptr.To(autoscalingv2.DisabledPolicySelect)
			}
		}
		if scaleOut != nil {
			b.ScaleUp = &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: scaleOut}
		}
		hpa.Spec.Behavior = b
	}
	return hpa
}

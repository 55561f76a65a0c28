package translate

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// maxPortRange is the largest containerPortRange expanded into single ports; a Pod with
// thousands of ports is not useful and strains the API server.
const maxPortRange = 100

// ports maps portMappings. Host ports are kept only where ECS binds them on the instance: in
// bridge mode a fixed hostPort (0 or unset means a dynamic port, which a Pod with its own IP
// does not need), in host mode the container port itself.
func (t *translation) ports(c *ecsv1.ContainerDefinition) []corev1.ContainerPort {
	mode := networkMode(t.spec)
	var out []corev1.ContainerPort
	named := map[string]bool{}
	for j, pm := range c.PortMappings {
		field := containerField(c, "portMappings["+itoa(j)+"]")
		proto := corev1.ProtocolTCP
		if pm.Protocol == ecsv1.ProtocolUDP {
			proto = corev1.ProtocolUDP
		}
		if pm.ContainerPortRange != "" {
			first, last, ok := parsePortRange(pm.ContainerPortRange)
			switch {
			case !ok:
				t.notes.add(field+".containerPortRange", "%q is not a range of ports", pm.ContainerPortRange)
				continue
			case last-first+1 > maxPortRange:
				t.notes.add(field+".containerPortRange", "ranges of more than %d ports are not declared on the Pod; the container still listens on them", maxPortRange)
				continue
			}
			for p := first; p <= last; p++ {
				cp := corev1.ContainerPort{ContainerPort: p, Protocol: proto}
				if mode == ecsv1.NetworkModeHost {
					cp.HostPort = p
				}
				out = append(out, cp)
			}
			if pm.Name != "" {
				t.notes.add(field+".name", "a name cannot be given to a range of ports")
			}
			continue
		}
		if pm.ContainerPort == nil {
			continue
		}
		cp := corev1.ContainerPort{ContainerPort: *pm.ContainerPort, Protocol: proto}
		switch mode {
		case ecsv1.NetworkModeBridge:
			cp.HostPort = ptr.Deref(pm.HostPort, 0)
		case ecsv1.NetworkModeHost:
			cp.HostPort = cp.ContainerPort
		}
		if pm.Name != "" {
			name, ok := PortName(pm.Name)
			switch {
			case !ok:
				t.notes.add(field+".name", "%q is not a valid Kubernetes port name (at most 15 lowercase letters, digits and '-', with a letter); the port is unnamed", pm.Name)
			case named[name]:
				t.notes.add(field+".name", "%q names another port of the container too; the port is unnamed", pm.Name)
			default:
				named[name] = true
				cp.Name = name
			}
		}
		out = append(out, cp)
	}
	return out
}

// parsePortRange reads "first-last".
func parsePortRange(s string) (first, last int32, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	f, err1 := strconv.ParseInt(a, 10, 32)
	l, err2 := strconv.ParseInt(b, 10, 32)
	if err1 != nil || err2 != nil || f < 1 || l > 65535 || f > l {
		return 0, 0, false
	}
	return int32(f), int32(l), true
}

// networkMode is the task's network mode; unset means bridge, ECS's default on Linux
// instances (Fargate needs awsvpc, which the API enforces).
func networkMode(spec *ecsv1.TaskDefinitionSpec) ecsv1.NetworkMode {
	if spec.NetworkMode == "" {
		return ecsv1.NetworkModeBridge
	}
	return spec.NetworkMode
}

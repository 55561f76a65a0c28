package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// defaultCapabilities is the container runtime's default capability set: adding any other
// capability reaches past the container (the kubectl-mtb Level 1 list).
var defaultCapabilities = map[corev1.Capability]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "NET_RAW": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true,
	"SETUID": true, "SYS_CHROOT": true,
}

// validateHostAccess refuses what reaches the node and so the other tenants' tasks — host
// namespaces, host paths, host ports, privileged containers, extra capabilities — unless the
// Cluster's podSecurity is privileged.
func validateHostAccess(pod *corev1.Pod, cluster *ecsv1.Cluster) field.ErrorList {
	if cluster.Spec.PodSecurity == ecsv1.PodSecurityPrivileged {
		return nil
	}
	spec := field.NewPath("spec")
	why := fmt.Sprintf("not allowed in cluster %s (podSecurity %s)", cluster.Name, level(cluster))
	var errs field.ErrorList
	if pod.Spec.HostNetwork {
		errs = append(errs, field.Forbidden(spec.Child("hostNetwork"), "the host's network is "+why))
	}
	if pod.Spec.HostPID {
		errs = append(errs, field.Forbidden(spec.Child("hostPID"), "the host's process namespace is "+why))
	}
	if pod.Spec.HostIPC {
		errs = append(errs, field.Forbidden(spec.Child("hostIPC"), "the host's IPC namespace is "+why))
	}
	for i, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			errs = append(errs, field.Forbidden(spec.Child("volumes").Index(i).Child("hostPath"), "host paths are "+why))
		}
	}
	check := func(p *field.Path, cs []corev1.Container) {
		for i, c := range cs {
			cp := p.Index(i)
			if sc := c.SecurityContext; sc != nil {
				if sc.Privileged != nil && *sc.Privileged {
					errs = append(errs, field.Forbidden(cp.Child("securityContext", "privileged"), "privileged containers are "+why))
				}
				if sc.Capabilities != nil {
					for j, capability := range sc.Capabilities.Add {
						if !defaultCapabilities[capability] {
							errs = append(errs, field.Forbidden(cp.Child("securityContext", "capabilities", "add").Index(j),
								fmt.Sprintf("capability %s beyond the default set is %s", capability, why)))
						}
					}
				}
			}
			for j, port := range c.Ports {
				if port.HostPort != 0 {
					errs = append(errs, field.Forbidden(cp.Child("ports").Index(j).Child("hostPort"), "host ports are "+why))
				}
			}
		}
	}
	check(spec.Child("initContainers"), pod.Spec.InitContainers)
	check(spec.Child("containers"), pod.Spec.Containers)
	return errs
}

func level(c *ecsv1.Cluster) string {
	if c.Spec.PodSecurity == "" {
		return string(ecsv1.PodSecurityRestricted)
	}
	return string(c.Spec.PodSecurity)
}

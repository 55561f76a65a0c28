package translate

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// container builds the Kubernetes container of containerDefinitions[i]; where it goes (init
// container, sidecar or regular container) is the layout's business.
func (t *translation) container(i int, vols *volumePlan) (corev1.Container, error) {
	c := &t.spec.ContainerDefinitions[i]
	k := corev1.Container{
		Name:  t.names[i],
		Image: c.Image,
		// ECS follows Docker: entryPoint is the executable (Kubernetes' command), command its
		// arguments (Kubernetes' args).
		Command:    copyStrings(c.EntryPoint),
		Args:       copyStrings(c.Command),
		WorkingDir: c.WorkingDirectory,
		Stdin:      ptr.Deref(c.Interactive, false),
		TTY:        ptr.Deref(c.PseudoTerminal, false),
	}
	var err error
	if k.Env, k.EnvFrom, err = t.env(c); err != nil {
		return k, err
	}
	k.Ports = t.ports(c)
	k.SecurityContext = t.securityContext(c)
	if k.Resources, err = t.containerResources(i, c); err != nil {
		return k, err
	}
	k.VolumeMounts = vols.mounts[i]
	t.probes(i, c, &k)
	k.RestartPolicy, k.RestartPolicyRules = t.containerRestart(i, c)
	t.unsupportedContainerFields(c)
	return k, nil
}

func copyStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// unsupportedContainerFields notes the container settings that have no Kubernetes equivalent.
// Settings handled elsewhere with a partial mapping note their own losses.
func (t *translation) unsupportedContainerFields(c *ecsv1.ContainerDefinition) {
	n := t.notes
	if len(c.Links) > 0 {
		n.add(containerField(c, "links"), "Kubernetes has no container links; the containers of a Pod reach each other on localhost")
	}
	if len(c.Ulimits) > 0 {
		n.add(containerField(c, "ulimits"), "Kubernetes has no per-container ulimits; the node's defaults apply")
	}
	if len(c.DockerSecurityOptions) > 0 {
		n.add(containerField(c, "dockerSecurityOptions"), "Kubernetes has no Docker security options; the Pod's seccomp, AppArmor and SELinux settings apply")
	}
	if len(c.SystemControls) > 0 {
		n.add(containerField(c, "systemControls"), "Kubernetes sets sysctls for a whole Pod and only those the node allows; none are set")
	}
	if ptr.Deref(c.DisableNetworking, false) {
		n.add(containerField(c, "disableNetworking"), "the containers of a Pod share one network namespace; networking cannot be turned off for one of them")
	}
	if c.StartTimeout != nil {
		n.add(containerField(c, "startTimeout"), "Kubernetes has no timeout for a container's dependencies; the container waits until they have started")
	}
	if len(c.CredentialSpecs) > 0 {
		n.add(containerField(c, "credentialSpecs"), "Active Directory credential specs from S3 or SSM are not supported")
	}
	if c.VersionConsistency == "enabled" {
		n.add(containerField(c, "versionConsistency"), "Kubernetes resolves an image tag whenever a Pod starts; pin a digest in the image to run the same image in every task")
	}
	if lp := c.LinuxParameters; lp != nil {
		if len(lp.Devices) > 0 {
			n.add(containerField(c, "linuxParameters.devices"), "Kubernetes has no host device mappings; a device plugin must expose devices as resources")
		}
		if lp.MaxSwap != nil {
			n.add(containerField(c, "linuxParameters.maxSwap"), "Kubernetes configures swap per node, not per container")
		}
		if lp.Swappiness != nil {
			n.add(containerField(c, "linuxParameters.swappiness"), "Kubernetes configures swap per node, not per container")
		}
	}
	for _, rr := range c.ResourceRequirements {
		if rr.Type == "InferenceAccelerator" {
			n.add(containerField(c, "resourceRequirements"), "Elastic Inference accelerators do not exist in Kubernetes")
		}
	}
}

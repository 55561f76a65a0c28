package translate

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// securityContext maps user, privileged, readonlyRootFilesystem and linuxParameters
// capabilities; nil when the container sets none of them.
func (t *translation) securityContext(c *ecsv1.ContainerDefinition) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{}
	set := false
	if c.User != "" {
		if t.windows() {
			// Windows containers run as a named user, which Kubernetes expresses directly.
			sc.WindowsOptions = &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr.To(c.User)}
			set = true
		} else {
			user, group, hasGroup := strings.Cut(c.User, ":")
			if uid, ok := numericID(user); ok {
				sc.RunAsUser = &uid
				set = true
			} else {
				t.notes.add(containerField(c, "user"), "Kubernetes runs containers as a numeric uid; the user name %q is not resolved and the image's user applies", user)
			}
			if hasGroup {
				if gid, ok := numericID(group); ok {
					sc.RunAsGroup = &gid
					set = true
				} else {
					t.notes.add(containerField(c, "user"), "Kubernetes runs containers with a numeric gid; the group name %q is not resolved and the image's group applies", group)
				}
			}
		}
	}
	if ptr.Deref(c.Privileged, false) {
		sc.Privileged = ptr.To(true)
		set = true
	}
	if ptr.Deref(c.ReadonlyRootFilesystem, false) {
		sc.ReadOnlyRootFilesystem = ptr.To(true)
		set = true
	}
	if lp := c.LinuxParameters; lp != nil && lp.Capabilities != nil && (len(lp.Capabilities.Add) > 0 || len(lp.Capabilities.Drop) > 0) {
		caps := &corev1.Capabilities{}
		for _, a := range lp.Capabilities.Add {
			caps.Add = append(caps.Add, corev1.Capability(a))
		}
		for _, d := range lp.Capabilities.Drop {
			caps.Drop = append(caps.Drop, corev1.Capability(d))
		}
		sc.Capabilities = caps
		set = true
	}
	if !set {
		return nil
	}
	return sc
}

// numericID reads a uid or gid; "root" is 0, as every image's /etc/passwd says.
func numericID(s string) (int64, bool) {
	if s == "root" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

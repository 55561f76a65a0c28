package translate

import (
	"net"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Kubernetes' limits on a Pod's DNS configuration.
const (
	maxDNSNameservers = 3
	maxDNSSearches    = 32
)

// network maps the task's network, PID and IPC modes and the containers' DNS, hosts and
// hostname settings. Kubernetes keeps all of these per Pod, so the containers' settings are
// merged: every container of the task sees the union, in ECS order.
func (t *translation) network() {
	spec := t.spec
	switch networkMode(spec) {
	case ecsv1.NetworkModeHost:
		t.pod.HostNetwork = true
		t.pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	case ecsv1.NetworkModeNone:
		t.notes.add("networkMode", "a Pod always has a network namespace with its own address; networkMode none cannot be expressed")
	}
	switch spec.PidMode {
	case "host":
		t.pod.HostPID = true
	case "task":
		t.pod.ShareProcessNamespace = ptr.To(true)
	}
	switch spec.IpcMode {
	case "host":
		t.pod.HostIPC = true
	case "none":
		t.notes.add("ipcMode", "the containers of a Pod always share an IPC namespace; ipcMode none cannot be expressed")
	}

	var servers, searches []string
	seenServer, seenSearch := map[string]bool{}, map[string]bool{}
	aliases := map[string][]string{}
	for i := range spec.ContainerDefinitions {
		c := &spec.ContainerDefinitions[i]
		for _, s := range c.DNSServers {
			if !seenServer[s] {
				seenServer[s] = true
				servers = append(servers, s)
			}
		}
		for _, s := range c.DNSSearchDomains {
			if !seenSearch[s] {
				seenSearch[s] = true
				searches = append(searches, s)
			}
		}
		for j, h := range c.ExtraHosts {
			if net.ParseIP(h.IPAddress) == nil {
				t.notes.add(containerField(c, "extraHosts["+itoa(j)+"]"), "%q is not an IP address (Docker's host-gateway has no Kubernetes equivalent); %s is not added to /etc/hosts", h.IPAddress, h.Hostname)
				continue
			}
			aliases[h.IPAddress] = append(aliases[h.IPAddress], h.Hostname)
		}
		if c.Hostname != "" {
			switch {
			case len(validation.IsDNS1123Label(c.Hostname)) > 0:
				t.notes.add(containerField(c, "hostname"), "%q is not a DNS label, which a Pod's hostname must be; the Pod's name is the hostname", c.Hostname)
			case t.pod.Hostname != "" && t.pod.Hostname != c.Hostname:
				t.notes.add(containerField(c, "hostname"), "a Pod has one hostname for all its containers; %q is used", t.pod.Hostname)
			default:
				t.pod.Hostname = c.Hostname
			}
		}
	}
	if len(servers) > maxDNSNameservers {
		t.notes.add("containerDefinitions.dnsServers", "a Pod has at most %d name servers; %v are not used", maxDNSNameservers, servers[maxDNSNameservers:])
		servers = servers[:maxDNSNameservers]
	}
	if len(searches) > maxDNSSearches {
		t.notes.add("containerDefinitions.dnsSearchDomains", "a Pod has at most %d search domains; %v are not used", maxDNSSearches, searches[maxDNSSearches:])
		searches = searches[:maxDNSSearches]
	}
	switch {
	case len(servers) > 0:
		// Name servers replace the cluster's DNS, as they replace the instance's in Docker.
		t.pod.DNSPolicy = corev1.DNSNone
		t.pod.DNSConfig = &corev1.PodDNSConfig{Nameservers: servers, Searches: searches}
	case len(searches) > 0:
		t.pod.DNSConfig = &corev1.PodDNSConfig{Searches: searches}
	}
	t.pod.HostAliases = hostAliases(aliases)
}

// hostAliases sorts the /etc/hosts entries by address, each address's names sorted, once.
func hostAliases(byIP map[string][]string) []corev1.HostAlias {
	var out []corev1.HostAlias
	for _, ip := range sortedKeys(byIP) {
		names := append([]string(nil), byIP[ip]...)
		sort.Strings(names)
		uniq := names[:0]
		for k, n := range names {
			if k == 0 || n != names[k-1] {
				uniq = append(uniq, n)
			}
		}
		out = append(out, corev1.HostAlias{IP: ip, Hostnames: uniq})
	}
	return out
}

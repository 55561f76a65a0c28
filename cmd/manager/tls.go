package main

import "crypto/tls"

// serverTLSOptions are the TLS settings of every server of the manager (webhooks, metrics, the
// ECS API): TLS 1.2 or later, and HTTP/1.1 only unless HTTP/2 is enabled (its rapid-reset and
// stream-cancellation attacks, CVE-2023-44487 and CVE-2023-39325, are why it is off by default).
func serverTLSOptions(enableHTTP2 bool) []func(*tls.Config) {
	opts := []func(*tls.Config){func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }}
	if !enableHTTP2 {
		opts = append(opts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	return opts
}

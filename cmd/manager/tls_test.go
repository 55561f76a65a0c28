package main

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServerTLSOptions_ClientsBelowTLS12AreRefused(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{}
	for _, o := range serverTLSOptions(false) {
		o(srv.TLS)
	}
	srv.StartTLS()
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		version uint16
		ok      bool
	}{
		{"TLS 1.0", tls.VersionTLS10, false},
		{"TLS 1.1", tls.VersionTLS11, false},
		{"TLS 1.2", tls.VersionTLS12, true},
		{"TLS 1.3", tls.VersionTLS13, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{
				InsecureSkipVerify: true, //nolint:gosec // only the protocol version is under test
				MinVersion:         tc.version, MaxVersion: tc.version,
			})
			if err == nil {
				_ = conn.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("handshake with %s: %v, want accepted=%t", tc.name, err, tc.ok)
			}
		})
	}
}

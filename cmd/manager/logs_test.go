package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestLogs_ATenantsTextStaysInsideItsField logs, as the manager does with its flags (JSON by
// default, console with --zap-devel), values and errors holding text a tenant controls that
// tries to start a log line of its own: each record stays one line.
func TestLogs_ATenantsTextStaysInsideItsField(t *testing.T) {
	forged := "stopped\n{\"level\":\"info\",\"msg\":\"tenant-b's service deleted\"}\r\x1b[2K"
	// Development mode prints stack traces of errors on lines of their own: not what is under test.
	for _, args := range [][]string{nil, {"--zap-devel", "--zap-stacktrace-level=panic"}} {
		t.Run(strings.Join(append([]string{"flags"}, args...), " "), func(t *testing.T) {
			opts, err := parseOptions(flag.NewFlagSet("manager", flag.ContinueOnError), args)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			log := zap.New(zap.UseFlagOptions(&opts.zap), zap.WriteTo(&buf))
			log.Info("task stopped", "reason", forged, "service", "web")
			log.Error(errors.New(forged), "stopping the task", "task", "t1")
			lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("two records printed %d lines:\n%s", len(lines), buf.String())
			}
			for _, l := range lines {
				if strings.ContainsAny(l, "\r\x1b") {
					t.Errorf("a record holds a raw control character: %q", l)
				}
			}
		})
	}
}

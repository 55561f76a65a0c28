package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The operator serves net/http/pprof on pprofAddr during a benchmark, so that a missed target
// comes with the profile that shows where the time or memory went: a CPU profile of the
// convergence run and a heap profile with N Services converged, next to the results.

// loopbackAddr is 127.0.0.1 with a port nobody listens on right now.
func loopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port)), nil
}

// saveProfile fetches one profile (path and query of /debug/pprof) into file beside the results.
func (e *env) saveProfile(ctx context.Context, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.pprofAddr+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("fetching the operator's %s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the operator's %s: %s", path, resp.Status)
	}
	out := filepath.Join(filepath.Dir(e.opts.out), file)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	logf("profile %s in %s", path, out)
	return f.Close()
}

// profileCPU records the operator's CPU for d in the background; the profile is written when
// d has passed (a failure is only logged: the profile is an aid, not a measure).
func (e *env) profileCPU(ctx context.Context, d time.Duration, file string) {
	go func() {
		path := fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds()))
		if err := e.saveProfile(ctx, path, file); err != nil {
			logf("no CPU profile: %v", err)
		}
	}()
}

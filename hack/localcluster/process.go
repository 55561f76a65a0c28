package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a child process that never outlives localcluster: it gets SIGTERM when
// localcluster dies, and it sits in its own process group so that a Ctrl-C in the terminal
// reaches only localcluster, which then stops its children in order.
type process struct {
	name string
	cmd  *exec.Cmd
	out  []*prefixWriter
	done chan struct{}
	err  error // set before done is closed
}

// startProcess starts path with args and env added to localcluster's environment; each line
// of its output is prefixed with its name.
func startProcess(name, path string, args, env []string) (*process, error) {
	p := &process{name: name, done: make(chan struct{})}
	stdout, stderr := newPrefixWriter(os.Stdout, name), newPrefixWriter(os.Stderr, name)
	p.out = []*prefixWriter{stdout, stderr}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = stdout, stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	log.Info("started", "process", name, "pid", p.cmd.Process.Pid)
	go func() {
		p.err = p.cmd.Wait()
		for _, w := range p.out {
			w.Flush()
		}
		close(p.done)
	}()
	return p, nil
}

// startManager starts the operator against kubeconfig, without its webhook server (no
// serving certificate exists locally).
func startManager(path, kubeconfig, metricsAddr, probeAddr string) (*process, error) {
	return startProcess("manager", path, []string{
		"--kubeconfig", kubeconfig,
		"--metrics-bind-address=" + metricsAddr,
		"--health-probe-bind-address=" + probeAddr,
	}, []string{"ENABLE_WEBHOOKS=false"})
}

// Done is closed when the process has exited; it is nil, so never ready, for no process.
func (p *process) Done() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// Err describes how the process exited, also when it exited with status 0; valid once Done is
// closed.
func (p *process) Err() error {
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// Stop sends SIGTERM and waits up to timeout for the process to exit, then kills it.
func (p *process) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	log.Info("stopping", "process", p.name)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	log.Info("did not stop in time, killing it", "process", p.name, "timeout", timeout)
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	<-p.done
	return fmt.Errorf("%s did not stop within %s and was killed", p.name, timeout)
}

// waitReady polls url until it answers 200 OK, the process exits, ctx ends or timeout passes.
func waitReady(ctx context.Context, p *process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	httpClient := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := httpClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("%s answered %s", url, resp.Status)
		} else {
			lastErr = err
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited before it was ready: %w", p.name, p.Err())
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s was not ready within %s: %w", p.name, timeout, lastErr)
			}
			return fmt.Errorf("%w: waiting for %s to be ready", errInterrupted, p.name)
		case <-tick.C:
		}
	}
}

// readyzURL is the /readyz URL of a --health-probe-bind-address; an address without a host
// is reached on the loopback interface.
func readyzURL(probeAddr string) string {
	host, port, err := net.SplitHostPort(probeAddr)
	if err != nil {
		return "http://" + probeAddr + "/readyz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// prefixWriter writes each line written to it to out, prefixed with a name. It never fails, so
// that a child never blocks on a full pipe: output that cannot be written is dropped.
type prefixWriter struct {
	mu     sync.Mutex
	out    io.Writer
	prefix []byte
	buf    []byte // the last, unterminated line
}

func newPrefixWriter(out io.Writer, name string) *prefixWriter {
	return &prefixWriter{out: out, prefix: []byte(name + " | ")}
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.writeLine(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
}

// Flush writes what is left of an unterminated last line.
func (w *prefixWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.writeLine(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *prefixWriter) writeLine(line []byte) {
	_, _ = w.out.Write(append(append(make([]byte, 0, len(w.prefix)+len(line)), w.prefix...), line...))
}

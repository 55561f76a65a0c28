package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child process that never outlives the program that started it: it gets SIGTERM
// when that program dies (Pdeathsig), and it sits in its own process group so that a Ctrl-C in
// the terminal reaches only the parent, which then stops its children in order.
type Process struct {
	Name string
	cmd  *exec.Cmd
	out  []*prefixWriter
	done chan struct{}
	err  error // set before done is closed
}

// StartProcess starts path with args, with env added to this program's environment. Each line
// of its output goes to out prefixed with its name ("name | ...").
func StartProcess(name, path string, args, env []string, out io.Writer) (*Process, error) {
	p := &Process{Name: name, done: make(chan struct{})}
	stdout, stderr := newPrefixWriter(out, name), newPrefixWriter(out, name)
	p.out = []*prefixWriter{stdout, stderr}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = stdout, stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		for _, w := range p.out {
			w.Flush()
		}
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited; it is nil, so never ready, for no process.
func (p *Process) Done() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// Err describes how the process exited, also when it exited with status 0; valid once Done is
// closed.
func (p *Process) Err() error {
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// ExitCode is the process's exit status, 128+n when signal n killed it; valid once Done is
// closed.
func (p *Process) ExitCode() int {
	state := p.cmd.ProcessState
	if state == nil {
		return -1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// Signal sends sig to the process; a process that has exited is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.Name, err)
	}
	return nil
}

// Stop sends SIGTERM and waits up to timeout for the process to exit, then kills it.
func (p *Process) Stop(timeout time.Duration) error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.Name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", p.Name, err)
	}
	<-p.done
	return fmt.Errorf("%s did not stop within %s and was killed", p.Name, timeout)
}

// WaitReady polls url until it answers 200 OK, the process exits, ctx ends or timeout passes.
func WaitReady(ctx context.Context, p *Process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	httpClient := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := httpClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		} else {
			lastErr = err
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited before it was ready: %w", p.Name, p.Err())
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s was not ready within %s: %w", p.Name, timeout, lastErr)
			}
			return fmt.Errorf("waiting for %s to be ready: %w", p.Name, ctx.Err())
		case <-tick.C:
		}
	}
}

// startReaper starts a shell that outlives nothing: it waits for this program to exit and then
// kills pids. Pdeathsig covers the children this package starts itself, but envtest starts
// etcd and kube-apiserver without it, and a `go test -timeout` panic skips every deferred
// Stop; without the reaper they would keep running (and holding their ports) forever.
func startReaper(pids []int) (*Process, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	list := make([]string, len(pids))
	for i, pid := range pids {
		list[i] = strconv.Itoa(pid)
	}
	script := fmt.Sprintf(`while kill -0 %d 2>/dev/null; do sleep 1; done; kill -TERM %[2]s 2>/dev/null; sleep 5; kill -KILL %[2]s 2>/dev/null; exit 0`,
		os.Getpid(), strings.Join(list, " "))
	p := &Process{Name: "reaper", done: make(chan struct{})}
	p.cmd = exec.Command("/bin/sh", "-c", script)
	// Its own process group, so that a Ctrl-C does not end it; no Pdeathsig, its whole point is
	// to outlive this program.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the process reaper: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// childPids lists the processes whose parent is this program and whose command name is one of
// names.
func childPids(names ...string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses, so split at the last ')'.
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil || ppid != self {
			continue
		}
		comm := s[open+1 : end]
		for _, n := range names {
			// The kernel keeps the first 15 bytes of the command name.
			if comm == n || (len(n) > 15 && comm == n[:15]) {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
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
	if out == nil {
		out = io.Discard
	}
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

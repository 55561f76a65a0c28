package localcluster

import (
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// servicePort is a container port as the cluster sees it: HostIP:containerPort, which every
// Pod declaring that port names in its Service's EndpointSlices. As kube-proxy and Pod IPs
// would, it passes each connection to a running Pod declaring the port, ready ones first, on
// the Pod's own host port; so a Service in front of several Pods reaches each of them, and
// keeps working while one of them is down.
type servicePort struct {
	listener net.Listener
	// backends are the host addresses serving the port now, the best first.
	backends func() []string
	wg       sync.WaitGroup
}

const backendDialTimeout = time.Second

// listenServicePort serves the container port on host; nil when something else holds the
// port (the Pods are then reachable on their own host ports only).
func listenServicePort(host string, port int32, backends func() []string) *servicePort {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		return nil
	}
	s := &servicePort{listener: l, backends: backends}
	s.wg.Go(s.serve)
	return s
}

func (s *servicePort) serve() {
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.wg.Go(func() { s.pass(conn) })
	}
}

// pass connects conn to the first backend that answers and copies both ways until either side
// closes; with no backend answering, conn is closed as a refused connection would be.
func (s *servicePort) pass(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	for _, addr := range s.backends() {
		backend, err := net.DialTimeout("tcp", addr, backendDialTimeout)
		if err != nil {
			continue
		}
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(backend, conn); closeWrite(backend); done <- struct{}{} }()
		go func() { _, _ = io.Copy(conn, backend); closeWrite(conn); done <- struct{}{} }()
		<-done
		<-done
		_ = backend.Close()
		return
	}
}

func closeWrite(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
		return
	}
	_ = c.Close()
}

// close stops accepting and waits for the connections in flight to end.
func (s *servicePort) close() {
	_ = s.listener.Close()
	s.wg.Wait()
}

// backendsOf are the host addresses of the running Pods that declare the container port, ready
// Pods first; n.mu must not be held.
func (n *ProcessNodes) backendsOf(port int32) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	type backend struct {
		addr  string
		ready bool
	}
	var out []backend
	for _, p := range n.pods {
		addr, ok := p.ports[port]
		if !ok || p.exited || p.proc == nil {
			continue
		}
		select {
		case <-p.proc.Done():
			continue
		default:
		}
		out = append(out, backend{addr, p.ready})
	}
	slices.SortStableFunc(out, func(a, b backend) int {
		switch {
		case a.ready == b.ready:
			return 0
		case a.ready:
			return -1
		}
		return 1
	})
	addrs := make([]string, len(out))
	for i, b := range out {
		addrs[i] = b.addr
	}
	return addrs
}

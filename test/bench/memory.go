package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// gcTrace reads the operator's GODEBUG=gctrace=1 lines ("gc 12 @3.4s 1%: ..., 12->13->6 MB,
// 13 MB goal, ...") from its output and keeps the last collection: when it ended, and the third
// heap figure, the heap marked live by it (the heap after GC) in whole MiB. It tells a memory
// sample when a fresh collection has happened, which no metric of the operator says as it
// happens.
type gcTrace struct {
	mu   sync.Mutex
	last gcCycle
}

type gcCycle struct {
	N       int
	At      time.Time
	LiveMiB float64
}

var gcLine = regexp.MustCompile(`gc (\d+) @[0-9.]+s .*? (\d+)->(\d+)->(\d+) MB`)

// Write takes the operator's output, one whole line per call (localcluster's prefixWriter).
func (g *gcTrace) Write(p []byte) (int, error) {
	if m := gcLine.FindSubmatch(p); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		live, _ := strconv.ParseFloat(string(m[4]), 64)
		g.mu.Lock()
		g.last = gcCycle{N: n, At: time.Now(), LiveMiB: live}
		g.mu.Unlock()
	}
	return len(p), nil
}

// reset forgets the collections of a previous operator process.
func (g *gcTrace) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = gcCycle{}
}

func (g *gcTrace) current() gcCycle {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// next waits up to timeout for a collection after the current one, and returns the last one
// either way.
func (g *gcTrace) next(ctx context.Context, timeout time.Duration) gcCycle {
	start := g.current().N
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c := g.current(); c.N > start {
			return c
		}
		time.Sleep(200 * time.Millisecond)
	}
	return g.current()
}

// memorySample is the operator's memory at one point of the benchmark.
type memorySample struct {
	Phase string `json:"phase"`
	// RSSBytes is VmRSS of /proc/<pid>/status.
	RSSBytes float64 `json:"rssBytes"`
	// HeapLiveAfterGCBytes is the heap the last collection marked live: go_gc_heap_live_bytes
	// (runtime/metrics /gc/heap/live:bytes, which controller-runtime's Go collector exports),
	// or gctrace's figure when the metric is missing. GCTraceLiveMiB is gctrace's figure
	// (whole MiB), GCAgeSeconds how long before the sample that collection ended.
	HeapLiveAfterGCBytes float64 `json:"heapLiveAfterGCBytes"`
	GCTraceLiveMiB       float64 `json:"gctraceLiveMiB"`
	GCAgeSeconds         float64 `json:"gcAgeSeconds"`
	// HeapInuseBytes and HeapAllocBytes are go_memstats_heap_inuse_bytes and
	// go_memstats_heap_alloc_bytes at the sample: they include garbage not yet collected.
	HeapInuseBytes float64 `json:"heapInuseBytes"`
	HeapAllocBytes float64 `json:"heapAllocBytes"`
	Goroutines     float64 `json:"goroutines"`
}

// sampleMemory waits (up to -gc-wait) for a collection that starts after now, then reads the
// operator's RSS and heap.
func (e *env) sampleMemory(ctx context.Context, phase string) (memorySample, error) {
	gc := e.gc.next(ctx, e.opts.gcWait)
	s := memorySample{Phase: phase, GCTraceLiveMiB: gc.LiveMiB, HeapLiveAfterGCBytes: gc.LiveMiB * (1 << 20)}
	if !gc.At.IsZero() {
		s.GCAgeSeconds = time.Since(gc.At).Seconds()
	}
	rss, err := vmRSS(e.operator.Pid())
	if err != nil {
		return s, err
	}
	s.RSSBytes = rss
	m, err := e.operatorMetrics(ctx)
	if err != nil {
		return s, err
	}
	if m.has("go_gc_heap_live_bytes") {
		s.HeapLiveAfterGCBytes = m.sum("go_gc_heap_live_bytes", nil)
	}
	s.HeapInuseBytes = m.sum("go_memstats_heap_inuse_bytes", nil)
	s.HeapAllocBytes = m.sum("go_memstats_heap_alloc_bytes", nil)
	s.Goroutines = m.sum("go_goroutines", nil)
	logf("memory %s: RSS %.1f MiB, heap after GC %.1f MiB (gctrace %.0f MiB, GC %.0fs before), heap in use %.1f MiB",
		phase, s.RSSBytes/(1<<20), s.HeapLiveAfterGCBytes/(1<<20), gc.LiveMiB, s.GCAgeSeconds, s.HeapInuseBytes/(1<<20))
	return s, nil
}

// vmRSS is a process's resident set size in bytes.
func vmRSS(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the operator's memory: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("parsing VmRSS %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// results is everything one run measured; written as JSON (-out).
type results struct {
	Date    string         `json:"date"`
	Machine machine        `json:"machine"`
	Options map[string]any `json:"options"`
	// Attribution says how the operator's requests were told from everyone else's.
	Attribution attribution `json:"attribution"`

	Floor    runResult   `json:"floor"`
	Operator operatorRun `json:"operator"`
	// ConvergenceRatio is the operator's time over the floor's.
	ConvergenceRatio number `json:"convergenceRatio"`
	// WritesPerService are the operator's writes until quiet per Service (with its
	// TaskDefinition).
	WritesPerService number `json:"writesPerService"`

	Steady   steadyResult  `json:"steady"`
	Restart  restartResult `json:"restart"`
	Webhooks webhookResult `json:"webhooks"`
	Memory   memoryResult  `json:"memory"`
	ScaleOut scaleResult   `json:"scaleOut"`
	// ScaleOutRatio is the Service's time to all tasks Running and Ready over the plain
	// Deployment's.
	ScaleOutRatio number `json:"scaleOutRatio"`

	Targets []target `json:"targets"`
	Errors  []string `json:"errors,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	MemoryGiB number `json:"memoryGiB"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
}

type attribution struct {
	// RequestTotalLabels are apiserver_request_total's labels in this version: none names the
	// client, hence the FlowSchemas.
	RequestTotalLabels []string `json:"requestTotalLabels"`
	OperatorUser       string   `json:"operatorUser"`
	Metric             string   `json:"metric"`
	FlowSchemaPrefix   string   `json:"flowSchemaPrefix"`
}

type memoryResult struct {
	Samples []memorySample `json:"samples"`
	// ManagedObjects are the ECS objects the benchmark gave the operator: N Services and
	// their N TaskDefinitions (the probe's and Deployments, revisions and Events not counted).
	ManagedObjects int `json:"managedObjects"`
	// HeapPer1000 is the heap after GC the managed objects added (at N minus idle), per 1,000
	// of them; HeapTotalPer1000 divides the whole heap after GC at N instead.
	HeapPer1000MiB      number `json:"heapPer1000MiB"`
	HeapTotalPer1000MiB number `json:"heapTotalPer1000MiB"`
}

// target is one goal and whether this run met it: Value is the figure checked against Limit,
// in the goal's unit, and Measured says it for a reader with what it was made of. Value and Met
// are null when it was not measured.
type target struct {
	Name     string  `json:"name"`
	Goal     string  `json:"goal"`
	Limit    float64 `json:"limit"`
	Value    number  `json:"value"`
	Measured string  `json:"measured"`
	Met      *bool   `json:"met"`
}

// newResults has every measure "not measured" until a phase fills it in.
func newResults(date string, m machine, options map[string]any) *results {
	r := &results{Date: date, Machine: m, Options: options}
	r.Floor.Seconds, r.Floor.CreatesSeconds, r.Floor.LagSeconds = nan(), nan(), nan()
	r.Operator.Seconds, r.Operator.CreatesSeconds, r.Operator.LagSeconds, r.Operator.QuietSeconds = nan(), nan(), nan(), nan()
	r.Restart.ResyncSeconds = nan()
	r.Webhooks.ClientP50, r.Webhooks.ClientP99 = nan(), nan()
	r.Memory.HeapPer1000MiB, r.Memory.HeapTotalPer1000MiB = nan(), nan()
	r.ScaleOut.OperatorSeconds, r.ScaleOut.ServiceReadySeconds, r.ScaleOut.PlainSeconds = nan(), nan(), nan()
	return r
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), MemoryGiB: nan()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if kb := procField("/proc/meminfo", "MemTotal:"); kb != "" {
		var v float64
		if _, err := fmt.Sscanf(kb, "%f", &v); err == nil {
			m.MemoryGiB = number(math.Round(v/(1<<20)*10) / 10)
		}
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	return m
}

// procField is the value of the first line of a /proc file starting with key.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return ""
}

// evaluate derives the ratios and checks the targets (docs/benchmarks.md, "Targets"), in
// the order of that table.
func (r *results) evaluate() {
	r.ConvergenceRatio = ratio(r.Operator.Seconds, r.Floor.Seconds)
	if r.Operator.Objects > 0 && r.Operator.Writes.Writes != nil {
		r.WritesPerService = number(r.Operator.Writes.total() / float64(r.Operator.Objects))
	} else {
		r.WritesPerService = nan()
	}
	r.ScaleOutRatio = ratio(r.ScaleOut.OperatorSeconds, r.ScaleOut.PlainSeconds)

	lag := check("convergence lag (last create returned → all converged)", "≤ 5 s", r.Operator.LagSeconds, 5, "%.1f s").
		detail("all converged at %.1f s, last create returned at %.1f s", float64(r.Operator.Seconds), float64(r.Operator.CreatesSeconds))
	total := check("convergence vs bare-client floor", "≤ 3× the floor", r.ConvergenceRatio, 3, "%.2f×").
		detail("%.1f s vs %.1f s", float64(r.Operator.Seconds), float64(r.Floor.Seconds))
	if r.Operator.Objects > 0 && r.Operator.Converged < r.Operator.Objects {
		// A run that did not converge misses any bound on its time, floor or not.
		why := fmt.Sprintf("only %d of %d Services converged within -converge-timeout", r.Operator.Converged, r.Operator.Objects)
		lag, total = lag.missed(why), total.missed(why)
	}
	perService := check("writes per new Service (with its TaskDefinition and Events)", "≤ 5", r.WritesPerService, 5, "%.2f").
		detail("%.0f writes for %d Services", r.Operator.Writes.total(), r.Operator.Objects)
	r.Targets = []target{lag, total, perService, r.restartTarget(), r.steadyTarget(), r.webhookTarget(),
		check("heap after GC per 1,000 managed objects", "≤ 10 MiB", r.Memory.HeapPer1000MiB, 10, "%.2f MiB").
			detail("%d managed objects", r.Memory.ManagedObjects),
		check("scale-out vs plain Deployment", "≤ 1.15× (0 → 500 tasks)", r.ScaleOutRatio, 1.15, "%.2f×").
			detail("0 → %d tasks Running and Ready in %.1f s vs %.1f s", r.ScaleOut.Tasks,
				float64(r.ScaleOut.OperatorSeconds), float64(r.ScaleOut.PlainSeconds)),
	}
}

// restartTarget checks the writes in the window after the restarted operator was ready.
func (r *results) restartTarget() target {
	rs := r.Restart
	v := nan()
	if rs.Requests.Writes != nil {
		v = number(rs.Requests.total())
	}
	resync := "resync not done within the window"
	if rs.ResyncInWindow {
		resync = fmt.Sprintf("resync done %.1f s after the stop", float64(rs.ResyncSeconds))
	}
	return check("writes after restart (from ready)", "0 in 60 s", v, 0, "%.0f").
		detail("in %.1f s from ready: %s; reconcilers %.0f; %s", rs.WindowSeconds, rs.Requests, rs.ReconcilerWrites, resync)
}

// steadyTarget checks the writes in the steady-state window.
func (r *results) steadyTarget() target {
	st := r.Steady
	v := nan()
	if st.Requests.Writes != nil {
		v = number(st.Requests.total())
	}
	return check("writes in steady state (all converged)", "0 in 60 s", v, 0, "%.0f").
		detail("in %.1f s: %s", st.WindowSeconds, st.Requests)
}

// webhookTarget checks the worst webhook's handler p99.
func (r *results) webhookTarget() target {
	worst, name := nan(), ""
	for _, w := range r.Webhooks.Webhooks {
		if w.HandlerP99.Value.valid() && (!worst.valid() || w.HandlerP99.Value > worst) {
			worst, name = w.HandlerP99.Value, w.Name
		}
	}
	return check("webhook handler p99 (worst webhook)", "≤ 2 ms at 50 requests/s", worst*1000, 2, "%.2f ms").
		detail("%s, %d requests at %d/s", name, r.Webhooks.Requests, r.Webhooks.Rate)
}

func ratio(a, b number) number {
	if !a.valid() || !b.valid() || b == 0 {
		return nan()
	}
	return a / b
}

// check compares a measured value with a maximum.
func check(name, goal string, v number, maximum float64, format string) target {
	t := target{Name: name, Goal: goal, Limit: maximum, Value: v, Measured: "not measured"}
	if v.valid() {
		met := float64(v) <= maximum
		t.Met, t.Measured = &met, fmt.Sprintf(format, float64(v))
	}
	return t
}

// detail adds to a measured figure what it was made of; nothing when it was not measured.
func (t target) detail(format string, args ...any) target {
	if t.Met != nil {
		t.Measured += " (" + fmt.Sprintf(format, args...) + ")"
	}
	return t
}

// missed marks a target missed outright, saying why in place of a figure.
func (t target) missed(why string) target {
	met := false
	t.Met, t.Value, t.Measured = &met, nan(), why
	return t
}

// computeMemory fills the per-1,000 figures from the idle and at-N samples.
func (r *results) computeMemory(idle, atN memorySample, services int) {
	r.Memory.ManagedObjects = 2 * services
	k := float64(r.Memory.ManagedObjects) / 1000
	r.Memory.HeapPer1000MiB = number((atN.HeapLiveAfterGCBytes - idle.HeapLiveAfterGCBytes) / (1 << 20) / k)
	r.Memory.HeapTotalPer1000MiB = number(atN.HeapLiveAfterGCBytes / (1 << 20) / k)
}

func (r *results) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the results: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printTable writes the summary a reader wants first.
func (r *results) printTable(w io.Writer) error {
	// The rows go to a builder first, then through the tabwriter in one write whose error counts.
	var b strings.Builder
	ms := func(q quantile) string { return fmtNum(q.Value*1000, "%.2f ms") }
	fmt.Fprintf(&b, "ecs-operator benchmark, %s, %d CPUs, %v GiB\n\n", r.Date, r.Machine.CPUs, float64(r.Machine.MemoryGiB))
	fmt.Fprintln(&b, "measure\toperator\tfloor\tratio")
	fmt.Fprintf(&b, "convergence of %d Services\t%s\t%s\t%s\n", r.Operator.Objects,
		fmtNum(r.Operator.Seconds, "%.1f s"), fmtNum(r.Floor.Seconds, "%.1f s"), fmtNum(r.ConvergenceRatio, "%.2f×"))
	fmt.Fprintf(&b, "  creates returned\t%s\t%s\t\n", fmtNum(r.Operator.CreatesSeconds, "%.1f s"), fmtNum(r.Floor.CreatesSeconds, "%.1f s"))
	fmt.Fprintf(&b, "  lag after the last create\t%s\t%s\t\n", fmtNum(r.Operator.LagSeconds, "%.1f s"), fmtNum(r.Floor.LagSeconds, "%.1f s"))
	fmt.Fprintf(&b, "scale-out 0 → %d tasks Running and Ready\t%s\t%s\t%s\n", r.ScaleOut.Tasks,
		fmtNum(r.ScaleOut.OperatorSeconds, "%.1f s"), fmtNum(r.ScaleOut.PlainSeconds, "%.1f s"), fmtNum(r.ScaleOutRatio, "%.2f×"))
	fmt.Fprintf(&b, "  Service status Ready\t%s\t\t\n", fmtNum(r.ScaleOut.ServiceReadySeconds, "%.1f s"))
	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "operator writes until quiet\t%.0f\t(%s)\t\n", r.Operator.Writes.total(), r.Operator.Writes)
	for _, w := range r.Operator.Controllers {
		fmt.Fprintf(&b, "  controller %s\t%.0f reconciles\tbusy %.1f s, %.0f worker(s)\t\n", w.Controller, w.Reconciles, w.BusySeconds, w.Workers)
	}
	fmt.Fprintf(&b, "operator writes in %.0f s of steady state\t%.0f\t(%s)\t\n", r.Steady.WindowSeconds,
		r.Steady.Requests.total(), r.Steady.Requests)
	for _, w := range r.Steady.Controllers {
		fmt.Fprintf(&b, "  controller %s\t%.0f reconciles\t%.0f requeues, %.0f errors\t\n", w.Controller, w.Reconciles, w.Requeues, w.Errors)
	}
	fmt.Fprintf(&b, "operator writes in %.0f s after restart, from ready (resync done %s after the stop)\t%.0f\t(%s)\t\n",
		r.Restart.WindowSeconds, fmtNum(r.Restart.ResyncSeconds, "%.1f s"), r.Restart.Requests.total(), r.Restart.Requests)
	fmt.Fprintf(&b, "  of which by the reconcilers\t%.0f\t\t\n", r.Restart.ReconcilerWrites)
	fmt.Fprintf(&b, "  from the stop until ready (%.1f s; not counted)\t%.0f\t(%s)\t\n", r.Restart.ReadySeconds,
		r.Restart.StartupRequests.total(), r.Restart.StartupRequests)
	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "webhook (%d dry-run creates at %d/s, %d errors)\tAPI server p50 / p99\thandler p50 / p99\tcalls\n",
		r.Webhooks.Requests, r.Webhooks.Rate, r.Webhooks.Errors)
	for _, wh := range r.Webhooks.Webhooks {
		fmt.Fprintf(&b, "  %s\t%s / %s\t%s / %s\t%.0f\n", wh.Name, ms(wh.APIServerP50), ms(wh.APIServerP99), ms(wh.HandlerP50), ms(wh.HandlerP99), wh.HandlerCalls)
	}
	fmt.Fprintf(&b, "  client round trip\t%s / %s\t\t\n", fmtNum(r.Webhooks.ClientP50*1000, "%.2f ms"), fmtNum(r.Webhooks.ClientP99*1000, "%.2f ms"))
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "operator memory\theap after GC\tRSS\theap in use")
	for _, s := range r.Memory.Samples {
		fmt.Fprintf(&b, "  %s\t%.1f MiB\t%.1f MiB\t%.1f MiB\n", s.Phase, s.HeapLiveAfterGCBytes/(1<<20), s.RSSBytes/(1<<20), s.HeapInuseBytes/(1<<20))
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "target\tgoal\tmeasured\tmet")
	for _, t := range r.Targets {
		met := "not measured"
		if t.Met != nil {
			met = map[bool]string{true: "yes", false: "MISSED"}[*t.Met]
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", t.Name, t.Goal, t.Measured, met)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := io.WriteString(tw, b.String()); err != nil {
		return err
	}
	return tw.Flush()
}

func fmtNum(v number, format string) string {
	if !v.valid() {
		return "—"
	}
	return fmt.Sprintf(format, float64(v))
}

// today is the date and time the results are stamped with.
func today() string { return time.Now().UTC().Format(time.RFC3339) }

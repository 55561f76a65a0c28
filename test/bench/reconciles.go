package main

import "sort"

// controllerWork is what one of the operator's controllers did during a run, from
// controller-runtime's metrics on its /metrics: how often it reconciled, how long its workers
// were busy, and how many workers it has. A controller whose busy time is close to the run's
// length times its workers was the bottleneck.
type controllerWork struct {
	Controller  string  `json:"controller"`
	Reconciles  float64 `json:"reconciles"`
	Errors      float64 `json:"errors"`
	Requeues    float64 `json:"requeues"`
	BusySeconds float64 `json:"busySeconds"`
	Workers     float64 `json:"workers"`
}

// controllerWorkBetween is each controller's work between two scrapes of the operator's
// metrics (of the same process).
func controllerWorkBetween(before, after metricFamilies) []controllerWork {
	controllers := map[string]bool{}
	if mf := after["controller_runtime_reconcile_total"]; mf != nil {
		for _, m := range mf.GetMetric() {
			controllers[labelsOf(m)["controller"]] = true
		}
	}
	var out []controllerWork
	for name := range controllers {
		of := func(l map[string]string) bool { return l["controller"] == name }
		ofResult := func(results ...string) func(map[string]string) bool {
			return func(l map[string]string) bool {
				if l["controller"] != name {
					return false
				}
				for _, r := range results {
					if l["result"] == r {
						return true
					}
				}
				return false
			}
		}
		delta := func(metric string, match func(map[string]string) bool) float64 {
			return after.sum(metric, match) - before.sum(metric, match)
		}
		w := controllerWork{
			Controller: name,
			Reconciles: delta("controller_runtime_reconcile_total", of),
			Errors:     delta("controller_runtime_reconcile_total", ofResult("error")),
			Requeues:   delta("controller_runtime_reconcile_total", ofResult("requeue", "requeue_after")),
			BusySeconds: after.histogram("controller_runtime_reconcile_time_seconds", of).
				since(before.histogram("controller_runtime_reconcile_time_seconds", of)).Sum,
			Workers: after.sum("controller_runtime_max_concurrent_reconciles", of),
		}
		if w.Reconciles > 0 {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BusySeconds > out[j].BusySeconds })
	return out
}

package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var deploymentID = regexp.MustCompile(`\(deployment [^)]*\)`)

// eventCount is how many Events of one reason a controller recorded, and how many times in
// all (an Event seen again becomes a series: one more write each time).
type eventCount struct {
	Controller string `json:"reportingController"`
	Kind       string `json:"kind"`
	Reason     string `json:"reason"`
	// Note is the Event's note with the object's name and deployment ids taken out, so that
	// the ECS service events, which share one reason, are told apart.
	Note        string `json:"note"`
	Events      int    `json:"events"`
	Occurrences int    `json:"occurrences"`
}

// countEvents groups the Events of the tenants' namespaces by who recorded them, for what and
// why: the write counts say how many Event writes the operator made, this says which.
func countEvents(ctx context.Context, c client.Client) ([]eventCount, error) {
	list := &eventsv1.EventList{}
	if err := c.List(ctx, list); err != nil {
		return nil, fmt.Errorf("listing Events: %w", err)
	}
	byKey := map[string]*eventCount{}
	for _, ev := range list.Items {
		if !strings.HasPrefix(ev.Namespace, "bench-tenant-") {
			continue
		}
		note := deploymentID.ReplaceAllString(strings.ReplaceAll(ev.Note, ev.Regarding.Name, "<name>"), "(deployment <id>)")
		key := ev.ReportingController + "/" + ev.Regarding.Kind + "/" + ev.Reason + "/" + note
		ec := byKey[key]
		if ec == nil {
			ec = &eventCount{Controller: ev.ReportingController, Kind: ev.Regarding.Kind, Reason: ev.Reason, Note: note}
			byKey[key] = ec
		}
		ec.Events++
		ec.Occurrences++
		if ev.Series != nil {
			ec.Occurrences += int(ev.Series.Count) - 1
		}
	}
	out := make([]eventCount, 0, len(byKey))
	for _, ec := range byKey {
		out = append(out, *ec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Events > out[j].Events })
	return out, nil
}

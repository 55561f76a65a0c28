package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// acceptMetrics asks for the protobuf exposition first: only it carries the native
// (sparse) histograms that controller-runtime's webhook latency has besides its decade-wide
// classic buckets. Servers that do not speak it answer in the text format.
const acceptMetrics = `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3`

// metricFamilies is one scrape of a /metrics endpoint, by metric name.
type metricFamilies map[string]*dto.MetricFamily

// scrape reads url's metrics with httpClient (the admin client for the API server, a plain one
// for the operator).
func scrape(ctx context.Context, httpClient *http.Client, url string) (metricFamilies, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptMetrics)
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("scraping %s: %s: %s", url, resp.Status, body)
	}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	out := metricFamilies{}
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decoding the metrics of %s: %w", url, err)
		}
		out[mf.GetName()] = mf
	}
}

// labels are a sample's label pairs.
func labelsOf(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// labelNames are the label names of a family's first sample, to show what a metric can be
// split by.
func (f metricFamilies) labelNames(name string) []string {
	mf := f[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return nil
	}
	var out []string
	for _, l := range mf.GetMetric()[0].GetLabel() {
		out = append(out, l.GetName())
	}
	return out
}

// sum adds the counters or gauges of name whose labels match (nil matches all).
func (f metricFamilies) sum(name string, match func(map[string]string) bool) float64 {
	mf := f[name]
	if mf == nil {
		return 0
	}
	total := 0.0
	for _, m := range mf.GetMetric() {
		if match != nil && !match(labelsOf(m)) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			total += m.GetUntyped().GetValue()
		}
	}
	return total
}

// has reports whether the scrape holds the metric.
func (f metricFamilies) has(name string) bool { return f[name] != nil }

// histogram merges the histograms of name whose labels match (nil matches all).
func (f metricFamilies) histogram(name string, match func(map[string]string) bool) histogram {
	var out histogram
	mf := f[name]
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		if m.GetHistogram() == nil || (match != nil && !match(labelsOf(m))) {
			continue
		}
		out = out.add(histogramFromDTO(m.GetHistogram()))
	}
	return out
}

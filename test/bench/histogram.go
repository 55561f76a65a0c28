package main

import (
	"maps"
	"math"
	"slices"

	dto "github.com/prometheus/client_model/go"
)

// histogram is a Prometheus histogram: classic buckets (cumulative counts by upper bound), and
// native (sparse, exponential) buckets when the exposition carries them. Quantiles follow
// PromQL's histogram_quantile: linear interpolation inside the bucket the rank falls in, so
// their precision is the bucket width, which quantileOf reports with the estimate.
type histogram struct {
	Count, Sum float64

	Bounds     []float64 // classic upper bounds, ascending, without +Inf
	Cumulative []float64 // classic cumulative counts, one per bound

	Native        bool
	Schema        int32 // bucket i covers (2^((i-1)·2^-schema), 2^(i·2^-schema)]
	ZeroThreshold float64
	ZeroCount     float64
	Buckets       map[int]float64 // positive native buckets by index
}

func histogramFromDTO(h *dto.Histogram) histogram {
	out := histogram{Count: float64(h.GetSampleCount()), Sum: h.GetSampleSum()}
	if out.Count == 0 && h.GetSampleCountFloat() > 0 {
		out.Count = h.GetSampleCountFloat()
	}
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue
		}
		c := float64(b.GetCumulativeCount())
		if c == 0 && b.GetCumulativeCountFloat() > 0 {
			c = b.GetCumulativeCountFloat()
		}
		out.Bounds = append(out.Bounds, b.GetUpperBound())
		out.Cumulative = append(out.Cumulative, c)
	}
	if h.GetZeroThreshold() > 0 || len(h.GetPositiveSpan()) > 0 {
		out.Native = true
		out.Schema = h.GetSchema()
		out.ZeroThreshold = h.GetZeroThreshold()
		out.ZeroCount = float64(h.GetZeroCount())
		if out.ZeroCount == 0 {
			out.ZeroCount = h.GetZeroCountFloat()
		}
		out.Buckets = map[int]float64{}
		deltas, counts := h.GetPositiveDelta(), h.GetPositiveCount()
		idx, k, running := 0, 0, int64(0)
		for _, span := range h.GetPositiveSpan() {
			// The first offset is the first index; the others are gaps after the previous span.
			idx += int(span.GetOffset())
			for range span.GetLength() {
				if k < len(deltas) {
					running += deltas[k]
					out.Buckets[idx] = float64(running)
				} else if k < len(counts) {
					out.Buckets[idx] = counts[k]
				}
				idx++
				k++
			}
		}
	}
	return out
}

func (h histogram) empty() bool { return h.Count == 0 && len(h.Bounds) == 0 && !h.Native }

// coarsen halves the native resolution until the schema is at most schema: bucket i of
// schema s is within bucket ceil(i/2) of schema s-1.
func (h histogram) coarsen(schema int32) histogram {
	if !h.Native || h.Schema <= schema {
		return h
	}
	out := h
	for out.Schema > schema {
		next := map[int]float64{}
		for i, c := range out.Buckets {
			next[(i+1)>>1] += c
		}
		out.Buckets, out.Schema = next, out.Schema-1
	}
	return out
}

// combine adds (sign 1) or subtracts (sign -1) o from h, at the coarser of the two native
// resolutions.
func (h histogram) combine(o histogram, sign float64) histogram {
	switch {
	case o.empty():
		return h
	case h.empty() && sign > 0:
		return o
	}
	out := histogram{Count: h.Count + sign*o.Count, Sum: h.Sum + sign*o.Sum, Bounds: h.Bounds}
	out.Cumulative = slices.Clone(h.Cumulative)
	if slices.Equal(h.Bounds, o.Bounds) {
		for i := range out.Cumulative {
			out.Cumulative[i] += sign * o.Cumulative[i]
		}
	}
	if h.Native && o.Native {
		schema := min(h.Schema, o.Schema)
		a, b := h.coarsen(schema), o.coarsen(schema)
		out.Native, out.Schema = true, schema
		out.ZeroThreshold = max(a.ZeroThreshold, b.ZeroThreshold)
		out.ZeroCount = a.ZeroCount + sign*b.ZeroCount
		out.Buckets = maps.Clone(a.Buckets)
		for i, c := range b.Buckets {
			out.Buckets[i] += sign * c
		}
	}
	return out
}

func (h histogram) add(o histogram) histogram { return h.combine(o, 1) }

// since is what h observed after before was scraped. A counter that went down means the
// process restarted in between; then h is all there is.
func (h histogram) since(before histogram) histogram {
	if h.Count < before.Count {
		return h
	}
	return h.combine(before, -1)
}

// quantile is an estimate of the q-quantile and the bounds of the bucket it lies in.
type quantile struct {
	Value number `json:"seconds"`
	Lower number `json:"bucketLowerSeconds"`
	Upper number `json:"bucketUpperSeconds"`
}

// quantileOf estimates the q-quantile from the native buckets when there are any (about 9%
// wide for controller-runtime's factor 1.1), else from the classic ones.
func (h histogram) quantileOf(q float64) quantile {
	if h.Count <= 0 {
		return quantile{Value: number(math.NaN()), Lower: number(math.NaN()), Upper: number(math.NaN())}
	}
	if h.Native && len(h.Buckets) > 0 {
		return h.nativeQuantile(q)
	}
	return h.classicQuantile(q)
}

func (h histogram) nativeQuantile(q float64) quantile {
	rank := q * h.Count
	if rank <= h.ZeroCount {
		return interpolate(0, h.ZeroThreshold, 0, h.ZeroCount, rank)
	}
	cum := h.ZeroCount
	idx := make([]int, 0, len(h.Buckets))
	for i := range h.Buckets {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	bound := func(i int) float64 { return math.Exp2(float64(i) * math.Exp2(-float64(h.Schema))) }
	for _, i := range idx {
		c := h.Buckets[i]
		if c > 0 && cum+c >= rank {
			return interpolate(bound(i-1), bound(i), cum, c, rank)
		}
		cum += c
	}
	last := number(bound(idx[len(idx)-1]))
	return quantile{Value: last, Lower: last, Upper: last}
}

func (h histogram) classicQuantile(q float64) quantile {
	rank := q * h.Count
	prevBound, prevCum := 0.0, 0.0
	for i, b := range h.Bounds {
		if c := h.Cumulative[i]; c >= rank && c > prevCum {
			return interpolate(prevBound, b, prevCum, c-prevCum, rank)
		}
		prevBound, prevCum = b, h.Cumulative[i]
	}
	// Beyond the highest finite bound: like histogram_quantile, answer that bound.
	return quantile{Value: number(prevBound), Lower: number(prevBound), Upper: number(math.Inf(1))}
}

// interpolate places rank linearly in a bucket (lower, upper] holding count observations after
// cumBefore.
func interpolate(lower, upper, cumBefore, count, rank float64) quantile {
	return quantile{Value: number(lower + (upper-lower)*(rank-cumBefore)/count), Lower: number(lower), Upper: number(upper)}
}

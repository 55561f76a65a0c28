package main

import (
	"encoding/json"
	"math"
)

// number is a float64 that is written to JSON as null when it is not a number or infinite
// (a quantile of no observations, a ratio to a zero floor), which encoding/json refuses.
type number float64

func (n number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func (n number) valid() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }

func nan() number { return number(math.NaN()) }

package bench

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Summary describes a set of durations, in milliseconds.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"medianMs"`
	P90    float64 `json:"p90Ms"`
	P99    float64 `json:"p99Ms"`
	Mean   float64 `json:"meanMs"`
	Min    float64 `json:"minMs"`
	Max    float64 `json:"maxMs"`
}

// Summarize computes a Summary. Percentiles are nearest-rank: the p99 of 200
// samples is the 198th smallest.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return Summary{
		N:      len(s),
		Median: ms(Percentile(s, 0.50)),
		P90:    ms(Percentile(s, 0.90)),
		P99:    ms(Percentile(s, 0.99)),
		Mean:   ms(sum / time.Duration(len(s))),
		Min:    ms(s[0]),
		Max:    ms(s[len(s)-1]),
	}
}

// Percentile is the nearest-rank percentile p (0 < p ≤ 1) of sorted samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func itoa(n int) string { return strconv.Itoa(n) }

// Samples collects durations by name, safely from many goroutines.
type Samples struct {
	mu sync.Mutex
	m  map[string][]time.Duration
}

// Add records one duration of name.
func (s *Samples) Add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]time.Duration{}
	}
	s.m[name] = append(s.m[name], d)
}

// Get returns the durations of name.
func (s *Samples) Get(name string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[name])
}

// Names lists the names with samples, sorted.
func (s *Samples) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

package main

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// loadSampler records the 1-minute load average while the bench runs: the
// bench machine is shared, and a table measured under load reads slower
// than one measured on a quiet machine.
type loadSampler struct {
	mu      sync.Mutex
	samples []float64
	done    chan struct{}
	wg      sync.WaitGroup
}

func startLoadSampler(every time.Duration) *loadSampler {
	s := &loadSampler{done: make(chan struct{})}
	s.sample()
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sample()
			case <-s.done:
				return
			}
		}
	})
	return s
}

func (s *loadSampler) sample() {
	if l, ok := loadAvg1(); ok {
		s.mu.Lock()
		s.samples = append(s.samples, l)
		s.mu.Unlock()
	}
}

// stop ends the sampling and describes it: start, median, peak and end,
// or "" where the load average is unknown.
func (s *loadSampler) stop() string {
	close(s.done)
	s.wg.Wait()
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return describeLoad(s.samples)
}

func describeLoad(xs []float64) string {
	if len(xs) == 0 {
		return ""
	}
	sorted := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("%.2f at the start, median %.2f, peak %.2f, %.2f at the end (%d samples)",
		xs[0], sorted[len(sorted)/2], sorted[len(sorted)-1], xs[len(xs)-1], len(xs))
}

// loadAvg1 is the 1-minute load average where /proc/loadavg has it.
func loadAvg1() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	var l float64
	if _, err := fmt.Sscanf(string(b), "%f", &l); err != nil {
		return 0, false
	}
	return l, true
}

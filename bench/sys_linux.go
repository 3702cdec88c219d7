package main

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxRSS is 0 on Linux: wait4's ru_maxrss of a child started by a Go
// program carries the parent's own high-water mark (the child is cloned
// from the parent's address space before it execs), so a harness holding a
// 100,000-provider world in memory would report its own size for every
// row. The peak comes from peakWatch instead.
func maxRSS(*os.ProcessState) int64 { return 0 }

// peakWatch samples the child's VmHWM, the kernel's high-water mark of its
// resident set since exec, until stop is called, and returns the largest
// sample. VmHWM never falls, so only growth in the last interval before the
// exit can be missed.
func peakWatch(pid int) (stop func() int64) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	var (
		mu   sync.Mutex
		peak int64
	)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(path); v > 0 {
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// vmHWM reads the VmHWM line of a /proc/PID/status file, in bytes; 0 when
// the process is gone or has exited.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("VmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kib, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
	if err != nil {
		return 0
	}
	return kib * 1024
}

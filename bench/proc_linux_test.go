package main

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

// A child's peak RSS is its own, not the harness's: wait4's maxrss of a
// child started by a large Go process reports the parent's size.
func TestPeakRSSIsTheChilds(t *testing.T) {
	big := make([]byte, 300<<20)
	for i := range big {
		big[i] = 1
	}
	res, err := runMeasured(context.Background(), "/bin/sh", []string{"-c", "sleep 0.2"}, os.Environ(), time.Minute)
	runtime.KeepAlive(big)
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRSS <= 0 {
		t.Fatalf("peak RSS = %d, want the child's", res.MaxRSS)
	}
	if res.MaxRSS > 64<<20 {
		t.Errorf("peak RSS of sh = %d MiB: the harness's 300 MiB leaked into it", res.MaxRSS>>20)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
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

// The plugin wrapper reports the provider's own peak RSS: wait4's is 0
// on Linux, which the notes printed as "plugin peak RSS 0 MiB".
func TestPluginWrapperReportsThePluginsPeakRSS(t *testing.T) {
	report := filepath.Join(t.TempDir(), "plugin.txt")
	t.Setenv(envPluginReport, report)
	args := os.Args
	os.Args = []string{"terraform-provider-switchboard", "-c", "sleep 0.2"}
	code := pluginWrapper("/bin/sh")
	os.Args = args
	if code != 0 {
		t.Fatalf("the wrapper exited %d", code)
	}
	pu, err := readPluginReport(report)
	if err != nil {
		t.Fatal(err)
	}
	if pu.Procs != 1 || pu.MaxRSS <= 0 || pu.MaxRSS > 64<<20 {
		t.Errorf("report: %d processes, peak RSS %d bytes; want sh's, one process", pu.Procs, pu.MaxRSS)
	}
}

//go:build unix && !linux

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSS reads the peak resident set size: bytes on Darwin, KiB on the
// BSDs.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

// peakWatch has nothing to add where wait4's maxrss is the child's own.
func peakWatch(int) (stop func() int64) { return func() int64 { return 0 } }

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

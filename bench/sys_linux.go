package main

import (
	"os"
	"syscall"
)

// childAttr puts each child in its own process group (so the harness can
// kill it with everything it started) and asks the kernel to kill it if
// the harness dies first, which no deferred cleanup can cover.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// maxRSS reads the peak resident set size; Linux reports it in KiB.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

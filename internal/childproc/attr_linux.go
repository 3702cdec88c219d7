package childproc

import "syscall"

// childAttr puts each child in its own process group (so the harness can
// kill it with everything it started) and asks the kernel to kill it if
// the harness dies first, which no deferred cleanup can cover.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

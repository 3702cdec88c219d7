//go:build unix && !linux

package childproc

import "syscall"

// childAttr puts each child in its own process group so that the harness
// can kill it with everything it started. Only Linux can also tie the
// child's life to the harness (Pdeathsig).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

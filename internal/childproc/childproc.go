// Package childproc starts and stops the child processes of Switchboard's
// developer harnesses (bench and soak): the CLI under test and the local
// servers it talks to, bin/vault-dev and `switchboard emulator`.
//
// Three rules hold for every child started here:
//
//   - Each child leads its own process group and is tracked until it is
//     reaped, so that KillAll, and on Linux the kernel itself when the
//     harness dies (Pdeathsig), reaches the child and everything it
//     started. A harness that fails, is interrupted or is killed leaves no
//     servers behind.
//   - Servers listen on loopback only: a harness never exposes a dev Vault
//     or an emulator holding test credentials to the network.
//   - A server is ready when it prints its address; readiness is read from
//     its stdout, never guessed by sleeping, so a slow machine is only
//     slower and a fast one never waits for nothing.
package childproc

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// children is every process started through Start and not yet forgotten.
var children = struct {
	mu    sync.Mutex
	procs map[*exec.Cmd]bool
}{procs: map[*exec.Cmd]bool{}}

// Start starts cmd as the leader of a new process group and tracks it until
// Forget. Whoever waits for cmd calls Forget after Wait returns.
func Start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = childAttr()
	children.mu.Lock()
	defer children.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	children.procs[cmd] = true
	return nil
}

// Forget stops tracking cmd, once it has been waited for: its pid may be
// reused from then on, so it must never be signalled again.
func Forget(cmd *exec.Cmd) {
	children.mu.Lock()
	delete(children.procs, cmd)
	children.mu.Unlock()
}

// Kill sends SIGKILL to cmd's whole process group, which also reaches
// anything the child started (go test's test binary, a provider plugin).
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// KillAll kills every tracked child's process group. It is the last resort
// when a harness ends; servers are stopped politely by their owners first.
func KillAll() {
	children.mu.Lock()
	defer children.mu.Unlock()
	for cmd := range children.procs {
		_ = Kill(cmd)
		delete(children.procs, cmd)
	}
}

// Env is a minimal environment for a child, PATH, HOME, TMPDIR and LANG
// followed by extra, so that a developer's own GLOW_*, VAULT_* or
// SWITCHBOARD_VAR_* settings cannot change what a harness measures or
// checks.
func Env(extra ...string) []string {
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

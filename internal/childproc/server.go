package childproc

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Server is a long-running child: vault-dev or the emulator.
type Server struct {
	Name string
	// Stdout and Stderr hold the server's output, as much as keep in
	// StartServer allows.
	Stdout, Stderr *Buffer

	cmd    *exec.Cmd
	exited chan struct{}
	// lifeline is the server's stdin when the caller set none: closing it
	// stops a server that watches its stdin (vault-dev -stdin-lifeline)
	// even if the harness is killed without a chance to clean up.
	lifeline io.Closer
}

// The lines the servers print once they accept connections; the first
// submatch is the address.
var (
	VaultReady    = regexp.MustCompile(`^VAULT_ADDR=(\S+)`)
	EmulatorReady = regexp.MustCompile(`listening on (http://\S+)`)
)

// StartServer starts cmd and waits up to timeout for a stdout line matching
// ready, returning the line's first submatch (the address). Stdout keeps
// being read afterwards so that the server never blocks on a full pipe.
// keep is how many bytes of each of stdout and stderr to hold, 0 for all.
func StartServer(name string, cmd *exec.Cmd, ready *regexp.Regexp, timeout time.Duration, keep int) (*Server, string, error) {
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	s := &Server{Name: name, cmd: cmd, exited: make(chan struct{}), Stdout: &Buffer{Max: keep}, Stderr: &Buffer{Max: keep}}
	cmd.Stderr = s.Stderr
	if cmd.Stdin == nil {
		lifeline, err := cmd.StdinPipe()
		if err != nil {
			return nil, "", err
		}
		s.lifeline = lifeline
	}
	if err := Start(cmd); err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", name, err)
	}
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			_, _ = s.Stdout.Write(append(sc.Bytes(), '\n'))
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(s.Stdout, pipe)
	}()
	go func() {
		// Wait closes the pipe: it may only run once the scanner is done.
		<-scanned
		_ = cmd.Wait()
		Forget(cmd)
		close(s.exited)
	}()
	select {
	case addr := <-found:
		return s, addr, nil
	case <-s.exited:
		return nil, "", fmt.Errorf("%s exited before it was ready: %s", name, s.Stderr)
	case <-time.After(timeout):
		s.Kill()
		return nil, "", fmt.Errorf("%s not ready within %s: %s", name, timeout, s.Stderr)
	}
}

// Stop asks politely (closing the lifeline, SIGTERM to the group), then
// after 10 seconds insists. It returns once the server has exited.
func (s *Server) Stop() {
	if s.lifeline != nil {
		_ = s.lifeline.Close()
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.Kill()
	}
}

// Kill is SIGKILL to the server's process group, with no chance to flush or
// close anything: a crash. It returns once the server has exited.
func (s *Server) Kill() {
	_ = Kill(s.cmd)
	<-s.exited
}

// StartVault starts vault-dev on a free loopback port with root token
// token, tied to the harness by its stdin lifeline, and returns it with its
// address.
func StartVault(bin, token string, env []string, keep int) (*Server, string, error) {
	cmd := exec.Command(bin, "-dev-listen-address", "127.0.0.1:0", "-dev-root-token-id", token, "-stdin-lifeline")
	cmd.Env = env
	// Building the dev server's state takes a few seconds on a slow machine.
	return StartServer("vault-dev", cmd, VaultReady, 90*time.Second, keep)
}

// StartEmulator starts `bin emulator --addr addr args...` and returns it with
// its URL. addr must be a loopback address; port 0 picks a free one.
func StartEmulator(bin, addr string, args, env []string, timeout time.Duration, keep int) (*Server, string, error) {
	if err := loopback(addr); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, append([]string{"emulator", "--addr", addr}, args...)...)
	cmd.Env = env
	// The emulator reads no stdin, so it gets no lifeline pipe.
	cmd.Stdin = strings.NewReader("")
	return StartServer("emulator", cmd, EmulatorReady, timeout, keep)
}

// loopback rejects a listen address that is not on a loopback interface.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("emulator address %q is not loopback", addr)
	}
	return nil
}

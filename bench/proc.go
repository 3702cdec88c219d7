package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// children tracks every process the harness starts so that they all die
// with it: on a normal end, on an error, and on SIGINT/SIGTERM. Each child
// leads its own process group, so killing the group also reaches anything
// it started.
type children struct {
	mu    sync.Mutex
	procs map[*exec.Cmd]bool
}

var kids = &children{procs: map[*exec.Cmd]bool{}}

func (c *children) start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = childAttr()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	c.procs[cmd] = true
	return nil
}

func (c *children) forget(cmd *exec.Cmd) {
	c.mu.Lock()
	delete(c.procs, cmd)
	c.mu.Unlock()
}

// killAll is the last resort; servers are stopped politely by their
// owners first.
func (c *children) killAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for cmd := range c.procs {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		delete(c.procs, cmd)
	}
}

// server is a long-running child: vault-dev or the emulator.
type server struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *tailBuffer
	// lifeline is vault-dev's stdin: closing it stops the server even if
	// this process is killed without a chance to clean up.
	lifeline io.Closer
}

// startServer starts cmd and waits for a stdout line matching ready,
// returning its first submatch (the address). Stdout is drained afterwards
// so that the server never blocks on a full pipe.
func startServer(name string, cmd *exec.Cmd, ready *regexp.Regexp, timeout time.Duration) (*server, string, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	s := &server{name: name, cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = s.stderr
	if cmd.Stdin == nil {
		lifeline, err := cmd.StdinPipe()
		if err != nil {
			return nil, "", err
		}
		s.lifeline = lifeline
	}
	if err := kids.start(cmd); err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = cmd.Wait()
		kids.forget(cmd)
		close(s.exited)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case addr := <-found:
		return s, addr, nil
	case <-s.exited:
		return nil, "", fmt.Errorf("%s exited before it was ready: %s", name, s.stderr)
	case <-time.After(timeout):
		s.stop()
		return nil, "", fmt.Errorf("%s not ready within %s: %s", name, timeout, s.stderr)
	}
}

func (s *server) stop() {
	if s.lifeline != nil {
		_ = s.lifeline.Close()
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

var (
	vaultReady    = regexp.MustCompile(`^VAULT_ADDR=(\S+)`)
	emulatorReady = regexp.MustCompile(`listening on (http://\S+)`)
)

func startVault(bin, token string) (*server, string, error) {
	cmd := exec.Command(bin, "-dev-listen-address", "127.0.0.1:0", "-dev-root-token-id", token, "-stdin-lifeline")
	cmd.Env = childEnv()
	// Building the dev server's state takes a few seconds on a slow machine.
	return startServer("vault-dev", cmd, vaultReady, 90*time.Second)
}

func startEmulator(bin, seedFile string, latency time.Duration) (*server, string, error) {
	cmd := exec.Command(bin, "emulator", "--addr", "127.0.0.1:0", "--seed", seedFile,
		"--latency", latency.String(), "--quiet",
		"--glow-token", glowToken, "--gateflow-admin-key", adminKey)
	cmd.Env = childEnv()
	// The emulator takes no stdin; an open pipe it never reads is harmless.
	cmd.Stdin = strings.NewReader("")
	return startServer("emulator", cmd, emulatorReady, 120*time.Second)
}

// childEnv is a minimal environment, so that a developer's own
// GLOW_*, VAULT_* or SWITCHBOARD_VAR_* settings cannot change what is
// measured.
func childEnv(extra ...string) []string {
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// procResult is what one measured run of the CLI cost.
type procResult struct {
	Exit           int
	Wall           time.Duration
	User, Sys      time.Duration
	MaxRSS         int64 // bytes
	Stdout, Stderr string
}

// runMeasured runs the CLI to completion and reads its resource usage from
// the kernel's accounting of the child (wait4), which covers the whole
// process and nothing of the harness.
func runMeasured(ctx context.Context, bin string, args, env []string, timeout time.Duration) (procResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, stderr := &tailBuffer{max: 16 << 10}, &tailBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	if err := kids.start(cmd); err != nil {
		return procResult{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		kids.forget(cmd)
		return procResult{}, fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), ctx.Err())
	}
	wall := time.Since(start)
	kids.forget(cmd)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return procResult{}, err
	}
	ps := cmd.ProcessState
	return procResult{
		Exit:   ps.ExitCode(),
		Wall:   wall,
		User:   ps.UserTime(),
		Sys:    ps.SystemTime(),
		MaxRSS: maxRSS(ps),
		Stdout: stdout.String(),
		Stderr: stderr.String(),
	}, nil
}

// tailBuffer keeps the last max bytes written: enough to explain a
// failure without holding a 10,000-line plan in memory.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// vaultCounter is a loopback reverse proxy in front of vault-dev that
// counts the requests the CLI makes: the emulator's stats cover Glow and
// Gateflow only, and at 10,000 providers Vault metadata reads are a large
// part of a plan. It costs well under a millisecond per request.
type vaultCounter struct {
	URL      string
	total    atomic.Int64
	metadata atomic.Int64
	srv      *http.Server

	mu    sync.Mutex
	kinds map[string]int64
}

// vaultKind names a request by its method and path with the secret's own
// path cut off: "GET secret/metadata", "GET sys/internal/ui/mounts".
func vaultKind(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	for _, cut := range []string{"/metadata/", "/data/", "sys/internal/ui/mounts/"} {
		if i := strings.Index(p, cut); i >= 0 {
			p = p[:i+len(cut)-1]
			break
		}
	}
	return r.Method + " " + p
}

func (vc *vaultCounter) byKind() map[string]int64 {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	out := make(map[string]int64, len(vc.kinds))
	for k, v := range vc.kinds {
		out[k] = v
	}
	return out
}

func kindDiff(before, after map[string]int64) string {
	var parts []string
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, d))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func startVaultCounter(target string) (*vaultCounter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	vc := &vaultCounter{URL: "http://" + ln.Addr().String(), kinds: map[string]int64{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	// Keep enough idle connections to vault-dev for --parallelism 10 and
	// more, so that the proxy does not add a TCP handshake per request.
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	vc.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			vc.total.Add(1)
			if strings.Contains(r.URL.Path, "/metadata/") {
				vc.metadata.Add(1)
			}
			vc.mu.Lock()
			vc.kinds[vaultKind(r)]++
			vc.mu.Unlock()
			proxy.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = vc.srv.Serve(ln) }()
	return vc, nil
}

func (vc *vaultCounter) counts() (total, metadata int64) {
	return vc.total.Load(), vc.metadata.Load()
}

func (vc *vaultCounter) close() { _ = vc.srv.Close() }

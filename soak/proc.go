package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
)

// children are the processes the soak started. Each leads its own process
// group; only these, by pid, are ever signalled.
type children struct {
	mu    sync.Mutex
	procs map[*exec.Cmd]bool
}

var kids = &children{procs: map[*exec.Cmd]bool{}}

func (c *children) start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
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

// lockedBuffer collects a child's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a long-running child: vault-dev or the emulator.
type server struct {
	name     string
	cmd      *exec.Cmd
	exited   chan struct{}
	stdout   *lockedBuffer
	stderr   *lockedBuffer
	lifeline io.Closer
}

var (
	vaultReady    = regexp.MustCompile(`^VAULT_ADDR=(\S+)`)
	emulatorReady = regexp.MustCompile(`listening on (http://\S+)`)
)

// startServer starts cmd and waits for a stdout line matching ready,
// returning its first submatch (the address).
func startServer(name string, cmd *exec.Cmd, ready *regexp.Regexp, timeout time.Duration) (*server, string, error) {
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	s := &server{name: name, cmd: cmd, exited: make(chan struct{}), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
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
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			_, _ = s.stdout.Write(append(sc.Bytes(), '\n'))
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(s.stdout, pipe)
	}()
	go func() {
		<-scanned
		_ = cmd.Wait()
		kids.forget(cmd)
		close(s.exited)
	}()
	select {
	case addr := <-found:
		return s, addr, nil
	case <-s.exited:
		return nil, "", fmt.Errorf("%s exited before it was ready: %s", name, s.stderr)
	case <-time.After(timeout):
		s.kill()
		return nil, "", fmt.Errorf("%s not ready within %s: %s", name, timeout, s.stderr)
	}
}

// stop asks politely, then insists.
func (s *server) stop() {
	if s.lifeline != nil {
		_ = s.lifeline.Close()
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.kill()
	}
}

// kill is SIGKILL to the server's process group: no chance to flush or
// close anything.
func (s *server) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

func startVault(bin, token string) (*server, string, error) {
	cmd := exec.Command(bin, "-dev-listen-address", "127.0.0.1:0", "-dev-root-token-id", token, "-stdin-lifeline")
	cmd.Env = baseEnv()
	return startServer("vault-dev", cmd, vaultReady, 90*time.Second)
}

// emulatorSpec is how the emulator is started, the same way each time so
// that a restart serves the same data with the same credentials.
type emulatorSpec struct {
	bin       string
	dataDir   string
	failRate  float64
	dropRate  float64
	rateLimit float64
	faultSeed int64
	glowToken string // Switchboard's token, actor "switchboard"
	checkTok  string // the soak's checker token, actor "soak-checker"
	adminKey  string
}

const (
	switchboardActor = "switchboard"
	checkerActor     = "soak-checker"
)

func (e emulatorSpec) start(addr string) (*server, string, error) {
	cmd := exec.Command(e.bin, "emulator", "--addr", addr, "--data", e.dataDir,
		"--fail-rate", strconv.FormatFloat(e.failRate, 'f', -1, 64),
		"--drop-rate", strconv.FormatFloat(e.dropRate, 'f', -1, 64),
		"--rate-limit", strconv.FormatFloat(e.rateLimit, 'f', -1, 64),
		"--fault-seed", strconv.FormatInt(e.faultSeed, 10),
		"--quiet",
		"--glow-token", e.glowToken+"="+switchboardActor,
		"--glow-token", e.checkTok+"="+checkerActor,
		"--gateflow-admin-key", e.adminKey)
	cmd.Env = baseEnv()
	cmd.Stdin = bytes.NewReader(nil)
	return startServer("emulator", cmd, emulatorReady, 60*time.Second)
}

// baseEnv is a minimal environment, so that a developer's own GLOW_*,
// VAULT_* or SWITCHBOARD_VAR_* settings cannot change the run.
func baseEnv(extra ...string) []string {
	env := []string{"NO_COLOR=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// run is one finished CLI run.
type run struct {
	Args           []string
	Exit           int
	Stdout, Stderr string
	Wall           time.Duration
}

func (r run) output() string { return r.Stdout + r.Stderr }

// proc is a CLI run in progress.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	start          time.Time
	done           chan struct{}
	res            run
	err            error
}

// startCLI starts bin with args; wait collects it. A run that outlives
// timeout is killed.
func startCLI(bin string, args, env []string, timeout time.Duration) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	p := &proc{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, start: time.Now(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.Stdin = bytes.NewReader(nil)
	if err := kids.start(cmd); err != nil {
		return nil, err
	}
	go func() {
		defer close(p.done)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		var err error
		select {
		case err = <-waited:
		case <-time.After(timeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
			err = fmt.Errorf("killed after %s", timeout)
		}
		kids.forget(cmd)
		p.res = run{Args: args, Stdout: p.stdout.String(), Stderr: p.stderr.String(), Wall: time.Since(p.start)}
		var exitErr *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exitErr):
			p.res.Exit = exitErr.ExitCode()
		default:
			p.err = err
			p.res.Exit = -1
		}
	}()
	return p, nil
}

func (p *proc) wait() (run, error) {
	<-p.done
	return p.res, p.err
}

// emuClient reads the emulator's own endpoints, which are never faulted.
type emuClient struct {
	hc  *http.Client
	url func() string
}

func (e *emuClient) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url()+path, nil)
	if err != nil {
		return err
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (e *emuClient) stats(ctx context.Context) (emulator.Stats, error) {
	var s emulator.Stats
	err := e.get(ctx, "/_emulator/stats", &s)
	return s, err
}

func (e *emuClient) audit(ctx context.Context) ([]emulator.AuditEntry, error) {
	var a struct {
		Entries []emulator.AuditEntry `json:"entries"`
	}
	err := e.get(ctx, "/_emulator/audit", &a)
	return a.Entries, err
}

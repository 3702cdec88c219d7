package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/childproc"
)

func startVault(bin, token string) (*childproc.Server, string, error) {
	return childproc.StartVault(bin, token, baseEnv(), 0)
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

// start starts the emulator on addr, keeping all of its output for the
// final secrets scan.
func (e emulatorSpec) start(addr string) (*childproc.Server, string, error) {
	return childproc.StartEmulator(e.bin, addr, []string{"--data", e.dataDir,
		"--fail-rate", strconv.FormatFloat(e.failRate, 'f', -1, 64),
		"--drop-rate", strconv.FormatFloat(e.dropRate, 'f', -1, 64),
		"--rate-limit", strconv.FormatFloat(e.rateLimit, 'f', -1, 64),
		"--fault-seed", strconv.FormatInt(e.faultSeed, 10),
		"--quiet",
		"--glow-token", e.glowToken + "=" + switchboardActor,
		"--glow-token", e.checkTok + "=" + checkerActor,
		"--gateflow-admin-key", e.adminKey}, baseEnv(), 60*time.Second, 0)
}

// baseEnv is childproc.Env with NO_COLOR=1: the soak reads the CLI's
// output, so it must be plain text.
func baseEnv(extra ...string) []string {
	return childproc.Env(append([]string{"NO_COLOR=1"}, extra...)...)
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
	stdout, stderr *childproc.Buffer
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
	p := &proc{cmd: cmd, stdout: &childproc.Buffer{}, stderr: &childproc.Buffer{}, start: time.Now(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.Stdin = bytes.NewReader(nil)
	if err := childproc.Start(cmd); err != nil {
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
			_ = childproc.Kill(cmd)
			<-waited //nolint:errcheck // killed: its exit status says nothing
			err = fmt.Errorf("killed after %s", timeout)
		}
		childproc.Forget(cmd)
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
	return childproc.EmulatorGet(ctx, e.hc, e.url(), path, out)
}

// scriptFaults sets the emulator's fault script (POST /_emulator/faults).
func (e *emuClient) scriptFaults(ctx context.Context, fs emulator.FaultScript) error {
	body, err := json.Marshal(fs)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url()+"/_emulator/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /_emulator/faults: %s", resp.Status)
	}
	return nil
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

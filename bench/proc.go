package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-hq/switchboard/internal/childproc"
)

// The bench's servers keep the last 8 KiB of their output: enough to
// explain a failed start.
const serverKeep = 8 << 10

func startVault(bin, token string) (*childproc.Server, string, error) {
	return childproc.StartVault(bin, token, childproc.Env(), serverKeep)
}

func startEmulator(bin, seedFile string, latency time.Duration) (*childproc.Server, string, error) {
	return childproc.StartEmulator(bin, "127.0.0.1:0", []string{"--seed", seedFile,
		"--latency", latency.String(), "--quiet",
		"--glow-token", glowToken, "--gateflow-admin-key", adminKey},
		childproc.Env(), 120*time.Second, serverKeep)
}

// procResult is what one measured run of the CLI cost.
type procResult struct {
	Exit           int
	Wall           time.Duration
	User, Sys      time.Duration
	MaxRSS         int64 // bytes
	Stdout, Stderr string
}

// runMeasured runs the CLI to completion and reads its CPU time from the
// kernel's accounting of the child (wait4), which covers the whole process
// and nothing of the harness; its peak RSS comes from peakWatch where
// wait4's would include the harness's own (Linux).
func runMeasured(ctx context.Context, bin string, args, env []string, timeout time.Duration) (procResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, stderr := &childproc.Buffer{Max: 16 << 10}, &childproc.Buffer{Max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	if err := childproc.Start(cmd); err != nil {
		return procResult{}, err
	}
	done := make(chan error, 1)
	stopPeak := peakWatch(cmd.Process.Pid)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = childproc.Kill(cmd)
		<-done //nolint:errcheck // killed: its exit status says nothing
		stopPeak()
		childproc.Forget(cmd)
		return procResult{}, fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), ctx.Err())
	}
	wall := time.Since(start)
	peak := stopPeak()
	childproc.Forget(cmd)
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
		MaxRSS: max(peak, maxRSS(ps)),
		Stdout: stdout.String(),
		Stderr: stderr.String(),
	}, nil
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

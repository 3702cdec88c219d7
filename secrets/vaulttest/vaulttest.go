// Package vaulttest gives tests a real Vault: the one named by VAULT_ADDR
// and VAULT_TOKEN, or a fresh in-memory server from bin/vault-dev (see
// tools/vault-dev) that behaves like `vault server -dev`, with secret/
// mounted as KV v2.
package vaulttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Start returns the address and a root token of a Vault for t. With
// VAULT_ADDR and VAULT_TOKEN set it uses that Vault, shared by every test
// (so tests must write under paths of their own); otherwise it is
// StartIsolated. A missing binary fails the test: tests never skip for want
// of Vault, except under go test -short (make test-short), the quick loop
// that runs no Vault server of its own.
func Start(t testing.TB) (addr, rootToken string) {
	t.Helper()
	addr, token := os.Getenv("VAULT_ADDR"), os.Getenv("VAULT_TOKEN")
	if addr != "" && token != "" {
		return addr, token
	}
	return StartIsolated(t)
}

// StartIsolated starts a Vault of t's own from the vault-dev binary, on a
// free port, and stops it when t ends. Tests that change server-wide state
// (seal it, tune secret/) use it even when VAULT_ADDR is set.
func StartIsolated(t testing.TB) (addr, rootToken string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Vault server (bin/vault-dev, or VAULT_ADDR and VAULT_TOKEN): skipped under -short; make test runs it")
	}
	bin := Binary(t)
	// A random root token keeps code from quietly depending on "root".
	rootToken = "root-" + randomHex(8)

	cmd := exec.Command(bin, "-dev-listen-address", "127.0.0.1:0", "-dev-root-token-id", rootToken, "-stdin-lifeline")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("vaulttest: %v", err)
	}
	// Never written to: it closes when this process exits, however it
	// exits, and the server then stops (see -stdin-lifeline).
	lifeline, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("vaulttest: %v", err)
	}
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("vaulttest: starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = lifeline.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	// The server prints its address only once it serves requests, so
	// reading that line is the synchronization; the deadline only bounds a
	// server that hangs while starting (slow under -race on a busy machine).
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		// Keep draining so the server never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	deadline := time.After(90 * time.Second)
	for addr == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				<-exited
				t.Fatalf("vaulttest: %s exited before it was ready (%v); its stderr:\n%s", bin, waitErr, stderr)
			}
			if v, ok := strings.CutPrefix(line, "VAULT_ADDR="); ok {
				addr = v
			}
		case <-deadline:
			t.Fatalf("vaulttest: %s printed no VAULT_ADDR within 90s; its stderr:\n%s", bin, stderr)
		}
	}
	waitHealthy(t, addr)
	return addr, rootToken
}

// Binary is the vault-dev executable: $SWITCHBOARD_VAULT_DEV (the Makefile
// sets it), else bin/vault-dev at the repository root. It fails t if the file
// does not exist.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("SWITCHBOARD_VAULT_DEV")
	if bin == "" || !filepath.IsAbs(bin) {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("vaulttest: %v; set SWITCHBOARD_VAULT_DEV to the vault-dev binary's absolute path", err)
		}
		if bin == "" {
			bin = filepath.Join("bin", "vault-dev")
		}
		// go test runs in each package's directory, so a relative path
		// (as typed at the repository root) is taken from the root.
		bin = filepath.Join(root, bin)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("vaulttest: no Vault server for the tests: %v\n"+
			"Build it with `make bin/vault-dev` (a few minutes the first time), "+
			"or set VAULT_ADDR and VAULT_TOKEN to a Vault dev server.", err)
	}
	return bin
}

// DownAddr is the URL of a loopback port nothing listens on: a Vault that
// cannot be reached.
func DownAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Client returns an API client for addr and token that does not retry, so a
// test about failures does not wait through backoff.
func Client(t testing.TB, addr, token string) *vaultapi.Client {
	t.Helper()
	cfg := vaultapi.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	cfg.Timeout = 30 * time.Second
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatalf("vaulttest: %v", err)
	}
	c.SetToken(token)
	return c
}

// waitHealthy confirms through the HTTP API what the printed line promised,
// so that a server broken in some other way fails here with a clear message
// instead of in the test's first request.
func waitHealthy(t testing.TB, addr string) {
	t.Helper()
	c := Client(t, addr, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last error
	for {
		h, err := c.Sys().HealthWithContext(ctx)
		if err == nil && h.Initialized && !h.Sealed {
			return
		}
		if err == nil {
			err = fmt.Errorf("initialized=%v sealed=%v", h.Initialized, h.Sealed)
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("vaulttest: Vault at %s not healthy within 30s: %v", addr, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// repoRoot walks up from the working directory (a package directory under
// go test) to the directory holding go.mod, which is the repository root
// for every package of this module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written: enough of the server's log
// to explain a failed start, without holding an unbounded log in memory.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if over := len(w.b) - w.max; over > 0 {
		w.b = append(w.b[:0:0], w.b[over:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.ToValidUTF8(w.b, nil))
}

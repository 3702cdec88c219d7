package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// tb lets Vault's test helpers (vault.TestCore*, http.TestServer*), which
// take a testing.TB, run in a plain program. The embedded interface is nil:
// a helper calling a method not implemented here panics, which names the
// method to add instead of silently doing nothing.
type tb struct {
	testing.TB

	name string

	mu       sync.Mutex
	cleanups []func()
	tempDirs []string
}

func newTB(name string) *tb { return &tb{name: name} }

func (t *tb) Helper()      {}
func (t *tb) Name() string { return t.name }
func (t *tb) Failed() bool { return false }

func (t *tb) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// runCleanups runs the registered functions last-first, as testing does,
// so the core shuts down before the directories it used are removed.
func (t *tb) runCleanups() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	dirs := t.tempDirs
	t.tempDirs = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}

func (t *tb) TempDir() string {
	d, err := os.MkdirTemp("", "vault-dev-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.mu.Lock()
	t.tempDirs = append(t.tempDirs, d)
	t.mu.Unlock()
	return d
}

func (t *tb) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (t *tb) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// Error and Errorf only log: a helper that reports a non-fatal error in a
// test has already decided the server can go on.
func (t *tb) Error(args ...any)                 { t.Log(args...) }
func (t *tb) Errorf(format string, args ...any) { t.Logf(format, args...) }

// Fatal ends the process: in a test it would end the test, and a server
// whose setup failed has nothing left to serve. Cleanups are skipped because
// the failure may have come from inside one of them.
func (t *tb) Fatal(args ...any) {
	t.Log(append([]any{"vault-dev: fatal:"}, args...)...)
	os.Exit(1)
}

func (t *tb) Fatalf(format string, args ...any) {
	t.Logf("vault-dev: fatal: "+format, args...)
	os.Exit(1)
}

func (t *tb) FailNow() { t.Fatal("FailNow called") }
func (t *tb) Fail()    { t.Log("vault-dev: Fail called") }

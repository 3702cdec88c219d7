package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// vaultRequests puts a proxy in front of the world's Vault (VAULT_ADDR)
// that counts the requests by method and path.
func vaultRequests(t *testing.T) func() map[string]int {
	t.Helper()
	target, err := url.Parse(os.Getenv("VAULT_ADDR"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("VAULT_ADDR", srv.URL)
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

// manySecrets writes a configuration of n Glow providers, each with a key
// in a secret of its own and one in a secret they all share, and the
// secrets.
func manySecrets(t *testing.T, w *world, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("glow {}\n\nvault {}\n\n")
	w.putSecret(t, "secret/prefetch/shared", map[string]string{"api_key": "sk-prefetch-shared-0001"})
	for i := range n {
		w.putSecret(t, fmt.Sprintf("secret/prefetch/p%d", i), map[string]string{"api_key": fmt.Sprintf("sk-prefetch-%04d", i)})
		fmt.Fprintf(&b, "glow_provider \"p%d\" {\n  name = \"Provider %d\"\n\n  key \"own\" {\n    value = vault(\"secret/prefetch/p%d\", \"api_key\")\n  }\n\n  key \"shared\" {\n    value = vault(\"secret/prefetch/shared\", \"api_key\")\n  }\n}\n\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// plan and apply read Vault's metadata while the configuration loads
// (LoadOptions.Prefetch), and the plan takes every answer from there:
// each secret's metadata is read once per run, with Vault's parallelism
// from the flag or the default, and the plan is the one Vault's versions
// give.
func TestPlanAndApplyReadEachSecretsMetadataOnce(t *testing.T) {
	w := newWorld(t)
	const n = 40
	dir := manySecrets(t, w, n)
	requests := vaultRequests(t)
	check := func(what string, before map[string]int) {
		t.Helper()
		after := requests()
		for i := -1; i < n; i++ {
			path := "/v1/secret/metadata/prefetch/shared"
			if i >= 0 {
				path = fmt.Sprintf("/v1/secret/metadata/prefetch/p%d", i)
			}
			if got := after["GET "+path] - before["GET "+path]; got != 1 {
				t.Errorf("%s: GET %s %d times, want once", what, path, got)
			}
		}
	}

	for _, args := range [][]string{
		{"plan", "--no-color", dir},
		{"plan", "--no-color", "--vault-parallelism", "3", dir},
	} {
		before := requests()
		code, out, errOut := runSwitchboard(t, args...)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("Plan: %d to add, 0 to change, 0 to destroy.", n)) {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		check(strings.Join(args[:len(args)-1], " "), before)
		w.assertNoSecret(t, out, errOut)
	}

	before := requests()
	code, out, errOut := runSwitchboard(t, "apply", "--no-color", "--auto-approve", dir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("Apply complete! Resources: %d added", n)) {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	check("apply", before)
	w.assertNoSecret(t, out, errOut)
	noChanges(t, dir)
}

// A policy that does not parse fails the plan before Vault is asked
// anything, and a configuration with an error is reported as it is, with
// Vault down: whatever the load started reading has no say.
func TestPlanRefusedBeforeVaultAnswers(t *testing.T) {
	w := newWorld(t)
	dir := manySecrets(t, w, 3)
	requests := vaultRequests(t)

	policies := t.TempDir()
	if err := os.WriteFile(filepath.Join(policies, "broken.rego"), []byte("package switchboard\n\ndeny contains msg if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--policy", policies, dir)
	if code == 0 || !strings.Contains(errOut, "broken.rego") {
		t.Fatalf("plan with a broken policy: exit %d\n%s%s", code, out, errOut)
	}
	if got := requests(); len(got) != 0 {
		t.Errorf("Vault was asked %v before the policy's error", got)
	}

	down := vaulttest.DownAddr(t)
	t.Setenv("VAULT_ADDR", down)
	f, err := os.OpenFile(filepath.Join(dir, "main.hcl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("glow_provider \"late\" {\n  name = var.missing\n}\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, "Reference to undeclared input variable") || strings.Contains(errOut, strings.TrimPrefix(down, "http://")) || strings.Contains(errOut, "vault:") {
		t.Fatalf("plan of a configuration with an error, Vault down: exit %d, want 1 and only the configuration's diagnostic\n%s%s", code, out, errOut)
	}
}

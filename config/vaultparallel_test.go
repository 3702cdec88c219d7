package config

import (
	"strings"
	"testing"
)

func TestVaultParallelism(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
vault {
  address     = "https://vault.example.com"
  parallelism = 64
}
`})
	if got := mustLoad(t, dir, LoadOptions{Env: noEnv}).Vault.Parallelism; got != 64 {
		t.Errorf("parallelism = %d, want 64", got)
	}
	dir = writeDir(t, map[string]string{"main.hcl": `vault { address = "https://vault.example.com" }`})
	if got := mustLoad(t, dir, LoadOptions{Env: noEnv}).Vault.Parallelism; got != 0 {
		t.Errorf("unset parallelism = %d, want 0 (the caller's default)", got)
	}
	for _, bad := range []string{"0", "-1", "1.5", "100000", `"many"`} {
		dir := writeDir(t, map[string]string{"main.hcl": "vault {\n  parallelism = " + bad + "\n}\n"})
		_, diags := Load(dir, LoadOptions{Env: noEnv})
		if !diags.HasErrors() {
			t.Errorf("parallelism = %s: no error", bad)
			continue
		}
		msg := diags.Error()
		if !strings.Contains(msg, "main.hcl:2,") || !strings.Contains(msg, "parallelism") {
			t.Errorf("parallelism = %s: %s, want the position and the attribute", bad, msg)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

// Canary credentials: the run's own tokens, which configurations below try
// to print in every way a pull request could.
const (
	canaryGlow  = "glow-CANARY-4f1d9a7c2b"
	canaryAdmin = "gw_admin_CANARY-8e3b51d0aa"
)

// leaks reports every 8-byte window of a canary found in s.
func leaks(s string, canaries ...string) []string {
	var found []string
	for _, c := range canaries {
		for i := 0; i+8 <= len(c); i++ {
			if strings.Contains(s, c[i:i+8]) {
				found = append(found, c[i:i+8])
				break
			}
		}
	}
	return found
}

// canaryProvider is a configuration of one Glow provider whose
// description and values are the HCL expressions given.
func canaryProvider(description, values string) string {
	return `
glow {}
gateflow {}
vault {}

glow_provider "openai" {
  name        = "OpenAI"
  description = ` + description + `
  departments = ["cs"]
  values      = ` + values + `
  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }
}
`
}

// writeCanaryFiles writes files into a new directory; a content of
// "@symlink:TARGET" makes the file a symbolic link to TARGET.
func writeCanaryFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for f, src := range files {
		if target, ok := strings.CutPrefix(src, "@symlink:"); ok {
			if err := os.Symlink(target, filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCanaryCredentialsAreNeverPrinted(t *testing.T) {
	w := newWorldWith(t, emulator.Config{
		GlowTokens:        []emulator.GlowToken{{Token: canaryGlow, ActorName: "ci"}},
		GateflowAdminKeys: []emulator.AdminKey{{Key: canaryAdmin}},
	})
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-canary-vault-value-77"})
	vaultToken := os.Getenv("VAULT_TOKEN")
	canaries := []string{canaryGlow, canaryAdmin, vaultToken, "sk-canary-vault-value-77"}

	for name, tc := range map[string]struct {
		files map[string]string
		// refused is true when the configuration must not load at all.
		refused bool
	}{
		"nonsensitive(env())": {files: map[string]string{"main.hcl": canaryProvider(`nonsensitive(env("GLOW_TOKEN"))`, `{}`)}, refused: true},
		"template around nonsensitive(env())": {files: map[string]string{
			"main.hcl": canaryProvider(`"token: ${nonsensitive(env("GATEFLOW_ADMIN_KEY"))}!"`, `{}`)}, refused: true},
		"VAULT_TOKEN in values": {files: map[string]string{
			"main.hcl": canaryProvider(`"x"`, `{ auth = "Bearer ${nonsensitive(env("VAULT_TOKEN"))}" }`)}, refused: true},
		"file(/proc/self/environ)": {files: map[string]string{"main.hcl": canaryProvider(`"x"`, `{ env = file("/proc/self/environ") }`)}, refused: true},
		"file() of a symlink to /proc": {files: map[string]string{
			"main.hcl": canaryProvider(`"x"`, `{ env = file("environ") }`), "environ": "@symlink:/proc/self/environ"}, refused: true},
		// Part of a token is not the token, so nonsensitive() lets it
		// through; the output layer cuts every 8 bytes of it.
		"a substring of a token": {files: map[string]string{
			"main.hcl": canaryProvider(`nonsensitive(substr(env("GLOW_TOKEN"), 0, 14))`, `{ admin = nonsensitive(substr(env("GATEFLOW_ADMIN_KEY"), 2, 16)) }`)}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeCanaryFiles(t, tc.files)
			var outputs []string
			runAll := func(args ...string) int {
				code, out, errOut := runSwitchboard(t, args...)
				outputs = append(outputs, out, errOut)
				return code
			}
			planFile := filepath.Join(t.TempDir(), "plan.sbplan")
			validate := runAll("validate", "--no-color", dir)
			runAll("validate", "--json", dir)
			plan := runAll("plan", "--no-color", "--out", planFile, dir)
			runAll("plan", "--format", "json", dir)
			runAll("plan", "--format", "markdown", dir)
			if tc.refused {
				if validate != 1 || plan != 1 {
					t.Errorf("validate exit %d, plan exit %d: the configuration must be refused", validate, plan)
				}
			} else {
				if plan != 0 {
					t.Fatalf("plan: exit %d\n%s", plan, strings.Join(outputs, "\n"))
				}
				runAll("show", "--no-color", planFile)
				runAll("show", "--format", "json", planFile)
				b, err := os.ReadFile(planFile)
				if err != nil {
					t.Fatal(err)
				}
				outputs = append(outputs, string(b))
				// The plan file had credentials cut out: apply refuses it.
				if code := runAll("apply", planFile); code != 1 || !strings.Contains(outputs[len(outputs)-1], "credentials of the run cut out") {
					t.Errorf("apply of a redacted plan file: exit %d: %s", code, outputs[len(outputs)-1])
				}
				if !strings.Contains(strings.Join(outputs, "\n"), "(redacted: GLOW_TOKEN)") {
					t.Errorf("no redaction marker where the token's substring was:\n%s", strings.Join(outputs, "\n"))
				}
			}
			before := w.writes()
			if code := runAll("apply", "--no-color", "--auto-approve", dir); code != 1 {
				t.Errorf("apply: exit %d, want 1: a credential must not be written into Glow either", code)
			}
			if n := w.writes() - before; n != 0 {
				t.Errorf("apply made %d writes", n)
			}
			all := strings.Join(outputs, "\n")
			if found := leaks(all, canaries...); len(found) > 0 {
				t.Errorf("credentials printed (8-byte windows %q):\n%s", found, all)
			}
		})
	}
}

package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary files to the loader, the printers and the
// formatter: whatever the input, they report diagnostics and never panic.
// Input starting with '{' is also tried as JSON syntax.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/fixtures/*/*.hcl*", "../examples/*/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`glow_provider "a" { for_each = { for k in ["a"] : k => vault("x/y", k) } name = each.value }`))
	f.Add([]byte(`locals { a = try(local.a, 1) }`))
	env := envOf(map[string]string{"GLOW_TOKEN": "fuzz-token-value", "SWITCHBOARD_VAR_x": "[1,2]", "K": "fuzz-env-secret"})
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		name := "main.hcl"
		if bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")) {
			name = "main.hcl.json"
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(dir, LoadOptions{Env: env, Vars: map[string]string{"y": "1"}})
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("config %v with errors=%v: %v", cfg != nil, diags.HasErrors(), diags)
		}
		_ = shownText(t, diags)
		out := fmt.Sprintf("%+v %s", cfg, diags)
		// The env secret can only reach the output if the input spells
		// it (a literal is not a secret the loader knows about).
		if !strings.Contains(string(src), "fuzz") && strings.Contains(out, "fuzz-env-secret") {
			t.Fatalf("secret in output: %s", out)
		}
		if !strings.HasSuffix(name, ".json") {
			_, _ = FormatSource(name, src)
		}
	})
}

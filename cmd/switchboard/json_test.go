package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

// --json is one spelling on every command that writes JSON.
func TestJSONFlagOnEveryCommand(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-json-flag-0001"})
	dir := copyExample(t, "basic")
	planFile := filepath.Join(t.TempDir(), "x.sbplan")

	_, byFormat, _ := runSwitchboard(t, "plan", "--format", "json", dir)
	code, byJSON, errOut := runSwitchboard(t, "plan", "--json", "--out", planFile, dir)
	if code != 0 || !json.Valid([]byte(byJSON)) {
		t.Fatalf("plan --json: exit %d\n%s%s", code, byJSON, errOut)
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(byFormat), &a)
	_ = json.Unmarshal([]byte(byJSON), &b)
	if len(a["resource_changes"].([]any)) != 2 || len(b["resource_changes"].([]any)) != 2 {
		t.Errorf("plan --json and --format json differ:\n%s\n%s", byFormat, byJSON)
	}
	if code, _, errOut := runSwitchboard(t, "plan", "-json", "--format", "json", dir); code != 0 {
		t.Errorf("-json with --format json: exit %d %s", code, errOut)
	}
	// An error in JSON mode is a diagnostic event on stdout, as apply
	// --json ends with one.
	code, out, errOut := runSwitchboard(t, "plan", "--json", "--format", "markdown", dir)
	var ev views.Event
	if err := json.Unmarshal([]byte(out), &ev); code != 1 || err != nil || errOut != "" {
		t.Errorf("--json with --format markdown: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if ev.Type != "diagnostic" {
		t.Errorf("--json with --format markdown: type = %q, want %q", ev.Type, "diagnostic")
	}
	if ev.Diagnostic == nil {
		t.Errorf("--json with --format markdown: no diagnostic in %s", out)
	} else {
		if ev.Diagnostic.Severity != "error" {
			t.Errorf("--json with --format markdown: severity = %q, want %q", ev.Diagnostic.Severity, "error")
		}
		if want := "--json is --format json"; !strings.Contains(ev.Diagnostic.Summary, want) {
			t.Errorf("--json with --format markdown: summary = %q, want it to contain %q", ev.Diagnostic.Summary, want)
		}
	}
	for _, args := range [][]string{{"show", "--json", filepath.Join(dir, "missing.sbplan")}, {"plan", "-json", "-var", "novalue", dir}, {"version", "--json", "extra"}} {
		code, out, errOut := runSwitchboard(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s%s", args, code, out, errOut)
		}
		ev = views.Event{}
		if err := json.Unmarshal([]byte(out), &ev); err != nil {
			t.Errorf("%v: stdout is not one JSON event: %v\n%s%s", args, err, out, errOut)
			continue
		}
		if ev.Type != "diagnostic" {
			t.Errorf("%v: type = %q, want %q\n%s", args, ev.Type, "diagnostic", out)
		}
		if ev.Diagnostic == nil || ev.Diagnostic.Summary == "" {
			t.Errorf("%v: no diagnostic summary in %s", args, out)
		}
	}
	// Without --json, the same error is a line on stderr.
	if code, out, errOut := runSwitchboard(t, "show", filepath.Join(dir, "missing.sbplan")); code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") {
		t.Errorf("show without --json: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runSwitchboard(t, "show", "--json", planFile)
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, `"resource_changes"`) {
		t.Errorf("show --json: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runSwitchboard(t, "validate", "--json", dir); code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("validate --json: exit %d %s", code, out)
	}
	if code, out, _ := runSwitchboard(t, "version", "--json"); code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("version --json: exit %d %s", code, out)
	}
	w.assertNoSecret(t, byJSON, out)
}

func TestImportJSON(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	code, out, errOut := runSwitchboard(t, "import", "--json", "-o", dir)
	var doc views.ImportDocument
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || errOut != "" {
		t.Fatalf("import --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if !doc.Success {
		t.Errorf("document: success = false, want true: %+v", doc)
	}
	if doc.Dir != dir {
		t.Errorf("document: dir = %q, want %q", doc.Dir, dir)
	}
	if doc.GlowProviders == 0 {
		t.Errorf("document: glow_providers = 0, want some")
	}
	if doc.GateflowProviders == 0 {
		t.Errorf("document: gateflow_providers = 0, want some")
	}
	if len(doc.SecretsToStore) == 0 {
		t.Errorf("document: secrets_to_store is empty, want some")
	}
	if doc.Migration != nil {
		t.Errorf("document: migration = %+v, want none", doc.Migration)
	}
	for _, s := range doc.SecretsToStore {
		if s.Path == "" || s.Field != "value" || len(s.Users) == 0 {
			t.Errorf("secret to store: %+v", s)
		}
	}
	checkGenerated(t, dir)

	// An error is a document too.
	code, out, errOut = runSwitchboard(t, "import", "--json", "-o", dir)
	doc = views.ImportDocument{}
	if err := json.Unmarshal([]byte(out), &doc); code != 1 || err != nil || errOut != "" {
		t.Errorf("import --json into a configured directory: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if doc.Success {
		t.Errorf("import --json into a configured directory: success = true, want false")
	}
	if len(doc.Diagnostics) != 1 {
		t.Errorf("import --json into a configured directory: %d diagnostics, want 1: %+v", len(doc.Diagnostics), doc.Diagnostics)
	} else if !strings.Contains(doc.Diagnostics[0].Summary, "--force") {
		t.Errorf("import --json into a configured directory: summary = %q, want it to mention --force", doc.Diagnostics[0].Summary)
	}
	// The migration cannot ask inside a JSON document.
	code, out, _ = runSwitchboard(t, "import", "--json", "--migrate-keys-to-vault", "-o", t.TempDir())
	if code != 1 || !strings.Contains(out, "needs --yes") || w.decrypts() != 0 {
		t.Errorf("--json --migrate-keys-to-vault without --yes: exit %d %s", code, out)
	}
	// With --yes, the document says what was migrated.
	code, out, errOut = runSwitchboard(t, "import", "--json", "--glow", "--migrate-keys-to-vault", "--yes", "-o", t.TempDir())
	doc = views.ImportDocument{}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || doc.Migration == nil {
		t.Errorf("import --json --migrate-keys-to-vault --yes: exit %d %v\n%s%s", code, err, out, errOut)
	} else {
		if doc.Migration.Keys != 3 {
			t.Errorf("import --json --migrate-keys-to-vault --yes: migration.keys = %d, want 3", doc.Migration.Keys)
		}
		if n := len(doc.Migration.Stored); n != 3 {
			t.Errorf("import --json --migrate-keys-to-vault --yes: %d migration.stored, want 3: %v", n, doc.Migration.Stored)
		}
		if n := len(doc.Migration.Replaced); n != 4 {
			t.Errorf("import --json --migrate-keys-to-vault --yes: %d migration.replaced, want 4: %v", n, doc.Migration.Replaced)
		}
	}
	w.assertNoSecret(t, out, errOut)
}

package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/importer"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/planner/render"
)

// Each command's human and JSON view, driven through a stream over
// buffers.

func onePlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		CreatedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Changes: []plan.Change{{
			Address: "glow_provider.a", Type: "glow_provider", Name: "a", ProviderName: "A",
			Actions: []plan.Action{plan.ActionCreate}, After: map[string]any{"name": "A"},
		}},
	}
	p.Summarize()
	return p
}

var someDiags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad thing", Detail: "Because.",
	Subject: &hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 2, Column: 3}, End: hcl.Pos{Line: 2, Column: 5}}}}

func TestPlanHumanView(t *testing.T) {
	s, out, errOut := testStream()
	v, err := NewPlan(s, "text", false, render.MarkdownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v.SecretsChecked(3)
	if err := v.Plan(onePlan(), nil, nil); err != nil {
		t.Fatal(err)
	}
	v.Saved("my plan.sbplan", []string{"var.token"})
	for _, want := range []string{"# glow_provider.a will be created", "Plan: 1 to add, 0 to change, 0 to destroy.",
		"\nSaved the plan to: my plan.sbplan\n\nTo perform exactly these actions, run:\n    switchboard apply 'my plan.sbplan'\n",
		"with the sensitive variables var.token set as they were"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if errOut.String() != "--check-secrets: all 3 vault() references resolve to a string field (values not shown).\n" {
		t.Errorf("stderr: %q", errOut)
	}

	// The Markdown comment is stdout alone: the note goes to stderr.
	s, out, errOut = testStream()
	v, _ = NewPlan(s, "markdown", false, render.MarkdownOptions{Dir: "providers"})
	_ = v.Plan(onePlan(), nil, nil)
	v.Saved("p.sbplan", nil)
	v.SecretsChecked(0)
	v.Diagnostics(someDiags)
	if !strings.HasPrefix(out.String(), render.Marker("providers")) || strings.Contains(out.String(), "Saved the plan") {
		t.Errorf("markdown stdout:\n%s", out)
	}
	for _, want := range []string{"Saved the plan to: p.sbplan", "--check-secrets: the configuration has no vault() reference.", "Error: Bad thing"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("markdown stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := NewPlan(s, "yaml", false, render.MarkdownOptions{}); err == nil || !strings.Contains(err.Error(), `unknown --format "yaml"`) {
		t.Errorf("--format yaml: %v", err)
	}
}

func TestPlanJSONView(t *testing.T) {
	s, out, errOut := testStream()
	v, _ := NewPlan(s, "json", false, render.MarkdownOptions{})
	v.Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Careful"}})
	if err := v.Plan(onePlan(), nil, &render.PolicyReport{Dir: "policies"}); err != nil {
		t.Fatal(err)
	}
	v.Saved("p.sbplan", nil)
	var doc render.JSONPlan
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.ResourceChanges) != 1 || doc.Switchboard.Policy == nil {
		t.Fatalf("stdout is not the one document: %v\n%s", err, out)
	}
	if !strings.Contains(errOut.String(), "Warning: Careful") || !strings.Contains(errOut.String(), "Saved the plan to: p.sbplan") {
		t.Errorf("stderr:\n%s", errOut)
	}
	// Errors end plan before its document: a diagnostic event each.
	s, out, _ = testStream()
	v, _ = NewPlan(s, "json", false, render.MarkdownOptions{})
	v.Diagnostics(someDiags)
	var ev Event
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Errorf("errors: %v\n%s", err, out)
	} else {
		if ev.Type != "diagnostic" {
			t.Errorf("errors: type = %q, want %q", ev.Type, "diagnostic")
		}
		if ev.Diagnostic.Summary != "Bad thing" {
			t.Errorf("errors: summary = %q, want %q", ev.Diagnostic.Summary, "Bad thing")
		}
		if ev.Diagnostic.Range == nil {
			t.Errorf("errors: range = nil, want line 2")
		} else if ev.Diagnostic.Range.Line != 2 {
			t.Errorf("errors: range line = %d, want 2", ev.Diagnostic.Range.Line)
		}
	}
}

func TestShowViews(t *testing.T) {
	pl := &planfile.Payload{WrittenBy: "1.2.3", Plan: onePlan(), Binding: planfile.Binding{
		Glow: &planfile.ServiceBinding{URL: "http://glow.example\x1b[31m"}}}
	s, out, _ := testStream()
	v, _ := NewShow(s, "text", true, render.MarkdownOptions{})
	if err := v.Show("p.sbplan", pl); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Plan file p.sbplan, written by Switchboard 1.2.3 at 2026-01-02T03:04:05Z, is bound to:\n  Glow:     http://glow.example") ||
		strings.Contains(out.String(), "\x1b") || !strings.Contains(out.String(), "# glow_provider.a will be created") {
		t.Errorf("text:\n%q", out)
	}
	s, out, _ = testStream()
	v, _ = NewShow(s, "json", true, render.MarkdownOptions{})
	_ = v.Show("p.sbplan", pl)
	var doc render.JSONPlan
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.ResourceChanges) != 1 || strings.Contains(out.String(), "Plan file") {
		t.Errorf("json: %v\n%s", err, out)
	}
}

func TestApplyViewPlanReviewedCancelled(t *testing.T) {
	s, out, _ := testStream()
	v := NewApply(s, false, true, newFakeClock().clock())
	v.Reviewed("providers", "pr.sbplan")
	_ = v.Plan(onePlan())
	v.Cancelled()
	v.Close()
	got := out.String()
	if !strings.HasPrefix(got, "The plan of providers makes exactly the changes of the reviewed plan pr.sbplan.\n\n") ||
		!strings.Contains(got, "# glow_provider.a will be created") || !strings.HasSuffix(got, "\nApply cancelled.\n") {
		t.Errorf("human:\n%s", got)
	}
	s, out, _ = testStream()
	v = NewApply(s, true, true, newFakeClock().clock())
	v.Reviewed("providers", "pr.sbplan")
	_ = v.Plan(onePlan())
	v.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("json: %d lines, want 2: the plan's planned_change event and the reviewed note:\n%s", len(lines), out)
	}
	var ev Event
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil {
		t.Fatalf("json: the reviewed note is not an event: %v\n%s", err, lines[1])
	}
	if ev.Type != "log" {
		t.Errorf("json: the reviewed note's type = %q, want %q", ev.Type, "log")
	}
	if want := "exactly the changes"; !strings.Contains(ev.Message, want) {
		t.Errorf("json: the reviewed note's message = %q, want it to contain %q", ev.Message, want)
	}
}

func TestFmtViews(t *testing.T) {
	s, out, errOut := testStream()
	v := NewFmt(s, false, true)
	v.File("a.hcl", false, "")
	v.File("b.hcl", true, "--- old/b.hcl\n+++ new/b.hcl\n")
	_ = v.Diagnostics(someDiags, func(string) ([]byte, error) { return []byte("x\nab = {\n"), nil })
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "b.hcl\n--- old/b.hcl\n+++ new/b.hcl\n" || !strings.Contains(errOut.String(), "  2 | ab = {\n    |   ^^\n") {
		t.Errorf("human:\n%s\n%s", out, errOut)
	}
	s, out, _ = testStream()
	v = NewFmt(s, false, true)
	v.Stdin(true, "", []byte("a = 1\n"))
	if out.String() != "a = 1\n" {
		t.Errorf("fmt -: %q", out)
	}

	s, out, errOut = testStream()
	v = NewFmt(s, true, false)
	v.File("a.hcl", false, "")
	v.File("b.hcl", true, "diff")
	v.Stdin(true, "", []byte("a = 1\n"))
	_ = v.Diagnostics(someDiags, nil)
	v.Error(errors.New("fmt: boom"))
	_ = v.Close()
	var doc FmtDocument
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || errOut.Len() != 0 {
		t.Fatalf("json: %v\n%s\n%s", err, out, errOut)
	}
	if doc.Success {
		t.Errorf("json: Success = true, want false")
	}
	if len(doc.Files) != 3 {
		t.Errorf("json: got %d files, want 3: %+v", len(doc.Files), doc.Files)
	} else {
		if want := (FmtFile{Name: "a.hcl"}); doc.Files[0] != want {
			t.Errorf("json: Files[0] = %+v, want %+v", doc.Files[0], want)
		}
		if doc.Files[1].Diff != "diff" {
			t.Errorf("json: Files[1].Diff = %q, want %q", doc.Files[1].Diff, "diff")
		}
		if !doc.Files[1].Changed {
			t.Errorf("json: Files[1].Changed = false, want true")
		}
		if doc.Files[2].Name != "-" {
			t.Errorf("json: Files[2].Name = %q, want %q", doc.Files[2].Name, "-")
		}
		if f := doc.Files[2].Formatted; f == nil {
			t.Errorf("json: Files[2].Formatted = nil, want %q", "a = 1\n")
		} else if *f != "a = 1\n" {
			t.Errorf("json: Files[2].Formatted = %q, want %q", *f, "a = 1\n")
		}
	}
	if len(doc.Diagnostics) != 2 {
		t.Errorf("json: got %d diagnostics, want 2: %+v", len(doc.Diagnostics), doc.Diagnostics)
	} else if doc.Diagnostics[1].Summary != "fmt: boom" {
		t.Errorf("json: Diagnostics[1].Summary = %q, want %q", doc.Diagnostics[1].Summary, "fmt: boom")
	}
}

func TestEmulatorViews(t *testing.T) {
	s, out, errOut := testStream()
	v := NewEmulator(s, false)
	v.Credentials(EmulatorCredentials{GlowSource: "default", GlowCount: 1, GateflowCount: 2})
	v.Listening("http://127.0.0.1:1", "")
	v.Logger(false).Info("request", "path", "/x")
	v.Logger(true).Info("quiet")
	v.Stopped()
	want := "Glow token: the default \"glow-dev-token\" (actor glow-user, unscoped)\nGateflow admin keys: 2 configured\n" +
		"Switchboard emulator listening on http://127.0.0.1:1 (state in memory)\n  export GLOW_INSTANCE_URL=http://127.0.0.1:1 GATEFLOW_URL=http://127.0.0.1:1\n" +
		"Switchboard emulator stopped\n"
	if out.String() != want || !strings.Contains(errOut.String(), "msg=request path=/x") || strings.Contains(errOut.String(), "quiet") {
		t.Errorf("human:\n%s\nstderr:\n%s", out, errOut)
	}
	s, out, errOut = testStream()
	v = NewEmulator(s, true)
	v.Credentials(EmulatorCredentials{GlowSource: "GLOW_TOKEN", GlowCount: 1, GateflowCount: 2})
	v.Listening("http://127.0.0.1:1", "/data")
	v.Logger(false).Info("request")
	v.Stopped()
	want = `{"type":"credentials","glow_tokens":{"count":1,"source":"GLOW_TOKEN"},"gateflow_keys":{"count":2,"source":"configured"}}
{"type":"listening","url":"http://127.0.0.1:1","state":"/data"}
{"type":"stopped"}
`
	if out.String() != want || !json.Valid(bytes.TrimSpace(errOut.Bytes())) {
		t.Errorf("json:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestVersionViews(t *testing.T) {
	info := version.Info{Version: "1.2.3", GoVersion: "go1.26", Platform: "linux_amd64"}
	s, out, _ := testStream()
	if err := Version(s, info, false); err != nil || out.String() != "Switchboard v1.2.3\ncommit unknown\nbuilt unknown\ngo1.26 on linux_amd64\n" {
		t.Errorf("human: %v %q", err, out)
	}
	s, out, _ = testStream()
	var got version.Info
	if err := Version(s, info, true); err != nil || json.Unmarshal(out.Bytes(), &got) != nil || got != info {
		t.Errorf("json: %v %s", err, out)
	}
}

func TestErrorViews(t *testing.T) {
	s, out, errOut := testStream()
	Error(s, errors.New("no such file"), false)
	if out.Len() != 0 || errOut.String() != "Error: no such file\n" {
		t.Errorf("human: %q %q", out, errOut)
	}
	s, out, errOut = testStream()
	Error(s, errors.New("no such file"), true)
	var ev Event
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Errorf("json: %v %s", err, out)
	} else {
		for _, c := range []struct{ field, got, want string }{
			{"type", ev.Type, "diagnostic"},
			{"@level", ev.Level, "error"},
			{"diagnostic.severity", ev.Diagnostic.Severity, "error"},
			{"diagnostic.summary", ev.Diagnostic.Summary, "no such file"},
		} {
			if c.got != c.want {
				t.Errorf("json: %s = %q, want %q", c.field, c.got, c.want)
			}
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("json: stderr = %q, want nothing", errOut)
	}
	// After a document, a second JSON value would break its parsers.
	s, out, errOut = testStream()
	_, _ = s.Out.Write([]byte("{}\n"))
	Error(s, errors.New("denied"), true)
	if out.String() != "{}\n" || errOut.String() != "Error: denied\n" {
		t.Errorf("after the document: %q %q", out, errOut)
	}
	s, _, errOut = testStream()
	Panic(s, "boom", []byte("stack"))
	if errOut.String() != "panic: boom\n\nstack" {
		t.Errorf("panic: %q", errOut)
	}
	var raw bytes.Buffer
	OutputFailed(&raw, "broken pipe")
	if raw.String() != "Error: writing the output: broken pipe\n" {
		t.Errorf("output failed: %q", raw.String())
	}
}

func TestValidateViews(t *testing.T) {
	warn := hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Careful"}}
	s, out, errOut := testStream()
	if err := NewValidate(s, false, true).Result(warn); err != nil {
		t.Fatal(err)
	}
	if out.String() != "Success! The configuration is valid, but there were some validation warnings as shown above.\n" || !strings.HasPrefix(errOut.String(), "Warning: Careful\n") {
		t.Errorf("human: %q %q", out, errOut)
	}
	s, out, errOut = testStream()
	_ = NewValidate(s, true, false).Result(someDiags)
	var doc struct {
		Valid       bool `json:"valid"`
		ErrorCount  int  `json:"error_count"`
		Diagnostics []struct {
			Summary string `json:"summary"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Errorf("json: %v %s", err, out)
	} else {
		if doc.Valid {
			t.Errorf("json: valid = true, want false")
		}
		if doc.ErrorCount != 1 {
			t.Errorf("json: error_count = %d, want 1", doc.ErrorCount)
		}
		if doc.Diagnostics[0].Summary != "Bad thing" {
			t.Errorf("json: diagnostics[0].summary = %q, want %q", doc.Diagnostics[0].Summary, "Bad thing")
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("json: stderr = %q, want nothing", errOut)
	}
}

func TestImportViews(t *testing.T) {
	im := &importer.Import{Secrets: []importer.Secret{{Path: "secret/llm/a", Users: []string{`gateflow_provider.a credentials "api_key"`}, Detail: "the credential api_key"}}}
	mp := importer.MigrationPlan{Keys: []importer.Secret{{Path: "secret/llm/k", Detail: "the value of Glow key k1"}}, Providers: []string{"glow_provider.a"}}
	s, out, _ := testStream()
	v := NewImport(s)
	v.MigrationPlan(mp)
	v.MigrationStarted()
	v.KeyStored("k1", "secret/llm/k", 1)
	v.KeysReplaced("glow_provider.a", []string{"k2"}, []string{"k1"}, 1, 1)
	v.Migrated(1)
	v.Report(ImportReport{Dir: "providers", Import: im})
	for _, want := range []string{"--migrate-keys-to-vault will, for 1 Glow key of unknown origin on 1 provider:", "Glow key k1 → secret/llm/k",
		"stored Glow key k1 in Vault at secret/llm/k (version 1)", "(created k2; deleted k1) (1 of 1)", "Migrated 1 key.",
		"Imported 0 Glow providers and 0 Gateflow providers into providers (main.hcl).", "  secret/llm/a (not checked)\n      the credential api_key, for gateflow_provider.a"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("human lacks %q:\n%s", want, out)
		}
	}
	s, out, _ = testStream()
	j := NewImportJSON(s)
	j.MigrationPlan(mp)
	j.KeyStored("k1", "secret/llm/k", 1)
	j.Report(ImportReport{Dir: "providers", Import: im})
	var doc ImportDocument
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("json: %v %s", err, out)
	}
	if !doc.Success {
		t.Errorf("json: success = false, want true: %+v", doc)
	}
	if doc.Migration.Keys != 1 {
		t.Errorf("json: migration.keys = %d, want 1", doc.Migration.Keys)
	}
	if len(doc.Migration.Stored) != 1 {
		t.Errorf("json: migration.stored = %v, want 1 entry", doc.Migration.Stored)
	}
	if len(doc.SecretsToStore) != 1 {
		t.Errorf("json: got %d secrets_to_store, want 1: %+v", len(doc.SecretsToStore), doc.SecretsToStore)
	} else if doc.SecretsToStore[0].Path != "secret/llm/a" {
		t.Errorf("json: secrets_to_store[0].path = %q, want %q", doc.SecretsToStore[0].Path, "secret/llm/a")
	}
}

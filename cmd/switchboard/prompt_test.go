package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

// runInteractive runs the command line as on a terminal, with stdin the
// person's answers.
func runInteractive(t *testing.T, answers string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runWithTerminal(t.Context(), args, strings.NewReader(answers), &out, &errOut, views.Terminal{In: true, Out: true, Err: true})
	return code, out.String(), errOut.String()
}

func TestApplyConfirmYesApplies(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-prompt-yes-0001"})
	dir := copyExample(t, "basic")
	code, out, errOut := runInteractive(t, "yes\n", "apply", "--no-color", dir)
	if code != 0 || !strings.Contains(out, "Do you want to perform these actions? Only 'yes' will be accepted:") ||
		!strings.Contains(out, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply answered yes: exit %d\n%s%s", code, out, errOut)
	}
	noChanges(t, dir)
}

func TestApplyConfirmNoChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-prompt-no-0001"})
	for _, answer := range []string{"no\n", "y\n", ""} {
		code, out, errOut := runInteractive(t, answer, "apply", "--no-color", copyExample(t, "basic"))
		if code != 1 || !strings.Contains(out, "Apply cancelled.") {
			t.Fatalf("apply answered %q: exit %d\n%s%s", answer, code, out, errOut)
		}
	}
	if n := w.emu.Stats().Operations["glow.provider.create"]; n != 0 {
		t.Errorf("%d creates after the answer no", n)
	}
}

func TestColorFlagsAndEnvironment(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"main.hcl": ""})
	green := "\x1b[1;32m"
	cases := []struct {
		name  string
		env   map[string]string
		args  []string
		color bool
	}{
		{"terminal", nil, nil, true},
		{"--no-color", nil, []string{"--no-color"}, false},
		{"--color=never", nil, []string{"--color=never"}, false},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, nil, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, nil, false},
		{"TERM=dumb with FORCE_COLOR", map[string]string{"TERM": "dumb", "FORCE_COLOR": "1"}, nil, true},
		{"--color=always over NO_COLOR", map[string]string{"NO_COLOR": "1"}, []string{"--color=always"}, true},
		{"-color=always", map[string]string{"TERM": "dumb"}, []string{"-color=always"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", "")
			t.Setenv("FORCE_COLOR", "")
			t.Setenv("TERM", "xterm")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runInteractive(t, "", append(append([]string{"validate"}, c.args...), dir)...)
			if code != 0 || strings.Contains(out, green) != c.color {
				t.Errorf("exit %d, colour %v, want %v: %q%s", code, strings.Contains(out, green), c.color, out, errOut)
			}
		})
	}
	// Not a terminal: no colour unless forced.
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if _, out, _ := runSwitchboard(t, "validate", dir); strings.Contains(out, green) {
		t.Errorf("colour into a buffer: %q", out)
	}
	if _, out, _ := runSwitchboard(t, "validate", "--color=always", dir); !strings.Contains(out, green) {
		t.Errorf("--color=always into a buffer: %q", out)
	}
	if code, _, errOut := runSwitchboard(t, "validate", "--color=sometimes", dir); code != 1 || !strings.Contains(errOut, "auto, always or never") {
		t.Errorf("--color=sometimes: exit %d %s", code, errOut)
	}
}

func jsonEvents(t *testing.T, out string) []map[string]any {
	t.Helper()
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not one JSON object per line: %v: %q", err, line)
		}
		events = append(events, e)
	}
	return events
}

func eventTypes(events []map[string]any) []string {
	var ts []string
	for _, e := range events {
		ts = append(ts, e["type"].(string))
	}
	return ts
}

func TestApplyJSONStreamsEvents(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-json-0001"})
	dir := copyExample(t, "basic")
	code, out, errOut := runSwitchboard(t, "apply", "--json", "--auto-approve", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("apply --json: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out)
	events := jsonEvents(t, out)
	types := eventTypes(events)
	if types[0] != "version" || types[len(types)-1] != "change_summary" {
		t.Errorf("types %v", types)
	}
	// Every address is planned before any starts, and starts before it
	// completes.
	planned, started := map[string]int{}, map[string]int{}
	completes := 0
	for i, e := range events {
		var h map[string]any
		switch e["type"] {
		case "planned_change":
			h = e["change"].(map[string]any)
		case "apply_start", "apply_complete":
			h = e["hook"].(map[string]any)
		default:
			continue
		}
		addr := h["resource"].(map[string]any)["addr"].(string)
		switch e["type"] {
		case "planned_change":
			planned[addr] = i
		case "apply_start":
			if len(planned) != 2 {
				t.Errorf("%s started before every change was planned", addr)
			}
			started[addr] = i
		case "apply_complete":
			completes++
			if _, ok := started[addr]; !ok {
				t.Errorf("%s complete before it started", addr)
			}
			if h["action"] != "create" || h["total"] != 2.0 || h["n"] != float64(completes) {
				t.Errorf("apply_complete %v", h)
			}
		}
	}
	if len(planned) != 2 || completes != 2 {
		t.Errorf("planned %v, %d complete: %s", planned, completes, out)
	}
	sum := events[len(events)-1]
	if sum["@message"] != "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." || sum["changes"].(map[string]any)["add"] != 2.0 {
		t.Errorf("change_summary %v", sum)
	}
	noChanges(t, dir)

	// Nothing to do: still a summary.
	code, out, _ = runSwitchboard(t, "apply", "--json", "--auto-approve", dir)
	if ts := eventTypes(jsonEvents(t, out)); code != 0 || strings.Join(ts, " ") != "version change_summary" {
		t.Errorf("no changes: exit %d, %v", code, ts)
	}
}

func TestApplyJSONErrorsAreDiagnostics(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-json-0002"})
	// Without --auto-approve nobody can answer.
	code, out, errOut := runSwitchboard(t, "apply", "--json", copyExample(t, "basic"))
	events := jsonEvents(t, out)
	last := events[len(events)-1]
	if code != 1 {
		t.Errorf("without --auto-approve: exit %d, want 1", code)
	}
	if errOut != "" {
		t.Errorf("without --auto-approve: stderr = %q, want nothing", errOut)
	}
	if last["type"] != "diagnostic" {
		t.Errorf("without --auto-approve: last event type = %v, want %q:\n%s", last["type"], "diagnostic", out)
	}
	if msg, _ := last["@message"].(string); !strings.Contains(msg, "--auto-approve") {
		t.Errorf("without --auto-approve: last @message = %q, want it to mention --auto-approve", msg)
	}
	if n := w.emu.Stats().Operations["glow.provider.create"]; n != 0 {
		t.Errorf("%d creates without approval", n)
	}
	// A configuration error is a diagnostic with its place.
	dir := writeConfigFiles(t, map[string]string{"main.hcl": "glow_provider \"x\" {\n  bogus = 1\n}\n"})
	code, out, errOut = runSwitchboard(t, "apply", "--json", "--auto-approve", dir)
	events = jsonEvents(t, out)
	d, _ := events[len(events)-1]["diagnostic"].(map[string]any)
	if code != 1 {
		t.Errorf("configuration error: exit %d, want 1", code)
	}
	if errOut != "" {
		t.Errorf("configuration error: stderr = %q, want nothing", errOut)
	}
	if d == nil {
		t.Errorf("configuration error: last event has no diagnostic: %s", out)
	} else {
		if d["severity"] != "error" {
			t.Errorf("configuration error: severity = %v, want %q", d["severity"], "error")
		}
		if d["range"] == nil {
			t.Errorf("configuration error: range = nil, want the place: %v", d)
		}
	}
}

// The migration's question, answered on a (declared) terminal: "no"
// decrypts nothing, "yes" migrates with its progress counted.
func TestImportMigrateConfirmNoThenYes(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	code, out, errOut := runInteractive(t, "no\n", "import", "--glow", "--migrate-keys-to-vault", "-o", dir)
	if code != 1 || !strings.Contains(out, "Do you want to migrate these keys? Only 'yes' will be accepted:") || !strings.Contains(errOut, "migration cancelled") {
		t.Fatalf("answered no: exit %d\n%s%s", code, out, errOut)
	}
	if n := w.decrypts(); n != 0 {
		t.Errorf("%d decrypts after the answer no", n)
	}
	code, out, errOut = runInteractive(t, "yes\n", "import", "--glow", "--migrate-keys-to-vault", "--force", "-o", dir)
	if code != 0 || !strings.Contains(out, "Migrated 3 keys.") || !strings.Contains(out, "(4 of 4)") {
		t.Fatalf("answered yes: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)
	if n := len(w.emu.Audit()); n != len(unmarkedKeys) {
		t.Errorf("%d decrypts, want one per key", n)
	}
}

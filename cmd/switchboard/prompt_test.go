package main

import (
	"bytes"
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

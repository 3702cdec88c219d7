package views

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/config"
)

func TestDiagnosticsHuman(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "main.hcl")
	if err := os.WriteFile(name, []byte("glow {\n\turl = \"ftp://x\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := config.Load(dir, config.LoadOptions{Env: func(string) (string, bool) { return "", false }})
	s, _, errOut := testStream()
	if err := Diagnostics(s, diags, DiagnosticOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "Error: Invalid URL\n\n  on " + name + ":2:8:\n" +
		"  2 | \turl = \"ftp://x\"\n" +
		"    | \t      ^^^^^^^^^\n\n" +
		"\"ftp://x\" is not an absolute http or https URL.\n\n"
	if errOut.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", errOut.String(), want)
	}

	// On a terminal: colours, and the detail wrapped to its width, a
	// preformatted line and a word longer than the width kept whole.
	var out, colored bytes.Buffer
	tty := NewStream(strings.NewReader(""), &out, &colored, Terminal{Err: true, Width: 30}, nil)
	long := hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "A summary longer than thirty columns stays whole",
		Detail: "The detail of this warning is long enough to be wrapped twice.\n  - a preformatted line longer than thirty columns\nhttps://example.com/a-very-long-word-of-a-link"}}
	if err := Diagnostics(tty, long, DiagnosticOptions{}); err != nil {
		t.Fatal(err)
	}
	want = "\x1b[1;33mWarning:\x1b[0m \x1b[1mA summary longer than thirty columns stays whole\x1b[0m\n\n" +
		"The detail of this warning is\nlong enough to be wrapped\ntwice.\n" +
		"  - a preformatted line longer than thirty columns\nhttps://example.com/a-very-long-word-of-a-link\n\n"
	if colored.String() != want {
		t.Errorf("on a terminal:\n%q\nwant:\n%q", colored.String(), want)
	}
	// --no-color and a pipe: neither colour nor wrapping.
	colored.Reset()
	if err := Diagnostics(tty, long, DiagnosticOptions{NoColor: true}); err != nil || strings.Contains(colored.String(), "\x1b[") {
		t.Errorf("--no-color: %v %q", err, colored.String())
	}
	s, _, errOut = testStream()
	_ = Diagnostics(s, long, DiagnosticOptions{})
	if !strings.Contains(errOut.String(), "The detail of this warning is long enough to be wrapped twice.\n") {
		t.Errorf("a pipe gets whole lines:\n%s", errOut)
	}
}

func TestDiagnosticsSnippetFromReader(t *testing.T) {
	d := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad", Subject: &hcl.Range{Filename: "<stdin>",
		Start: hcl.Pos{Line: 1, Column: 3}, End: hcl.Pos{Line: 1, Column: 5}}}}
	s, _, errOut := testStream()
	read := func(string) ([]byte, error) { return []byte("a = {\n"), nil }
	if err := Diagnostics(s, d, DiagnosticOptions{ReadFile: read}); err != nil {
		t.Fatal(err)
	}
	if want := "Error: Bad\n\n  on <stdin>:1:3:\n  1 | a = {\n    |   ^^\n\n"; errOut.String() != want {
		t.Errorf("got %q, want %q", errOut.String(), want)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

const unformatted = "glow_provider \"a\" {\nname=\"A\"\n}\n"
const formatted = "glow_provider \"a\" {\n  name = \"A\"\n}\n"

func TestFmtCheckAndDiff(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"a.hcl": unformatted, "b.hcl": formatted})
	a := filepath.Join(dir, "a.hcl")

	code, out, errOut := runSwitchboard(t, "fmt", "--check", dir)
	if code != 3 || out != a+"\n" || errOut != "" {
		t.Errorf("--check: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(a); string(b) != unformatted {
		t.Error("--check changed the file")
	}

	code, out, _ = runSwitchboard(t, "fmt", "--check", "--diff", dir)
	name := strings.TrimPrefix(filepath.ToSlash(a), "/")
	wantDiff := a + "\n--- old/" + name + "\n+++ new/" + name + "\n@@ -1,3 +1,3 @@\n glow_provider \"a\" {\n-name=\"A\"\n+  name = \"A\"\n }\n"
	if code != 3 || out != wantDiff {
		t.Errorf("--diff: exit %d\n%q\nwant\n%q", code, out, wantDiff)
	}

	code, out, _ = runSwitchboard(t, "fmt", dir)
	if code != 0 || out != a+"\n" {
		t.Errorf("fmt: exit %d, %q", code, out)
	}
	if b, _ := os.ReadFile(a); string(b) != formatted {
		t.Errorf("rewritten file:\n%s", b)
	}
	code, out, _ = runSwitchboard(t, "fmt", "--check", dir)
	if code != 0 || out != "" {
		t.Errorf("after fmt, --check: exit %d, %q", code, out)
	}
}

func TestFmtRecursiveAndErrors(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"a.hcl": formatted})
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "s.hcl"), []byte(unformatted), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runSwitchboard(t, "fmt", "--check", dir); code != 0 || out != "" {
		t.Errorf("without --recursive: exit %d, %q", code, out)
	}
	if code, out, _ := runSwitchboard(t, "fmt", "--check", "--recursive", dir); code != 3 || !strings.Contains(out, "s.hcl") {
		t.Errorf("--recursive: exit %d, %q", code, out)
	}

	if err := os.WriteFile(filepath.Join(dir, "broken.hcl"), []byte("glow {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runSwitchboard(t, "fmt", "--no-color", dir)
	if code != 2 || !strings.Contains(errOut, "broken.hcl:") {
		t.Errorf("syntax error: exit %d, %q", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "broken.hcl")); string(b) != "glow {\n" {
		t.Error("a broken file was rewritten")
	}
}

func TestFmtExamplesAreClean(t *testing.T) {
	for _, dir := range []string{"../../examples/basic", "../../examples/departments"} {
		if code, out, errOut := runSwitchboard(t, "fmt", "--check", dir); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}
}

func runSwitchboardWithInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runWithInput(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestFmtStdin(t *testing.T) {
	code, out, errOut := runSwitchboardWithInput(t, unformatted, "fmt", "-")
	if code != 0 || out != formatted || errOut != "" {
		t.Errorf("fmt -: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runSwitchboardWithInput(t, formatted, "fmt", "--check", "-"); code != 0 || out != "" {
		t.Errorf("fmt --check - on formatted input: exit %d, %q", code, out)
	}
	code, out, _ = runSwitchboardWithInput(t, unformatted, "fmt", "--check", "--diff", "-")
	want := "--- old/<stdin>\n+++ new/<stdin>\n@@ -1,3 +1,3 @@\n glow_provider \"a\" {\n-name=\"A\"\n+  name = \"A\"\n }\n"
	if code != 3 || out != want {
		t.Errorf("fmt --check --diff -: exit %d\n%q\nwant\n%q", code, out, want)
	}
	code, out, errOut = runSwitchboardWithInput(t, "glow {\n  url = \n", "fmt", "--no-color", "-")
	if code != 2 {
		t.Errorf("syntax error on stdin: exit %d, want 2", code)
	}
	if out != "" {
		t.Errorf("syntax error on stdin: stdout %q, want nothing", out)
	}
	for _, want := range []string{"<stdin>:", "url ="} {
		if !strings.Contains(errOut, want) {
			t.Errorf("syntax error on stdin: stderr %q, want it to contain %q", errOut, want)
		}
	}
}

func TestFmtJSON(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"a.hcl": unformatted, "b.hcl": formatted, "c.hcl": "glow {\n"})
	a, b := filepath.Join(dir, "a.hcl"), filepath.Join(dir, "b.hcl")
	code, out, errOut := runSwitchboard(t, "fmt", "--check", "--diff", "--json", dir)
	var doc views.FmtDocument
	if err := json.Unmarshal([]byte(out), &doc); code != 2 || err != nil || errOut != "" {
		t.Fatalf("fmt --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if doc.Success {
		t.Errorf("document: success = true, want false")
	}
	if len(doc.Files) != 2 {
		t.Errorf("document: got %d files, want 2: %+v", len(doc.Files), doc.Files)
	} else {
		if doc.Files[0].Name != a {
			t.Errorf("document: files[0].name = %q, want %q", doc.Files[0].Name, a)
		}
		if !doc.Files[0].Changed {
			t.Errorf("document: files[0].changed = false, want true")
		}
		if !strings.Contains(doc.Files[0].Diff, "+  name = \"A\"") {
			t.Errorf("document: files[0].diff = %q, want it to contain %q", doc.Files[0].Diff, "+  name = \"A\"")
		}
		if want := (views.FmtFile{Name: b}); doc.Files[1] != want {
			t.Errorf("document: files[1] = %+v, want %+v", doc.Files[1], want)
		}
	}
	if len(doc.Diagnostics) != 1 {
		t.Errorf("document: got %d diagnostics, want 1: %+v", len(doc.Diagnostics), doc.Diagnostics)
	} else if r := doc.Diagnostics[0].Range; r == nil {
		t.Errorf("document: diagnostics[0].range = nil, want one in c.hcl")
	} else if want := filepath.Join(dir, "c.hcl"); r.Filename != want {
		t.Errorf("document: diagnostics[0].range.filename = %q, want %q", r.Filename, want)
	}
	if src, _ := os.ReadFile(a); string(src) != unformatted {
		t.Error("--check --json changed the file")
	}
	// An error is part of the document.
	code, out, errOut = runSwitchboard(t, "fmt", "--json", filepath.Join(dir, "missing"))
	doc = views.FmtDocument{}
	if err := json.Unmarshal([]byte(out), &doc); code != 1 || err != nil || errOut != "" {
		t.Errorf("fmt --json of a missing directory: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if doc.Success {
		t.Errorf("fmt --json of a missing directory: success = true, want false")
	}
	if len(doc.Diagnostics) != 1 {
		t.Errorf("fmt --json of a missing directory: %d diagnostics, want 1: %+v", len(doc.Diagnostics), doc.Diagnostics)
	}
	// fmt - --json: the formatted text in the document.
	code, out, _ = runSwitchboardWithInput(t, unformatted, "fmt", "--json", "-")
	doc = views.FmtDocument{}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || len(doc.Files) != 1 {
		t.Errorf("fmt - --json: exit %d %v\n%s", code, err, out)
	} else {
		f := doc.Files[0]
		if f.Name != "-" {
			t.Errorf("fmt - --json: files[0].name = %q, want %q", f.Name, "-")
		}
		if !f.Changed {
			t.Errorf("fmt - --json: files[0].changed = false, want true")
		}
		if f.Formatted == nil {
			t.Errorf("fmt - --json: files[0].formatted = nil, want %q", formatted)
		} else if *f.Formatted != formatted {
			t.Errorf("fmt - --json: files[0].formatted = %q, want %q", *f.Formatted, formatted)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

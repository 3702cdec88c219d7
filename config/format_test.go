package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFormatSource(t *testing.T) {
	got, diags := FormatSource("x.hcl", []byte("glow_provider \"a\" {\nname=\"A\"\n  departments   =   [\"cs\"]\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "glow_provider \"a\" {\n  name        = \"A\"\n  departments = [\"cs\"]\n}\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, diags := FormatSource("x.hcl", []byte("glow {\n")); !diags.HasErrors() {
		t.Error("a file with a syntax error was formatted")
	}
}

func TestFormatTargets(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"b.hcl": "", "a.hcl": "", "c.hcl.json": "{}", "notes.txt": "",
		"sub/d.hcl": "", ".hidden/e.hcl": "", "prod.auto.sbvars": "", "x.sbvars.json": "{}",
	})
	got, err := FormatTargets(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.hcl"), filepath.Join(dir, "b.hcl"), filepath.Join(dir, "prod.auto.sbvars")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, _ = FormatTargets(dir, true)
	want = append(want, filepath.Join(dir, "sub", "d.hcl"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recursive: got %v, want %v", got, want)
	}
	if got, _ := FormatTargets(filepath.Join(dir, "b.hcl"), false); len(got) != 1 {
		t.Errorf("a file names itself: %v", got)
	}
	if _, err := FormatTargets(filepath.Join(dir, "missing"), false); err == nil {
		t.Error("a missing path is an error")
	}
}

func TestUnifiedDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13"
	got := UnifiedDiff("old/x", "new/x", []byte(a), []byte(b))
	want := `--- old/x
+++ new/x
@@ -1,6 +1,6 @@
 1
 2
-3
+three
 4
 5
 6
@@ -10,3 +10,4 @@
 10
 11
 12
+13
\ No newline at end of file
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if UnifiedDiff("a", "b", []byte(a), []byte(a)) != "" {
		t.Error("equal inputs have a diff")
	}
	// The output is a patch that the system's patch tool applies, when it
	// is there.
	if _, err := exec.LookPath("patch"); err == nil {
		dir := t.TempDir()
		old := "glow {\n}\nglow_provider \"a\" {\nname=\"A\"\n}\n\n\n# end\n"
		formatted, _ := FormatSource("x.hcl", []byte(old))
		if err := os.WriteFile(filepath.Join(dir, "x.hcl"), []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("patch", "-s", "-p1")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(UnifiedDiff("old/x.hcl", "new/x.hcl", []byte(old), formatted))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v: %s", err, out)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "x.hcl")); string(b) != string(formatted) {
			t.Errorf("patched file:\n%s\nwant:\n%s", b, formatted)
		}
	}
}

func TestValidateJSONAndVarFlags(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": "glow {\n\turl = \"ftp://x\"\n}\n"})
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	js := NewValidateJSON(diags)
	if js.Valid {
		t.Errorf("json: Valid = true, want false")
	}
	if js.ErrorCount != 1 {
		t.Errorf("json: ErrorCount = %d, want 1", js.ErrorCount)
	}
	r := js.Diagnostics[0].Range
	for _, c := range []struct {
		field     string
		got, want int
	}{
		{"Range.Start.Line", r.Start.Line, 2},
		{"Range.Start.Column", r.Start.Column, 8},
		{"Range.End.Column", r.End.Column, 17},
		{"Range.Start.Byte", r.Start.Byte, 14},
	} {
		if c.got != c.want {
			t.Errorf("json: Diagnostics[0].%s = %d, want %d", c.field, c.got, c.want)
		}
	}
	vars, vdiags := ParseVarFlags([]string{"a=1", "b==2", "secret-without-equals"})
	if !reflect.DeepEqual(vars, map[string]string{"a": "1", "b": "=2"}) || len(vdiags) != 1 || strings.Contains(vdiags[0].Detail, "secret") {
		t.Errorf("ParseVarFlags: %v %v", vars, vdiags)
	}
}

package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

// diagAt is one expected diagnostic: its summary, a part of its detail, and
// where it is (file base name and line; "" and 0 for none).
type diagAt struct {
	summary string
	detail  string
	file    string
	line    int
}

// checkDiags asserts that diags are exactly want, in order.
func checkDiags(t *testing.T, diags hcl.Diagnostics, want ...diagAt) {
	t.Helper()
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(want), describeDiags(diags))
	}
	for i, w := range want {
		d := diags[i]
		var file string
		var line int
		if d.Subject != nil {
			file, line = filepath.Base(d.Subject.Filename), d.Subject.Start.Line
		}
		if d.Summary != w.summary {
			t.Errorf("diagnostic %d: summary %q, want %q", i, d.Summary, w.summary)
		}
		if !strings.Contains(d.Detail, w.detail) {
			t.Errorf("diagnostic %d (%s): detail %q does not contain %q", i, d.Summary, d.Detail, w.detail)
		}
		if file != w.file {
			t.Errorf("diagnostic %d (%s): in file %q, want %q", i, d.Summary, file, w.file)
		}
		if line != w.line {
			t.Errorf("diagnostic %d (%s): at line %d, want %d", i, d.Summary, line, w.line)
		}
	}
}

func describeDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  ")
		if d.Subject != nil {
			b.WriteString(d.Subject.String() + ": ")
		}
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create a symbolic link here: %v", err)
	}
}

func TestConfigFileSymlinkLeadingOut(t *testing.T) {
	outside := writeDir(t, map[string]string{"x.hcl": `glow_provider "outside" { name = "Outside" }`})
	dir := writeDir(t, map[string]string{"main.hcl": `glow_provider "a" { name = "A" }`})
	symlinkOrSkip(t, filepath.Join(outside, "x.hcl"), filepath.Join(dir, "x.hcl"))
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Cannot read a configuration file", filepath.Join(dir, "x.hcl") + " is not a regular file of the configuration directory (it is a symbolic link", "", 0})
}

func TestConfigFileSymlinkInside(t *testing.T) {
	dir := writeDir(t, map[string]string{"real/a.txt": `glow_provider "a" { name = "A" }`})
	symlinkOrSkip(t, filepath.Join("real", "a.txt"), filepath.Join(dir, "a.hcl"))
	cfg := mustLoad(t, dir, LoadOptions{})
	if len(cfg.GlowProviders) != 1 || len(cfg.Files) != 1 || cfg.Files[0].Name != "a.hcl" {
		t.Errorf("a link to a file inside the directory is read as that file: %+v", cfg)
	}
}

// deviceFS is a configuration whose dev.hcl and dev.txt are devices. Opening
// either fails the test: a device is refused on what Stat says of it.
type deviceFS struct {
	fstest.MapFS
	t *testing.T
}

func (d deviceFS) Open(name string) (fs.File, error) {
	if strings.HasPrefix(name, "dev.") {
		d.t.Errorf("the device %s was opened", name)
	}
	return d.MapFS.Open(name)
}

func (d deviceFS) Stat(name string) (fs.FileInfo, error) { return d.MapFS.Stat(name) }

func TestDevicesAreNeverOpened(t *testing.T) {
	fsys := deviceFS{t: t, MapFS: fstest.MapFS{
		"main.hcl": {Data: []byte("glow_provider \"a\" {\n  name = \"A\"\n  description = file(\"dev.txt\")\n}\n")},
		"dev.hcl":  {Mode: fs.ModeDevice | fs.ModeCharDevice},
		"dev.txt":  {Mode: fs.ModeDevice},
	}}
	dir := filepath.Join("some", "dir")
	_, diags := Load(dir, LoadOptions{Env: noEnv, FS: fsys})
	checkDiags(t, diags, diagAt{"Cannot read a configuration file", filepath.Join(dir, "dev.hcl") + " is not a regular file (it is a device)", "", 0})

	delete(fsys.MapFS, "dev.hcl")
	_, diags = Load(dir, LoadOptions{Env: noEnv, FS: fsys})
	checkDiags(t, diags, diagAt{"Invalid function argument", `"dev.txt" is not a regular file (it is a device)`, "main.hcl", 3})
}

func TestConfigFileSizeBounds(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `glow_provider "a" { name = "A" }`})
	// Sparse files: Load must refuse them on their size alone.
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxConfigFileSize+1); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Configuration file too large", big + " is larger than 64 MiB", "", 0})

	if err := os.Truncate(big, MaxConfigFileSize); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.hcl", "c.hcl", "d.hcl"} {
		if err := os.Link(big, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	_, diags = Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Configuration too large", "larger than 256 MiB together", "", 0})
}

func TestMemFS(t *testing.T) {
	files := []SourceFile{
		{Name: "main.hcl", Content: []byte("x")},
		{Name: "prompts/a/system.txt", Content: []byte("hello")},
		{Name: "prompts/b.txt", Content: nil},
		{Name: "../escape", Content: []byte("no")},
		{Name: "/abs", Content: []byte("no")},
		{Name: "main.hcl/inside", Content: []byte("clashes with a file")},
		{Name: "prompts", Content: []byte("clashes with a directory")},
	}
	fsys := MemFS(files)
	if err := fstest.TestFS(fsys, "main.hcl", "prompts/a/system.txt", "prompts/b.txt"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../escape", "abs", "main.hcl/inside"} {
		if _, err := fs.Stat(fsys, name); err == nil {
			t.Errorf("%s is in the file system", name)
		}
	}
	if info, err := fs.Stat(fsys, "prompts"); err != nil || !info.IsDir() {
		t.Errorf("prompts: %v %v", info, err)
	}
	// Changing what was given, or what was read, changes nothing inside.
	files[1].Content[0] = 'j'
	b, _ := fs.ReadFile(fsys, "prompts/a/system.txt")
	b[1] = 'a'
	if b, _ := fs.ReadFile(fsys, "prompts/a/system.txt"); string(b) != "hello" {
		t.Errorf("content changed to %q", b)
	}
}

func TestFileFunctionRefusals(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
glow_provider "abs" {
  name        = "A"
  description = file("/proc/self/environ")
}
glow_provider "up" {
  name        = "B"
  description = file("../x")
}
glow_provider "link" {
  name        = "C"
  description = file("passwd")
}
glow_provider "big" {
  name        = "D"
  description = file("big.txt")
}
glow_provider "dir" {
  name        = "E"
  description = file("sub")
}
glow_provider "missing" {
  name        = "F"
  description = file("sub/../nope.txt")
}
glow_provider "via_link" {
  name        = "G"
  description = file("etc/passwd")
}
glow_provider "module_up" {
  name        = "H"
  description = file("${path.module}/../x")
}
`,
		"big.txt":    strings.Repeat("x", MaxFileFunctionSize+1),
		"sub/ok.txt": "ok",
		"../x":       "outside",
	})
	symlinkOrSkip(t, "/etc/passwd", filepath.Join(dir, "passwd"))
	symlinkOrSkip(t, "/etc", filepath.Join(dir, "etc"))
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	const s = "Invalid function argument"
	checkDiags(t, diags,
		diagAt{s, `"/proc/self/environ" is an absolute path`, "main.hcl", 4},
		diagAt{s, `"../x" leads out of the configuration directory`, "main.hcl", 8},
		diagAt{s, `"passwd" is not a regular file of the configuration directory (it is a symbolic link`, "main.hcl", 12},
		diagAt{s, `"big.txt" is larger than 1 MiB`, "main.hcl", 16},
		diagAt{s, `"sub" is not a regular file (it is a directory)`, "main.hcl", 20},
		diagAt{s, `"sub/../nope.txt" does not exist`, "main.hcl", 24},
		diagAt{s, `"etc/passwd" is not a regular file of the configuration directory (etc is a symbolic link`, "main.hcl", 28},
		diagAt{s, `/../x" leads out of the configuration directory`, "main.hcl", 32},
	)
}

func TestFilesRecordsWhatWasRead(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"b.hcl": `
glow_provider "a" {
  for_each    = toset(["x", "y"])
  name        = "A ${each.key}"
  description = file("./prompts/${each.key}.txt")
  values      = { main = file("a.hcl"), again = file("prompts/x.txt"), module = file("${path.module}/prompts/x.txt") }
}
`,
		"a.hcl":         "# first\n",
		"prompts/x.txt": "prompt x",
		"prompts/y.txt": "prompt y",
		"prompts/z.txt": "never read",
		"notes.txt":     "not configuration",
	})
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relDir, err := filepath.Rel(cwd, dir)
	if err != nil {
		t.Fatal(err)
	}
	// path.module is dir as given, absolute or not: file() takes paths
	// under it relative to the directory.
	if cfg := mustLoad(t, relDir, LoadOptions{}); cfg.GlowProviders[0].Values["module"] != "prompt x" {
		t.Errorf("file() under a relative path.module: %+v", cfg.GlowProviders[0].Values)
	}
	cfg := mustLoad(t, dir, LoadOptions{})
	if cfg.GlowProviders[0].Values["module"] != "prompt x" {
		t.Errorf("file() under an absolute path.module: %+v", cfg.GlowProviders[0].Values)
	}
	var got []string
	for _, f := range cfg.Files {
		got = append(got, f.Name+"="+string(f.Content))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "b.hcl"))
	want := []string{"a.hcl=# first\n", "b.hcl=" + string(b), "prompts/x.txt=prompt x", "prompts/y.txt=prompt y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	if cfg.GlowProviders[1].Description != "prompt y" || cfg.GlowProviders[0].Values["main"] != "# first\n" {
		t.Errorf("providers: %+v", cfg.GlowProviders)
	}
}

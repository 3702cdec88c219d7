package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffNamesTheFileAndShowsTheChangedLines(t *testing.T) {
	if d := diff("testdata/x.txt", "a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts give a diff:\n%s", d)
	}
	d := diff("testdata/x.txt", "a\nb\nc\n", "a\nB\nc\n")
	for _, want := range []string{"--- testdata/x.txt\n", "+++ got\n", "-b\n", "+B\n", " a\n", " c\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
}

// recorder is a testing.TB that keeps the failures Check reports instead
// of failing the test that runs it.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Name() string                 { return "TestX/sub case" }
func (r *recorder) Errorf(f string, args ...any) { r.errors = append(r.errors, f) }
func (r *recorder) Fatalf(f string, args ...any) { r.fatals = append(r.fatals, f) }
func (r *recorder) Fatal(args ...any)            { r.fatals = append(r.fatals, "fatal") }

func TestCheckComparesAndRewrites(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(filepath.Join("testdata", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "dir", "same.txt"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &recorder{TB: t}
	Check(r, "dir/same.txt", []byte("one\n"))
	if len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("equal output reported: %q %q", r.errors, r.fatals)
	}
	Check(r, "dir/same.txt", []byte("two\n"))
	if len(r.errors) != 1 {
		t.Errorf("a different output gives %d errors, want 1", len(r.errors))
	}
	Check(r, "missing.txt", []byte("x"))
	if len(r.fatals) != 1 {
		t.Errorf("a missing file gives %d fatal errors, want 1", len(r.fatals))
	}

	*update = true
	t.Cleanup(func() { *update = false })
	r = &recorder{TB: t}
	Check(r, "new/dir/made.txt", []byte("made\n"))
	Check(r, "dir/same.txt", []byte("two\n"))
	if len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("-update reported: %q %q", r.errors, r.fatals)
	}
	for name, want := range map[string]string{"new/dir/made.txt": "made\n", "dir/same.txt": "two\n"} {
		if got, err := os.ReadFile(filepath.Join("testdata", name)); err != nil || string(got) != want {
			t.Errorf("-update wrote %s as %q (%v), want %q", name, got, err, want)
		}
	}
}

func TestRerunMatchesOnlyTheFailingTest(t *testing.T) {
	got := rerun(&recorder{TB: t})
	if want := "`go test -run '^TestX$/^sub case$' -update` in this package"; got != want {
		t.Errorf("rerun = %s, want %s", got, want)
	}
}

// Package golden compares a test's output with a file under its package's
// testdata/, and rewrites the file when the test binary runs with -update.
// It is the one golden-file mechanism of the module: the planner's plans
// and the CLI's end-to-end plans both go through Check, each test keeping
// its own normalising of what changes from run to run. Only test files
// import it, so -update exists only in test binaries.
package golden

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Check compares got with testdata/name (name may have directories) and
// reports a unified diff from the file to got when they differ. With
// -update it writes got to the file instead, creating its directory: the
// file then holds exactly the bytes the test produced, so regenerating an
// unchanged output leaves the file untouched.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s creates it)", err, rerun(t))
	}
	if d := diff(path, string(want), string(got)); d != "" {
		t.Errorf("%s differs from what the test produced; %s if the change is intended, and read the diff:\n%s", path, rerun(t), d)
	}
}

// diff is the unified diff from the golden file's text want to got, ""
// when they are equal. The headers name the file and "got", so that a
// reader sees which side is the recorded claim.
func diff(path, want, got string) string {
	if want == got {
		return ""
	}
	d, err := udiff.ToUnified(path, "got", want, udiff.Lines(want, got), udiff.DefaultContextLines)
	if err != nil {
		// The edits come from the same two texts: they always apply.
		panic("golden: inconsistent line edits: " + err.Error())
	}
	return d
}

// rerun is the command that regenerates the failing test's files and no
// other test's: each level of the (sub)test name matched whole.
func rerun(t testing.TB) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("`go test -run '%s' -update` in this package", strings.Join(parts, "/"))
}

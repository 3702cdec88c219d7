package version

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// goInstalled is what `go version -m` shows for a binary made by
// `go install github.com/switchboard-hq/switchboard/cmd/switchboard@v0.3.1`:
// the module version, and no VCS settings (the proxy's zip has no .git).
const goInstalled = `path	github.com/switchboard-hq/switchboard/cmd/switchboard
mod	github.com/switchboard-hq/switchboard	v0.3.1	h1:Xc9v5cFfT1bV6bh8bN4yK7cBhJ0QzYd3w7Q2vJ4eY0M=
dep	github.com/spf13/cobra	v1.10.2	h1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU=
build	-buildmode=exe
build	CGO_ENABLED=1
build	GOARCH=amd64
build	GOOS=linux
`

// checkout is a `go build` in a git checkout (Go 1.24+ stamps a
// pseudo-version and the VCS state).
const checkout = `path	github.com/switchboard-hq/switchboard/cmd/switchboard
mod	github.com/switchboard-hq/switchboard	v0.3.2-0.20261201120000-0123456789ab+dirty
build	vcs=git
build	vcs.revision=0123456789abcdef0123456789abcdef01234567
build	vcs.time=2026-12-01T12:00:00Z
build	vcs.modified=true
`

// devel is a build that knows nothing: `go build -buildvcs=false`.
const devel = `path	github.com/switchboard-hq/switchboard/cmd/switchboard
mod	github.com/switchboard-hq/switchboard	(devel)
`

func TestResolve(t *testing.T) {
	parse := func(s string) *debug.BuildInfo {
		t.Helper()
		bi, err := debug.ParseBuildInfo(s)
		if err != nil {
			t.Fatal(err)
		}
		return bi
	}
	for _, tc := range []struct {
		name                     string
		v, commit, date          string
		bi                       *debug.BuildInfo
		wantV, wantCommit, wantD string
	}{
		{"go install @vX reports vX", "", "", "", parse(goInstalled), "0.3.1", "", ""},
		{"ldflags win over the build info", "0.4.0", "abc", "2026-12-02T00:00:00Z", parse(goInstalled), "0.4.0", "abc", "2026-12-02T00:00:00Z"},
		{"a checkout: pseudo-version and VCS state", "", "", "", parse(checkout),
			"0.3.2-0.20261201120000-0123456789ab+dirty", "0123456789abcdef0123456789abcdef01234567-dirty", "2026-12-01T12:00:00Z"},
		{"ldflags version, commit from VCS", "0.4.0", "", "", parse(checkout),
			"0.4.0", "0123456789abcdef0123456789abcdef01234567-dirty", "2026-12-01T12:00:00Z"},
		{"nothing known", "", "", "", parse(devel), Dev, "", ""},
		{"no build info", "", "", "", nil, Dev, "", ""},
		{"a v from ldflags is dropped", "v1.2.3", "", "", nil, "1.2.3", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, c, d := resolve(tc.v, tc.commit, tc.date, tc.bi)
			if v != tc.wantV || c != tc.wantCommit || d != tc.wantD {
				t.Fatalf("resolve = %q, %q, %q; want %q, %q, %q", v, c, d, tc.wantV, tc.wantCommit, tc.wantD)
			}
		})
	}
}

// TestMakefileLdflags builds the CLI with the linker flags the Makefile
// uses for bin/switchboard and the provider mirror, and checks that
// `switchboard version --json` reports the VERSION file, the commit and the
// commit's date.
func TestMakefileLdflags(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: this test reads the Makefile's flags", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	output := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	ldflags := output("make", "-s", "print-ldflags")
	bin := filepath.Join(t.TempDir(), "switchboard")
	if out, err := exec.CommandContext(ctx, "go", "build", "-C", root, "-ldflags", ldflags, "-o", bin, "./cmd/switchboard").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	raw, err := exec.CommandContext(ctx, bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("switchboard version --json: %v", err)
	}
	var got Info
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("version --json is not an Info: %v\n%s", err, raw)
	}
	file, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	want := Info{
		Version:   strings.TrimSpace(string(file)),
		Commit:    output("git", "rev-parse", "HEAD"),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "_" + runtime.GOARCH,
	}
	for _, f := range []struct{ name, got, want string }{
		{"version", got.Version, want.Version},
		{"commit (without -dirty)", strings.TrimSuffix(got.Commit, "-dirty"), want.Commit},
		{"go_version", got.GoVersion, want.GoVersion},
		{"platform", got.Platform, want.Platform},
	} {
		if f.got != f.want {
			t.Errorf("version --json %s = %q, want %q", f.name, f.got, f.want)
		}
	}
	date, err := time.Parse(time.RFC3339, got.Date)
	if err != nil {
		t.Fatalf("build_date %q is not RFC 3339: %v", got.Date, err)
	}
	commitDate := output("git", "log", "-1", "--format=%cI")
	if cd, err := time.Parse(time.RFC3339, commitDate); err != nil || !cd.Equal(date) {
		t.Fatalf("build_date %s is not the commit's date %s", got.Date, commitDate)
	}
}

// Package version says which Switchboard a binary is: its release, the
// commit and the date it was built from, and the Go that built it.
//
// Release builds (the Makefile, goreleaser) set the first three with the
// linker:
//
//	-X github.com/switchboard-hq/switchboard/internal/version.Version=0.1.0
//	-X github.com/switchboard-hq/switchboard/internal/version.Commit=<sha>
//	-X github.com/switchboard-hq/switchboard/internal/version.Date=<RFC 3339>
//
// Without them (`go install github.com/switchboard-hq/switchboard/cmd/switchboard@v0.1.0`),
// they come from the module build info Go embeds, so such a binary still
// says v0.1.0.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is the release, as semver without a leading "v" (Terraform's
// spelling for provider versions, and the mirror directory's name). The
// linker sets it; init fills it from the build info otherwise.
var Version string

// Commit is the full commit hash the binary was built from, with
// "-dirty" appended when the work tree had changes; empty when unknown.
var Commit string

// Date is when the commit was made, RFC 3339 in UTC: the commit date
// rather than the wall clock, so that two builds of one commit are the
// same binary.
var Date string

// Dev is the version of a build that neither the linker nor the module
// build info named: a `go build` or `go run` in a checkout.
const Dev = "0.0.0-dev"

func init() {
	bi, _ := debug.ReadBuildInfo()
	Version, Commit, Date = resolve(Version, Commit, Date, bi)
}

// resolve fills what the linker left empty from the build info.
func resolve(v, commit, date string, bi *debug.BuildInfo) (string, string, string) {
	if bi != nil {
		if v == "" {
			// "(devel)" is what Go records for the main module built
			// from its own directory: no version at all.
			if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
				v = mv
			}
		}
		var revision, modified, vcsTime string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			case "vcs.time":
				vcsTime = s.Value
			}
		}
		if commit == "" && revision != "" {
			commit = revision
			if modified == "true" {
				commit += "-dirty"
			}
		}
		if date == "" {
			date = vcsTime
		}
	}
	v = strings.TrimPrefix(v, "v")
	if v == "" {
		v = Dev
	}
	return v, commit, date
}

// Info is the version as `switchboard version --json` prints it.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"build_date"`
	GoVersion string `json:"go_version"`
	// Platform is GOOS_GOARCH, as Terraform names platforms.
	Platform string `json:"platform"`
}

// Get is this binary's Info.
func Get() Info {
	return Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "_" + runtime.GOARCH,
	}
}

// UserAgent is what both API clients send, so that the services' logs tell
// which tool and release made a call.
func UserAgent() string { return "switchboard/" + Version }

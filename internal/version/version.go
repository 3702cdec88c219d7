// Package version holds the build's version, set by the linker
// (-ldflags "-X github.com/switchboard-hq/switchboard/internal/version.Version=…").
package version

// Version is the release this binary was built from.
var Version = "0.1.0-dev"

// UserAgent is what both API clients send, so that the services' logs tell
// which tool and release made a call.
func UserAgent() string { return "switchboard/" + Version }

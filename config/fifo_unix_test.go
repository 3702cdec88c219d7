//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package config

import (
	"path/filepath"
	"syscall"
	"testing"
)

// Opening a named pipe blocks until something writes to it: these tests
// hang, instead of failing, if Load ever opens one.
func TestNamedPipesAreNeverOpened(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": "glow_provider \"a\" {\n  name        = \"A\"\n  description = file(\"pipe\")\n}\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Invalid function argument", `"pipe" is not a regular file (it is a named pipe)`, "main.hcl", 3})

	if err := syscall.Mkfifo(filepath.Join(dir, "x.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Cannot read a configuration file", filepath.Join(dir, "x.hcl") + " is not a regular file (it is a named pipe)", "", 0})
}

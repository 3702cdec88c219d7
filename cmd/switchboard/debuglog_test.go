package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

// TestDebugLogShowsRequestsAndNoSecret: SWITCHBOARD_LOG=debug writes a line
// for every request with its answer status and timing, the 429 and the
// retry after it, to SWITCHBOARD_LOG_PATH; no token, Vault token or key
// value appears in it. trace adds a line before each attempt.
func TestDebugLogShowsRequestsAndNoSecret(t *testing.T) {
	w := newWorldWith(t, emulator.Config{
		GlowTokens:        []emulator.GlowToken{{Token: canaryGlow, ActorName: "ci"}},
		GateflowAdminKeys: []emulator.AdminKey{{Key: canaryAdmin}},
	})
	const keyValue = "sk-dbglg-KEYVAL-5e8b1d40"
	const gwKey = "sk-dbglg-GWKEY-7f3a9c21"
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": keyValue})
	w.putSecret(t, "secret/llm/gateflow", map[string]string{"api_key": gwKey})
	dir := writeConfigFiles(t, map[string]string{"main.hcl": `
glow {}
gateflow {}
vault {}

glow_provider "openai" {
  name = "OpenAI"
  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }
}

gateflow_provider "openai" {
  credentials = { api_key = vault("secret/llm/gateflow", "api_key") }
}
`})
	canaries := []string{canaryGlow, canaryAdmin, os.Getenv("VAULT_TOKEN"), keyValue, gwKey}

	logPath := filepath.Join(t.TempDir(), "switchboard.log")
	t.Setenv("SWITCHBOARD_LOG", "debug")
	t.Setenv("SWITCHBOARD_LOG_PATH", logPath)
	// One 429 on the Gateflow configure, so that a wait and a retry are
	// logged too.
	if err := w.emu.ScriptFaults(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"gateflow.providers.configure"}}); err != nil {
		t.Fatal(err)
	}
	_, errOut := runOK(t, "apply", "--auto-approve", "--no-color", dir)
	if strings.Contains(errOut, "msg=request") {
		t.Errorf("with SWITCHBOARD_LOG_PATH set, the log went to stderr too:\n%s", errOut)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range [][]string{
		{"level=DEBUG", "msg=request", "service=glow", `operation="create provider"`, "status=200", "duration="},
		{"level=DEBUG", "msg=request", "service=gateflow", `operation="configure provider"`, "method=POST", "path=/providers", "attempt=1", "status=429", "retry_after=1s"},
		{"level=DEBUG", `msg="rate limited"`, "service=gateflow", "retry_after=1s"},
		{"level=DEBUG", "msg=retry", "service=gateflow", "retry=1", "wait=1."},
		{"level=DEBUG", "msg=request", "service=gateflow", `operation="configure provider"`, "attempt=2", "status=200"},
	} {
		if !logHasLine(log, want...) {
			t.Errorf("log has no line with all of %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "sending request") {
		t.Error("debug shows trace lines")
	}
	if found := leaks(log, canaries...); len(found) > 0 {
		t.Errorf("the debug log holds credentials %q", found)
	}

	// trace: a line before each attempt, with its User-Agent.
	t.Setenv("SWITCHBOARD_LOG", "trace")
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	tracePath := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("SWITCHBOARD_LOG_PATH", tracePath)
	runOK(t, "plan", "--no-color", dir)
	b, err = os.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if !logHasLine(string(b), "level=TRACE", `msg="sending request"`, "user_agent=switchboard/") {
		t.Errorf("trace log:\n%s", b)
	}
	if found := leaks(string(b), canaries...); len(found) > 0 {
		t.Errorf("the trace log holds credentials %q", found)
	}

	t.Setenv("SWITCHBOARD_LOG", "verbose")
	code, _, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, `SWITCHBOARD_LOG="verbose": use debug or trace`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func logHasLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

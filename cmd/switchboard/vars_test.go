package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// newEmulatorWorld is an emulator and the environment pointing at it,
// without Vault: for configurations whose keys come from env().
func newEmulatorWorld(t *testing.T) string {
	t.Helper()
	_, url := emulatortest.Start(t, emulator.Config{})
	for k, v := range map[string]string{
		"GLOW_INSTANCE_URL":  url,
		"GLOW_TOKEN":         emulatortest.GlowToken,
		"GATEFLOW_URL":       url,
		"GATEFLOW_ADMIN_KEY": emulatortest.AdminKey,
		"VAULT_ADDR":         "",
		"VAULT_TOKEN":        "",
	} {
		t.Setenv(k, v)
	}
	return url
}

const envVarConfig = `
variable "env" {
  type = string
}
glow {}
glow_provider "openai" {
  name        = "OpenAI ${var.env}"
  departments = ["cs"]
  key "primary" {
    value = env("OPENAI_TEST_KEY")
  }
}
`

// TestAutoVarFilesThroughPlanAndApply: *.auto.sbvars is read by plan, the
// warning says which source won over SWITCHBOARD_VAR_, and apply of the
// saved plan needs neither the file nor the variable.
func TestAutoVarFilesThroughPlanAndApply(t *testing.T) {
	newEmulatorWorld(t)
	t.Setenv("OPENAI_TEST_KEY", "sk-auto-vars-test-key-1")
	dir := writeConfigFiles(t, map[string]string{
		"main.hcl":            envVarConfig,
		"staging.auto.sbvars": "env = \"staging\"\n",
	})
	t.Setenv("SWITCHBOARD_VAR_env", "from-env")
	file := filepath.Join(t.TempDir(), "p.sbplan")
	code, out, errOut := runSwitchboard(t, "plan", "-no-color", "-out="+file, dir)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `"OpenAI staging"`) {
		t.Errorf("the plan does not use staging.auto.sbvars:\n%s", out)
	}
	if !strings.Contains(errOut, "Warning: Variable set in more than one place") ||
		!strings.Contains(errOut, "var.env is set by SWITCHBOARD_VAR_env and staging.auto.sbvars; the value from staging.auto.sbvars is used.") {
		t.Errorf("stderr does not say which value won:\n%s", errOut)
	}
	if err := os.Remove(filepath.Join(dir, "staging.auto.sbvars")); err != nil {
		t.Fatal(err)
	}
	if err := os.Unsetenv("SWITCHBOARD_VAR_env"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runSwitchboard(t, "apply", "-no-color", file)
	if code != 0 || !strings.Contains(out, "Apply complete!") {
		t.Fatalf("apply of the saved plan without the variable: exit %d\n%s%s", code, out, errOut)
	}
	// Planned again without the file: the variable has no value.
	code, _, errOut = runSwitchboard(t, "plan", "-no-color", dir)
	if code != 1 || !strings.Contains(errOut, "No value for required variables") {
		t.Errorf("plan without the file: exit %d\n%s", code, errOut)
	}
}

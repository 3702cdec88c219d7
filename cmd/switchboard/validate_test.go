package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/config"
)

// runSwitchboard executes the CLI in-process, exactly as main does (the
// redacting writers included), and returns its exit status and output.
func runSwitchboard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeConfigFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateExamples(t *testing.T) {
	for _, dir := range []string{"../../examples/basic", "../../examples/departments"} {
		code, out, errOut := runSwitchboard(t, "validate", "--no-color", dir)
		if code != 0 || out != "Success! The configuration is valid.\n" || errOut != "" {
			t.Errorf("%s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}
}

func TestValidateInvalid(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"main.hcl": "glow {\n  url = \"ftp://x\"\n}\ngateflow_provider \"azure\" {}\n"})
	code, out, errOut := runSwitchboard(t, "validate", "--no-color", dir)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	// Every error in one run, each with its position and source line.
	for _, want := range []string{
		"Error: Invalid URL", "main.hcl:2:9:", "  2 |   url = \"ftp://x\"",
		"Error: Unsupported Gateflow provider", "main.hcl:4:19:",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("output lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "\x1b[") {
		t.Error("--no-color output has colors")
	}

	code, out, _ = runSwitchboard(t, "validate", "--json", dir)
	var res config.ValidateJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if res.Valid {
		t.Errorf("json: valid = true, want false")
	}
	if res.ErrorCount != 2 {
		t.Errorf("json: error_count = %d, want 2", res.ErrorCount)
	}
	if r := res.Diagnostics[1].Range; r == nil {
		t.Errorf("json: diagnostics[1].range = nil, want one: %+v", res.Diagnostics[1])
	} else if r.Start.Line != 4 {
		t.Errorf("json: diagnostics[1].range.start.line = %d, want 4", r.Start.Line)
	}

	code, _, errOut = runSwitchboard(t, "validate", "--var", "novalue", dir)
	if code != 1 || !strings.Contains(errOut, "Invalid --var option") {
		t.Errorf("bad --var: %d %s", code, errOut)
	}
}

func TestValidateVarsAndWarnings(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{
		"main.hcl": "variable \"dept\" {}\nglow_provider \"a\" {\n  name = \"A\"\n  departments = [var.dept]\n  key \"k\" {\n    value = env(\"SB_TEST_UNSET_KEY\")\n  }\n}\n",
		"x.vars":   "dept = \"cs\"\n",
	})
	code, out, errOut := runSwitchboard(t, "validate", "--no-color", "--var-file", filepath.Join(dir, "x.vars"), dir)
	if code != 0 || !strings.Contains(out, "valid, but there were some validation warnings") || !strings.Contains(errOut, "Warning: Empty secret from the environment") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runSwitchboard(t, "validate", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, "No value for required variables") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	t.Setenv("SWITCHBOARD_VAR_dept", "math")
	if code, _, errOut = runSwitchboard(t, "validate", "--var", "dept=cs", dir); code != 0 {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// TestValidateNeverPrintsSecrets runs validate on a configuration that
// takes secrets from every source and misuses them in every way, and looks
// for the values in everything it prints.
func TestValidateNeverPrintsSecrets(t *testing.T) {
	secrets := map[string]string{
		"env":     "sk-env-SECRET-a1b2c3",
		"token":   "glow-SECRET-token-d4e5",
		"admin":   "gw_admin_SECRET-f6a7",
		"varfile": "varfile-SECRET-b8c9",
		"envvar":  "envvar-SECRET-0d1e",
		"pattern": "(SECRET-pattern",
	}
	t.Setenv("SB_TEST_OPENAI_KEY", secrets["env"])
	t.Setenv("GLOW_TOKEN", secrets["token"])
	t.Setenv("SB_TEST_PATTERN", secrets["pattern"])
	t.Setenv("SWITCHBOARD_VAR_note", secrets["envvar"])
	valid := writeConfigFiles(t, map[string]string{
		"main.hcl": `
variable "admin" {
  sensitive = true
}
variable "note" {
  sensitive = true
  default   = ""
}
glow {}
gateflow {
  admin_key = var.admin
}
glow_provider "a" {
  name = "A"
  key "k" {
    value = env("SB_TEST_OPENAI_KEY")
  }
}
`,
		"s.vars": "admin = \"" + secrets["varfile"] + "\"\n",
	})
	invalid := writeConfigFiles(t, map[string]string{
		"main.hcl": `
variable "admin" {
  sensitive = true
  validation {
    condition     = length(var.admin) < 3
    error_message = "Bad admin ${var.admin}"
  }
}
variable "note" {
  type      = number
  sensitive = true
}
glow_provider "a" {
  name        = env("SB_TEST_OPENAI_KEY")
  description = regex(env("SB_TEST_PATTERN"), "x")
  endpoints   = [env("GLOW_TOKEN")]
  key "k" {
    value = upper(env("SB_TEST_OPENAI_KEY"))
  }
}
glow_provider "b" {
  for_each = toset([env("SB_TEST_OPENAI_KEY")])
  name     = each.key
}
`,
		"s.vars": "admin = \"" + secrets["varfile"] + "\"\n",
	})
	for _, dir := range []string{valid, invalid} {
		for _, flags := range [][]string{{"--no-color"}, {"--json"}} {
			args := append([]string{"validate", "--var-file", filepath.Join(dir, "s.vars"), "--var", "admin=" + secrets["admin"]}, flags...)
			code, out, errOut := runSwitchboard(t, append(args, dir)...)
			if (dir == valid) != (code == 0) {
				t.Errorf("%s %v: exit %d\n%s%s", dir, flags, code, out, errOut)
			}
			for name, s := range secrets {
				if strings.Contains(out+errOut, s) {
					t.Errorf("the %s secret is in the output of validate %v:\n%s%s", name, flags, out, errOut)
				}
			}
		}
	}
}

package main

import (
	"strings"
	"testing"
)

// complete runs cobra's hidden completion command as a shell does and
// returns the candidates it printed.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := runSwitchboard(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, ":") {
			got = append(got, line)
		}
	}
	return got
}

func TestCompletionOfFlagValues(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{
		"main.hcl": `
glow_provider "per_dept" {
  for_each = toset(["cs", "math"])
  name     = "P ${each.key}"
}
gateflow_provider "openai" {
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
}
`,
		"more.hcl": "glow_provider \"shared\" {\n  name = \"S\"\n}\n",
	})
	all := `gateflow_provider.openai glow_provider.per_dept glow_provider.per_dept["cs"] glow_provider.per_dept["math"] glow_provider.shared`
	if got := strings.Join(complete(t, "plan", dir, "--target", ""), " "); got != all {
		t.Errorf("plan --target: %s\nwant %s", got, all)
	}
	if got := strings.Join(complete(t, "apply", dir, "--rotate", "glow_provider.per"), " "); got != `glow_provider.per_dept glow_provider.per_dept["cs"] glow_provider.per_dept["math"]` {
		t.Errorf("apply --rotate glow_provider.per: %s", got)
	}
	for _, cmd := range []string{"plan", "show"} {
		if got := strings.Join(complete(t, cmd, "--format", ""), " "); got != "text json markdown" {
			t.Errorf("%s --format: %s", cmd, got)
		}
	}

	// A configuration that does not evaluate (a variable without a value)
	// still completes its blocks.
	broken := writeConfigFiles(t, map[string]string{
		"main.hcl": "variable \"depts\" {\n  type = set(string)\n}\nglow_provider \"per_dept\" {\n  for_each = var.depts\n  name = each.key\n}\n",
	})
	if got := strings.Join(complete(t, "plan", broken, "-target", ""), " "); got != "glow_provider.per_dept" {
		t.Errorf("plan -target in an unevaluable configuration: %q", got)
	}
}

func TestParallelismBelowOneRefused(t *testing.T) {
	dir := writeConfigFiles(t, map[string]string{"main.hcl": "glow_provider \"a\" {\n  name = \"A\"\n}\n"})
	for _, args := range [][]string{
		{"plan", "--parallelism", "0", dir},
		{"apply", "--parallelism=-3", dir},
		{"plan", "-parallelism=0", dir},
	} {
		code, out, errOut := runSwitchboard(t, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "Error: --parallelism must be at least 1, got ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

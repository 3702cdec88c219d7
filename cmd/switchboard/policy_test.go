package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/planner/render"
)

var examplePolicies = filepath.Join("..", "..", "examples", "policies")

// lineOf is the 1-based line of the first line of path containing s.
func lineOf(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", path, s)
	return 0
}

func totalCalls(w *world) int64 {
	var n int64
	for _, c := range w.emu.Stats().Operations {
		n += c
	}
	return n
}

// The shipped policies allow the applied example: plan --policy exits 0
// and says the check passed, in text and in the Markdown comment.
func TestPlanPolicyAllows(t *testing.T) {
	w, dir := appliedWorld(t)
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--detailed-exitcode", "--policy", examplePolicies, dir)
	w.assertNoSecret(t, out, errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	if want := fmt.Sprintf("Policy check passed: 0 denies, 0 warnings (3 policy files in %s).", examplePolicies); !strings.Contains(out, want) {
		t.Errorf("no %q in:\n%s", want, out)
	}
	code, md, errOut := runSwitchboard(t, "plan", "--format", "markdown", "--policy", examplePolicies, dir)
	if code != 0 || !strings.Contains(md, "**Policy check passed** (3 policy files in `"+examplePolicies+"`).") {
		t.Errorf("markdown: exit %d\n%s%s", code, md, errOut)
	}
}

// A plan that breaks the three shipped policies fails with each message
// and the file:line of the block it is about, in every format; nothing
// is saved for apply.
func TestPlanPolicyDenies(t *testing.T) {
	w, dir := appliedWorld(t)
	main := filepath.Join(dir, "main.hcl")
	// A provider that models use, pruned; the declared one moved into
	// production with one key, and to an endpoint off the allowlist.
	seed(t, w, legacySeed([]string{"cs"}, "gpt-4-legacy"))
	edit(t, main, `departments = ["cs"]`, `departments = ["cs", "prod"]`)
	edit(t, main, "glow {}", `glow { prune_departments = ["cs"] }`)
	edit(t, main, `endpoints   = ["https://api.openai.com/v1"]`, `endpoints   = ["https://llm.evil.example/v1"]`)
	at := fmt.Sprintf("%s:%d", main, lineOf(t, main, `glow_provider "openai_prod"`))

	planFile := filepath.Join(t.TempDir(), "plan.sbplan")
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--policy", examplePolicies, "--out", planFile, dir)
	w.assertNoSecret(t, out, errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"Policy check failed: 3 denies, 0 warnings (3 policy files in " + examplePolicies + ").",
		"  DENY " + at + `: glow_provider.openai_prod uses the endpoint "https://llm.evil.example/v1", which is not https on an allowed host`,
		"  DENY " + at + `: glow_provider.openai_prod is in the production department "prod" and has keys from 1 secret: production providers need two (data.switchboard.production_keys.deny)`,
		"  DENY undeclared.glow_provider[",
		"would be destroyed while 1 models use it (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if want := "Error: the policies in " + examplePolicies + " deny this plan (3 messages); the plan was not saved"; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if _, err := os.Stat(planFile); !os.IsNotExist(err) {
		t.Errorf("a denied plan was saved: %v", err)
	}

	code, js, errOut := runSwitchboard(t, "plan", "--format", "json", "--policy", examplePolicies, dir)
	var doc render.JSONPlan
	if err := json.Unmarshal([]byte(js), &doc); code != 1 || err != nil || doc.Switchboard.Policy == nil {
		t.Fatalf("json: exit %d, %v\n%s%s", code, err, js, errOut)
	}
	locations := map[string]int{}
	for _, f := range doc.Switchboard.Policy.Denies {
		locations[f.Address+" "+f.DeclaredAt]++
	}
	if line := lineOf(t, main, `glow_provider "openai_prod"`); locations[fmt.Sprintf("glow_provider.openai_prod main.hcl:%d", line)] != 2 || len(doc.Switchboard.Policy.Denies) != 3 {
		t.Errorf("json denies: %+v", doc.Switchboard.Policy.Denies)
	}
	if !strings.Contains(errOut, "  DENY "+at+": ") {
		t.Errorf("json: the denies are not in the log (stderr):\n%s", errOut)
	}

	code, md, errOut := runSwitchboard(t, "plan", "--format", "markdown", "--policy", examplePolicies, dir)
	for _, want := range []string{
		"> [!CAUTION]\n> **Policy denies this plan** (3 messages from `" + examplePolicies + "`).",
		"> - `" + at + "`: glow\\_provider.openai\\_prod uses the endpoint",
	} {
		if code != 1 || !strings.Contains(md, want) {
			t.Errorf("markdown: exit %d, lacks %q:\n%s%s", code, want, md, errOut)
		}
	}
}

// What a policy prints is its author's text over live data: control
// characters are escaped in the terminal and Markdown cannot be injected
// into the comment. A policy that does not parse fails the plan with its
// file:line before any service is called.
func TestPlanPolicyHostileAndBroken(t *testing.T) {
	w, dir := appliedWorld(t)
	hostile := writeConfigFiles(t, map[string]string{"p.rego": `package p

warn contains "\u001b[31mred\u001b[0m\nPlan: 0 to add, 0 to change, 0 to destroy.\n</details><!-- hidden" if true
`})
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--policy", hostile, dir)
	if code != 0 || strings.Contains(out, "\x1b") || strings.Contains(out, "\nPlan: 0 to add, 0 to change, 0 to destroy.\n") {
		t.Errorf("exit %d, escapes or a fake plan line reached the terminal:\n%q%s", code, out, errOut)
	}
	if !strings.Contains(out, `WARN \x1b[31mred\x1b[0m\nPlan: 0 to add`) {
		t.Errorf("the warning is not shown escaped:\n%s", out)
	}
	_, md, _ := runSwitchboard(t, "plan", "--format", "markdown", "--policy", hostile, dir)
	if strings.Contains(md, "</details><!--") || !strings.Contains(md, "&lt;/details&gt;&lt;!-- hidden") {
		t.Errorf("markdown injection:\n%s", md)
	}

	broken := writeConfigFiles(t, map[string]string{"p.rego": "package p\n\ndeny contains msg if {\n\tmsg :=\n}\n"})
	before := totalCalls(w)
	code, out, errOut = runSwitchboard(t, "plan", "--policy", broken, dir)
	if code != 1 || !strings.Contains(errOut, filepath.Join(broken, "p.rego")+":5: rego_parse_error") || out != "" {
		t.Errorf("exit %d, want 1 naming p.rego:5\n%s%s", code, out, errOut)
	}
	if n := totalCalls(w) - before; n != 0 {
		t.Errorf("a plan whose policies do not parse made %d calls", n)
	}
}

// show FILE --format json gives every change the declared_at that plan
// --format json gave it, from the plan file's embedded configuration
// (for_each instances included), without loading it.
func TestShowJSONDeclaredAt(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/anthropic", map[string]string{"api_key": "sk-ant-declared-0001"})
	dir := writeConfigFiles(t, map[string]string{"main.hcl": `glow {}

gateflow {}

vault {}

glow_provider "anthropic" {
  for_each    = toset(["cs", "math"])
  name        = "Anthropic ${each.key}"
  departments = [each.key]
  endpoints   = ["https://api.anthropic.com"]

  key "primary" {
    value = vault("secret/llm/anthropic", "api_key")
  }
}
`, "gateflow.hcl": `gateflow_provider "anthropic" {
  enabled     = true
  credentials = { api_key = vault("secret/llm/anthropic", "api_key") }
}
`})
	declared := func(js string) map[string]string {
		t.Helper()
		var doc render.JSONPlan
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			t.Fatalf("%v\n%s", err, js)
		}
		m := map[string]string{}
		for _, rc := range doc.ResourceChanges {
			m[rc.Address] = rc.Switchboard.DeclaredAt
		}
		return m
	}
	planFile := filepath.Join(t.TempDir(), "plan.sbplan")
	code, js, errOut := runSwitchboard(t, "plan", "--format", "json", "--out", planFile, dir)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, js, errOut)
	}
	fromPlan := declared(js)
	code, shown, errOut := runSwitchboard(t, "show", "--format", "json", planFile)
	if code != 0 {
		t.Fatalf("show: exit %d\n%s", code, errOut)
	}
	fromShow := declared(shown)
	anthropic := fmt.Sprintf("main.hcl:%d", lineOf(t, filepath.Join(dir, "main.hcl"), `glow_provider "anthropic"`))
	if fromPlan[`glow_provider.anthropic["math"]`] != anthropic || fromPlan["gateflow_provider.anthropic"] != "gateflow.hcl:1" || len(fromPlan) != 3 {
		t.Errorf("plan: %v, want the anthropic instances at %s", fromPlan, anthropic)
	}
	for a, at := range fromPlan {
		if fromShow[a] != at {
			t.Errorf("%s: show says %q, plan %q", a, fromShow[a], at)
		}
	}
}

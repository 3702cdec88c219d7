package main

// End-to-end tests of the plan contract (docs/plan-format.md, "Plan
// files"): a saved plan applies only to the instance and variables it was
// made with, exactly as show renders it, and `apply --reviewed` applies a
// merge commit only when its plan is the reviewed one.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/planfile"
)

func savePlan(t *testing.T, args ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "plan.sbplan")
	args = append([]string{"plan", "--no-color", "--out", file}, args...)
	if code, out, errOut := runSwitchboard(t, args...); code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	return file
}

// refused runs apply and checks that it failed, said every want, and made
// no write call to any of the emulators.
func refused(t *testing.T, worlds []*world, args []string, wants ...string) string {
	t.Helper()
	before := make([]int64, len(worlds))
	for i, w := range worlds {
		before[i] = w.writes()
	}
	code, out, errOut := runSwitchboard(t, args...)
	if code != 1 {
		t.Fatalf("%v: exit %d, want 1\n%s%s", args, code, out, errOut)
	}
	for _, want := range wants {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("%v: output lacks %q:\n%s%s", args, want, out, errOut)
		}
	}
	for i, w := range worlds {
		if n := w.writes() - before[i]; n != 0 {
			t.Errorf("%v: %d write calls to emulator %d, want 0", args, n, i)
		}
	}
	return out + errOut
}

func TestSavedPlanIsBoundToItsInstance(t *testing.T) {
	staging := newWorld(t)
	staging.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-staging-key-0001"})
	prod, prodURL := emulatortest.Start(t, emulator.Config{})
	prodWorld := &world{emu: prod, url: prodURL}
	file := savePlan(t, copyExample(t, "basic"))

	// Everything points at prod.
	t.Setenv("GLOW_INSTANCE_URL", prodURL)
	t.Setenv("GATEFLOW_URL", prodURL)
	refused(t, []*world{staging, prodWorld}, []string{"apply", file},
		"this plan was made against Glow "+staging.url+"; this apply points at "+prodURL,
		"this plan was made against Gateflow "+staging.url+"; this apply points at "+prodURL,
		"Nothing was changed.")

	// Only GLOW_INSTANCE_URL differs: refused all the same, and the
	// refusal names only what differs.
	t.Setenv("GATEFLOW_URL", staging.url)
	out := refused(t, []*world{staging, prodWorld}, []string{"apply", file}, "this plan was made against Glow "+staging.url)
	if strings.Contains(out, "Gateflow "+staging.url+";") {
		t.Errorf("the refusal names Gateflow, which did not change:\n%s", out)
	}

	// Another spelling of the same instance is the same instance.
	t.Setenv("GLOW_INSTANCE_URL", strings.ToUpper(staging.url[:4])+staging.url[4:]+"/")
	if code, out, errOut := runSwitchboard(t, "apply", "--no-color", file); code != 0 || !strings.Contains(out, "2 added") {
		t.Fatalf("apply where the plan was made: exit %d\n%s%s", code, out, errOut)
	}
	if n := prodWorld.writes(); n != 0 {
		t.Errorf("%d writes reached prod", n)
	}
}

func TestSavedPlanIsBoundToItsVariables(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/staging", map[string]string{"api_key": "sk-staging-var-0001"})
	w.putSecret(t, "secret/llm/prod", map[string]string{"api_key": "sk-prod-var-0002"})
	dir := writeConfigFiles(t, map[string]string{"main.hcl": `
variable "env" {
  type = string
}

glow {}
vault {}

glow_provider "openai" {
  name        = "OpenAI ${var.env}"
  departments = ["cs"]
  key "primary" {
    value = vault("secret/llm/${var.env}", "api_key")
  }
}
`})
	envs := t.TempDir()
	for env := range map[string]bool{"staging": true, "prod": true} {
		if err := os.WriteFile(filepath.Join(envs, env+".tfvars"), []byte(fmt.Sprintf("env = %q\n", env)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := savePlan(t, "--var-file", filepath.Join(envs, "staging.tfvars"), dir)
	refused(t, []*world{w}, []string{"apply", "--var-file", filepath.Join(envs, "prod.tfvars"), file},
		`this plan was made with var.env = "staging"; this apply sets "prod"`)
	t.Setenv("SWITCHBOARD_VAR_env", "prod")
	refused(t, []*world{w}, []string{"apply", file}, `var.env = "staging"; this apply sets "prod"`)
	if err := os.Unsetenv("SWITCHBOARD_VAR_env"); err != nil {
		t.Fatal(err)
	}

	// Without any variable, the file replays the values it was made with.
	if code, out, errOut := runSwitchboard(t, "apply", "--no-color", file); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	ps, _ := api.Collect(glowClient(t, w).Search(context.Background(), glow.SearchRequest{}))
	if len(ps) != 1 || ps[0].Name != "OpenAI staging" {
		t.Errorf("applied %+v, want the staging provider", ps)
	}
}

// editPlanFile rewrites a plan file's payload with edit and recomputes the
// checksum, as someone replacing a CI artifact with care would.
func editPlanFile(t *testing.T, file string, edit func(payload map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(env["payload"], &payload); err != nil {
		t.Fatal(err)
	}
	edit(payload)
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	out := fmt.Sprintf(`{"format":"switchboard-plan","format_version":%d,"sha256":%q,"payload":%s}`, planfile.FormatVersion, hex.EncodeToString(sum[:]), body)
	edited := filepath.Join(t.TempDir(), "edited.sbplan")
	if err := os.WriteFile(edited, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return edited
}

func change(payload map[string]any, addr string) map[string]any {
	for _, c := range payload["plan"].(map[string]any)["resource_changes"].([]any) {
		if c := c.(map[string]any); c["address"] == addr {
			return c
		}
	}
	panic("no change " + addr)
}

func TestEditedPlanFilesAreRefusedOrShowWhatTheyApply(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-tamper-mine-0001"})
	w.putSecret(t, "secret/llm/other-team", map[string]string{"api_key": "sk-tamper-theirs-0002"})
	dir := copyExample(t, "basic")
	created := savePlan(t, dir)
	const glowAddr = "glow_provider.openai_prod"

	for name, edit := range map[string]func(map[string]any){
		"description in the plan": func(p map[string]any) {
			change(p, glowAddr)["after"].(map[string]any)["description"] = "reviewed text"
		},
		"Vault path in the plan": func(p map[string]any) {
			keys := change(p, glowAddr)["after"].(map[string]any)["keys"].(map[string]any)
			keys["primary"].(map[string]any)["vault"] = "secret/llm/other-team#api_key"
		},
		"Vault path in the configuration": func(p map[string]any) {
			for _, f := range p["configuration"].(map[string]any)["files"].([]any) {
				f := f.(map[string]any)
				f["text"] = strings.ReplaceAll(f["text"].(string), "secret/llm/openai", "secret/llm/other-team")
			}
		},
		"Vault version in the metadata": func(p map[string]any) {
			for _, m := range p["vault_metadata"].([]any) {
				m.(map[string]any)["version"] = float64(7)
			}
		},
		"action": func(p map[string]any) {
			change(p, glowAddr)["actions"] = []any{"delete"}
		},
		"a change dropped": func(p map[string]any) {
			plan := p["plan"].(map[string]any)
			plan["resource_changes"] = plan["resource_changes"].([]any)[:1]
		},
	} {
		t.Run(name, func(t *testing.T) {
			refused(t, []*world{w}, []string{"apply", editPlanFile(t, created, edit)},
				"does not follow from its own configuration and live snapshot")
		})
	}

	// An edit that changes nothing the plan follows from is inert: the
	// file applies exactly what show displays.
	inert := editPlanFile(t, created, func(p map[string]any) { p["written_by"] = "someone else" })
	_, shown, _ := runSwitchboard(t, "show", "--no-color", inert)
	code, out, errOut := runSwitchboard(t, "apply", "--no-color", inert)
	if code != 0 || !strings.Contains(shown, "Production OpenAI API for TA training simulations") {
		t.Fatalf("inert edit: exit %d\n%s%s\nshow:\n%s", code, out, errOut, shown)
	}
	ps, _ := api.Collect(glowClient(t, w).Search(context.Background(), glow.SearchRequest{}))
	if len(ps) != 1 || ps[0].Description != "Production OpenAI API for TA training simulations" {
		t.Errorf("applied %+v, not what show displayed", ps)
	}
	w.assertNoSecret(t, shown, out, errOut)

	// An id in an update's plan, alone or with the live snapshot.
	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)
	update := savePlan(t, dir)
	refused(t, []*world{w}, []string{"apply", editPlanFile(t, update, func(p map[string]any) {
		change(p, glowAddr)["id"] = "00000000-0000-0000-0000-000000000000"
	})}, "does not follow")
	refused(t, []*world{w}, []string{"apply", editPlanFile(t, update, func(p map[string]any) {
		id := change(p, glowAddr)["id"]
		change(p, glowAddr)["id"] = "00000000-0000-0000-0000-000000000000"
		for _, g := range p["live"].(map[string]any)["glow"].([]any) {
			if g := g.(map[string]any); g["id"] == id {
				g["id"] = "00000000-0000-0000-0000-000000000000"
			}
		}
		change(p, glowAddr)["before"].(map[string]any)["id"] = "00000000-0000-0000-0000-000000000000"
		change(p, glowAddr)["after"].(map[string]any)["id"] = "00000000-0000-0000-0000-000000000000"
	})}, "00000000-0000-0000-0000-000000000000")
}

func TestApplyReviewed(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-reviewed-0001"})
	main := copyExample(t, "basic")
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", main); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	// Pull request 1 changes the Glow provider; its plan is reviewed.
	pr1 := copyDir(t, main)
	edit(t, filepath.Join(pr1, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)
	reviewed := savePlan(t, pr1)

	// Meanwhile pull request 2 changes the Gateflow provider, merges and
	// is applied: main moved, in a way pull request 1 does not touch.
	edit(t, filepath.Join(main, "main.hcl"), `default_model = "gpt-5.2"`, `default_model = "gpt-5.3"`)
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", main); code != 0 {
		t.Fatalf("apply of pull request 2: exit %d\n%s%s", code, out, errOut)
	}
	// The merge commit holds both changes.
	merge := copyDir(t, main)
	edit(t, filepath.Join(merge, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)

	// A merge commit that says something else is refused, with the
	// difference, and changes nothing.
	other := copyDir(t, merge)
	edit(t, filepath.Join(other, "main.hcl"), `timeout_s = "45"`, `timeout_s = "60"`)
	refused(t, []*world{w}, []string{"apply", "--reviewed", reviewed, other},
		"differs from the reviewed plan",
		`glow_provider.openai_prod: field values: reviewed`,
		`"after":"45"`, `"after":"60"`)

	code, out, errOut := runSwitchboard(t, "apply", "--no-color", "--reviewed", reviewed, merge)
	if code != 0 || !strings.Contains(out, "makes exactly the changes of the reviewed plan") || !strings.Contains(out, "0 added, 1 changed, 0 destroyed") {
		t.Fatalf("apply --reviewed: exit %d\n%s%s", code, out, errOut)
	}
	noChanges(t, merge)
}

// copyDir copies a configuration directory (its files, not subdirectories).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

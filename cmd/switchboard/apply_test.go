package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// noChanges asserts the plan of dir is empty, the way CI checks it.
func noChanges(t *testing.T, dir string) {
	t.Helper()
	if code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--detailed-exitcode", dir); code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0 (no changes)\n%s%s", code, out, errOut)
	}
}

func glowClient(t *testing.T, w *world) *glow.Client {
	t.Helper()
	c, err := glow.New(w.url, sensitive.New(emulatortest.GlowToken), api.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyUpdateRotateDestroyEachConverge(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-first-0001"})
	dir := copyExample(t, "basic")
	main := filepath.Join(dir, "main.hcl")
	var outputs []string
	apply := func(want string) {
		t.Helper()
		code, out, errOut := runSwitchboard(t, "apply", "--no-color", "--auto-approve", dir)
		outputs = append(outputs, out, errOut)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("apply: exit %d, want %q\n%s%s", code, want, out, errOut)
		}
		noChanges(t, dir)
	}

	apply("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")

	edit(t, main, `timeout_s = "30"`, `timeout_s = "45"`)
	apply("Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")

	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-second-0002"})
	apply("Apply complete! Resources: 0 added, 2 changed, 0 destroyed.")
	if got := decryptOnly(t, w); got != "sk-apply-second-0002" {
		t.Errorf("after rotation Glow holds another value than Vault's version 2")
	}

	// Removing a protected block is refused: its ownership marker
	// remembers prevent_destroy after the block is gone.
	protected, _ := os.ReadFile(main)
	cut(t, main, `glow_provider "openai_prod" {`, "\ngateflow_provider")
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, "glow_provider.openai_prod") || !strings.Contains(errOut, "prevent_destroy") {
		t.Fatalf("plan without the protected block: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(main, protected, 0o644); err != nil {
		t.Fatal(err)
	}
	// Taking the flag off is a change of the marker, which the plan shows.
	edit(t, main, "prevent_destroy = true", "prevent_destroy = false")
	apply("Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
	// Then removing the block destroys its provider, with no prune setting:
	// the provider carries this configuration's marker. Its key and the
	// endpoint Switchboard created go with it.
	cut(t, main, `glow_provider "openai_prod" {`, "\ngateflow_provider")
	apply("Apply complete! Resources: 0 added, 0 changed, 1 destroyed.")
	c := glowClient(t, w)
	keys, _ := api.Collect(c.ListKeys(context.Background()))
	eps, _ := api.Collect(c.ListEndpoints(context.Background()))
	if len(keys) != 0 || len(eps) != 0 {
		t.Errorf("left behind: keys %+v, endpoints %+v", keys, eps)
	}

	w.assertNoSecret(t, outputs...)
	// One decrypt: the test's own check above, none from Switchboard.
	if n := w.decrypts(); n != 1 {
		t.Errorf("%d decrypts, want only the test's own 1", n)
	}
}

func TestApplySavedPlanRefusesWhenStale(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-stale-0001"})
	dir := copyExample(t, "basic")
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)
	planFile := filepath.Join(t.TempDir(), "plan.sbplan")
	if code, _, errOut := runSwitchboard(t, "plan", "--out", planFile, dir); code != 0 {
		t.Fatal(errOut)
	}

	// Someone changes the provider in Glow after the review.
	c := glowClient(t, w)
	live, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{}))
	if err != nil || len(live) != 1 {
		t.Fatalf("search: %v %v", live, err)
	}
	desc := "changed by hand"
	if _, err := c.UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: live[0].ID, Patch: glow.Patch{Description: &desc}}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runSwitchboard(t, "apply", planFile)
	if code != 1 || !strings.Contains(out+errOut, "glow_provider.openai_prod") {
		t.Fatalf("stale plan: exit %d, want 1 naming the provider\n%s%s", code, out, errOut)
	}
	after, _ := c.GetProvider(context.Background(), live[0].ID)
	if after.Provider.Values["timeout_s"] != "30" || after.Provider.Description != desc {
		t.Errorf("a stale plan changed the provider: %+v", after.Provider)
	}

	// A fresh plan, applied from its file, completes.
	if code, _, errOut := runSwitchboard(t, "plan", "--out", planFile, dir); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, errOut := runSwitchboard(t, "apply", planFile); code != 0 {
		t.Fatalf("fresh plan: exit %d\n%s%s", code, out, errOut)
	}
	noChanges(t, dir)
}

// A plan file carries the configuration it was made from: editing the
// directory afterwards changes nothing of what applying the file does, and
// the file needs neither the directory nor the variables.
func TestApplySavedPlanAppliesItsOwnConfiguration(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-other-0001"})
	dir := copyExample(t, "basic")
	planFile := filepath.Join(t.TempDir(), "plan.sbplan")
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--out", planFile, dir)
	if code != 0 || !strings.Contains(out, "To perform exactly these actions, run:\n    switchboard apply "+planFile+"\n") {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "30"`, `timeout_s = "31"`)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runSwitchboard(t, "apply", "--no-color", planFile); code != 0 || !strings.Contains(out, "2 added") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	ps, _ := api.Collect(glowClient(t, w).Search(context.Background(), glow.SearchRequest{}))
	if len(ps) != 1 || ps[0].Values["timeout_s"] != "30" {
		t.Errorf("applied %+v, want the planned timeout_s 30", ps)
	}
	// The flags that shape a new plan cannot be given to a saved one,
	// even one that names a file that does not exist.
	for _, flags := range [][]string{{"--target", "glow_provider.openai_prod"}, {"--rotate", "glow_provider.openai_prod"},
		{"--destroy"}, {"--baseline", "/nonexistent"}} {
		code, _, errOut = runSwitchboard(t, append(append([]string{"apply"}, flags...), planFile)...)
		if code != 1 || !strings.Contains(errOut, flags[0]+" cannot be used when applying a plan file") {
			t.Errorf("%s with a plan file: exit %d: %s", flags[0], code, errOut)
		}
	}
}

func TestApplyWithoutTerminalNeedsAutoApprove(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-tty-0001"})
	code, out, errOut := runSwitchboard(t, "apply", copyExample(t, "basic"))
	if code != 1 || !strings.Contains(errOut, "--auto-approve") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if n := w.emu.Stats().Operations["glow.provider.create"]; n != 0 {
		t.Errorf("%d creates without approval", n)
	}
}

func decryptOnly(t *testing.T, w *world) string {
	t.Helper()
	c := glowClient(t, w)
	ps, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{}))
	if err != nil || len(ps) != 1 || len(ps[0].KeyIDs) != 1 {
		t.Fatalf("want one provider with one key: %+v %v", ps, err)
	}
	d, err := c.Decrypt(context.Background(), ps[0].ID, ps[0].KeyIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	return d.Value.Reveal()
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q (%v)", path, old, err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cut removes the text from start up to (not including) end.
func cut(t *testing.T, path, start, end string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	s := string(b)
	i := strings.Index(s, start)
	j := strings.Index(s[i+1:], end)
	if i < 0 || j < 0 {
		t.Fatalf("%s: cannot cut %q..%q", path, start, end)
	}
	if err := os.WriteFile(path, []byte(s[:i]+s[i+1+j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

package main

// End-to-end tests of ownership (docs/ownership.md): the real CLI against
// the emulator and a real Vault.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/sensitive"
)

func applyOK(t *testing.T, want string, args ...string) string {
	t.Helper()
	code, out, errOut := runSwitchboard(t, append([]string{"apply", "--no-color", "--auto-approve"}, args...)...)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("apply %v: exit %d, want %q\n%s%s", args, code, want, out, errOut)
	}
	return out
}

func planText(t *testing.T, dir string) (int, string) {
	t.Helper()
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	return code, out + errOut
}

func onlyProvider(t *testing.T, c *glow.Client) glow.Provider {
	t.Helper()
	ps, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{}))
	if err != nil || len(ps) != 1 {
		t.Fatalf("want one provider: %+v %v", ps, err)
	}
	return ps[0]
}

func TestRenamesAreUpdatesInPlace(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-rename-0001"})
	dir := copyExample(t, "basic")
	main := filepath.Join(dir, "main.hcl")
	applyOK(t, "2 added", dir)
	c := glowClient(t, w)
	before := onlyProvider(t, c)
	models, err := c.CreateModels(context.Background(), []glow.ModelInput{{Name: "gpt-chat", ProviderID: before.ID}})
	if err != nil {
		t.Fatal(err)
	}

	edit(t, main, `name        = "OpenAI Production"`, `name        = "OpenAI Prod"`)
	edit(t, main, `departments = ["cs"]`, `departments = ["cs", "math"]`)
	code, out := planText(t, dir)
	for _, want := range []string{
		"# glow_provider.openai_prod will be updated in-place",
		`~ name        = "OpenAI Production" -> "OpenAI Prod"`,
		`+ "math",`,
		"Plan: 0 to add, 1 to change, 0 to destroy.",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	applyOK(t, "0 added, 1 changed, 0 destroyed", dir)

	// Renaming the block label keeps the provider too.
	edit(t, main, `glow_provider "openai_prod" {`, `glow_provider "openai" {`)
	if code, out := planText(t, dir); code != 0 || !strings.Contains(out, "# glow_provider.openai (moved from glow_provider.openai_prod) will be updated in-place") {
		t.Errorf("label rename:\n%s", out)
	}
	applyOK(t, "0 added, 1 changed, 0 destroyed", dir)
	noChanges(t, dir)

	after := onlyProvider(t, c)
	if after.ID != before.ID || after.Name != "OpenAI Prod" {
		t.Errorf("provider %s %q, want the same id %s renamed", after.ID, after.Name, before.ID)
	}
	ms, _ := api.Collect(c.SearchModels(context.Background()))
	if len(ms) != 1 || ms[0].ProviderID != before.ID || ms[0].ID != models[0].ID {
		t.Errorf("models %+v: the model must still point at the provider", ms)
	}
}

// humanWorld is a world with a second Glow token, a person's, whose
// drafts Switchboard's token does not list.
func humanWorld(t *testing.T) (*world, *glow.Client) {
	t.Helper()
	w := newWorldWith(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: emulatortest.GlowToken, ActorName: emulatortest.ActorName},
		{Token: "glow-human-token", ActorName: "a person"},
	}})
	c, err := glow.New(w.url, sensitive.New("glow-human-token"), api.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

func TestHandMadeProvidersAreNotAdoptedSilently(t *testing.T) {
	w, human := humanWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-adopt-0001"})
	c := human
	keys, err := c.CreateKeys(context.Background(), []glow.KeyInput{{Name: "by hand", Value: sensitive.New("sk-hand-made-0002")}})
	if err != nil {
		t.Fatal(err)
	}
	w.planted = append(w.planted, "sk-hand-made-0002")
	created, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{
		Name: "OpenAI Production", Description: "made in the Glow UI", DepartmentIDs: []string{"cs", "math"},
		KeyIDs: []string{keys[0].ID}, Values: map[string]string{"team": "math"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := created[0].ProviderID
	dir := copyExample(t, "basic")
	before := w.writes()
	code, out := planText(t, dir)
	for _, want := range []string{id, `"OpenAI Production"`, "departments cs, math", "switchboard import", `id = "` + id + `"`, "adopt = true"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("plan: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
	if code, _, _ := runSwitchboard(t, "apply", "--auto-approve", dir); code != 1 || w.writes() != before {
		t.Errorf("apply: exit %d, %d writes: a name clash must change nothing", code, w.writes()-before)
	}

	// adopt = true: an adoption, listing every field it changes.
	edit(t, filepath.Join(dir, "main.hcl"), `departments = ["cs"]`, "departments = [\"cs\"]\n  adopt       = true")
	code, out = planText(t, dir)
	for _, want := range []string{
		"# glow_provider.openai_prod will be adopted and updated in-place",
		"the block sets adopt = true",
		`~ description = "made in the Glow UI" -> "Production OpenAI API for TA training simulations"`,
		`- "math",`,
		`- "team"`,
		"Plan: 1 to adopt, 1 to add, 1 to change, 0 to destroy.",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("adoption plan lacks %q:\n%s", want, out)
		}
	}
	applyOK(t, "1 added, 1 changed, 0 destroyed", dir)
	p := onlyProvider(t, c)
	_, own := objects.SplitMarker(p.Values)
	if p.ID != id || !own.OwnedBy("default") || own.Marker.Address != "glow_provider.openai_prod" {
		t.Errorf("adopted provider %s: ownership %+v", p.ID, own)
	}
	// The adopted provider is this configuration's now: adopt stays
	// harmless, and the plan is empty.
	noChanges(t, dir)
}

func TestRemovedBlocksDestroyOnlyWhatTheyOwn(t *testing.T) {
	w, human := humanWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-removed-0001"})
	c := glowClient(t, w)
	if _, err := human.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "Someone else's", DepartmentIDs: []string{"cs"}}}); err != nil {
		t.Fatal(err)
	}
	dir := copyExample(t, "basic")
	main := filepath.Join(dir, "main.hcl")
	edit(t, main, "prevent_destroy = true", "prevent_destroy = false")
	applyOK(t, "2 added", dir)
	cut(t, main, `glow_provider "openai_prod" {`, "\ngateflow_provider")
	code, out := planText(t, dir)
	for _, want := range []string{
		"# glow_provider.openai_prod will be destroyed",
		"# (because glow_provider.openai_prod is not in the configuration)",
		`- name        = "OpenAI Production" -> null`,
		"Unmanaged objects",
		`(name "Someone else's", departments cs)`,
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	// --target selects the one removed address.
	if code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--target", "glow_provider.openai_prod", dir); code != 0 || !strings.Contains(out, "0 to add, 0 to change, 1 to destroy") {
		t.Errorf("targeted plan: exit %d\n%s%s", code, out, errOut)
	}
	applyOK(t, "0 added, 0 changed, 1 destroyed", dir)
	if p := onlyProvider(t, c); p.Name != "Someone else's" {
		t.Errorf("left %q, want the hand-made provider", p.Name)
	}
	noChanges(t, dir)
}

// Replacing a provider by another with the same endpoint never leaves the
// new one without it: creates run before destroys, and the endpoint is
// collected only once nothing uses it.
func TestReplacementKeepsTheSharedEndpoint(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-replace-0001"})
	dir := copyExample(t, "basic")
	main := filepath.Join(dir, "main.hcl")
	edit(t, main, "prevent_destroy = true", "prevent_destroy = false")
	applyOK(t, "2 added", dir)
	edit(t, main, `glow_provider "openai_prod" {`, `glow_provider "openai_next" {`)
	edit(t, main, `name        = "OpenAI Production"`, `name        = "OpenAI Next"`)
	applyOK(t, "1 added, 0 changed, 1 destroyed", dir)
	c := glowClient(t, w)
	p := onlyProvider(t, c)
	eps, _ := api.Collect(c.ListEndpoints(context.Background()))
	if p.Name != "OpenAI Next" {
		t.Errorf("after the replacement: provider name = %q, want %q", p.Name, "OpenAI Next")
	}
	if len(p.KeyIDs) != 1 {
		t.Errorf("after the replacement: provider key_ids = %v, want 1", p.KeyIDs)
	}
	if len(p.EndpointIDs) != 1 || len(eps) != 1 {
		t.Errorf("after the replacement: provider endpoint_ids = %v and endpoints %+v, want 1 each", p.EndpointIDs, eps)
	} else if eps[0].ID != p.EndpointIDs[0] {
		t.Errorf("after the replacement: endpoint ID = %q, want the provider's %q", eps[0].ID, p.EndpointIDs[0])
	}
	noChanges(t, dir)
}

func TestScopedTokenPlanSaysWhatItCannotSee(t *testing.T) {
	w := newWorldWith(t, emulator.Config{GlowTokens: []emulator.GlowToken{{Token: "glow-scoped-token", ActorName: "cs-bot", Departments: []string{"cs"}}}})
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-scoped-0001"})
	dir := copyExample(t, "basic")
	edit(t, filepath.Join(dir, "main.hcl"), `departments = ["cs"]`, `departments = ["cs", "math"]`)
	before := w.writes()
	code, out := planText(t, dir)
	if code != 1 || !strings.Contains(out, "scoped to departments cs and cannot see providers in departments cs, math") {
		t.Errorf("plan: exit %d\n%s", code, out)
	}
	if n := w.writes() - before; n != 0 {
		t.Errorf("%d writes", n)
	}
	edit(t, filepath.Join(dir, "main.hcl"), `departments = ["cs", "math"]`, `departments = ["cs"]`)
	applyOK(t, "2 added", dir)
}

func TestRemovingTheLastKeyDetachesAndDeletesIt(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-lastkey-0001"})
	dir := copyExample(t, "basic")
	applyOK(t, "2 added", dir)
	cut(t, filepath.Join(dir, "main.hcl"), `  key "primary" {`, "\n  lifecycle")
	if code, out := planText(t, dir); code != 0 || !strings.Contains(out, `- "primary" = (sensitive value) -> null`) {
		t.Errorf("plan:\n%s", out)
	}
	applyOK(t, "0 added, 1 changed, 0 destroyed", dir)
	c := glowClient(t, w)
	keys, _ := api.Collect(c.ListKeys(context.Background()))
	if p := onlyProvider(t, c); len(p.KeyIDs) != 0 || len(keys) != 0 {
		t.Errorf("provider keys %v, Glow keys %+v: want none", p.KeyIDs, keys)
	}
	noChanges(t, dir)
}

// A create that fails after its key exists (the provider create's answers
// are lost: Glow may or may not hold a provider with the key) leaves the
// key behind; the next plan lists it and its apply converges to exactly
// the configuration, with nothing left over.
func TestInterruptedApplyLeavesNothingOrphaned(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-orphan-0001"})
	dir := copyExample(t, "basic")
	if err := w.emu.ScriptFaults(emulator.FaultScript{FailNext: 2, Status: 502, OnlyOps: []string{"glow.provider.create"}}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runSwitchboard(t, "apply", "--no-color", "--auto-approve", dir); code != 1 {
		t.Fatalf("apply under faults: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if err := w.emu.ScriptFaults(emulator.FaultScript{}); err != nil {
		t.Fatal(err)
	}
	code, js, errOut := runSwitchboard(t, "plan", "--format", "json", dir)
	var doc struct {
		Switchboard struct {
			Orphans []struct {
				Kind string `json:"kind"`
			} `json:"orphans"`
		} `json:"switchboard"`
	}
	if err := json.Unmarshal([]byte(js), &doc); code != 0 || err != nil || len(doc.Switchboard.Orphans) == 0 {
		t.Fatalf("plan after the interruption: exit %d, orphans %+v (%v)\n%s%s", code, doc.Switchboard.Orphans, err, js, errOut)
	}
	applyOK(t, "Apply complete!", dir)
	noChanges(t, dir)
	c := glowClient(t, w)
	p := onlyProvider(t, c)
	keys, _ := api.Collect(c.ListKeys(context.Background()))
	drafts, _ := api.Collect(c.ListDrafts(context.Background()))
	if len(keys) != 1 || len(p.KeyIDs) != 1 {
		t.Errorf("left behind: keys %+v (provider has %v), want 1 each", keys, p.KeyIDs)
	} else if keys[0].ID != p.KeyIDs[0] {
		t.Errorf("left behind: key %q, want the provider's %q", keys[0].ID, p.KeyIDs[0])
	}
	if len(drafts) != 0 {
		t.Errorf("left behind: drafts %+v, want none", drafts)
	}
}

// Two configurations with their own owners manage one Glow: neither sees
// the other's providers as its own, neither destroys them, and a name
// clash names the owning configuration.
func TestTwoOwnersNeverTouchEachOther(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-owners-0001"})
	team := func(owner, name string) string {
		return writeConfigFiles(t, map[string]string{"main.hcl": `
glow {
  owner = "` + owner + `"
}
vault {}

glow_provider "openai" {
  name        = "` + name + `"
  departments = ["cs"]
  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }
}
`})
	}
	a, b := team("team-a", "OpenAI A"), team("team-b", "OpenAI B")
	applyOK(t, "1 added", a)
	applyOK(t, "1 added", b)
	noChanges(t, a)
	noChanges(t, b)
	if code, out := planText(t, a); code != 0 || !strings.Contains(out, `owned by configuration "team-b"`) {
		t.Errorf("team-a's plan does not list team-b's provider as unmanaged:\n%s", out)
	}

	// team-a removes its block: only its own provider goes.
	if err := os.WriteFile(filepath.Join(a, "main.hcl"), []byte("glow {\n  owner = \"team-a\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	applyOK(t, "0 added, 0 changed, 1 destroyed", a)
	if p := onlyProvider(t, glowClient(t, w)); p.Name != "OpenAI B" {
		t.Errorf("left %q, want team-b's provider", p.Name)
	}
	noChanges(t, b)

	// team-a declares team-b's name: refused, naming team-b.
	c := team("team-a", "OpenAI B")
	if code, out := planText(t, c); code != 1 || !strings.Contains(out, `belongs to configuration "team-b"`) {
		t.Errorf("name clash with another owner: exit %d\n%s", code, out)
	}
}

// With the baseline of the last apply, a new Vault version is a rotation,
// never drift; a change made by hand is drift.
func TestRotationIsNotDriftWithABaseline(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-drift-0001"})
	dir := copyExample(t, "basic")
	applied := savePlan(t, dir)
	if code, out, errOut := runSwitchboard(t, "apply", "--no-color", applied); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-drift-0002"})
	code, js, errOut := runSwitchboard(t, "plan", "--format", "json", "--baseline", applied, dir)
	var doc struct {
		Changes []struct {
			Address     string `json:"address"`
			Switchboard struct {
				Drift     bool              `json:"drift"`
				Rotations []json.RawMessage `json:"rotations"`
			} `json:"switchboard"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &doc); code != 0 || err != nil {
		t.Fatalf("plan: exit %d, %v\n%s%s", code, err, js, errOut)
	}
	rotations := 0
	for _, rc := range doc.Changes {
		c := rc.Switchboard
		rotations += len(c.Rotations)
		if c.Drift {
			t.Errorf("%s: a rotation labelled drift", rc.Address)
		}
	}
	if rotations != 2 {
		t.Errorf("%d rotations, want 2 (the Glow key and the Gateflow credential)", rotations)
	}
}

// Switching a provider's endpoint deletes the endpoint Switchboard made
// once nothing uses it; an endpoint made by hand stays.
func TestSwitchedEndpointIsCleanedUp(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-switch-0001"})
	c := glowClient(t, w)
	hand, err := c.CreateEndpoints(context.Background(), []glow.EndpointInput{{URL: "https://hand.example.com/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := copyExample(t, "basic")
	main := filepath.Join(dir, "main.hcl")
	applyOK(t, "2 added", dir)
	edit(t, main, `"https://api.openai.com/v1"`, `"https://eu.api.openai.com/v1"`)
	applyOK(t, "0 added, 1 changed", dir)
	eps, _ := api.Collect(c.ListEndpoints(context.Background()))
	urls := map[string]bool{}
	for _, e := range eps {
		urls[e.URL] = true
	}
	if len(eps) != 2 || !urls["https://eu.api.openai.com/v1"] || !urls[hand[0].URL] {
		t.Errorf("endpoints after the switch: %+v; want the new one and the hand-made one", eps)
	}
	noChanges(t, dir)
}

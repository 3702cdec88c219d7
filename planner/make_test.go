package planner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const makeConfig = `
glow {}
gateflow {}
vault {}

glow_provider "openai" {
  name      = "OpenAI"
  endpoints = ["https://api.openai.com/v1"]
  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }
}

gateflow_provider "openai" {
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
}
`

// makeWorld is an emulator holding one provider made by hand, clients of
// it, and the configuration above.
func makeWorld(t *testing.T) (*emulator.Server, planner.Deps, *config.Config) {
	t.Helper()
	emu, url := emulatortest.Start(t, emulator.Config{})
	gc, err := glow.New(url, sensitive.New(emulatortest.GlowToken))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := gateflow.New(url, sensitive.New(emulatortest.AdminKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gc.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "by hand"}}); err != nil {
		t.Fatal(err)
	}
	meta := metaReader{{Path: "secret/llm/openai", Key: "api_key", Version: 4, CreatedTime: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}}
	deps := planner.Deps{Clients: dump.Clients{Glow: gc, Gateflow: fc}, Secrets: meta}
	cfg := load(t, []config.SourceFile{{Name: "main.hcl", Content: []byte(makeConfig)}}, nil)
	return emu, deps, cfg
}

func actionOf(t *testing.T, p *plan.Plan, address string) plan.Action {
	t.Helper()
	for _, c := range p.Changes {
		if c.Address == address {
			return c.Action()
		}
	}
	t.Fatalf("no change for %s in %d changes", address, len(p.Changes))
	return ""
}

// TestMake plans against the emulator: it reads both services and the
// Vault metadata, records what a plan file needs, and writes nothing.
func TestMake(t *testing.T) {
	emu, deps, cfg := makeWorld(t)
	before := emu.Stats()
	res, err := planner.Make(context.Background(), cfg, deps, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := actionOf(t, res.Plan, "glow_provider.openai"); got != plan.ActionCreate {
		t.Errorf("glow_provider.openai: %s, want create", got)
	}
	if got := actionOf(t, res.Plan, "gateflow_provider.openai"); got != plan.ActionCreate {
		t.Errorf("gateflow_provider.openai: %s, want create", got)
	}
	// The provider made by hand is not this configuration's: no change
	// destroys it.
	for _, c := range res.Plan.Changes {
		if c.ProviderName == "by hand" && c.Action() != plan.ActionNoOp {
			t.Errorf("%s (by hand): %s", c.Address, c.Action())
		}
	}
	if len(res.Live.Glow) != 1 {
		t.Errorf("live snapshot has %d Glow providers, want the one made by hand", len(res.Live.Glow))
	}
	want := planfile.SecretVersion{Path: "secret/llm/openai", Key: "api_key", Version: 4}
	if len(res.VaultMetadata) != 1 {
		t.Fatalf("VaultMetadata %+v, want one entry for the one secret referenced twice", res.VaultMetadata)
	}
	if got := res.VaultMetadata[0]; got.Path != want.Path || got.Key != want.Key || got.Version != want.Version {
		t.Errorf("VaultMetadata[0] %+v, want %+v", got, want)
	}
	if res.Plan.LiveReadAt.IsZero() {
		t.Error("the plan does not say when it read the live state")
	}
	if res.Binding.Owner != config.DefaultOwner {
		t.Errorf("binding owner %q, want %q", res.Binding.Owner, config.DefaultOwner)
	}
	after := emu.Stats()
	if after.Decrypts != before.Decrypts {
		t.Errorf("%d decrypt calls: a plan never reads a key's value", after.Decrypts-before.Decrypts)
	}
	for op, n := range after.Operations {
		if n == before.Operations[op] {
			continue
		}
		for _, write := range []string{"create", "update", "delete", "configure", "publish"} {
			if strings.Contains(op, write) {
				t.Errorf("plan called %s, a %s, %d times", op, write, n-before.Operations[op])
				break
			}
		}
	}
}

// TestMakeTargets limits the plan to the targeted address, and refuses an
// address that does not parse before reading anything.
func TestMakeTargets(t *testing.T) {
	emu, deps, cfg := makeWorld(t)
	res, err := planner.Make(context.Background(), cfg, deps, planner.Options{Targets: []string{"glow_provider.openai"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := actionOf(t, res.Plan, "glow_provider.openai"); got != plan.ActionCreate {
		t.Errorf("targeted glow_provider.openai: %s, want create", got)
	}
	for _, c := range res.Plan.Changes {
		if c.Address == "gateflow_provider.openai" && c.Action() != plan.ActionNoOp {
			t.Errorf("untargeted gateflow_provider.openai: %s", c.Action())
		}
	}
	if got := res.Options.Targets; len(got) != 1 || got[0] != "glow_provider.openai" {
		t.Errorf("recorded targets %q", got)
	}

	before := emu.Stats()
	_, err = planner.Make(context.Background(), cfg, deps, planner.Options{Targets: []string{"glow_provider."}})
	if err == nil || !strings.Contains(err.Error(), "--target") {
		t.Errorf("a malformed target: %v, want an error naming --target", err)
	}
	if n := total(emu.Stats()) - total(before); n != 0 {
		t.Errorf("%d calls before refusing a malformed target", n)
	}
}

func total(s emulator.Stats) int64 {
	var n int64
	for _, c := range s.Operations {
		n += c
	}
	return n
}

// TestMakeRecordsVaultMetadataInOrder: a plan file's vault_metadata has
// one entry per reference (path, key, pinned version), sorted by path,
// then key, then pinned version, with what Vault said of each.
func TestMakeRecordsVaultMetadataInOrder(t *testing.T) {
	_, deps, _ := makeWorld(t)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	deps.Secrets = metaReader{
		{Path: "secret/llm/b", Key: "api_key", Version: 7, CreatedTime: t0},
		{Path: "secret/llm/a", Key: "other", Version: 3, CreatedTime: t0},
		{Path: "secret/llm/a", Key: "api_key", Version: 5, CreatedTime: t0},
	}
	src := `
glow {}
vault {}
glow_provider "b" {
  name = "B"
  key "primary" { value = vault("secret/llm/b", "api_key") }
}
glow_provider "a2" {
  name = "A2"
  key "primary" { value = vault("secret/llm/a", "api_key", 2) }
  key "other" { value = vault("secret/llm/a", "other") }
}
glow_provider "a" {
  name = "A"
  key "primary" { value = vault("secret/llm/a", "api_key") }
}
`
	cfg := load(t, []config.SourceFile{{Name: "main.hcl", Content: []byte(src)}}, nil)
	res, err := planner.Make(context.Background(), cfg, deps, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []planfile.SecretVersion{
		{Path: "secret/llm/a", Key: "api_key", Version: 5, CreatedTime: t0},
		{Path: "secret/llm/a", Key: "api_key", Pinned: 2, Version: 5, CreatedTime: t0},
		{Path: "secret/llm/a", Key: "other", Version: 3, CreatedTime: t0},
		{Path: "secret/llm/b", Key: "api_key", Version: 7, CreatedTime: t0},
	}
	if len(res.VaultMetadata) != len(want) {
		t.Fatalf("VaultMetadata %+v, want %+v", res.VaultMetadata, want)
	}
	for i := range want {
		if got := res.VaultMetadata[i]; got != want[i] {
			t.Errorf("VaultMetadata[%d] %+v, want %+v", i, got, want[i])
		}
	}
}

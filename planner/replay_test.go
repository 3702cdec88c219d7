package planner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

type secretsMetadata = secrets.Metadata

const replayConfig = `
glow { url = "https://glow.example" }
gateflow { url = "https://gateflow.example" }
vault { address = "https://vault.example" }

glow_provider "openai" {
  name        = "OpenAI"
  description = "reviewed"
  departments = ["cs"]
  endpoints   = ["https://api.openai.com/v1"]
  values      = { tier = "gold" }
  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }
}

glow_provider "claude" {
  name = "Claude"
  key "primary" {
    value = vault("secret/llm/claude", "api_key")
  }
}

gateflow_provider "openai" {
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
  settings    = { timeout_ms = 30000 }
}
`

// recorded builds a plan file payload the way plan --out does, from a
// configuration in memory and a live snapshot, without any service.
func recorded(t *testing.T) (*config.Config, *planfile.Payload) {
	t.Helper()
	cfg := load(t, []config.SourceFile{{Name: "main.hcl", Content: []byte(replayConfig)}}, nil)
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	meta := []planfile.SecretVersion{
		{Path: "secret/llm/openai", Key: "api_key", Version: 4, CreatedTime: created.Add(-time.Hour)},
		{Path: "secret/llm/claude", Key: "api_key", Version: 1, CreatedTime: created.Add(-48 * time.Hour)},
	}
	old := created.Add(-24 * time.Hour)
	live := objects.Snapshot{
		Glow: []objects.GlowProvider{{
			ID: "prv_1", Name: "OpenAI", Description: "old", Departments: objects.NewSet("cs"), Version: 3, UpdatedAt: old,
			Ownership: objects.Ownership{Marker: &objects.OwnerMarker{Owner: config.DefaultOwner, Address: "glow_provider.openai"}},
			Keys: objects.Keys{{Label: "primary", KeyID: "k1", Name: "primary (vault:secret/llm/openai#api_key@v3)",
				Source: secretref.Source{VaultPath: "secret/llm/openai", VaultKey: "api_key", Version: 3}, Marked: true}},
		}, {ID: "prv_9", Name: "by hand", Departments: objects.NewSet("math"), Version: 1}},
		Gateflow: []objects.GateflowProvider{{ProviderID: "openai"}},
		GlowKeys: []objects.LiveKey{{ID: "k1", Name: "primary (vault:secret/llm/openai#api_key@v3)"},
			{ID: "k9", Name: secretref.OwnedKeyName("primary", secretref.Source{VaultPath: "secret/x", VaultKey: "k", Version: 1}, config.DefaultOwner)}},
		GlowScope: &objects.TokenScope{Known: true, Actor: "ci"},
	}
	pl := &planfile.Payload{Live: live, VaultMetadata: meta, Binding: planner.NewBinding(cfg, live.GlowScope, nil)}
	p, err := diff.Diff(desiredOf(t, cfg, meta), live, diff.Options{Now: created, ConfigChecksum: planner.ConfigChecksum(cfg), Owner: config.DefaultOwner, Scope: live.GlowScope})
	if err != nil {
		t.Fatal(err)
	}
	pl.Plan = p
	return cfg, roundTrip(t, pl)
}

func desiredOf(t *testing.T, cfg *config.Config, meta []planfile.SecretVersion) objects.Snapshot {
	t.Helper()
	d, err := planner.Desired(context.Background(), cfg, metaReader(meta), 1)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func load(t *testing.T, files []config.SourceFile, planned map[string]string) *config.Config {
	t.Helper()
	cfg, diags := config.Load("providers", config.LoadOptions{FS: config.MemFS(files), PlannedVars: planned, Env: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func roundTrip(t *testing.T, pl *planfile.Payload) *planfile.Payload {
	t.Helper()
	b, err := json.Marshal(pl)
	if err != nil {
		t.Fatal(err)
	}
	var out planfile.Payload
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestReplayGivesTheRecordedPlan(t *testing.T) {
	cfg, pl := recorded(t)
	res, err := planner.Replay(context.Background(), cfg, pl)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Summary.Add != 2 || res.Plan.Summary.Change != 1 || res.Plan.Summary.Orphans != 1 {
		t.Errorf("summary %+v", res.Plan.Summary)
	}
	// The typed objects apply hands to crud are there again.
	for _, c := range res.Plan.Changes {
		if c.Type == objects.TypeGlowProvider && c.Subjects.GlowDesired == nil {
			t.Errorf("%s has no desired object", c.Address)
		}
	}
}

// Every scalar of the recorded plan, changed alone, makes the file refused:
// nothing show renders can differ from what apply executes.
func TestReplayRefusesEveryEditOfThePlan(t *testing.T) {
	cfg, pl := recorded(t)
	raw, err := json.Marshal(pl.Plan)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	edits := 0
	var walk func(v any, path string, set func(any))
	walk = func(v any, path string, set func(any)) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, path+"."+k, func(n any) { x[k] = n })
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i), func(n any) { x[i] = n })
			}
		default:
			var edited any
			switch x := x.(type) {
			case string:
				edited = x + "x"
			case float64:
				edited = x + 1
			case bool:
				edited = !x
			case nil:
				edited = "x"
			}
			set(edited)
			defer set(v)
			b, err := json.Marshal(tree)
			if err != nil {
				t.Fatal(err)
			}
			copyPl := *pl
			if err := json.Unmarshal(b, &copyPl.Plan); err != nil {
				return // not a plan any more: Read refuses such a file
			}
			edits++
			if _, err := planner.Replay(context.Background(), cfg, &copyPl); !errors.Is(err, planner.ErrTampered) {
				t.Errorf("plan%s edited: Replay = %v, want a refusal", path, err)
			}
		}
	}
	walk(tree, "", func(any) {})
	if edits < 100 {
		t.Errorf("only %d edits tried", edits)
	}
}

// The embedded configuration and the recorded metadata decide the plan, so
// editing one of them alone is refused too.
func TestReplayRefusesEditsOfWhatThePlanFollowsFrom(t *testing.T) {
	cfg, pl := recorded(t)
	other := load(t, []config.SourceFile{{Name: "main.hcl", Content: []byte(replayConfig + "\n# a comment\n")}}, nil)
	if _, err := planner.Replay(context.Background(), other, pl); !errors.Is(err, planner.ErrTampered) {
		t.Errorf("another configuration: %v", err)
	}
	moved := *pl
	moved.VaultMetadata = append([]planfile.SecretVersion{}, pl.VaultMetadata...)
	moved.VaultMetadata[0].Version = 5
	if _, err := planner.Replay(context.Background(), cfg, &moved); !errors.Is(err, planner.ErrTampered) {
		t.Errorf("another Vault version: %v", err)
	}
	gone := *pl
	gone.VaultMetadata = pl.VaultMetadata[1:]
	if _, err := planner.Replay(context.Background(), cfg, &gone); !errors.Is(err, planner.ErrTampered) {
		t.Errorf("missing Vault metadata: %v", err)
	}
	redacted := *pl
	redacted.Redactions = 2
	if _, err := planner.Replay(context.Background(), cfg, &redacted); err == nil {
		t.Error("a file with credentials cut out was replayed")
	}
}

type metaReader []planfile.SecretVersion

func (m metaReader) Metadata(_ context.Context, ref secretref.VaultRef) (secretsMetadata, error) {
	for _, v := range m {
		if v.Path == ref.Path && v.Key == ref.Key {
			return secretsMetadata{Version: v.Version, CreatedTime: v.CreatedTime}, nil
		}
	}
	return secretsMetadata{}, fmt.Errorf("no metadata for %s", ref)
}

func TestUndeclaredTargets(t *testing.T) {
	cfg, pl := recorded(t)
	for _, target := range []string{"undeclared.glow_provider", `undeclared.glow_provider["prv_9"]`} {
		pl := *pl
		pl.Options.Targets = []string{target}
		_, err := planner.Replay(context.Background(), cfg, &pl)
		// The recorded plan has no targets, so the re-derived one differs;
		// what matters is that the target itself is understood.
		if err == nil || !errors.Is(err, planner.ErrTampered) {
			t.Errorf("%s: %v", target, err)
		}
	}
	pl.Options.Targets = []string{"undeclared.model"}
	if _, err := planner.Replay(context.Background(), cfg, pl); err == nil || errors.Is(err, planner.ErrTampered) {
		t.Errorf("undeclared.model: %v, want an address error", err)
	}
}

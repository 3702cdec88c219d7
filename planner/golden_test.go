package planner_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/planner/state"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/planner")

var (
	now      = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	lastSet  = time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	newer    = time.Date(2025, 2, 20, 8, 30, 0, 0, time.UTC)
	older    = time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	liveEdit = time.Date(2025, 2, 25, 16, 45, 0, 0, time.UTC)
)

func vault(path, key string, version int, created time.Time) state.SecretSource {
	return state.SecretSource{VaultPath: path, VaultKey: key, Version: version, CreatedTime: created}
}

// desiredOpenAI is the Glow provider most scenarios start from.
func desiredOpenAI() state.GlowProvider {
	return state.GlowProvider{
		Address:     "glow_provider.openai_prod",
		Name:        "openai-prod",
		Description: "OpenAI for production traffic",
		Departments: state.NewSet("dep_ml", "dep_search"),
		Endpoints:   state.NewSet("https://api.openai.com/v1"),
		Values:      map[string]string{"tier": "gold", "region": "eu"},
		Keys: map[string]state.KeyState{
			"primary": {Source: vault("secret/llm/openai", "api_key", 3, older)},
		},
	}
}

// liveOf is what Glow holds after Switchboard applied g: the key name
// carries its marker.
func liveOf(g state.GlowProvider, id string) state.GlowProvider {
	l := g
	l.Address = ""
	l.ID = id
	l.Version = 7
	l.UpdatedAt = lastSet
	l.PreventDestroy = false
	l.Ownership = state.Ownership{Marker: &state.OwnerMarker{Owner: goldenOwner, Address: g.Address, PreventDestroy: g.PreventDestroy}}
	l.Keys = map[string]state.KeyState{}
	n := 0
	for label, k := range g.Keys {
		n++
		name := state.KeyName(label, k.Source)
		parsedLabel, src, ok := state.ParseKeyName(name)
		l.Keys[parsedLabel] = state.KeyState{Source: src, KeyID: id + "_key" + string(rune('0'+n)), Name: name, Marked: ok}
	}
	return l
}

// goldenOwner is the owner identity of the configuration every scenario
// plans.
const goldenOwner = "platform-team"

func desiredGateflow() state.GateflowProvider {
	return state.GateflowProvider{
		Address:    "gateflow_provider.openai",
		ProviderID: "openai",
		Configured: true,
		Enabled:    true,
		Settings:   map[string]any{"default_model": "gpt-4o", "timeout_ms": float64(30000)},
		Credentials: map[string]state.SecretSource{
			"api_key":         vault("secret/llm/openai", "api_key", 3, older),
			"organization_id": vault("secret/llm/openai", "org", 1, older),
		},
	}
}

func liveGateflow(g state.GateflowProvider) state.GateflowProvider {
	l := g
	l.Address = ""
	l.Credentials = nil
	l.ConfiguredAt = &older
	l.UpdatedAt = &lastSet
	l.CredentialsUpdatedAt = &lastSet
	return l
}

func unconfigured(id string) state.GateflowProvider {
	return state.GateflowProvider{ProviderID: id}
}

type scenario struct {
	name    string
	desired state.Snapshot
	live    state.Snapshot
	opts    diff.Options
}

func scenarios() []scenario {
	openai := desiredOpenAI()
	gw := desiredGateflow()

	changed := desiredOpenAI()
	changed.Description = "OpenAI for production & batch traffic"
	changed.Departments = state.NewSet("dep_ml", "dep_batch", "dep_search")
	changed.Endpoints = state.NewSet("https://eu.api.openai.com/v1")
	changed.Values = map[string]string{"tier": "platinum", "region": "eu", "owner": "ml-platform"}
	changed.Keys["fallback"] = state.KeyState{Source: state.SecretSource{Env: "OPENAI_FALLBACK_KEY"}}
	gwChanged := desiredGateflow()
	gwChanged.Enabled = false
	gwChanged.Settings = map[string]any{"default_model": "gpt-4o-mini", "max_retries": float64(3)}

	rotated := desiredOpenAI()
	rotated.Keys["primary"] = state.KeyState{Source: vault("secret/llm/openai", "api_key", 4, newer)}
	gwRotated := desiredGateflow()
	gwRotated.Credentials["api_key"] = vault("secret/llm/openai", "api_key", 4, newer)

	handMade := liveOf(openai, "prv_1")
	handMade.Keys = map[string]state.KeyState{"primary": {KeyID: "key_manual", Name: "primary"}}
	drifted := liveOf(openai, "prv_1")
	drifted.Description = "edited in the Glow UI"
	drifted.UpdatedAt = liveEdit
	gwDrifted := liveGateflow(gw)
	gwDrifted.Settings = map[string]any{"default_model": "gpt-3.5-turbo", "timeout_ms": float64(30000)}

	legacy := state.GlowProvider{
		ID: "prv_9", Name: "legacy-azure", Departments: state.NewSet("dep_ml"), Version: 12, UpdatedAt: older,
		Endpoints: state.NewSet("https://legacy.example.com"), ModelUsageCount: 2, ModelIDs: state.NewSet("mdl_chat", "mdl_embed"),
	}
	shared := state.GlowProvider{ID: "prv_8", Name: "shared-cohere", Departments: state.NewSet("dep_ml", "dep_finance"), Version: 3}
	cohere := state.GateflowProvider{ProviderID: "cohere", Configured: true, Enabled: true, UpdatedAt: &older, CredentialsUpdatedAt: &older}

	protected := desiredOpenAI()
	protected.PreventDestroy = true

	anthropic := state.GlowProvider{
		Address: `glow_provider.claude["prod"]`, Name: "claude-prod", Departments: state.NewSet("dep_ml"),
		Keys: map[string]state.KeyState{"primary": {Source: vault("secret/llm/anthropic", "api_key", 1, older)}},
	}
	anthropicDev := state.GlowProvider{Address: `glow_provider.claude["dev"]`, Name: "claude-dev", Departments: state.NewSet("dep_ml")}

	adopted := desiredOpenAI()
	adopted.Adopt = true
	byHand := liveOf(openai, "prv_5")
	byHand.Ownership = state.Ownership{}
	byHand.Description = "made in the Glow UI"
	byHand.Values = map[string]string{"tier": "gold"}
	renamed := desiredOpenAI()
	renamed.Address = "glow_provider.openai"
	renamed.Description = "OpenAI, renamed block"
	removed := liveOf(anthropic, "prv_3")
	removed.ModelUsageCount, removed.ModelIDs = 1, state.NewSet("mdl_claude")
	leftBehind := state.Snapshot{
		Glow: []state.GlowProvider{liveOf(openai, "prv_1")},
		GlowKeys: []state.LiveKey{
			{ID: "prv_1_key1", Name: state.KeyName("primary", vault("secret/llm/openai", "api_key", 3, older))},
			{ID: "key_orphan", Name: state.OwnedKeyName("primary", vault("secret/llm/openai", "api_key", 4, newer), goldenOwner)},
		},
		GlowEndpoints: []state.LiveEndpoint{{ID: "ep_orphan", URL: "https://old.example.com/v1", Name: state.EndpointName(goldenOwner)}},
		GlowDrafts:    []state.LiveDraft{{ID: "dr_1", ProviderID: "prv_1", Name: "openai-prod", Ownership: liveOf(openai, "prv_1").Ownership}},
	}

	return []scenario{
		{name: "create",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live:    state.Snapshot{Gateflow: []state.GateflowProvider{unconfigured("openai"), unconfigured("cohere")}}},
		{name: "update",
			desired: state.Snapshot{Glow: []state.GlowProvider{changed}, Gateflow: []state.GateflowProvider{gwChanged}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []state.GateflowProvider{liveGateflow(gw)}}},
		{name: "delete",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []state.GateflowProvider{liveGateflow(gw)}},
			opts:    diff.Options{Destroy: true}},
		{name: "rotate_glow_key",
			desired: state.Snapshot{Glow: []state.GlowProvider{rotated}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}}},
		{name: "rotate_gateway_credentials",
			desired: state.Snapshot{Gateflow: []state.GateflowProvider{gwRotated}},
			live:    state.Snapshot{Gateflow: []state.GateflowProvider{liveGateflow(gw)}}},
		{name: "noop",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []state.GateflowProvider{liveGateflow(gw)}}},
		{name: "drift",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live:    state.Snapshot{Glow: []state.GlowProvider{drifted}, Gateflow: []state.GateflowProvider{gwDrifted}},
			opts:    diff.Options{Baseline: baselineOf(state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}})}},
		{name: "drift_unmarked_key",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}},
			live:    state.Snapshot{Glow: []state.GlowProvider{handMade}}},
		{name: "prune",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live: state.Snapshot{
				Glow:     []state.GlowProvider{liveOf(openai, "prv_1"), shared, {ID: "prv_7", Name: "search-only", Departments: state.NewSet("dep_search"), Version: 2}},
				Gateflow: []state.GateflowProvider{liveGateflow(gw), cohere, unconfigured("mistral")},
			},
			opts: diff.Options{PruneDepartments: []string{"dep_ml", "dep_search"}, PruneGateflow: true}},
		{name: "unmanaged",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}, Gateflow: []state.GateflowProvider{gw}},
			live: state.Snapshot{
				Glow:     []state.GlowProvider{liveOf(openai, "prv_1"), shared, legacy},
				Gateflow: []state.GateflowProvider{liveGateflow(gw), cohere},
			}},
		{name: "in_use",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1"), legacy}},
			opts:    diff.Options{PruneDepartments: []string{"dep_ml"}}},
		{name: "prevent_destroy",
			desired: state.Snapshot{Glow: []state.GlowProvider{protected}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}},
			opts:    diff.Options{Destroy: true}},
		{name: "adopt",
			desired: state.Snapshot{Glow: []state.GlowProvider{adopted}},
			live:    state.Snapshot{Glow: []state.GlowProvider{byHand}}},
		{name: "adopt_refused",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}},
			live:    state.Snapshot{Glow: []state.GlowProvider{byHand}}},
		{name: "moved",
			desired: state.Snapshot{Glow: []state.GlowProvider{renamed}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}}},
		{name: "removed_block",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1"), removed}}},
		{name: "orphans",
			desired: state.Snapshot{Glow: []state.GlowProvider{openai}},
			live:    leftBehind},
		{name: "target",
			desired: state.Snapshot{Glow: []state.GlowProvider{changed, anthropic, anthropicDev}, Gateflow: []state.GateflowProvider{gw}},
			live:    state.Snapshot{Glow: []state.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []state.GateflowProvider{unconfigured("openai")}},
			opts:    diff.Options{Targets: []state.Address{"glow_provider.claude", "gateflow_provider.typo"}}},
	}
}

// baselineOf is the drift baseline an apply of desired would leave.
func baselineOf(desired state.Snapshot) map[string]string {
	p, err := diff.Diff(desired, state.Snapshot{}, diff.Options{Now: now, Owner: goldenOwner})
	if err != nil {
		panic(err)
	}
	return p.Digests()
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			sc.opts.Now = now
			sc.opts.ConfigChecksum = "sha256:0123456789abcdef"
			sc.opts.Owner = goldenOwner
			p, err := diff.Diff(sc.desired, sc.live, sc.opts)
			if err != nil {
				golden(t, sc.name+".err", []byte(err.Error()+"\n"))
				return
			}
			var text, js, md bytes.Buffer
			if err := render.Text(&text, p, render.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := render.JSON(&js, p); err != nil {
				t.Fatal(err)
			}
			if err := render.Markdown(&md, p, render.MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, sc.name+".txt", text.Bytes())
			golden(t, sc.name+".json", js.Bytes())
			golden(t, sc.name+".md", md.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "planner", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./planner -update` to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
	}
}

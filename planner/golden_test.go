package planner_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/internal/golden"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/secretref"
)

var (
	now      = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	lastSet  = time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	newer    = time.Date(2025, 2, 20, 8, 30, 0, 0, time.UTC)
	older    = time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	liveEdit = time.Date(2025, 2, 25, 16, 45, 0, 0, time.UTC)
)

func vault(path, key string, version int, created time.Time) secretref.Source {
	return secretref.Source{VaultPath: path, VaultKey: key, Version: version, CreatedTime: created}
}

// desiredOpenAI is the Glow provider most scenarios start from.
func desiredOpenAI() objects.GlowProvider {
	return objects.GlowProvider{
		Address:     "glow_provider.openai_prod",
		Name:        "openai-prod",
		Description: "OpenAI for production traffic",
		Departments: objects.NewSet("dep_ml", "dep_search"),
		Endpoints:   objects.NewSet("https://api.openai.com/v1"),
		Values:      map[string]string{"tier": "gold", "region": "eu"},
		Keys:        objects.Keys{{Label: "primary", Source: vault("secret/llm/openai", "api_key", 3, older)}},
	}
}

// liveOf is what Glow holds after Switchboard applied g: the key name
// carries its marker.
func liveOf(g objects.GlowProvider, id string) objects.GlowProvider {
	l := g
	l.Address = ""
	l.ID = id
	l.Version = 7
	l.UpdatedAt = lastSet
	l.PreventDestroy = false
	l.Ownership = objects.Ownership{Marker: &objects.OwnerMarker{Owner: goldenOwner, Address: g.Address, PreventDestroy: g.PreventDestroy}}
	l.Keys = objects.Keys{}
	n := 0
	for _, k := range g.Keys {
		n++
		name := secretref.KeyName(k.Label, k.Source)
		parsedLabel, src, ok := secretref.ParseKeyName(name)
		l.Keys.Set(objects.KeyState{Label: parsedLabel, Source: src, KeyID: id + "_key" + string(rune('0'+n)), Name: name, Marked: ok})
	}
	return l
}

// goldenOwner is the owner identity of the configuration every scenario
// plans.
const goldenOwner = "platform-team"

func desiredGateflow() objects.GateflowProvider {
	return objects.GateflowProvider{
		Address:    "gateflow_provider.openai",
		ProviderID: "openai",
		Configured: true,
		Enabled:    true,
		Settings:   map[string]any{"default_model": "gpt-4o", "timeout_ms": float64(30000)},
		Credentials: map[string]secretref.Source{
			"api_key":         vault("secret/llm/openai", "api_key", 3, older),
			"organization_id": vault("secret/llm/openai", "org", 1, older),
		},
	}
}

func liveGateflow(g objects.GateflowProvider) objects.GateflowProvider {
	l := g
	l.Address = ""
	l.Credentials = nil
	l.ConfiguredAt = &older
	l.UpdatedAt = &lastSet
	l.CredentialsUpdatedAt = &lastSet
	return l
}

func unconfigured(id string) objects.GateflowProvider {
	return objects.GateflowProvider{ProviderID: id}
}

type scenario struct {
	name    string
	desired objects.Snapshot
	live    objects.Snapshot
	opts    diff.Options
}

func scenarios() []scenario {
	openai := desiredOpenAI()
	gw := desiredGateflow()

	changed := desiredOpenAI()
	changed.Description = "OpenAI for production & batch traffic"
	changed.Departments = objects.NewSet("dep_ml", "dep_batch", "dep_search")
	changed.Endpoints = objects.NewSet("https://eu.api.openai.com/v1")
	changed.Values = map[string]string{"tier": "platinum", "region": "eu", "owner": "ml-platform"}
	changed.Keys.Set(objects.KeyState{Label: "fallback", Source: secretref.Source{Env: "OPENAI_FALLBACK_KEY"}})
	gwChanged := desiredGateflow()
	gwChanged.Enabled = false
	gwChanged.Settings = map[string]any{"default_model": "gpt-4o-mini", "max_retries": float64(3)}

	rotated := desiredOpenAI()
	rotated.Keys.Set(objects.KeyState{Label: "primary", Source: vault("secret/llm/openai", "api_key", 4, newer)})
	gwRotated := desiredGateflow()
	gwRotated.Credentials["api_key"] = vault("secret/llm/openai", "api_key", 4, newer)

	handMade := liveOf(openai, "prv_1")
	handMade.Keys = objects.Keys{{Label: "primary", KeyID: "key_manual", Name: "primary"}}
	drifted := liveOf(openai, "prv_1")
	drifted.Description = "edited in the Glow UI"
	drifted.UpdatedAt = liveEdit
	gwDrifted := liveGateflow(gw)
	gwDrifted.Settings = map[string]any{"default_model": "gpt-3.5-turbo", "timeout_ms": float64(30000)}

	legacy := objects.GlowProvider{
		ID: "prv_9", Name: "legacy-azure", Departments: objects.NewSet("dep_ml"), Version: 12, UpdatedAt: older,
		Endpoints: objects.NewSet("https://legacy.example.com"), ModelUsageCount: 2, ModelIDs: objects.NewSet("mdl_chat", "mdl_embed"),
	}
	shared := objects.GlowProvider{ID: "prv_8", Name: "shared-cohere", Departments: objects.NewSet("dep_ml", "dep_finance"), Version: 3}
	cohere := objects.GateflowProvider{ProviderID: "cohere", Configured: true, Enabled: true, UpdatedAt: &older, CredentialsUpdatedAt: &older}

	protected := desiredOpenAI()
	protected.PreventDestroy = true

	anthropic := objects.GlowProvider{
		Address: `glow_provider.claude["prod"]`, Name: "claude-prod", Departments: objects.NewSet("dep_ml"),
		Keys: objects.Keys{{Label: "primary", Source: vault("secret/llm/anthropic", "api_key", 1, older)}},
	}
	anthropicDev := objects.GlowProvider{Address: `glow_provider.claude["dev"]`, Name: "claude-dev", Departments: objects.NewSet("dep_ml")}

	adopted := desiredOpenAI()
	adopted.Adopt = true
	byHand := liveOf(openai, "prv_5")
	byHand.Ownership = objects.Ownership{}
	byHand.Description = "made in the Glow UI"
	byHand.Values = map[string]string{"tier": "gold"}
	renamed := desiredOpenAI()
	renamed.Address = "glow_provider.openai"
	renamed.Description = "OpenAI, renamed block"
	removed := liveOf(anthropic, "prv_3")
	removed.ModelUsageCount, removed.ModelIDs = 1, objects.NewSet("mdl_claude")
	leftBehind := objects.Snapshot{
		Glow: []objects.GlowProvider{liveOf(openai, "prv_1")},
		GlowKeys: []objects.LiveKey{
			{ID: "prv_1_key1", Name: secretref.KeyName("primary", vault("secret/llm/openai", "api_key", 3, older))},
			{ID: "key_orphan", Name: secretref.OwnedKeyName("primary", vault("secret/llm/openai", "api_key", 4, newer), goldenOwner)},
		},
		GlowEndpoints: []objects.LiveEndpoint{{ID: "ep_orphan", URL: "https://old.example.com/v1", Name: objects.EndpointName(goldenOwner)}},
		GlowDrafts:    []objects.LiveDraft{{ID: "dr_1", ProviderID: "prv_1", Name: "openai-prod", Ownership: liveOf(openai, "prv_1").Ownership}},
	}

	return []scenario{
		{name: "create",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live:    objects.Snapshot{Gateflow: []objects.GateflowProvider{unconfigured("openai"), unconfigured("cohere")}}},
		{name: "update",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{changed}, Gateflow: []objects.GateflowProvider{gwChanged}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []objects.GateflowProvider{liveGateflow(gw)}}},
		{name: "delete",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []objects.GateflowProvider{liveGateflow(gw)}},
			opts:    diff.Options{Destroy: true}},
		{name: "rotate_glow_key",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{rotated}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}}},
		{name: "rotate_gateflow_credentials",
			desired: objects.Snapshot{Gateflow: []objects.GateflowProvider{gwRotated}},
			live:    objects.Snapshot{Gateflow: []objects.GateflowProvider{liveGateflow(gw)}}},
		{name: "noop",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []objects.GateflowProvider{liveGateflow(gw)}}},
		{name: "drift",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{drifted}, Gateflow: []objects.GateflowProvider{gwDrifted}},
			opts:    diff.Options{Baseline: baselineOf(objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}})}},
		{name: "drift_unmarked_key",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{handMade}}},
		{name: "prune",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live: objects.Snapshot{
				Glow:     []objects.GlowProvider{liveOf(openai, "prv_1"), shared, {ID: "prv_7", Name: "search-only", Departments: objects.NewSet("dep_search"), Version: 2}},
				Gateflow: []objects.GateflowProvider{liveGateflow(gw), cohere, unconfigured("mistral")},
			},
			opts: diff.Options{PruneDepartments: []string{"dep_ml", "dep_search"}, PruneGateflow: true}},
		{name: "unmanaged",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}, Gateflow: []objects.GateflowProvider{gw}},
			live: objects.Snapshot{
				Glow:     []objects.GlowProvider{liveOf(openai, "prv_1"), shared, legacy},
				Gateflow: []objects.GateflowProvider{liveGateflow(gw), cohere},
			}},
		{name: "in_use",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1"), legacy}},
			opts:    diff.Options{PruneDepartments: []string{"dep_ml"}}},
		{name: "prevent_destroy",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{protected}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}},
			opts:    diff.Options{Destroy: true}},
		{name: "adopt",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{adopted}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{byHand}}},
		{name: "adopt_refused",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{byHand}}},
		{name: "moved",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{renamed}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}}},
		{name: "removed_block",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1"), removed}}},
		{name: "orphans",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{openai}},
			live:    leftBehind},
		{name: "target",
			desired: objects.Snapshot{Glow: []objects.GlowProvider{changed, anthropic, anthropicDev}, Gateflow: []objects.GateflowProvider{gw}},
			live:    objects.Snapshot{Glow: []objects.GlowProvider{liveOf(openai, "prv_1")}, Gateflow: []objects.GateflowProvider{unconfigured("openai")}},
			opts:    diff.Options{Targets: []objects.Address{"glow_provider.claude", "gateflow_provider.typo"}}},
	}
}

// baselineOf is the drift baseline an apply of desired would leave.
func baselineOf(desired objects.Snapshot) map[string]string {
	p, err := diff.Diff(desired, objects.Snapshot{}, diff.Options{Now: now, Owner: goldenOwner})
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
				golden.Check(t, sc.name+".err", []byte(err.Error()+"\n"))
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
			golden.Check(t, sc.name+".txt", text.Bytes())
			golden.Check(t, sc.name+".json", js.Bytes())
			golden.Check(t, sc.name+".md", md.Bytes())
		})
	}
}

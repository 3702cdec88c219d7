package contract

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/expect"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// validConfig is a valid configuration for each of the six providers.
var validConfig = map[string]struct {
	creds    map[string]string
	settings map[string]any
}{
	catalogue.OpenAI:     {map[string]string{"api_key": "sk-openai-SEKRIT", "organization_id": "org-SEKRIT-9"}, map[string]any{"default_model": "gpt-5", "project_id": "proj", "timeout_ms": 30000}},
	catalogue.Anthropic:  {map[string]string{"api_key": keyValue}, map[string]any{"default_model": "claude", "max_retries": 2}},
	catalogue.Google:     {map[string]string{"api_key": "AIza-SEKRIT"}, map[string]any{"region": "europe-west4"}},
	catalogue.Mistral:    {map[string]string{"api_key": "mis-SEKRIT"}, map[string]any{"base_url": "https://mistral.example"}},
	catalogue.Cohere:     {map[string]string{"api_key": "co-SEKRIT"}, nil},
	catalogue.ElevenLabs: {map[string]string{"api_key": "el-SEKRIT"}, map[string]any{"default_voice": "rachel"}},
}

var wantNames = map[string]string{
	catalogue.OpenAI: "OpenAI", catalogue.Anthropic: "Anthropic", catalogue.Google: "Google AI",
	catalogue.Mistral: "Mistral", catalogue.Cohere: "Cohere", catalogue.ElevenLabs: "ElevenLabs",
}

func creds(m map[string]string) map[string]sensitive.String {
	out := map[string]sensitive.String{}
	for k, v := range m {
		out[k] = sensitive.New(v)
	}
	return out
}

func TestGateflowLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	gateflowListsAllUnconfigured(t, e)
	gateflowConfiguresEach(t, e)
	// Configured once only.
	_, err := e.gw.Configure(ctx, catalogue.OpenAI, creds(validConfig[catalogue.OpenAI].creds), nil)
	wantErr(t, err, api.ErrConflict, 409, api.CodeAlreadyConfigured, "")
	// Unknown IDs are 404 on every call.
	_, err = e.gw.Configure(ctx, "azure", creds(map[string]string{"api_key": "az-SEKRIT"}), nil)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = e.gw.UpdateSettings(ctx, "azure", map[string]any{"timeout_ms": 1})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = e.gw.Disable(ctx, "azure")
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	wantErr(t, e.gw.Delete(ctx, "azure"), api.ErrNotFound, 404, api.CodeNotFound, "")

	id := catalogue.OpenAI
	gateflowMergesSettings(t, e, id)
	gateflowRotatesCredentials(t, e, id)
	gateflowTestsConnection(t, e, id)
	gateflowDisablesAndEnables(t, e, id)
	gateflowDeletesAndReconfigures(t, e, id)

	// The read-only key reads but never writes.
	ro := e.gateflowAs(roAdminKey)
	must(ro.Get(ctx, id))(t)
	_, err = ro.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 1})
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "")
	_, err = ro.Disable(ctx, id)
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "")
	wantErr(t, ro.Delete(ctx, id), api.ErrForbidden, 403, "forbidden", "")
	_, err = ro.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-ro-SEKRIT"}))
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "")
}

// gateflowListsAllUnconfigured: a fresh Gateflow lists its six providers,
// in the reference's order, inactive, with no models and no health.
func gateflowListsAllUnconfigured(t *testing.T, e *env) {
	t.Helper()
	var listed []string
	for _, p := range must(e.gw.List(ctx))(t) {
		listed = append(listed, p.ID)
		expect.Fields(t, "unconfigured "+p.ID,
			expect.Eq("Status", p.Status, gateflow.StatusInactive),
			expect.Eq("Configured", p.Configured, false),
			expect.Eq("len(Models)", len(p.Models), 0),
			expect.Eq("Models is nil (want an empty non-nil slice)", p.Models == nil, false),
			expect.Eq("Health is nil", p.Health == nil, true),
			expect.Eq("Name", p.Name, wantNames[p.ID]))
	}
	if !slices.Equal(listed, catalogue.ProviderIDs) {
		t.Errorf("listed %v, want %v", listed, catalogue.ProviderIDs)
	}
	un := must(e.gw.Get(ctx, catalogue.Cohere))(t)
	if un.Configured || un.Status != gateflow.StatusInactive || un.Health != nil {
		t.Errorf("unconfigured get: %+v", un)
	}
}

// gateflowConfiguresEach configures every provider with its validConfig and
// reads it back, one by one and in the list.
func gateflowConfiguresEach(t *testing.T, e *env) {
	t.Helper()
	for _, id := range catalogue.ProviderIDs {
		c := validConfig[id]
		r := must(e.gw.Configure(ctx, id, creds(c.creds), c.settings))(t)
		expect.Fields(t, "configure "+id,
			expect.Eq("ID", r.ID, id),
			expect.Eq("Name", r.Name, wantNames[id]),
			expect.Eq("Status", r.Status, gateflow.StatusActive),
			expect.Eq("Configured", r.Configured, true),
			expect.Eq("ConfiguredAt is zero", r.ConfiguredAt.IsZero(), false),
			expect.Eq("Models is empty", len(r.Models) == 0, false))
		g := must(e.gw.Get(ctx, id))(t)
		expect.Fields(t, "get "+id,
			expect.Eq("Configured", g.Configured, true),
			expect.Eq("Status", g.Status, gateflow.StatusActive),
			expect.Eq("ConfiguredAt is nil", g.ConfiguredAt == nil, false),
			expect.Eq("CredentialsUpdatedAt is nil", g.CredentialsUpdatedAt == nil, false),
			expect.Eq("UpdatedAt is nil", g.UpdatedAt == nil, false),
			expect.Eq("DisabledAt is nil", g.DisabledAt == nil, true),
			expect.Eq("Health is nil", g.Health == nil, false),
			expect.Eq("len(Models)", len(g.Models), len(r.Models)))
		if len(g.Settings) != len(c.settings) {
			t.Errorf("settings of %s: %v, want %v", id, g.Settings, c.settings)
		}
		for k, v := range c.settings {
			if n, isInt := v.(int); isInt {
				v = float64(n)
			}
			if g.Settings[k] != v {
				t.Errorf("%s setting %s = %v, want %v", id, k, g.Settings[k], v)
			}
		}
	}
	for _, p := range must(e.gw.List(ctx))(t) {
		expect.Fields(t, "configured "+p.ID,
			expect.Eq("Status", p.Status, gateflow.StatusActive),
			expect.Eq("Configured", p.Configured, true),
			expect.Eq("Models is empty", len(p.Models) == 0, false),
			expect.Eq("Health is nil", p.Health == nil, false))
	}
}

// gateflowMergesSettings: settings merge; null removes; an unknown setting
// is refused.
func gateflowMergesSettings(t *testing.T, e *env, id string) {
	t.Helper()
	g := must(e.gw.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 5000, "max_retries": 1}))(t)
	if g.Settings["default_model"] != "gpt-5" || g.Settings["timeout_ms"] != float64(5000) || g.Settings["max_retries"] != float64(1) {
		t.Errorf("merged settings: %v", g.Settings)
	}
	g = must(e.gw.UpdateSettings(ctx, id, map[string]any{"default_model": nil, "project_id": nil}))(t)
	if _, has := g.Settings["default_model"]; has || len(g.Settings) != 2 {
		t.Errorf("settings after removal: %v", g.Settings)
	}
	if got := must(e.gw.Get(ctx, id))(t).Settings; len(got) != 2 || got["timeout_ms"] != float64(5000) {
		t.Errorf("settings read back: %v", got)
	}
	_, err := e.gw.UpdateSettings(ctx, id, map[string]any{"region": "eu"})
	wantErr(t, err, api.ErrInvalid, 400, "invalid_configuration", "settings.region")
}

// gateflowRotatesCredentials: a rotation moves credentials_updated_at and
// updated_at, not configured_at.
func gateflowRotatesCredentials(t *testing.T, e *env, id string) {
	t.Helper()
	before := must(e.gw.Get(ctx, id))(t)
	cr := must(e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-rotated-SEKRIT"})))(t)
	if cr.ID != id || cr.Status != gateflow.StatusActive || !cr.CredentialsUpdatedAt.After(*before.CredentialsUpdatedAt) {
		t.Errorf("rotation: %+v, before %v", cr, before.CredentialsUpdatedAt)
	}
	after := must(e.gw.Get(ctx, id))(t)
	if !after.CredentialsUpdatedAt.Equal(cr.CredentialsUpdatedAt) || !after.UpdatedAt.After(*before.UpdatedAt) || !after.ConfiguredAt.Equal(*before.ConfiguredAt) {
		t.Errorf("after rotation: %+v", after)
	}
}

// gateflowTestsConnection: Test succeeds with a stable latency.
func gateflowTestsConnection(t *testing.T, e *env, id string) {
	t.Helper()
	t1 := must(e.gw.Test(ctx, id))(t)
	t2 := must(e.gw.Test(ctx, id))(t)
	expect.Fields(t, "test",
		expect.Eq("ID", t1.ID, id),
		expect.Eq("TestResult", t1.TestResult, "success"),
		expect.Eq("LatencyMS > 0", t1.LatencyMS > 0, true),
		expect.Eq("LatencyMS of the second test (want stable)", t2.LatencyMS, t1.LatencyMS),
		expect.Eq("ModelsAvailable > 0", t1.ModelsAvailable > 0, true),
		expect.Eq("TestedAt is zero", t1.TestedAt.IsZero(), false),
		expect.Eq("Error", t1.Error, ""))
}

// gateflowDisablesAndEnables: disable and enable, both idempotent; a
// disabled provider's test fails.
func gateflowDisablesAndEnables(t *testing.T, e *env, id string) {
	t.Helper()
	d := must(e.gw.Disable(ctx, id))(t)
	if d.Status != gateflow.StatusDisabled || d.DisabledAt == nil {
		t.Errorf("disable: %+v", d)
	}
	d2 := must(e.gw.Disable(ctx, id))(t)
	if d2.Status != gateflow.StatusDisabled || d2.DisabledAt == nil || !d2.DisabledAt.Equal(*d.DisabledAt) {
		t.Errorf("second disable: %+v", d2)
	}
	if g := must(e.gw.Get(ctx, id))(t); g.Status != gateflow.StatusDisabled || g.DisabledAt == nil || !g.Configured {
		t.Errorf("disabled get: %+v", g)
	}
	if tr := must(e.gw.Test(ctx, id))(t); tr.TestResult != "failure" || tr.Error == "" {
		t.Errorf("test of a disabled provider: %+v", tr)
	}
	en := must(e.gw.Enable(ctx, id))(t)
	if en.Status != gateflow.StatusActive || en.EnabledAt == nil || en.DisabledAt != nil {
		t.Errorf("enable: %+v", en)
	}
	if en2 := must(e.gw.Enable(ctx, id))(t); en2.Status != gateflow.StatusActive {
		t.Errorf("second enable: %+v", en2)
	}
	if g := must(e.gw.Get(ctx, id))(t); g.Status != gateflow.StatusActive || g.DisabledAt != nil {
		t.Errorf("enabled get: %+v", g)
	}
}

// gateflowDeletesAndReconfigures: a deleted provider is listed inactive
// again, refuses changes, and is configurable again.
func gateflowDeletesAndReconfigures(t *testing.T, e *env, id string) {
	t.Helper()
	ok(t, e.gw.Delete(ctx, id))
	for _, p := range must(e.gw.List(ctx))(t) {
		if p.ID == id {
			expect.Fields(t, "deleted provider",
				expect.Eq("Status", p.Status, gateflow.StatusInactive),
				expect.Eq("Configured", p.Configured, false),
				expect.Eq("len(Models)", len(p.Models), 0),
				expect.Eq("Health is nil", p.Health == nil, true))
		}
	}
	if g := must(e.gw.Get(ctx, id))(t); g.Configured || len(g.Settings) != 0 || g.CredentialsUpdatedAt != nil {
		t.Errorf("deleted get: %+v", g)
	}
	wantErr(t, e.gw.Delete(ctx, id), api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err := e.gw.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 1})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	if r := must(e.gw.Configure(ctx, id, creds(validConfig[id].creds), nil))(t); r.Status != gateflow.StatusActive {
		t.Errorf("reconfigure: %+v", r)
	}
}

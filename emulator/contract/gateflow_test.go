package contract

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
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

	list := must(e.gw.List(ctx))(t)
	var listed []string
	for _, p := range list {
		listed = append(listed, p.ID)
		if p.Status != gateflow.StatusInactive {
			t.Errorf("unconfigured %s: Status = %q, want %q", p.ID, p.Status, gateflow.StatusInactive)
		}
		if p.Configured {
			t.Errorf("unconfigured %s: Configured = true, want false", p.ID)
		}
		if len(p.Models) != 0 {
			t.Errorf("unconfigured %s: len(Models) = %d, want 0", p.ID, len(p.Models))
		}
		if p.Models == nil {
			t.Errorf("unconfigured %s: Models = nil, want an empty non-nil slice", p.ID)
		}
		if p.Health != nil {
			t.Errorf("unconfigured %s: Health = %+v, want nil", p.ID, p.Health)
		}
		if p.Name != wantNames[p.ID] {
			t.Errorf("unconfigured %s: Name = %q, want %q", p.ID, p.Name, wantNames[p.ID])
		}
	}
	if !slices.Equal(listed, catalogue.ProviderIDs) {
		t.Errorf("listed %v, want %v", listed, catalogue.ProviderIDs)
	}
	un := must(e.gw.Get(ctx, catalogue.Cohere))(t)
	if un.Configured || un.Status != gateflow.StatusInactive || un.Health != nil {
		t.Errorf("unconfigured get: %+v", un)
	}

	for _, id := range catalogue.ProviderIDs {
		c := validConfig[id]
		r := must(e.gw.Configure(ctx, id, creds(c.creds), c.settings))(t)
		if r.ID != id {
			t.Errorf("configure %s: ID = %q, want %q", id, r.ID, id)
		}
		if r.Name != wantNames[id] {
			t.Errorf("configure %s: Name = %q, want %q", id, r.Name, wantNames[id])
		}
		if r.Status != gateflow.StatusActive {
			t.Errorf("configure %s: Status = %q, want %q", id, r.Status, gateflow.StatusActive)
		}
		if !r.Configured {
			t.Errorf("configure %s: Configured = false, want true", id)
		}
		if r.ConfiguredAt.IsZero() {
			t.Errorf("configure %s: ConfiguredAt is zero, want a time", id)
		}
		if len(r.Models) == 0 {
			t.Errorf("configure %s: Models is empty, want some", id)
		}
		g := must(e.gw.Get(ctx, id))(t)
		if !g.Configured {
			t.Errorf("get %s: Configured = false, want true", id)
		}
		if g.Status != gateflow.StatusActive {
			t.Errorf("get %s: Status = %q, want %q", id, g.Status, gateflow.StatusActive)
		}
		if g.ConfiguredAt == nil {
			t.Errorf("get %s: ConfiguredAt = nil, want a time", id)
		}
		if g.CredentialsUpdatedAt == nil {
			t.Errorf("get %s: CredentialsUpdatedAt = nil, want a time", id)
		}
		if g.UpdatedAt == nil {
			t.Errorf("get %s: UpdatedAt = nil, want a time", id)
		}
		if g.DisabledAt != nil {
			t.Errorf("get %s: DisabledAt = %v, want nil", id, *g.DisabledAt)
		}
		if g.Health == nil {
			t.Errorf("get %s: Health = nil, want a health report", id)
		}
		if len(g.Models) != len(r.Models) {
			t.Errorf("get %s: len(Models) = %d, want %d", id, len(g.Models), len(r.Models))
		}
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
		if p.Status != gateflow.StatusActive {
			t.Errorf("configured %s: Status = %q, want %q", p.ID, p.Status, gateflow.StatusActive)
		}
		if !p.Configured {
			t.Errorf("configured %s: Configured = false, want true", p.ID)
		}
		if len(p.Models) == 0 {
			t.Errorf("configured %s: Models is empty, want some", p.ID)
		}
		if p.Health == nil {
			t.Errorf("configured %s: Health = nil, want a health report", p.ID)
		}
	}
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

	// Settings merge; null removes.
	id := catalogue.OpenAI
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
	_, err = e.gw.UpdateSettings(ctx, id, map[string]any{"region": "eu"})
	wantErr(t, err, api.ErrInvalid, 400, "invalid_configuration", "settings.region")

	// Credentials rotation moves credentials_updated_at.
	before := must(e.gw.Get(ctx, id))(t)
	cr := must(e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-rotated-SEKRIT"})))(t)
	if cr.ID != id || cr.Status != gateflow.StatusActive || !cr.CredentialsUpdatedAt.After(*before.CredentialsUpdatedAt) {
		t.Errorf("rotation: %+v, before %v", cr, before.CredentialsUpdatedAt)
	}
	after := must(e.gw.Get(ctx, id))(t)
	if !after.CredentialsUpdatedAt.Equal(cr.CredentialsUpdatedAt) || !after.UpdatedAt.After(*before.UpdatedAt) || !after.ConfiguredAt.Equal(*before.ConfiguredAt) {
		t.Errorf("after rotation: %+v", after)
	}

	// Test: success with a stable latency.
	t1 := must(e.gw.Test(ctx, id))(t)
	t2 := must(e.gw.Test(ctx, id))(t)
	if t1.ID != id {
		t.Errorf("test: ID = %q, want %q", t1.ID, id)
	}
	if t1.TestResult != "success" {
		t.Errorf("test: TestResult = %q, want %q", t1.TestResult, "success")
	}
	if t1.LatencyMS <= 0 {
		t.Errorf("test: LatencyMS = %v, want > 0", t1.LatencyMS)
	}
	if t1.LatencyMS != t2.LatencyMS {
		t.Errorf("test: LatencyMS = %v, then %v on the second test, want stable", t1.LatencyMS, t2.LatencyMS)
	}
	if t1.ModelsAvailable == 0 {
		t.Errorf("test: ModelsAvailable = 0, want > 0")
	}
	if t1.TestedAt.IsZero() {
		t.Errorf("test: TestedAt is zero, want a time")
	}
	if t1.Error != "" {
		t.Errorf("test: Error = %q, want none", t1.Error)
	}

	// Disable and enable, both idempotent.
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

	// Delete: listed inactive again, and configurable again.
	ok(t, e.gw.Delete(ctx, id))
	for _, p := range must(e.gw.List(ctx))(t) {
		if p.ID != id {
			continue
		}
		if p.Status != gateflow.StatusInactive {
			t.Errorf("deleted provider: Status = %q, want %q", p.Status, gateflow.StatusInactive)
		}
		if p.Configured {
			t.Errorf("deleted provider: Configured = true, want false")
		}
		if len(p.Models) != 0 {
			t.Errorf("deleted provider: len(Models) = %d, want 0", len(p.Models))
		}
		if p.Health != nil {
			t.Errorf("deleted provider: Health = %+v, want nil", p.Health)
		}
	}
	if g := must(e.gw.Get(ctx, id))(t); g.Configured || len(g.Settings) != 0 || g.CredentialsUpdatedAt != nil {
		t.Errorf("deleted get: %+v", g)
	}
	wantErr(t, e.gw.Delete(ctx, id), api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = e.gw.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 1})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	if r := must(e.gw.Configure(ctx, id, creds(validConfig[id].creds), nil))(t); r.Status != gateflow.StatusActive {
		t.Errorf("reconfigure: %+v", r)
	}

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

package emulator_test

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

const gp = "/v1/management/providers"

func TestGateflowAuth(t *testing.T) {
	_, _, gw := start(t, emulator.Config{GateflowAdminKeys: []emulator.AdminKey{
		{Key: "gw_admin_rw"}, {Key: "gw_admin_ro", ReadOnly: true},
	}})
	gw.as("").do("GET", gp, "").wantError(401, "unauthorized", "")
	gw.as("gw_admin_unknown").do("GET", gp, "").wantError(401, "unauthorized", "")
	gw.as("glow-test-token").do("GET", gp, "").wantError(401, "unauthorized", "")
	ro := gw.as("gw_admin_ro")
	ro.do("GET", gp, "").want(200)
	ro.do("GET", gp+"/openai", "").want(200)
	ro.post(gp, `{"provider":"mistral","credentials":{"api_key":"k"}}`).wantError(403, "forbidden", "")
	gw.as("gw_admin_rw").post(gp, `{"provider":"mistral","credentials":{"api_key":"k"}}`).want(200)
	ro.do("DELETE", gp+"/mistral", "").wantError(403, "forbidden", "")
	ro.post(gp+"/mistral/disable", "").wantError(403, "forbidden", "")

	if _, err := emulator.New(emulator.Config{GateflowAdminKeys: []emulator.AdminKey{{Key: "admin"}}}); err == nil {
		t.Error("New accepts an admin key without the gw_admin_ prefix")
	}
}

func TestGateflowLifecycle(t *testing.T) {
	_, _, gw := start(t, emulator.Config{})
	list := gw.do("GET", gp, "").want(200)
	if n := len(list.list("providers")); n != 6 {
		t.Fatalf("%d providers listed", n)
	}
	wantNames := map[string]string{"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google AI", "mistral": "Mistral", "cohere": "Cohere", "elevenlabs": "ElevenLabs"}
	for i := range 6 {
		p := list.get("providers", i).(map[string]any)
		id := p["id"].(string)
		if wantNames[id] != p["name"] {
			t.Errorf("unconfigured provider %s: name = %v, want %q", id, p["name"], wantNames[id])
		}
		if p["status"] != "inactive" {
			t.Errorf("unconfigured provider %s: status = %v, want %q", id, p["status"], "inactive")
		}
		if p["configured"] != false {
			t.Errorf("unconfigured provider %s: configured = %v, want false", id, p["configured"])
		}
		if n := len(p["models"].([]any)); n != 0 {
			t.Errorf("unconfigured provider %s: %d models, want none", id, n)
		}
		if p["health"] != nil {
			t.Errorf("unconfigured provider %s: health = %v, want null", id, p["health"])
		}
	}
	un := gw.do("GET", gp+"/google", "").want(200)
	if un.get("configured") != false || un.str("status") != "inactive" {
		t.Fatalf("unconfigured get: %s", un.raw)
	}
	gw.do("GET", gp+"/nope", "").wantError(404, "not_found", "")

	c := gw.post(gp, `{"provider":"openai","credentials":{"api_key":"sk-abc","organization_id":"org-1"},"settings":{"organization_id":"org-1","default_model":"gpt-5.2","timeout_ms":30000}}`).want(200)
	c.hasFields(c.body, "id", "name", "status", "configured", "configured_at", "models")
	if c.str("status") != "active" || len(c.list("models")) != 4 {
		t.Fatalf("configure: %s", c.raw)
	}
	gw.post(gp, `{"provider":"openai","credentials":{"api_key":"sk-abc"}}`).wantError(409, "already_configured", "provider")

	g := gw.do("GET", gp+"/openai", "").want(200)
	g.hasFields(g.body, "id", "name", "status", "configured", "configured_at", "updated_at", "credentials_updated_at", "settings", "models", "health", "usage")
	if g.num("settings", "timeout_ms") != 30000 || g.str("models", 3, "type") != "embedding" || g.str("health", "status") != "healthy" {
		t.Fatalf("get: %s", g.raw)
	}
	if strings.Contains(string(g.raw), "sk-abc") {
		t.Fatal("get returns credentials")
	}
	latency := g.num("health", "latency_ms")
	if again := gw.do("GET", gp+"/openai", "").num("health", "latency_ms"); again != latency || latency <= 0 {
		t.Errorf("health latency %d then %d", latency, again)
	}

	u := gw.do("PATCH", gp+"/openai", `{"settings":{"default_model":"gpt-5-mini","timeout_ms":null}}`).want(200)
	if u.str("settings", "default_model") != "gpt-5-mini" || u.str("settings", "organization_id") != "org-1" {
		t.Fatalf("patch: %s", u.raw)
	}
	if _, ok := u.get("settings").(map[string]any)["timeout_ms"]; ok {
		t.Fatalf("null did not remove the setting: %s", u.raw)
	}

	cr := gw.post(gp+"/openai/credentials", `{"api_key":"sk-new-key"}`).want(200)
	cr.hasFields(cr.body, "id", "credentials_updated_at", "status")

	ts := gw.post(gp+"/openai/test", "").want(200)
	ts.hasFields(ts.body, "id", "test_result", "latency_ms", "models_available", "tested_at")
	if ts.str("test_result") != "success" {
		t.Fatalf("test: %s", ts.raw)
	}
	for range 2 { // idempotent
		d := gw.post(gp+"/openai/disable", "").want(200)
		if d.str("status") != "disabled" || d.str("disabled_at") == "" {
			t.Fatalf("disable: %s", d.raw)
		}
	}
	if gw.do("GET", gp, "").str("providers", 0, "status") != "disabled" {
		t.Error("list does not show disabled")
	}
	ts = gw.post(gp+"/openai/test", "").want(200)
	if ts.str("test_result") != "failure" || ts.str("error") == "" {
		t.Fatalf("test of disabled: %s", ts.raw)
	}
	e := gw.post(gp+"/openai/enable", "").want(200)
	if e.str("status") != "active" || e.str("enabled_at") == "" {
		t.Fatalf("enable: %s", e.raw)
	}
	gw.do("DELETE", gp+"/openai", "").want(204)
	if gw.do("GET", gp+"/openai", "").str("status") != "inactive" {
		t.Error("deleted provider is not inactive")
	}
	gw.do("DELETE", gp+"/openai", "").wantError(404, "not_found", "")
	gw.post(gp+"/openai/test", "").wantError(404, "not_found", "")
	gw.do("PATCH", gp+"/openai", `{"settings":{}}`).wantError(404, "not_found", "")
}

func TestGateflowBadInput(t *testing.T) {
	_, _, gw := start(t, emulator.Config{})
	gw.post(gp, `{"provider":`).wantError(400, "invalid_json", "")
	gw.post(gp, `{"provider":"openai","credentials":{"api_key":"sk-1"},"extra":1}`).wantError(400, "unknown_field", "extra")
	gw.post(gp, `{"credentials":{"api_key":"sk-1"}}`).wantError(400, "missing_field", "provider")
	gw.post(gp, `{"provider":"openai"}`).wantError(400, "missing_field", "credentials")
	gw.post(gp, `{"provider":"acme","credentials":{"api_key":"x"}}`).wantError(404, "not_found", "provider")
	gw.post(gp, `{"provider":"openai","credentials":{"api_key":"pk-1"}}`).wantError(422, "invalid_credentials", "credentials.api_key")
	gw.post(gp, `{"provider":"anthropic","credentials":{"api_key":"sk-1"}}`).wantError(422, "invalid_credentials", "credentials.api_key")
	gw.post(gp, `{"provider":"mistral","credentials":{"api_key":""}}`).wantError(422, "invalid_credentials", "credentials.api_key")
	gw.post(gp, `{"provider":"mistral","credentials":{"api_key":"k","secret":"s"}}`).wantError(422, "invalid_credentials", "credentials.secret")
	gw.post(gp, `{"provider":"mistral","credentials":{"api_key":"k"},"settings":{"region":"eu"}}`).wantError(400, "invalid_configuration", "settings.region")
	gw.post(gp, `{"provider":"google","credentials":{"api_key":"k"},"settings":{"timeout_ms":"fast"}}`).wantError(400, "invalid_configuration", "settings.timeout_ms")
	gw.post(gp, `{"provider":"google","credentials":{"api_key":"k"},"settings":{"default_model":3}}`).wantError(400, "invalid_configuration", "settings.default_model")
	gw.post(gp, `{"provider":"google","credentials":{"api_key":7}}`).wantError(400, "invalid_configuration", "credentials.api_key")
	gw.post(gp, `{"provider":"google","credentials":{"api_key":"k"},"settings":{"region":"eu"}}`).want(200)
	gw.do("PATCH", gp+"/google", `{"settings":{"default_voice":"x"}}`).wantError(400, "invalid_configuration", "settings.default_voice")
	gw.do("PATCH", gp+"/google", `{}`).wantError(400, "missing_field", "settings")
	gw.post(gp+"/google/credentials", `{"api_key":""}`).wantError(422, "invalid_credentials", "api_key")
	gw.post(gp+"/acme/credentials", `{"api_key":"x"}`).wantError(404, "not_found", "")
}

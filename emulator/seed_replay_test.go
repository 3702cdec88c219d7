package emulator_test

import (
	"cmp"
	"encoding/csv"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

// The tests in this file replay every example of the vendors' documents
// (../shared/seeds/: the Glow Providers guide and the Gateflow Management
// API reference) over HTTP, in the documents' order, with the request
// bodies copied from them as raw strings (placeholders replaced by the ids
// of objects created for real), and check the documented answer shapes.
// They pin the JSON names independently of the Go wire types.

// fill replaces the documents' placeholders, longest first: KEY_UUID is
// inside NEW_KEY_UUID, so map order would otherwise decide which one wins.
func fill(body string, ids map[string]string) string {
	keys := slices.SortedFunc(maps.Keys(ids), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	for _, k := range keys {
		body = strings.ReplaceAll(body, k, ids[k])
	}
	return body
}

// glowGuide replays the Glow Providers guide: each method is one of its
// sections, in the guide's order, on the objects the earlier ones made.
type glowGuide struct {
	t   *testing.T
	g   *client
	ids map[string]string // the guide's placeholders, filled in as objects are made
	// openai and anthropic are the guide's two providers; openaiDraft is
	// the draft openai's create opened, duplicate openai's copy.
	openai, openaiDraft, anthropic, duplicate string
}

func TestSeedReplayGlowGuide(t *testing.T) {
	_, g, _ := start(t, emulator.Config{GlowTokens: []emulator.GlowToken{{Token: "glow-token", ActorName: "ta-coordinator@uni.edu"}}})
	guide := &glowGuide{t: t, g: g.as("glow-token"), ids: map[string]string{}}
	guide.create()
	guide.attachThroughTheCreateDraft()
	guide.getAndDecrypt()
	draftID := guide.draftARotation()
	guide.listAndPublishTheDraft(draftID)
	guide.search()
	guide.updateDuplicateExport()
	guide.delete()
}

// create: glow providers create --body '…' (POST /provider/create) and its
// curl form.
func (s *glowGuide) create() {
	t, g := s.t, s.g
	r := g.post("/provider/create", `{
"providers": [{
"name": "OpenAI Production",
"description": "Production OpenAI API for TA training simulations"
}]
}`).want(200)
	// "Each entry returns the new provider_id, a generated draft_id, and the initial version."
	r.hasFields(r.get("providers", 0), "provider_id", "draft_id", "version")
	s.openai = r.str("providers", 0, "provider_id")
	s.openaiDraft = r.str("providers", 0, "draft_id")
	if r.num("providers", 0, "version") != 1 {
		t.Errorf("initial version: %s", r.raw)
	}

	// curl -X POST $GLOW_INSTANCE_URL/provider/create
	r = g.post("/provider/create", `{
"providers": [{
"name": "Anthropic Production",
"description": "Anthropic Claude API for office hour simulations"
}]
}`).want(200)
	r.hasFields(r.get("providers", 0), "provider_id", "draft_id", "version")
	s.anthropic = r.str("providers", 0, "provider_id")
	// The drafts create opened stage nothing, so none is listed.
	if n := len(g.post("/provider/drafts", "").want(200).list("drafts")); n != 0 {
		t.Errorf("%d drafts listed after the creates, want 0", n)
	}
}

// attachThroughTheCreateDraft: endpoints: get shows "the current endpoint
// resource and all available endpoint options". The endpoint and the key to
// decrypt exist first, and are attached through the draft create opened,
// continued with only the guide's fields: "Include input_draft_id and
// expected_version for updates to existing drafts."
func (s *glowGuide) attachThroughTheCreateDraft() {
	t, g, ids := s.t, s.g, s.ids
	ids["ENDPOINT_UUID"] = g.post("/endpoint/create", `{"endpoints": [{"url": "https://api.openai.com/v1", "name": "OpenAI v1"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	ids["KEY_UUID"] = g.post("/key/create", `{"keys": [{"name": "OpenAI prod key", "value": "sk-proj-example"}]}`).want(200).str("keys", 0, "key_id")
	ids["PROVIDER_UUID"] = s.openai
	ids["CREATE_DRAFT_UUID"] = s.openaiDraft
	r := g.do("PATCH", "/provider/draft", fill(`{"input_draft_id": "CREATE_DRAFT_UUID", "expected_version": 1, "endpoint_ids": ["ENDPOINT_UUID"], "key_ids": ["KEY_UUID"]}`, ids)).want(200)
	const step = "continued the create's draft"
	r.wantStr(step, s.openaiDraft, "draft_id")
	r.wantNum(step, 2, "new_version")
	r.wantStr(step, s.openai, "form_state", "provider_id")
	r.wantStr(step, ids["KEY_UUID"], "form_state", "key_ids", 0)
	r = g.post("/provider/publish", fill(`{"draft_id": "CREATE_DRAFT_UUID", "expected_version": 2}`, ids)).want(200)
	if r.num("version") != 3 || r.str("endpoint_ids", 0) != ids["ENDPOINT_UUID"] {
		t.Errorf("published the create's draft: %s", r.raw)
	}
}

// getAndDecrypt: glow providers get --body '{"provider_id": "..."}' (POST
// /provider/get), then curl -X POST $GLOW_INSTANCE_URL/provider/decrypt.
func (s *glowGuide) getAndDecrypt() {
	t, g, ids := s.t, s.g, s.ids
	r := g.post("/provider/get", fill(`{"provider_id": "PROVIDER_UUID"}`, ids)).want(200)
	r.hasFields(r.body, "provider", "endpoints", "keys")
	r.hasFields(r.get("endpoints"), "current", "options")
	r.hasFields(r.get("provider"), "provider_id", "name", "description", "endpoint_ids", "key_ids", "values", "model_usage_count", "model_ids")
	r.hasFields(r.get("endpoints", "current", 0), "endpoint_id", "url")
	r.hasFields(r.get("keys", "current", 0), "key_id", "name")

	r = g.post("/provider/decrypt", fill(`{
"provider_id": "PROVIDER_UUID",
"key_id": "KEY_UUID"
}`, ids)).want(200)
	// "The response returns the decrypted key value, the key name, and the actor_name of the requesting user."
	r.hasFields(r.body, "value", "name", "actor_name")
	if r.str("value") != "sk-proj-example" || r.str("name") != "OpenAI prod key" || r.str("actor_name") != "ta-coordinator@uni.edu" {
		t.Errorf("decrypt: %s", r.raw)
	}
	audit := g.as("").do("GET", "/_emulator/audit", "").want(200)
	if audit.str("entries", 0, "actor_name") != "ta-coordinator@uni.edu" {
		t.Errorf("decrypt not audited with the actor: %s", audit.raw)
	}
}

// draftARotation: # Create or update a provider draft, glow providers draft
// --body '…' (PATCH /provider/draft). "This is useful when rotating API
// keys or switching endpoints": the draft names the live provider, so it
// stages a change to it (a key rotation and an endpoint switch), which
// needs the version read. It returns the draft's id.
func (s *glowGuide) draftARotation() string {
	t, g, ids := s.t, s.g, s.ids
	ids["NEW_ENDPOINT_UUID"] = g.post("/endpoint/create", `{"endpoints": [{"url": "https://api.openai.com/v2", "name": "OpenAI v2"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	ids["NEW_KEY_UUID"] = g.post("/key/create", `{"keys": [{"name": "OpenAI prod key (rotated)", "value": "sk-proj-rotated"}]}`).want(200).str("keys", 0, "key_id")
	before := g.post("/provider/get", fill(`{"provider_id": "PROVIDER_UUID"}`, ids)).want(200)
	const guideDraft = `{
"name": "OpenAI Production",
"description": "Updated endpoint for v2 API",
"endpoint_ids": ["NEW_ENDPOINT_UUID"],
"key_ids": ["NEW_KEY_UUID"]
}`
	r := g.do("PATCH", "/provider/draft", fill(guideDraft, ids)).wantError(400, "missing_field", "expected_version")
	if !strings.Contains(r.message(), s.openai) || !strings.Contains(r.message(), "version 3") {
		t.Errorf("the refusal does not name the provider and its version: %s", r.raw)
	}
	r = g.do("PATCH", "/provider/draft", fill(strings.Replace(guideDraft, "{", `{"expected_version": 3,`, 1), ids)).want(200)
	// "The response includes draft_id, new_version, and a form_state object"
	r.hasFields(r.body, "draft_id", "new_version", "form_state")
	r.hasFields(r.get("form_state"), "name", "description", "endpoint_ids", "key_ids", "values")
	draftID := r.str("draft_id")
	if draftID == s.openaiDraft {
		t.Errorf("the guide's draft: draft_id = %q, want a new draft, not the create's", draftID)
	}
	const step = "the guide's draft"
	r.wantNum(step, 4, "new_version")
	r.wantStr(step, s.openai, "form_state", "provider_id")
	r.wantStr(step, ids["NEW_KEY_UUID"], "form_state", "key_ids", 0)
	r.wantStr(step, ids["NEW_ENDPOINT_UUID"], "form_state", "endpoint_ids", 0)
	// Nothing live changed: the version (the provider's lock) grew, the
	// fields and updated_at did not.
	live := g.post("/provider/get", fill(`{"provider_id": "PROVIDER_UUID"}`, ids)).want(200)
	if got := live.num("provider", "version"); got != 4 {
		t.Errorf("live provider after a draft: version = %d, want 4", got)
	}
	for _, f := range []struct{ name, got, want string }{
		{"updated_at", live.str("provider", "updated_at"), before.str("provider", "updated_at")},
		{"key_ids[0]", live.str("provider", "key_ids", 0), ids["KEY_UUID"]},
		{"description", live.str("provider", "description"), before.str("provider", "description")},
	} {
		if f.got != f.want {
			t.Errorf("live provider moved by a draft: %s = %q, want %q", f.name, f.got, f.want)
		}
	}
	// "Include input_draft_id and expected_version for updates to existing drafts."
	r = g.do("PATCH", "/provider/draft", `{"input_draft_id": "`+draftID+`", "expected_version": 4, "description": "Updated endpoint for v2 API (rev 2)"}`).want(200)
	if r.str("draft_id") != draftID || r.num("new_version") != 5 || r.str("form_state", "key_ids", 0) != ids["NEW_KEY_UUID"] {
		t.Errorf("continued draft: %s", r.raw)
	}
	return draftID
}

// listAndPublishTheDraft: # List your drafts, glow providers list (POST
// /provider/drafts); publishing rotates the key and switches the endpoint
// at once.
func (s *glowGuide) listAndPublishTheDraft(draftID string) {
	t, g, ids := s.t, s.g, s.ids
	r := g.post("/provider/drafts", "").want(200)
	r.hasFields(r.body, "drafts")
	r.hasFields(r.get("drafts", 0), "draft_id", "provider_id", "version", "form_state")
	if n := len(r.list("drafts")); n != 1 {
		t.Errorf("drafts: %d drafts, want 1: %s", n, r.raw)
	} else {
		r.wantStr("drafts", draftID, "drafts", 0, "draft_id")
		r.wantStr("drafts", s.openai, "drafts", 0, "provider_id")
		r.wantNum("drafts", 5, "drafts", 0, "version")
	}

	r = g.post("/provider/publish", `{"draft_id": "`+draftID+`", "expected_version": 5}`).want(200)
	const step = "published the guide's draft"
	r.wantNum(step, 6, "version")
	r.wantStr(step, "OpenAI Production", "name")
	for _, c := range []struct{ field, want string }{
		{"key_ids", ids["NEW_KEY_UUID"]},
		{"endpoint_ids", ids["NEW_ENDPOINT_UUID"]},
	} {
		if n := len(r.list(c.field)); n != 1 {
			t.Errorf("%s: %d %s, want 1: %s", step, n, c.field, r.raw)
		} else {
			r.wantStr(step, c.want, c.field, 0)
		}
	}
	if r := g.post("/provider/decrypt", fill(`{"provider_id": "PROVIDER_UUID", "key_id": "NEW_KEY_UUID"}`, ids)).want(200); r.str("value") != "sk-proj-rotated" {
		t.Errorf("decrypt after the rotation: %s", r.raw)
	}
	if n := len(g.post("/provider/drafts", "").want(200).list("drafts")); n != 0 {
		t.Errorf("%d drafts listed after the publish, want 0", n)
	}
}

// search: glow providers search, by text, by department and without a body.
func (s *glowGuide) search() {
	t, g, ids := s.t, s.g, s.ids
	// glow providers search --body '{"search": "openai"}'
	r := g.post("/provider/search", `{"search": "openai"}`).want(200)
	r.hasFields(r.body, "providers", "total_count")
	if r.num("total_count") != 1 || r.str("providers", 0, "provider_id") != s.openai {
		t.Errorf("search openai: %s", r.raw)
	}
	r.hasFields(r.get("providers", 0), "provider_id", "name", "model_usage_count", "model_ids")

	// glow providers search --body '{"filter_department_ids": ["CS_DEPT_UUID"], "page_size": 25}'
	ids["CS_DEPT_UUID"] = "cs-department"
	csProv, _ := g.createProvider(fill(`{"name": "CS OpenAI", "department_ids": ["CS_DEPT_UUID"]}`, ids))
	r = g.post("/provider/search", fill(`{
"filter_department_ids": ["CS_DEPT_UUID"],
"page_size": 25
}`, ids)).want(200)
	if r.num("total_count") != 1 || r.str("providers", 0, "provider_id") != csProv {
		t.Errorf("department search: %s", r.raw)
	}

	// glow providers search  (no body: list all providers)
	r = g.post("/provider/search", "").want(200)
	if r.num("total_count") != 3 {
		t.Errorf("search all: %s", r.raw)
	}
}

// updateDuplicateExport: glow providers update, curl .../provider/duplicate
// and glow providers export.
func (s *glowGuide) updateDuplicateExport() {
	t, g, ids := s.t, s.g, s.ids
	// glow providers update --body '{"provider_id": "...", ...}'
	r := g.post("/provider/update", `{"provider_id": "`+s.anthropic+`", "description": "Anthropic Claude API for office hours"}`).want(200)
	r.hasFields(r.body, "provider_id", "version")

	// curl -X POST $GLOW_INSTANCE_URL/provider/duplicate
	r = g.post("/provider/duplicate", fill(`{"provider_id": "PROVIDER_UUID"}`, ids)).want(200)
	// "The response returns a new provider_id for the duplicated provider."
	s.duplicate = r.str("provider_id")
	if s.duplicate == s.openai {
		t.Fatal("duplicate returned the original id")
	}

	// glow providers export  (POST /provider/export)
	r = g.post("/provider/export", "").want(200)
	rows, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][0] != "provider_id" {
		t.Errorf("export: %v %q", err, rows)
	}
}

// delete: the guide's three forms of glow providers delete.
func (s *glowGuide) delete() {
	t, g, ids := s.t, s.g, s.ids
	// curl -X POST $GLOW_INSTANCE_URL/provider/delete -d '{"provider_ids": ["UUID_1", "UUID_2"]}'
	ids["UUID_1"], ids["UUID_2"] = s.duplicate, s.anthropic
	r := g.post("/provider/delete", fill(`{"provider_ids": ["UUID_1", "UUID_2"]}`, ids)).want(200)
	// "Each item in the results array indicates whether that specific deletion succeeded, along with a message."
	for i := range 2 {
		r.hasFields(r.get("results", i), "success", "message")
		if r.get("results", i, "success") != true {
			t.Errorf("delete: %s", r.raw)
		}
	}

	// glow providers delete --body '{"all": true, "filter_department_ids": ["dept-retired"], "excluded_ids": ["provider-keep-this-one"]}'
	retired1, _ := g.createProvider(`{"name": "Retired 1", "department_ids": ["dept-retired"]}`)
	keep, _ := g.createProvider(`{"name": "Retired but kept", "department_ids": ["dept-retired"]}`)
	ids["provider-keep-this-one"] = keep
	r = g.post("/provider/delete", fill(`{
"all": true,
"filter_department_ids": ["dept-retired"],
"excluded_ids": ["provider-keep-this-one"]
}`, ids)).want(200)
	if len(r.list("results")) != 1 || r.str("results", 0, "provider_id") != retired1 {
		t.Errorf("delete all: %s", r.raw)
	}

	// glow providers delete --body '{"provider_id": "..."}'
	r = g.post("/provider/delete", `{"provider_id": "`+keep+`"}`).want(200)
	r.hasFields(r.get("results", 0), "provider_id", "success", "message")
}

// gatewayProviders is the Management API's providers collection.
const gatewayProviders = "/v1/management/providers"

func TestSeedReplayGateflowReference(t *testing.T) {
	_, _, gw := start(t, emulator.Config{GateflowAdminKeys: []emulator.AdminKey{{Key: "gw_admin_..."}}})
	gw = gw.as("gw_admin_...")
	replayConfigureOpenAIAndAnthropic(t, gw)
	replayListProviders(t, gw)
	replayConfigureTheOthers(t, gw)
	replayProviderDetails(t, gw)
	replayOpenAILifecycle(t, gw)
	replayErrorsTable(gw)
}

// wantConfigured checks the answer of Configure Provider for provider id.
func wantConfigured(t *testing.T, r *reply, id, name string) {
	t.Helper()
	r.hasFields(r.body, "id", "name", "status", "configured", "configured_at", "models")
	step := "configure " + id
	r.wantStr(step, id, "id")
	r.wantStr(step, name, "name")
	r.wantStr(step, "active", "status")
	if got := r.get("configured"); got != true {
		t.Errorf("configure %s: configured = %v, want true", id, got)
	}
}

// replayConfigureOpenAIAndAnthropic: Configure Provider, its OpenAI and
// Anthropic examples, with the models each gets.
func replayConfigureOpenAIAndAnthropic(t *testing.T, gw *client) {
	r := gw.post(gatewayProviders, `{
"provider": "openai",
"credentials": {
"api_key": "sk-..."
},
"settings": {
"organization_id": "org-...",
"default_model": "gpt-5.2"
}
}`).want(200)
	wantConfigured(t, r, "openai", "OpenAI")
	if strings.Join(strs(r.list("models")), ",") != "gpt-5.2,gpt-5,gpt-5-mini,text-embedding-3-large" {
		t.Errorf("openai models: %s", r.raw)
	}
	r = gw.post(gatewayProviders, `{
"provider": "anthropic",
"credentials": {
"api_key": "sk-ant-..."
},
"settings": {
"default_model": "claude-sonnet-4-5-20250929"
}
}`).want(200)
	wantConfigured(t, r, "anthropic", "Anthropic")
	if strings.Join(strs(r.list("models")), ",") != "claude-opus-4-5-20251107,claude-sonnet-4-5-20250929,claude-haiku-4-5-20251015" {
		t.Errorf("anthropic models: %s", r.raw)
	}
}

// replayListProviders: List Providers, the reference's example state
// (google not configured).
func replayListProviders(t *testing.T, gw *client) {
	r := gw.do("GET", gatewayProviders, "").want(200)
	for i, want := range []string{"openai", "anthropic", "google"} {
		p := r.get("providers", i)
		r.hasFields(p, "id", "name", "status", "configured", "models", "health")
		if r.str("providers", i, "id") != want {
			t.Errorf("providers[%d] is %v", i, r.get("providers", i, "id"))
		}
	}
	r.hasFields(r.get("providers", 0, "health"), "status", "latency_ms", "last_check")
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"name", r.str("providers", 2, "name"), "Google AI"},
		{"status", r.str("providers", 2, "status"), "inactive"},
		{"configured", r.get("providers", 2, "configured"), false},
		{"health", r.get("providers", 2, "health"), nil},
	} {
		if f.got != f.want {
			t.Errorf("unconfigured google: %s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if models := r.list("providers", 2, "models"); len(models) != 0 {
		t.Errorf("unconfigured google: models = %v, want none", models)
	}
}

// replayConfigureTheOthers: Configure Provider's Google AI, Mistral,
// Cohere and ElevenLabs examples.
func replayConfigureTheOthers(t *testing.T, gw *client) {
	for _, c := range []struct{ id, name, body string }{
		{"google", "Google AI", `{
"provider": "google",
"credentials": {
"api_key": "..."
},
"settings": {
"default_model": "gemini-3-pro"
}
}`},
		{"mistral", "Mistral", `{
"provider": "mistral",
"credentials": {
"api_key": "..."
}
}`},
		{"cohere", "Cohere", `{
"provider": "cohere",
"credentials": {
"api_key": "..."
}
}`},
		{"elevenlabs", "ElevenLabs", `{
"provider": "elevenlabs",
"credentials": {
"api_key": "..."
},
"settings": {
"default_voice": "rachel"
}
}`},
	} {
		wantConfigured(t, gw.post(gatewayProviders, c.body).want(200), c.id, c.name)
	}
	if !strings.Contains(string(gw.do("GET", gatewayProviders+"/google", "").raw), `"gemini-3-pro"`) {
		t.Error("google's catalogue lacks gemini-3-pro")
	}
}

// replayProviderDetails: Get Provider Details.
func replayProviderDetails(t *testing.T, gw *client) {
	r := gw.do("GET", gatewayProviders+"/openai", "").want(200)
	r.hasFields(r.body, "id", "name", "status", "configured", "configured_at", "settings", "models", "health", "usage")
	r.hasFields(r.get("settings"), "organization_id", "default_model")
	r.hasFields(r.get("models", 0), "id", "type", "available")
	r.hasFields(r.get("health"), "status", "latency_ms", "uptime_30d", "last_check", "last_error")
	r.hasFields(r.get("usage"), "requests_today", "tokens_today", "cost_today_usd")
	if r.str("models", 0, "type") != "chat" || r.str("models", 3, "id") != "text-embedding-3-large" || r.str("models", 3, "type") != "embedding" {
		t.Errorf("models: %s", r.raw)
	}
}

// replayOpenAILifecycle: Update Provider, Update Provider Credentials, Test
// Provider Connection, Disable and Enable Provider, Delete Provider
// Configuration, on openai.
func replayOpenAILifecycle(t *testing.T, gw *client) {
	const openai = gatewayProviders + "/openai"
	r := gw.do("PATCH", openai, `{
"settings": {
"default_model": "gpt-5-mini"
}
}`).want(200)
	if r.str("settings", "default_model") != "gpt-5-mini" || r.str("settings", "organization_id") != "org-..." {
		t.Errorf("update: %s", r.raw)
	}

	r = gw.post(openai+"/credentials", `{
"api_key": "sk-new-key-..."
}`).want(200)
	r.hasFields(r.body, "id", "credentials_updated_at", "status")
	r.wantStr("credentials", "active", "status")

	r = gw.post(openai+"/test", "").want(200)
	r.hasFields(r.body, "id", "test_result", "latency_ms", "models_available", "tested_at")
	r.wantStr("test", "success", "test_result")

	r = gw.post(openai+"/disable", "").want(200)
	r.hasFields(r.body, "id", "status", "disabled_at")
	r.wantStr("disable", "disabled", "status")

	r = gw.post(openai+"/enable", "").want(200)
	r.hasFields(r.body, "id", "status")
	r.wantStr("enable", "active", "status")

	r = gw.do("DELETE", openai, "").want(204)
	if len(r.raw) != 0 {
		t.Errorf("204 with a body: %s", r.raw)
	}
}

// replayErrorsTable: the reference's errors table, 400, 401, 404 and 422.
func replayErrorsTable(gw *client) {
	gw.post(gatewayProviders, `{"provider": "openai", "credentials": {"api_key": "sk-..."}, "settings": {"colour": "blue"}}`).wantError(400, "invalid_configuration", "settings.colour")
	gw.as("gw_admin_wrong").do("GET", gatewayProviders, "").wantError(401, "unauthorized", "")
	gw.do("GET", gatewayProviders+"/azure", "").wantError(404, "not_found", "")
	gw.post(gatewayProviders, `{"provider": "openai", "credentials": {"api_key": "..."}}`).wantError(422, "invalid_credentials", "credentials.api_key")
}

func strs(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i], _ = x.(string)
	}
	return out
}

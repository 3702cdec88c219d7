package emulator_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

func TestGlowAuth(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	g.as("").post("/provider/search", `{}`).wantError(401, "unauthorized", "")
	r := g.as("wrong-token").post("/provider/search", `{}`).wantError(401, "unauthorized", "")
	if strings.Contains(string(r.raw), "wrong-token") {
		t.Errorf("the answer repeats the token: %s", r.raw)
	}
	// A Gateflow admin key is not a Glow token.
	g.as("gw_admin_test").post("/provider/search", `{}`).wantError(401, "unauthorized", "")
}

func TestGlowCreateGetAllOrNothing(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"https://api.openai.com/v1","name":"OpenAI"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	key := g.post("/key/create", `{"keys":[{"name":"prod","value":"sk-secret-value"}]}`).want(200)
	if strings.Contains(string(key.raw), "sk-secret-value") {
		t.Fatalf("key create returns the value: %s", key.raw)
	}
	keyID := key.str("keys", 0, "key_id")

	r := g.postf("/provider/create", `{"providers":[
		{"name":"A","description":"d","department_ids":["cs"],"endpoint_ids":[%q],"key_ids":[%q],"values":{"region":"us"}},
		{"name":"B"}]}`, ep, keyID).want(200)
	if n := len(r.list("providers")); n != 2 {
		t.Fatalf("%d created, want 2", n)
	}
	r.hasFields(r.get("providers", 0), "provider_id", "name", "draft_id", "version")
	if v := r.num("providers", 0, "version"); v != 1 {
		t.Errorf("version %d, want 1", v)
	}
	id := r.str("providers", 0, "provider_id")

	got := g.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	got.hasFields(got.get("provider"), "provider_id", "name", "description", "department_ids", "endpoint_ids", "key_ids",
		"values", "version", "model_usage_count", "model_ids", "created_at", "updated_at")
	if got.str("endpoints", "current", 0, "endpoint_id") != ep || got.str("keys", "current", 0, "key_id") != keyID {
		t.Errorf("endpoints/keys sections: %s", got.raw)
	}
	if len(got.list("endpoints", "options")) != 1 {
		t.Errorf("options: %s", got.raw)
	}
	if strings.Contains(string(got.raw), "sk-secret-value") {
		t.Fatalf("get returns a key value: %s", got.raw)
	}

	// All or nothing: the second entry is bad, the first is not created.
	g.post("/provider/create", `{"providers":[{"name":"C"},{"name":"  "}]}`).wantError(400, "invalid_field", "providers[1].name")
	g.post("/provider/create", `{"providers":[{"name":"C"},{"description":"x"}]}`).wantError(400, "missing_field", "providers[1].name")
	g.post("/provider/create", `{"providers":[{"name":"C"},{"name":"C"}]}`).wantError(409, "name_conflict", "providers[1].name")
	if n := g.post("/provider/search", `{"search":"C"}`).num("total_count"); n != 0 {
		t.Errorf("a failed create left %d providers named C", n)
	}
	g.postf("/provider/create", `{"providers":[{"name":"D","endpoint_ids":["nope"]}]}`).wantError(404, "not_found", "providers[0].endpoint_ids[0]")
}

func TestGlowBadInput(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	g.post("/provider/create", `{"providers":[`).wantError(400, "invalid_json", "")
	g.post("/provider/create", `{"providers":[{"name":"A","nmae":"x"}]}`).wantError(400, "unknown_field", "providers[0].nmae")
	g.post("/provider/create", `{"providers":[{"name":5}]}`).wantError(400, "invalid_field", "providers[0].name")
	g.post("/provider/create", `{}`).wantError(400, "missing_field", "providers")
	g.post("/provider/create", `{"providers":[{"name":"A","values":{"k":1}}]}`).wantError(400, "invalid_field", "providers[0].values.k")
	many := strings.Repeat(`{"name":"x"},`, 501)
	g.post("/provider/create", `{"providers":[`+strings.TrimSuffix(many, ",")+`]}`).wantError(400, "too_many_items", "providers")
	g.post("/provider/get", `{}`).wantError(400, "missing_field", "provider_id")
	g.post("/provider/get", `{"provider_id":"nope"}`).wantError(404, "not_found", "provider_id")
	g.post("/provider/search", `{"page_size":501}`).wantError(400, "invalid_field", "page_size")
	g.post("/provider/search", `{"page_token":"garbage!"}`).wantError(400, "invalid_field", "page_token")
	g.post("/endpoint/create", `{"endpoints":[{"url":"ftp://x"}]}`).wantError(400, "invalid_field", "endpoints[0].url")
	g.post("/endpoint/create", `{"endpoints":[{"url":"/relative"}]}`).wantError(400, "invalid_field", "endpoints[0].url")
	g.post("/key/create", `{"keys":[{"name":"k","value":""}]}`).wantError(400, "invalid_field", "keys[0].value")
	g.post("/key/create", `{"keys":[{"name":"k"}]}`).wantError(400, "missing_field", "keys[0].value")
	g.post("/model/create", `{"models":[{"name":"m","provider_id":"nope"}]}`).wantError(404, "not_found", "models[0].provider_id")
	ids := strings.TrimSuffix(strings.Repeat(`"x",`, 501), ",")
	g.post("/provider/delete", `{"provider_ids":[`+ids+`]}`).wantError(400, "too_many_items", "provider_ids")
	g.post("/provider/delete", `{}`).wantError(400, "missing_field", "provider_ids")
	g.post("/provider/nope", `{}`).wantError(404, "not_found", "")
}

func TestGlowNamesUniquePerDepartment(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	g.createProvider(`{"name":"OpenAI","department_ids":["cs","math"]}`)
	g.createProvider(`{"name":"OpenAI","department_ids":["bio"]}`) // no shared department
	g.createProvider(`{"name":"OpenAI"}`)                          // global
	g.post("/provider/create", `{"providers":[{"name":"OpenAI"}]}`).wantError(409, "name_conflict", "providers[0].name")
	g.post("/provider/create", `{"providers":[{"name":"OpenAI","department_ids":["math","art"]}]}`).wantError(409, "name_conflict", "providers[0].name")
	id, _ := g.createProvider(`{"name":"Other","department_ids":["bio"]}`)
	g.postf("/provider/update", `{"provider_id":%q,"name":"OpenAI"}`, id).wantError(409, "name_conflict", "name")
	// Moving it out of bio frees the name.
	g.postf("/provider/update", `{"provider_id":%q,"name":"OpenAI","department_ids":["art"]}`, id).want(200)
}

func TestGlowUpdateVersions(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	id, _ := g.createProvider(`{"name":"A","values":{"a":"1"}}`)
	r := g.postf("/provider/update", `{"provider_id":%q,"expected_version":1,"description":"new"}`, id).want(200)
	if r.num("version") != 2 || r.str("description") != "new" || r.get("values", "a") != "1" {
		t.Fatalf("update: %s", r.raw)
	}
	r = g.postf("/provider/update", `{"provider_id":%q,"expected_version":1,"description":"stale"}`, id).wantError(409, "version_conflict", "expected_version")
	if r.message() != "expected version 1, server has 2" {
		t.Errorf("message %q", r.message())
	}
	// Without expected_version it applies; present fields replace whole values.
	r = g.postf("/provider/update", `{"provider_id":%q,"values":{"b":"2"}}`, id).want(200)
	if r.num("version") != 3 || len(r.get("values").(map[string]any)) != 1 {
		t.Fatalf("update: %s", r.raw)
	}
}

func TestGlowDraftPublishFlow(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"https://api.openai.com/v2"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	id, draft := g.createProvider(`{"name":"OpenAI Production"}`)

	// The created draft is continued: v1 → draft v2 → publish → v3.
	r := g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"input_draft_id":%q,"expected_version":1,"endpoint_ids":[%q]}`, id, draft, ep)).want(200)
	if r.str("draft_id") != draft || r.num("new_version") != 2 {
		t.Fatalf("draft: %s", r.raw)
	}
	if r.str("form_state", "endpoint_ids", 0) != ep || r.str("form_state", "name") != "OpenAI Production" {
		t.Fatalf("form_state: %s", r.raw)
	}
	// Staging bumped the live provider's version but did not change it.
	live := g.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	if live.num("provider", "version") != 2 || len(live.list("provider", "endpoint_ids")) != 0 {
		t.Fatalf("live after draft: %s", live.raw)
	}
	// A concurrent writer that read v1 is told its draft is stale.
	g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"expected_version":1,"description":"other"}`, id)).
		wantError(409, "version_conflict", "expected_version")
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":1}`, draft).wantError(409, "version_conflict", "expected_version")
	p := g.postf("/provider/publish", `{"draft_id":%q,"expected_version":2}`, draft).want(200)
	if p.num("version") != 3 || p.str("endpoint_ids", 0) != ep {
		t.Fatalf("publish: %s", p.raw)
	}
	// The draft is closed.
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":3}`, draft).wantError(404, "not_found", "draft_id")
	g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"description":"x"}`, id)).wantError(400, "missing_field", "expected_version")

	// A draft staged against a version someone changed since cannot be published.
	d2 := g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"expected_version":3,"description":"mine"}`, id)).want(200)
	g.postf("/provider/update", `{"provider_id":%q,"description":"theirs"}`, id).want(200)
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":4}`, d2.str("draft_id")).wantError(409, "version_conflict", "expected_version")

	// A new-provider draft, staged by name.
	n := g.do("PATCH", "/provider/draft", `{"name":"Staged","description":"v1"}`).want(200)
	if n.num("new_version") != 1 {
		t.Fatalf("new draft: %s", n.raw)
	}
	nd := n.str("draft_id")
	n = g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"input_draft_id":%q,"expected_version":1,"description":"v2"}`, nd)).want(200)
	if n.num("new_version") != 2 || n.str("form_state", "name") != "Staged" {
		t.Fatalf("continued draft: %s", n.raw)
	}
	g.do("PATCH", "/provider/draft", `{"description":"no name"}`).wantError(400, "missing_field", "name")
	drafts := g.post("/provider/drafts", `{}`).want(200)
	found := false
	for _, d := range drafts.list("drafts") {
		if d.(map[string]any)["draft_id"] == nd {
			found = true
		}
	}
	if !found {
		t.Fatalf("drafts list lacks %s: %s", nd, drafts.raw)
	}
	pub := g.postf("/provider/publish", `{"draft_id":%q,"expected_version":2}`, nd).want(200)
	if pub.str("name") != "Staged" || pub.str("description") != "v2" {
		t.Fatalf("published new provider: %s", pub.raw)
	}
}

func TestGlowDepartmentScoping(t *testing.T) {
	_, g, _ := start(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: "admin", ActorName: "admin"},
		{Token: "cs", ActorName: "cs-lead", Departments: []string{"cs"}},
	}})
	admin, cs := g.as("admin"), g.as("cs")
	key := admin.post("/key/create", `{"keys":[{"name":"k","value":"v"}]}`).str("keys", 0, "key_id")
	mine, _ := admin.createProvider(fmt.Sprintf(`{"name":"Mine","department_ids":["cs"],"key_ids":[%q]}`, key))
	mixed, _ := admin.createProvider(fmt.Sprintf(`{"name":"Mixed","department_ids":["cs","math"],"key_ids":[%q]}`, key))
	global, _ := admin.createProvider(`{"name":"Global"}`)

	cs.postf("/provider/get", `{"provider_id":%q}`, mine).want(200)
	for _, id := range []string{mixed, global} {
		cs.postf("/provider/get", `{"provider_id":%q}`, id).wantError(404, "not_found", "provider_id")
		cs.postf("/provider/update", `{"provider_id":%q,"description":"x"}`, id).wantError(404, "not_found", "provider_id")
		cs.postf("/provider/duplicate", `{"provider_id":%q}`, id).wantError(404, "not_found", "provider_id")
		cs.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"expected_version":1}`, id)).wantError(404, "not_found", "provider_id")
	}
	cs.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, mixed, key).wantError(404, "not_found", "provider_id")
	if n := cs.post("/provider/search", `{}`).num("total_count"); n != 1 {
		t.Errorf("scoped search total %d, want 1", n)
	}
	csvText := string(cs.post("/provider/export", `{}`).want(200).raw)
	if strings.Contains(csvText, mixed) || strings.Contains(csvText, global) || !strings.Contains(csvText, mine) {
		t.Errorf("scoped export: %s", csvText)
	}
	res := cs.postf("/provider/delete", `{"provider_ids":[%q,%q]}`, mixed, mine).want(200)
	if res.get("results", 0, "success") != false || res.str("results", 0, "code") != "not_found" || res.get("results", 1, "success") != true {
		t.Fatalf("scoped bulk delete: %s", res.raw)
	}
	admin.postf("/provider/get", `{"provider_id":%q}`, mixed).want(200) // still there
	cs.post("/provider/create", `{"providers":[{"name":"Out","department_ids":["math"]}]}`).wantError(403, "forbidden", "providers[0].department_ids")
	cs.post("/provider/create", `{"providers":[{"name":"NoDept"}]}`).wantError(403, "forbidden", "providers[0].department_ids")
	id, _ := cs.createProvider(`{"name":"In","department_ids":["cs"]}`)
	cs.postf("/provider/update", `{"provider_id":%q,"department_ids":["cs","math"]}`, id).wantError(403, "forbidden", "department_ids")
	cs.post("/provider/update", `{"all":true,"patch":{"department_ids":["math"]}}`).wantError(403, "forbidden", "patch.department_ids")
	// Drafts of invisible providers are not listed; admin's drafts are not cs's.
	for _, d := range cs.post("/provider/drafts", `{}`).want(200).list("drafts") {
		if d.(map[string]any)["provider_id"] != id {
			t.Errorf("cs sees draft %v", d)
		}
	}
}

func TestGlowSearchPaging(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	var entries []string
	for i := range 130 {
		dept := "even"
		if i%2 == 1 {
			dept = "odd"
		}
		entries = append(entries, fmt.Sprintf(`{"name":"Provider %03d","description":"Serves %s","department_ids":[%q]}`, i, strings.ToUpper(dept), dept))
	}
	g.post("/provider/create", `{"providers":[`+strings.Join(entries, ",")+`]}`).want(200)

	seen := map[string]bool{}
	last, token, pages := "", "", 0
	for {
		r := g.postf("/provider/search", `{"page_size":25,"page_token":%q}`, token).want(200)
		pages++
		if pages == 1 && r.num("total_count") != 130 {
			t.Fatalf("total_count %d", r.num("total_count"))
		}
		for _, p := range r.list("providers") {
			id := p.(map[string]any)["provider_id"].(string)
			if seen[id] || id <= last {
				t.Fatalf("page %d: %s repeated or out of order", pages, id)
			}
			seen[id], last = true, id
		}
		next, _ := r.body["next_page_token"].(string)
		if next == "" {
			break
		}
		token = next
		if pages == 2 {
			// Adding and removing providers between pages keeps the token valid.
			g.post("/provider/create", `{"providers":[{"name":"Late"}]}`).want(200)
		}
	}
	if len(seen) < 130 || pages != 6 {
		t.Fatalf("saw %d providers in %d pages", len(seen), pages)
	}
	def := g.post("/provider/search", `{}`).want(200)
	if len(def.list("providers")) != 50 {
		t.Errorf("default page size %d", len(def.list("providers")))
	}
	if n := g.post("/provider/search", `{"search":"serves odd"}`).num("total_count"); n != 65 {
		t.Errorf("case-insensitive search found %d", n)
	}
	if n := g.post("/provider/search", `{"search":"provider 00"}`).num("total_count"); n != 10 {
		t.Errorf("name search found %d", n)
	}
	if n := g.post("/provider/search", `{"filter_department_ids":["odd","none"],"page_size":500}`).num("total_count"); n != 65 {
		t.Errorf("department filter found %d", n)
	}
	r := g.post("/provider/search", `{"filter_department_ids":["odd"],"page_size":500}`)
	if _, ok := r.body["next_page_token"]; ok {
		t.Errorf("last page has a next_page_token")
	}
}

func TestGlowBulkUpdateAndDelete(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	a, _ := g.createProvider(`{"name":"A","department_ids":["retired"]}`)
	b, _ := g.createProvider(`{"name":"B","department_ids":["retired"]}`)
	keep, _ := g.createProvider(`{"name":"Keep","department_ids":["retired"]}`)
	other, _ := g.createProvider(`{"name":"Other","department_ids":["live"]}`)

	r := g.postf("/provider/update", `{"provider_ids":[%q,%q,"missing"],"patch":{"description":"bulk"},"expected_versions":{%q:7}}`, a, b, b).want(200)
	failed := false
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"results[0].success", r.get("results", 0, "success"), true},
		{"results[0].version", r.num("results", 0, "version"), int64(2)},
		{"results[1].code", r.str("results", 1, "code"), "version_conflict"},
		{"results[2].code", r.str("results", 2, "code"), "not_found"},
	} {
		if f.got != f.want {
			t.Errorf("bulk update: %s = %v, want %v", f.name, f.got, f.want)
			failed = true
		}
	}
	if failed {
		t.Fatalf("bulk update: %s", r.raw)
	}
	r = g.postf("/provider/update", `{"all":true,"filter_department_ids":["retired"],"excluded_ids":[%q],"patch":{"values":{"state":"old"}}}`, keep).want(200)
	if len(r.list("results")) != 2 {
		t.Fatalf("bulk update all: %s", r.raw)
	}
	if v := g.version(keep); v != 1 {
		t.Errorf("excluded provider changed: version %d", v)
	}
	g.post("/provider/update", `{"all":true,"patch":{"name":""}}`).wantError(400, "invalid_field", "patch.name")
	g.post("/provider/update", `{"all":true}`).wantError(400, "missing_field", "patch")
	g.post("/provider/update", `{"all":true,"patch":{"bogus":1}}`).wantError(400, "unknown_field", "patch.bogus")
	// A name patch on several providers of one department conflicts after the first.
	r = g.postf("/provider/update", `{"provider_ids":[%q,%q],"patch":{"name":"Same"}}`, a, b).want(200)
	if r.get("results", 0, "success") != true || r.str("results", 1, "code") != "name_conflict" {
		t.Fatalf("bulk rename: %s", r.raw)
	}

	r = g.postf("/provider/delete", `{"all":true,"filter_department_ids":["retired"],"excluded_ids":[%q]}`, keep).want(200)
	if len(r.list("results")) != 2 {
		t.Fatalf("delete all: %s", r.raw)
	}
	for _, res := range r.list("results") {
		r.hasFields(res, "provider_id", "success", "message")
	}
	r = g.postf("/provider/delete", `{"provider_id":%q}`, keep).want(200)
	if r.get("results", 0, "success") != true {
		t.Fatalf("single delete: %s", r.raw)
	}
	r = g.postf("/provider/delete", `{"provider_ids":[%q,%q]}`, a, other).want(200)
	if r.str("results", 0, "code") != "not_found" || r.get("results", 1, "success") != true {
		t.Fatalf("delete ids: %s", r.raw)
	}
	if n := g.post("/provider/search", `{}`).num("total_count"); n != 0 {
		t.Fatalf("%d providers left", n)
	}
}

func TestGlowDuplicate(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"http://localhost:1"}]}`).str("endpoints", 0, "endpoint_id")
	id, _ := g.createProvider(fmt.Sprintf(`{"name":"P","department_ids":["d"],"endpoint_ids":[%q]}`, ep))
	names := []string{"P (copy)", "P (copy 2)", "P (copy 3)"}
	for _, want := range names {
		r := g.postf("/provider/duplicate", `{"provider_id":%q}`, id).want(200)
		r.hasFields(r.body, "provider_id", "name", "draft_id", "version")
		if r.str("name") != want || r.str("provider_id") == id {
			t.Fatalf("duplicate: %s", r.raw)
		}
		got := g.postf("/provider/get", `{"provider_id":%q}`, r.str("provider_id")).want(200)
		if got.str("provider", "endpoint_ids", 0) != ep {
			t.Errorf("copy does not share endpoints: %s", got.raw)
		}
	}
}

func TestGlowDecryptAudit(t *testing.T) {
	s, g, _ := start(t, emulator.Config{GlowTokens: []emulator.GlowToken{{Token: "tok", ActorName: "alice@example.edu"}}})
	g = g.as("tok")
	k := g.post("/key/create", `{"keys":[{"name":"prod","value":"sk-live-123"},{"name":"other","value":"x"}]}`).want(200)
	key, otherKey := k.str("keys", 0, "key_id"), k.str("keys", 1, "key_id")
	id, _ := g.createProvider(fmt.Sprintf(`{"name":"P","key_ids":[%q]}`, key))
	r := g.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, id, key).want(200)
	for _, c := range []struct{ field, want string }{
		{"value", "sk-live-123"},
		{"actor_name", "alice@example.edu"},
		{"name", "prod"},
		{"key_id", key},
	} {
		if got := r.str(c.field); got != c.want {
			t.Errorf("decrypt: %s = %q, want %q", c.field, got, c.want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	g.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, id, otherKey).wantError(404, "not_found", "key_id")
	g.postf("/provider/decrypt", `{"provider_id":"nope","key_id":%q}`, key).wantError(404, "not_found", "provider_id")

	audit := g.as("").do("GET", "/_emulator/audit", "").want(200)
	entries := audit.list("entries")
	if len(entries) != 3 {
		t.Fatalf("audit: %s", audit.raw)
	}
	audit.hasFields(entries[0], "time", "actor_name", "provider_id", "key_id", "success")
	want := []bool{true, false, false}
	for i, e := range s.Audit() {
		if e.ActorName != "alice@example.edu" || e.Success != want[i] {
			t.Errorf("audit entry %d: %+v", i, e)
		}
	}
	if s.Stats().Decrypts != 3 {
		t.Errorf("decrypts %d", s.Stats().Decrypts)
	}
	if strings.Contains(string(audit.raw), "sk-live-123") {
		t.Fatal("the audit log holds a key value")
	}
}

func TestGlowExportCSV(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	id, _ := g.createProvider(`{"name":"Comma, Inc","description":"says \"hi\"","department_ids":["a","b"],"values":{"z":"1","a":"2"}}`)
	g.createProvider(`{"name":"Other"}`)
	g.postf("/model/create", `{"models":[{"name":"m1","provider_id":%q}]}`, id).want(200)
	r := g.post("/provider/export", `{"search":"comma"}`).want(200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"provider_id", "name", "description", "department_ids", "endpoint_ids", "key_ids", "values", "version", "model_usage_count"},
		{id, "Comma, Inc", `says "hi"`, "a;b", "", "", "a=2;z=1", "1", "1"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("csv\n%q\nwant\n%q", rows, want)
	}
}

func TestGlowEndpointsKeysModels(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"https://a.example/v1"},{"url":"https://b.example/v1"}]}`).want(200)
	e1, e2 := ep.str("endpoints", 0, "endpoint_id"), ep.str("endpoints", 1, "endpoint_id")
	key := g.post("/key/create", `{"keys":[{"name":"k","value":"v"}]}`).str("keys", 0, "key_id")
	id, _ := g.createProvider(fmt.Sprintf(`{"name":"P","endpoint_ids":[%q],"key_ids":[%q]}`, e1, key))

	r := g.postf("/endpoint/delete", `{"endpoint_ids":[%q,%q,"nope"]}`, e1, e2).want(200)
	failed := false
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"results[0].code", r.str("results", 0, "code"), "in_use"},
		{"results[1].success", r.get("results", 1, "success"), true},
		{"results[2].code", r.str("results", 2, "code"), "not_found"},
	} {
		if f.got != f.want {
			t.Errorf("endpoint delete: %s = %v, want %v", f.name, f.got, f.want)
			failed = true
		}
	}
	if msg := r.str("results", 0, "message"); !strings.Contains(msg, id) {
		t.Errorf("endpoint delete: results[0].message %q does not name the provider %s using it", msg, id)
		failed = true
	}
	if failed {
		t.Fatalf("endpoint delete: %s", r.raw)
	}
	r = g.postf("/key/delete", `{"key_ids":[%q]}`, key).want(200)
	if r.str("results", 0, "code") != "in_use" {
		t.Fatalf("key delete: %s", r.raw)
	}
	if n := len(g.post("/endpoint/list", `{}`).list("endpoints")); n != 1 {
		t.Errorf("%d endpoints", n)
	}
	if strings.Contains(string(g.post("/key/list", `{}`).want(200).raw), `"value"`) {
		t.Error("key list has values")
	}

	m := g.postf("/model/create", `{"models":[{"name":"gpt-5","provider_id":%q},{"name":"gpt-5-mini","provider_id":%q}]}`, id, id).want(200)
	m1 := m.str("models", 0, "model_id")
	if m.str("models", 0, "provider_name") != "P" {
		t.Errorf("model: %s", m.raw)
	}
	p := g.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	if p.num("provider", "model_usage_count") != 2 || len(p.list("provider", "model_ids")) != 2 {
		t.Fatalf("usage: %s", p.raw)
	}
	g.postf("/model/delete", `{"model_ids":[%q]}`, m1).want(200)
	if n := g.postf("/provider/get", `{"provider_id":%q}`, id).num("provider", "model_usage_count"); n != 1 {
		t.Errorf("usage after model delete %d", n)
	}
	// A model keeps the provider_id of a deleted provider.
	g.postf("/provider/delete", `{"provider_id":%q}`, id).want(200)
	ms := g.post("/model/search", `{}`).want(200)
	if len(ms.list("models")) != 1 || ms.str("models", 0, "provider_id") != id {
		t.Fatalf("models after provider delete: %s", ms.raw)
	}
	// With the provider gone the endpoint and key can go.
	r = g.postf("/key/delete", `{"key_ids":[%q]}`, key).want(200)
	if r.get("results", 0, "success") != true {
		t.Fatalf("key delete: %s", r.raw)
	}
}

func TestGlowVersionsGrowOnEveryChange(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	id, _ := g.createProvider(`{"name":"V"}`)
	var draft string
	steps := []func(){
		func() { g.postf("/provider/update", `{"provider_id":%q,"description":"1"}`, id).want(200) },
		func() {
			draft = g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"expected_version":2,"description":"2"}`, id)).want(200).str("draft_id")
		},
		func() { g.postf("/provider/publish", `{"draft_id":%q,"expected_version":3}`, draft).want(200) },
		func() { g.postf("/provider/update", `{"provider_ids":[%q],"patch":{}}`, id).want(200) },
	}
	for i, step := range steps {
		step()
		if v := g.version(id); v != int64(i+2) {
			t.Fatalf("after step %d version %d, want %d", i, v, i+2)
		}
	}
}

func TestWrongMethod(t *testing.T) {
	_, g, gw := start(t, emulator.Config{})
	r := g.do("GET", "/provider/create", "").wantError(405, "method_not_allowed", "")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	gw.do("PUT", gp+"/openai", "{}").wantError(405, "method_not_allowed", "")
	gw.do("GET", gp+"/openai/test", "").wantError(405, "method_not_allowed", "")
	g.post("/nothing/here", "{}").wantError(404, "not_found", "")
}

// TestConcurrentWritersOneWins: writers that read the same version race;
// exactly one update per version succeeds, the others get 409.
func TestConcurrentWritersOneWins(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	id, _ := g.createProvider(`{"name":"Contended"}`)
	const writers = 8
	statuses := make(chan int, writers)
	done := make(chan struct{})
	for i := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequest("POST", g.base+"/provider/update",
				strings.NewReader(fmt.Sprintf(`{"provider_id":%q,"expected_version":1,"description":"writer %d"}`, id, i)))
			req.Header.Set("Authorization", "Bearer "+g.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range writers {
		<-done
	}
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[409] != writers-1 {
		t.Fatalf("statuses %v", count)
	}
	if v := g.version(id); v != 2 {
		t.Fatalf("version %d", v)
	}
}

// A patch list given as null is refused, not read as absent: "key_ids": []
// detaches every key, and leaving the field out keeps them.
func TestGlowNullListsRefused(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	key := g.post("/key/create", `{"keys":[{"name":"k","value":"sk-v"}]}`).want(200).str("keys", 0, "key_id")
	id, _ := g.createProvider(fmt.Sprintf(`{"name":"p","key_ids":[%q],"values":{"a":"b"}}`, key))
	for _, f := range []string{"key_ids", "endpoint_ids", "department_ids", "values"} {
		g.postf("/provider/update", `{"provider_id":%q,%q:null}`, id, f).wantError(400, "invalid_field", f)
		g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"expected_version":1,%q:null}`, id, f)).wantError(400, "invalid_field", f)
		g.postf("/provider/update", `{"provider_ids":[%q],"patch":{%q:null}}`, id, f).wantError(400, "invalid_field", "patch."+f)
	}
	// Nothing of that changed the provider, not even its version.
	live := g.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	if live.num("provider", "version") != 1 || len(live.list("provider", "key_ids")) != 1 {
		t.Fatalf("after refused nulls: %s", live.raw)
	}
	// An absent list stays; an empty one empties.
	g.postf("/provider/update", `{"provider_id":%q,"description":"d"}`, id).want(200)
	if n := len(g.postf("/provider/get", `{"provider_id":%q}`, id).want(200).list("provider", "key_ids")); n != 1 {
		t.Fatalf("absent key_ids changed the keys: %d left", n)
	}
	up := g.postf("/provider/update", `{"provider_id":%q,"key_ids":[]}`, id).want(200)
	if len(up.list("key_ids")) != 0 {
		t.Fatalf("key_ids [] kept keys: %s", up.raw)
	}
}

func TestGlowTokenSelfBody(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	r := g.post("/token/self", `{}`).want(200)
	if r.str("actor_name") != emulatortest.ActorName || r.get("scoped") != false {
		t.Fatalf("self: %s", r.raw)
	}
	if _, has := r.body["department_ids"]; has {
		t.Errorf("an unscoped token reports department_ids: %s", r.raw)
	}
	g.post("/token/self", "").want(200)
	g.post("/token/self", `{"actor_name":"someone else"}`).wantError(400, "unknown_field", "actor_name")
	g.do("GET", "/token/self", "").wantError(405, "method_not_allowed", "")
	g.as("").post("/token/self", `{}`).wantError(401, "unauthorized", "")
	g.post("/provider/draft/discard", `{}`).wantError(400, "missing_field", "draft_id")
}

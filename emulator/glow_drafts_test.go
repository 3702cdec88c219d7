package emulator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

func (c *client) draft(body string, args ...any) *reply {
	c.t.Helper()
	return c.do("PATCH", "/provider/draft", fmt.Sprintf(body, args...))
}

// draftIDs lists the caller's drafts.
func (c *client) draftIDs() []string {
	c.t.Helper()
	var out []string
	for _, d := range c.post("/provider/drafts", `{}`).want(200).list("drafts") {
		out = append(out, d.(map[string]any)["draft_id"].(string))
	}
	return out
}

func (c *client) updatedAt(id string) string {
	c.t.Helper()
	return c.postf("/provider/get", `{"provider_id":%q}`, id).want(200).str("provider", "updated_at")
}

// A draft is continued with input_draft_id and expected_version only, as
// the guide says: the draft names its provider. provider_id may still be
// given, and must then be the draft's.
func TestGlowDraftContinuedByItsID(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	a, aDraft := g.createProvider(`{"name":"A"}`)
	b, _ := g.createProvider(`{"name":"B"}`)

	r := g.draft(`{"input_draft_id":%q,"expected_version":1,"description":"one"}`, aDraft).want(200)
	if got := r.str("draft_id"); got != aDraft {
		t.Errorf("continued without provider_id: draft_id = %q, want %q", got, aDraft)
	}
	if got := r.num("new_version"); got != 2 {
		t.Errorf("continued without provider_id: new_version = %d, want 2", got)
	}
	if got := r.str("form_state", "provider_id"); got != a {
		t.Errorf("continued without provider_id: form_state.provider_id = %q, want %q", got, a)
	}
	if got := r.str("form_state", "description"); got != "one" {
		t.Errorf("continued without provider_id: form_state.description = %q, want %q", got, "one")
	}
	if t.Failed() {
		t.FailNow()
	}
	r = g.draft(`{"provider_id":%q,"input_draft_id":%q,"expected_version":2,"values":{"k":"v"}}`, a, aDraft).want(200)
	if r.num("new_version") != 3 || r.str("form_state", "description") != "one" || r.str("form_state", "values", "k") != "v" {
		t.Fatalf("continued with its provider_id: %s", r.raw)
	}
	// Another provider's id is refused, whether or not it exists.
	r = g.draft(`{"provider_id":%q,"input_draft_id":%q,"expected_version":3,"description":"x"}`, b, aDraft).wantError(400, "invalid_field", "provider_id")
	if !strings.Contains(r.message(), a) {
		t.Errorf("the refusal does not name the draft's provider: %s", r.raw)
	}
	g.draft(`{"provider_id":"no-such-provider","input_draft_id":%q,"expected_version":3}`, aDraft).wantError(400, "invalid_field", "provider_id")
	// The guard is the provider's version, required and checked.
	g.draft(`{"input_draft_id":%q,"description":"x"}`, aDraft).wantError(400, "missing_field", "expected_version")
	g.draft(`{"input_draft_id":%q,"expected_version":2,"description":"x"}`, aDraft).wantError(409, "version_conflict", "expected_version")
	g.draft(`{"input_draft_id":"no-such-draft","expected_version":3}`).wantError(404, "not_found", "input_draft_id")
	if v := g.version(a); v != 3 {
		t.Fatalf("refused drafts moved the version to %d", v)
	}
	p := g.postf("/provider/publish", `{"draft_id":%q,"expected_version":3}`, aDraft).want(200)
	if p.num("version") != 4 || p.str("description") != "one" || p.str("values", "k") != "v" {
		t.Fatalf("publish: %s", p.raw)
	}

	// A new-provider draft has no provider: a provider_id with it is refused.
	nd := g.draft(`{"name":"Fresh"}`).want(200).str("draft_id")
	g.draft(`{"provider_id":%q,"input_draft_id":%q,"expected_version":1}`, b, nd).wantError(400, "invalid_field", "provider_id")
	r = g.draft(`{"input_draft_id":%q,"expected_version":1,"description":"d"}`, nd).want(200)
	if r.num("new_version") != 2 || r.str("form_state", "provider_id") != "" {
		t.Fatalf("continued new-provider draft: %s", r.raw)
	}
}

// The guide's draft by name: when the caller sees exactly one provider of
// that name, the draft stages a change to it (guarded by expected_version);
// when it sees none, a new provider; when several, it must say which.
func TestGlowDraftByName(t *testing.T) {
	_, g, _ := start(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: "all", ActorName: "admin"},
		{Token: "cs", ActorName: "cs-admin", Departments: []string{"cs"}},
		{Token: "hr", ActorName: "hr-admin", Departments: []string{"hr"}},
	}})
	all, cs, hr := g.as("all"), g.as("cs"), g.as("hr")
	inCS, _ := all.createProvider(`{"name":"OpenAI Production","department_ids":["cs"]}`)
	inMath, _ := all.createProvider(`{"name":"OpenAI Production","department_ids":["math"]}`)
	key := cs.post("/key/create", `{"keys":[{"name":"rotated","value":"sk-rotated"}]}`).want(200).str("keys", 0, "key_id")
	stamp := all.updatedAt(inCS)

	// Unscoped, two providers have the name: provider_id decides.
	r := all.draft(`{"name":"OpenAI Production","expected_version":1,"key_ids":[%q]}`, key).wantError(400, "invalid_field", "name")
	if !strings.Contains(r.message(), "provider_id") {
		t.Errorf("ambiguity message: %s", r.raw)
	}
	// Scoped to cs, the name is unambiguous: the cs provider.
	cs.draft(`{"name":"OpenAI Production","key_ids":[%q]}`, key).wantError(400, "missing_field", "expected_version")
	cs.draft(`{"name":"OpenAI Production","expected_version":2,"key_ids":[%q]}`, key).wantError(409, "version_conflict", "expected_version")
	r = cs.draft(`{"name":"OpenAI Production","expected_version":1,"key_ids":[%q]}`, key).want(200)
	d := r.str("draft_id")
	if got := r.num("new_version"); got != 2 {
		t.Errorf("by-name draft in cs: new_version = %d, want 2", got)
	}
	for _, c := range []struct {
		path []any
		want string
	}{
		{[]any{"form_state", "provider_id"}, inCS},
		{[]any{"form_state", "key_ids", 0}, key},
		{[]any{"form_state", "department_ids", 0}, "cs"},
	} {
		if got := r.str(c.path...); got != c.want {
			t.Errorf("by-name draft in cs: %v = %q, want %q", c.path, got, c.want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if all.version(inMath) != 1 || all.version(inCS) != 2 || all.updatedAt(inCS) != stamp {
		t.Fatalf("the by-name draft touched the wrong provider or moved updated_at")
	}
	p := cs.postf("/provider/publish", `{"draft_id":%q,"expected_version":2}`, d).want(200)
	if p.str("provider_id") != inCS || p.num("version") != 3 || p.str("key_ids", 0) != key {
		t.Fatalf("publish of the by-name draft: %s", p.raw)
	}
	// Scoped to hr, no provider of that name is visible: a new provider,
	// published into hr (names are unique per department).
	r = hr.draft(`{"name":"OpenAI Production","department_ids":["hr"]}`).want(200)
	if r.num("new_version") != 1 || r.str("form_state", "provider_id") != "" {
		t.Fatalf("by-name draft with nothing visible: %s", r.raw)
	}
	p = hr.postf("/provider/publish", `{"draft_id":%q,"expected_version":1}`, r.str("draft_id")).want(200)
	if id := p.str("provider_id"); id == inCS || id == inMath || p.num("version") != 1 {
		t.Fatalf("published new provider: %s", p.raw)
	}
	// A name nobody has stages a new provider for anyone.
	if r := all.draft(`{"name":"Nobody Has This"}`).want(200); r.str("form_state", "provider_id") != "" {
		t.Fatalf("new name: %s", r.raw)
	}
}

// Staging changes nothing live: the provider's version (its lock) grows,
// updated_at stays. Publishing moves it; discarding does not.
func TestGlowDraftLeavesUpdatedAt(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	id, created := g.createProvider(`{"name":"Stamped"}`)
	stamp := g.updatedAt(id)
	d := g.draft(`{"provider_id":%q,"expected_version":1,"description":"staged"}`, id).want(200).str("draft_id")
	g.draft(`{"input_draft_id":%q,"expected_version":2,"description":"staged again"}`, d).want(200)
	g.draft(`{"name":"Stamped","expected_version":3,"values":{"k":"v"}}`).want(200)
	if g.version(id) != 4 || g.updatedAt(id) != stamp {
		t.Fatalf("after three drafts: version %d, updated_at %s (was %s)", g.version(id), g.updatedAt(id), stamp)
	}
	g.postf("/provider/draft/discard", `{"draft_id":%q}`, d).want(200)
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":4}`, created).wantError(404, "not_found", "draft_id")
	if g.updatedAt(id) != stamp {
		t.Fatal("a discard moved updated_at")
	}
	d2 := g.draft(`{"provider_id":%q,"expected_version":4,"description":"published"}`, id).want(200).str("draft_id")
	p := g.postf("/provider/publish", `{"draft_id":%q,"expected_version":5}`, d2).want(200)
	if p.str("updated_at") == stamp || p.str("description") != "published" {
		t.Fatalf("publish: %s", p.raw)
	}
}

// The empty draft create (and duplicate) opens is not listed, can be
// continued with input_draft_id while the provider is unchanged, and closes
// when the provider changes by any other route.
func TestGlowEmptyDraftsCloseWhenTheProviderChanges(t *testing.T) {
	_, g, _ := start(t, emulator.Config{})
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"https://api.example/v1"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	r := g.post("/provider/create", `{"providers":[{"name":"U"},{"name":"B"},{"name":"D"},{"name":"P"},{"name":"K"}]}`).want(200)
	id := func(i int) string { return r.str("providers", i, "provider_id") }
	draft := func(i int) string { return r.str("providers", i, "draft_id") }
	dup := g.postf("/provider/duplicate", `{"provider_id":%q}`, id(4)).want(200)
	empty := g.draft(`{"provider_id":%q,"expected_version":1}`, id(3)).want(200)
	if empty.num("new_version") != 2 {
		t.Fatalf("empty draft: %s", empty.raw)
	}
	if got := g.draftIDs(); len(got) != 0 {
		t.Fatalf("empty drafts listed: %v", got)
	}

	// Each provider changes by another route.
	g.postf("/provider/update", `{"provider_id":%q,"description":"by update"}`, id(0)).want(200)
	g.postf("/provider/update", `{"provider_ids":[%q],"patch":{"description":"by bulk update"}}`, id(1)).want(200)
	other := g.draft(`{"provider_id":%q,"expected_version":1,"description":"by another draft"}`, id(2)).want(200).str("draft_id")
	pub := g.draft(`{"input_draft_id":%q,"expected_version":2,"endpoint_ids":[%q]}`, empty.str("draft_id"), ep).want(200)
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":3}`, pub.str("draft_id")).want(200)

	// The closed drafts answer 404 even at the provider's current version.
	for i, v := range []int64{2, 2, 2, 4} {
		g.draft(`{"input_draft_id":%q,"expected_version":%d,"description":"late"}`, draft(i), v).wantError(404, "not_found", "input_draft_id")
		g.postf("/provider/publish", `{"draft_id":%q,"expected_version":%d}`, draft(i), v).wantError(404, "not_found", "draft_id")
		g.postf("/provider/draft/discard", `{"draft_id":%q}`, draft(i)).wantError(404, "not_found", "draft_id")
		if got := g.version(id(i)); got != v {
			t.Errorf("provider %d at version %d after refused late drafts, want %d", i, got, v)
		}
	}
	// A draft that stages something stays open (and listed) when the
	// provider changes; its publish is then refused as stale.
	g.postf("/provider/update", `{"provider_id":%q,"description":"theirs"}`, id(2)).want(200)
	if got := g.draftIDs(); len(got) != 1 || got[0] != other {
		t.Fatalf("drafts %v, want only %s", got, other)
	}
	g.postf("/provider/publish", `{"draft_id":%q,"expected_version":2}`, other).wantError(409, "version_conflict", "expected_version")

	// Untouched providers keep their empty drafts open: create's and
	// duplicate's are continued with only the guide's fields.
	for _, d := range []string{draft(4), dup.str("draft_id")} {
		r := g.draft(`{"input_draft_id":%q,"expected_version":1,"endpoint_ids":[%q]}`, d, ep).want(200)
		if r.num("new_version") != 2 || r.str("draft_id") != d {
			t.Fatalf("continued empty draft: %s", r.raw)
		}
	}
	if got := g.draftIDs(); len(got) != 3 {
		t.Fatalf("drafts after continuing the empty ones: %v", got)
	}
}

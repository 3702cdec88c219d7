package emulator_test

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/emulator/store"
)

// ids lists the field of every entry of a list answer.
func ids(r *reply, list, field string) []string {
	var out []string
	for i := range r.list(list) {
		out = append(out, r.str(list, i, field))
	}
	slices.Sort(out)
	return out
}

var scopeTokens = []emulator.GlowToken{
	{Token: emulatortest.GlowToken, ActorName: "admin"},
	{Token: "cs-token", ActorName: "cs-bot", Departments: []string{"cs"}},
	{Token: "math-token", ActorName: "math-bot", Departments: []string{"math"}},
}

// Keys and endpoints persisted before scopes were recorded have no scope:
// they load as unscoped (visible to a scoped token only through a provider
// it sees). A scope recorded now survives a restart.
func TestRecordedScopeIsPersistedAndOldRecordsAreUnscoped(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	// Records in the format of before: no "scope".
	b.Put("glow_keys", "k-attached", map[string]any{"id": "k-attached", "name": "old attached", "sealed_value": st.Seal([]byte("sk-old-1")), "created_at": "2025-01-01T00:00:00Z"})
	b.Put("glow_keys", "k-loose", map[string]any{"id": "k-loose", "name": "old loose", "sealed_value": st.Seal([]byte("sk-old-2")), "created_at": "2025-01-01T00:00:00Z"})
	b.Put("glow_endpoints", "e-loose", map[string]any{"endpoint_id": "e-loose", "url": "https://old.example", "created_at": "2025-01-01T00:00:00Z"})
	b.Put("glow_providers", "p-cs", map[string]any{"id": "p-cs", "name": "Old CS", "department_ids": []string{"cs"}, "key_ids": []string{"k-attached"},
		"version": 1, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"})
	if err := st.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	s1, base := emulatortest.Start(t, emulator.Config{DataDir: dir, GlowTokens: scopeTokens})
	admin := &client{t, base, emulatortest.GlowToken}
	cs, math := admin.as("cs-token"), admin.as("math-token")
	if got := ids(admin.post("/key/list", `{}`).want(200), "keys", "key_id"); !slices.Equal(got, []string{"k-attached", "k-loose"}) {
		t.Errorf("unscoped lists old keys %v", got)
	}
	if got := ids(cs.post("/key/list", `{}`).want(200), "keys", "key_id"); !slices.Equal(got, []string{"k-attached"}) {
		t.Errorf("cs lists old keys %v, want only the one its provider attaches", got)
	}
	if got := cs.post("/endpoint/list", `{}`).want(200).list("endpoints"); len(got) != 0 {
		t.Errorf("cs lists an old unattached endpoint: %v", got)
	}
	if code := cs.post("/key/delete", `{"key_ids":["k-loose"]}`).want(200).str("results", 0, "code"); code != "not_found" {
		t.Errorf("cs deleting an old unscoped key: %s", code)
	}
	if got := ids(admin.post("/key/list", `{}`).want(200), "keys", "key_id"); len(got) != 2 {
		t.Errorf("keys after cs's delete: %v", got)
	}

	csKey := cs.post("/key/create", `{"keys":[{"name":"new","value":"sk-new-1"}]}`).want(200).str("keys", 0, "key_id")
	csEp := cs.post("/endpoint/create", `{"endpoints":[{"url":"https://new.example"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	_, base = emulatortest.Start(t, emulator.Config{DataDir: dir, GlowTokens: scopeTokens})
	cs.base, math.base = base, base
	if got := ids(cs.post("/key/list", `{}`).want(200), "keys", "key_id"); !slices.Contains(got, csKey) {
		t.Errorf("after a restart cs does not see the key it created: %v", got)
	}
	if got := ids(cs.post("/endpoint/list", `{}`).want(200), "endpoints", "endpoint_id"); !slices.Equal(got, []string{csEp}) {
		t.Errorf("after a restart cs lists endpoints %v", got)
	}
	if got := ids(math.post("/key/list", `{}`).want(200), "keys", "key_id"); len(got) != 0 {
		t.Errorf("after a restart math lists %v", got)
	}
	math.postf("/provider/create", `{"providers":[{"name":"M","department_ids":["math"],"key_ids":[%q]}]}`, csKey).
		wantError(404, "not_found", "providers[0].key_ids[0]")
}

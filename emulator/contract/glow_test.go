package contract

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/expect"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// glowFixture is what most Glow tests start from: two endpoints, two keys
// and three providers, the first of which uses an endpoint and a key.
type glowFixture struct {
	eps     []glow.Endpoint
	keys    []glow.Key
	created []glow.Created
}

func (e *env) glowFixture() glowFixture {
	t := e.t
	t.Helper()
	var f glowFixture
	f.eps = must(e.glow.CreateEndpoints(ctx, []glow.EndpointInput{
		{URL: "https://api.openai.com/v1", Name: "OpenAI"},
		{URL: "https://api.anthropic.com"},
	}))(t)
	f.keys = must(e.glow.CreateKeys(ctx, []glow.KeyInput{
		{Name: "anthropic prod", Value: sensitive.New(keyValue)},
		{Name: "spare", Value: sensitive.New("sk-spare-SEKRIT-1")},
	}))(t)
	f.created = must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{
			Name: "Anthropic Prod", Description: "main route",
			DepartmentIDs: []string{"cs", "sales"},
			EndpointIDs:   []string{f.eps[1].ID}, KeyIDs: []string{f.keys[0].ID},
			Values: map[string]string{"region": "eu", "tier": "gold"},
		},
		{Name: "OpenAI Backup", DepartmentIDs: []string{"cs"}},
		{Name: "Global Fallback"},
	}))(t)
	return f
}

func TestGlowEndpointsKeysModels(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()

	if len(f.eps) != 2 {
		t.Fatalf("endpoints: %+v", f.eps)
	}
	expect.Fields(t, "endpoints[0]", expect.Eq("has an id", f.eps[0].ID != "", true),
		expect.Eq("url", f.eps[0].URL, "https://api.openai.com/v1"), expect.Eq("name", f.eps[0].Name, "OpenAI"))
	if len(f.keys) != 2 || f.keys[0].ID == "" || f.keys[0].Name != "anthropic prod" {
		t.Fatalf("keys: %+v", f.keys)
	}
	if got := endpointIDs(all(t, e.glow.ListEndpoints(ctx))); !sameSet(got, endpointIDs(f.eps)) {
		t.Errorf("listed endpoints %v, want %v", got, endpointIDs(f.eps))
	}
	keys := all(t, e.glow.ListKeys(ctx))
	if len(keys) != 2 {
		t.Errorf("listed keys %+v", keys)
	}

	p := f.created[0].ProviderID
	models := must(e.glow.CreateModels(ctx, []glow.ModelInput{
		{Name: "claude-opus", ProviderID: p},
		{Name: "claude-haiku", ProviderID: p},
	}))(t)
	if len(models) != 2 {
		t.Fatalf("models: %+v", models)
	}
	expect.Fields(t, "models[0]", expect.Eq("provider", models[0].ProviderID, p), expect.Eq("has an id", models[0].ID != "", true),
		expect.Eq("provider name", models[0].ProviderName, "Anthropic Prod"))
	if got := all(t, e.glow.SearchModels(ctx)); len(got) != 2 {
		t.Errorf("searched models: %+v", got)
	}
	d := must(e.glow.GetProvider(ctx, p))(t)
	if d.Provider.ModelUsageCount != 2 || !sameSet(d.Provider.ModelIDs, []string{models[0].ID, models[1].ID}) {
		t.Errorf("usage %d %v, want 2 models", d.Provider.ModelUsageCount, d.Provider.ModelIDs)
	}
	// Search carries the usage too.
	for _, sp := range all(t, e.glow.Search(ctx, glow.SearchRequest{Search: "anthropic prod"})) {
		if sp.ID == p && sp.ModelUsageCount != 2 {
			t.Errorf("search usage %d", sp.ModelUsageCount)
		}
	}
	res := must(e.glow.DeleteModels(ctx, []string{models[0].ID}))(t)
	if len(res) != 1 || !res[0].Success || res[0].ID != models[0].ID {
		t.Errorf("delete model: %+v", res)
	}
	d = must(e.glow.GetProvider(ctx, p))(t)
	if d.Provider.ModelUsageCount != 1 || !slices.Equal(d.Provider.ModelIDs, []string{models[1].ID}) {
		t.Errorf("after delete: usage %d %v", d.Provider.ModelUsageCount, d.Provider.ModelIDs)
	}

	// A model naming a provider that does not exist.
	_, err := e.glow.CreateModels(ctx, []glow.ModelInput{{Name: "ghost", ProviderID: "no-such-provider"}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "models[0].provider_id")

	// Endpoints and keys in use cannot be deleted; unused ones can.
	eres := must(e.glow.DeleteEndpoints(ctx, []string{f.eps[1].ID, f.eps[0].ID}))(t)
	if len(eres) != 2 {
		t.Fatalf("delete endpoints: %+v", eres)
	}
	if eres[0].Success || eres[0].Code != api.CodeInUse || !strings.Contains(eres[0].Message, p) {
		t.Errorf("in-use endpoint: %+v (want in_use naming %s)", eres[0], p)
	}
	if !eres[1].Success {
		t.Errorf("unused endpoint: %+v", eres[1])
	}
	kres := must(e.glow.DeleteKeys(ctx, []string{f.keys[0].ID, f.keys[1].ID}))(t)
	if len(kres) != 2 {
		t.Errorf("delete keys: got %d results, want 2: %+v", len(kres), kres)
	} else {
		expect.Fields(t, "delete keys", expect.Eq("kres[0].Success", kres[0].Success, false), expect.Eq("kres[0].Code", kres[0].Code, api.CodeInUse),
			expect.Eq("kres[0].Message names "+p, strings.Contains(kres[0].Message, p), true), expect.Eq("kres[1].Success", kres[1].Success, true))
	}
	if got := endpointIDs(all(t, e.glow.ListEndpoints(ctx))); !slices.Equal(got, []string{f.eps[1].ID}) {
		t.Errorf("endpoints left %v", got)
	}
	if got := all(t, e.glow.ListKeys(ctx)); len(got) != 1 || got[0].ID != f.keys[0].ID {
		t.Errorf("keys left %+v", got)
	}

	// Bad input on endpoints and keys.
	_, err = e.glow.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://ok.example"}, {URL: "ftp://nope"}})
	ae := wantAPIError(t, err, api.ErrInvalid, 400, "invalid_field", "endpoints[1].url")
	if ae.Name != "ftp://nope" {
		t.Errorf("subject %q, want the failing entry", ae.Name)
	}
	_, err = e.glow.CreateKeys(ctx, []glow.KeyInput{{Name: "empty"}})
	wantErr(t, err, api.ErrInvalid, 400, "", "keys[0].value")
}

func TestGlowProviderCRUD(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()

	if len(f.created) != 3 {
		t.Fatalf("created %+v", f.created)
	}
	seen := map[string]bool{}
	for i, c := range f.created {
		if c.ProviderID == "" {
			t.Errorf("created[%d].ProviderID is empty", i)
		}
		if seen[c.ProviderID] {
			t.Errorf("created[%d].ProviderID = %q, already seen", i, c.ProviderID)
		}
		if c.DraftID == "" {
			t.Errorf("created[%d].DraftID is empty", i)
		}
		if c.Version != 1 {
			t.Errorf("created[%d].Version = %d, want 1", i, c.Version)
		}
		seen[c.ProviderID] = true
	}
	if f.created[1].Name != "OpenAI Backup" {
		t.Errorf("created in order: %+v", f.created)
	}

	// Get: the provider and its endpoints and keys sections.
	p := f.created[0].ProviderID
	d := must(e.glow.GetProvider(ctx, p))(t)
	pr := d.Provider
	expect.Fields(t, "provider", expect.Eq("id", pr.ID, p), expect.Eq("name", pr.Name, "Anthropic Prod"),
		expect.Eq("description", pr.Description, "main route"), expect.Eq("version", pr.Version, 1),
		expect.Eq("departments", pr.DepartmentIDs, []string{"cs", "sales"}),
		expect.Eq("endpoints", pr.EndpointIDs, []string{f.eps[1].ID}), expect.Eq("keys", pr.KeyIDs, []string{f.keys[0].ID}),
		expect.Eq("region", pr.Values["region"], "eu"), expect.Eq("tier", pr.Values["tier"], "gold"),
		expect.Eq("created_at set", !pr.CreatedAt.IsZero(), true), expect.Eq("updated_at set", !pr.UpdatedAt.IsZero(), true))
	if len(d.Endpoints.Current) != 1 || d.Endpoints.Current[0].ID != f.eps[1].ID || d.Endpoints.Current[0].URL != "https://api.anthropic.com" {
		t.Errorf("endpoints.current: %+v", d.Endpoints.Current)
	}
	if !sameSet(endpointIDs(d.Endpoints.Options), endpointIDs(f.eps)) {
		t.Errorf("endpoints.options: %+v", d.Endpoints.Options)
	}
	if len(d.Keys.Current) != 1 || d.Keys.Current[0].ID != f.keys[0].ID || d.Keys.Current[0].Name != "anthropic prod" {
		t.Errorf("keys.current: %+v", d.Keys.Current)
	}

	// Update without an expected version: present fields replace, absent
	// fields stay.
	up := must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{
		Description: ptr("renamed route"), Values: &map[string]string{"region": "us"},
	}}))(t)
	expect.Fields(t, "unguarded update", expect.Eq("version", up.Version, 2), expect.Eq("description", up.Description, "renamed route"),
		expect.Eq("values", up.Values, map[string]string{"region": "us"}), expect.Eq("name", up.Name, "Anthropic Prod"),
		expect.Eq("keys", up.KeyIDs, []string{f.keys[0].ID}))
	// With the expected version.
	up = must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, ExpectedVersion: ptr(int64(2)), Patch: glow.Patch{
		EndpointIDs: &[]string{f.eps[0].ID, f.eps[1].ID},
	}}))(t)
	if up.Version != 3 || !slices.Equal(up.EndpointIDs, []string{f.eps[0].ID, f.eps[1].ID}) {
		t.Errorf("guarded update: %+v", up)
	}
	// A stale expected version fails and changes nothing.
	_, err := e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, ExpectedVersion: ptr(int64(2)), Patch: glow.Patch{Description: ptr("lost")}})
	wantErr(t, err, api.ErrConflict, 409, api.CodeVersionConflict, "")
	if d := must(e.glow.GetProvider(ctx, p))(t); d.Provider.Version != 3 || d.Provider.Description != "renamed route" {
		t.Errorf("after conflict: %+v", d.Provider)
	}

	// Duplicate: fresh names, shared endpoints and keys.
	dup := must(e.glow.DuplicateProvider(ctx, p))(t)
	expect.Fields(t, "duplicate", expect.Eq("name", dup.Name, "Anthropic Prod (copy)"), expect.Eq("has an id", dup.ProviderID != "", true),
		expect.Eq("id differs from the original's", dup.ProviderID != p, true), expect.Eq("version", dup.Version, 1))
	dup2 := must(e.glow.DuplicateProvider(ctx, p))(t)
	if dup2.Name != "Anthropic Prod (copy 2)" {
		t.Errorf("second duplicate: %+v", dup2)
	}
	dd := must(e.glow.GetProvider(ctx, dup.ProviderID))(t)
	if !slices.Equal(dd.Provider.EndpointIDs, up.EndpointIDs) || !slices.Equal(dd.Provider.KeyIDs, up.KeyIDs) ||
		!slices.Equal(dd.Provider.DepartmentIDs, []string{"cs", "sales"}) {
		t.Errorf("duplicate shares: %+v", dd.Provider)
	}
	_, err = e.glow.DuplicateProvider(ctx, "no-such-provider")
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")

	// Delete one by id; a second delete reports not_found per item.
	res := must(e.glow.DeleteProviders(ctx, []string{dup2.ProviderID}))(t)
	if len(res) != 1 || !res[0].Success || res[0].ProviderID != dup2.ProviderID {
		t.Errorf("delete: %+v", res)
	}
	res = must(e.glow.DeleteProviders(ctx, []string{dup2.ProviderID}))(t)
	if len(res) != 1 || res[0].Success || res[0].Code != api.CodeNotFound {
		t.Errorf("second delete: %+v", res)
	}
	_, err = e.glow.GetProvider(ctx, dup2.ProviderID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
}

func TestGlowDecryptAndAudit(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	p, k := f.created[0].ProviderID, f.keys[0].ID

	dec := must(e.glow.Decrypt(ctx, p, k))(t)
	expect.Fields(t, "decrypt", expect.Eq("value is the key's", dec.Value.Reveal() == keyValue, true), expect.Eq("key id", dec.KeyID, k),
		expect.Eq("name", dec.Name, "anthropic prod"), expect.Eq("actor", dec.ActorName, actor))
	if s := fmt.Sprintf("%v %+v", dec, *dec); strings.Contains(s, keyValue) {
		t.Errorf("a printed decrypt answer shows the value: %s", s)
	}
	// The key is not attached to the second provider: 404, audited too.
	_, err := e.glow.Decrypt(ctx, f.created[1].ProviderID, k)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")

	audit := e.srv.Audit()
	if len(audit) != 2 {
		t.Fatalf("audit: %+v", audit)
	}
	a := audit[0]
	expect.Fields(t, "audit[0]", expect.Eq("actor", a.ActorName, actor), expect.Eq("provider", a.ProviderID, p), expect.Eq("key", a.KeyID, k),
		expect.Eq("success", a.Success, true), expect.Eq("time set", !a.Time.IsZero(), true))
	if a := audit[1]; a.ActorName != actor || a.ProviderID != f.created[1].ProviderID || a.Success {
		t.Errorf("audit[1]: %+v", a)
	}
	if n := e.srv.Stats().Decrypts; n != 2 {
		t.Errorf("decrypts %d, want 2", n)
	}
}

func TestGlowExportCSV(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	must(e.glow.CreateModels(ctx, []glow.ModelInput{{Name: "m", ProviderID: f.created[0].ProviderID}}))(t)

	var buf bytes.Buffer
	ok(t, e.glow.Export(ctx, glow.SearchRequest{PageSize: 7, PageToken: "ignored"}, &buf))
	if strings.Contains(buf.String(), keyValue) || strings.Contains(buf.String(), secretMark) {
		t.Fatalf("export carries a key value:\n%s", buf.String())
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	ok(t, err)
	wantHeader := []string{"provider_id", "name", "description", "department_ids", "endpoint_ids", "key_ids", "values", "version", "model_usage_count"}
	if len(rows) == 0 || !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %v, want %v", rows[0], wantHeader)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want header + 3", len(rows))
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	r := byID[f.created[0].ProviderID]
	want := []string{f.created[0].ProviderID, "Anthropic Prod", "main route", "cs;sales", f.eps[1].ID, f.keys[0].ID, "region=eu;tier=gold", "1", "1"}
	if !slices.Equal(r, want) {
		t.Errorf("row %v, want %v", r, want)
	}

	// Filters apply.
	buf.Reset()
	ok(t, e.glow.Export(ctx, glow.SearchRequest{FilterDepartmentIDs: []string{"cs"}, Search: "backup"}, &buf))
	rows, err = csv.NewReader(&buf).ReadAll()
	ok(t, err)
	if len(rows) != 2 || rows[1][0] != f.created[1].ProviderID {
		t.Errorf("filtered export: %v", rows)
	}
}

func TestGlowDraftPublish(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	p := f.created[0].ProviderID

	// Create opened an empty draft for each provider; empty drafts are not
	// listed (one of them is continued below).
	for _, d := range all(t, e.glow.ListDrafts(ctx)) {
		t.Errorf("listed before anything was staged: %+v", d)
	}

	// v → draft new_version v+1 → publish v+2.
	v := must(e.glow.GetProvider(ctx, p))(t).Provider.Version
	dr := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(v), Patch: glow.Patch{
		Description: ptr("staged"), KeyIDs: &[]string{},
	}}))(t)
	if dr.NewVersion != v+1 || dr.DraftID == "" || dr.DraftID == f.created[0].DraftID {
		t.Errorf("draft: %+v", dr)
	}
	expect.Fields(t, "form state", expect.Eq("description", dr.FormState.Description, "staged"), expect.Eq("keys", len(dr.FormState.KeyIDs), 0),
		expect.Eq("name", dr.FormState.Name, "Anthropic Prod"), expect.Eq("endpoints", dr.FormState.EndpointIDs, []string{f.eps[1].ID}))
	live := must(e.glow.GetProvider(ctx, p))(t).Provider
	if live.Version != v+1 || live.Description != "main route" {
		t.Errorf("live provider during the draft: %+v", live)
	}
	// Continue the draft.
	dr2 := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, InputDraftID: dr.DraftID, ExpectedVersion: ptr(v + 1), Patch: glow.Patch{
		Values: &map[string]string{"region": "ap"},
	}}))(t)
	expect.Fields(t, "continued draft", expect.Eq("draft id", dr2.DraftID, dr.DraftID), expect.Eq("new version", dr2.NewVersion, v+2),
		expect.Eq("description", dr2.FormState.Description, "staged"), expect.Eq("region", dr2.FormState.Values["region"], "ap"))
	// A second writer that read an older version is refused at its draft.
	_, err := e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(v), Patch: glow.Patch{Description: ptr("other")}})
	ae := wantAPIError(t, err, api.ErrConflict, 409, api.CodeVersionConflict, "")
	if !strings.Contains(ae.Message, fmt.Sprintf("expected version %d, server has %d", v, v+2)) {
		t.Errorf("conflict message %q", ae.Message)
	}
	// Publishing against a stale version is refused too.
	_, err = e.glow.Publish(ctx, glow.PublishRequest{DraftID: dr.DraftID, ExpectedVersion: ptr(v + 1)})
	wantErr(t, err, api.ErrConflict, 409, api.CodeVersionConflict, "")

	pub := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: dr.DraftID, ExpectedVersion: ptr(v + 2)}))(t)
	expect.Fields(t, "published", expect.Eq("version", pub.Version, v+3), expect.Eq("description", pub.Description, "staged"),
		expect.Eq("keys", len(pub.KeyIDs), 0), expect.Eq("region", pub.Values["region"], "ap"), expect.Eq("id", pub.ID, p))
	for _, d := range all(t, e.glow.ListDrafts(ctx)) {
		if d.DraftID == dr.DraftID {
			t.Errorf("published draft still listed: %+v", d)
		}
	}
	_, err = e.glow.Publish(ctx, glow.PublishRequest{DraftID: dr.DraftID, ExpectedVersion: ptr(v + 3)})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")

	// The draft create opened, continued: it starts from the provider at v1.
	p2 := f.created[1]
	d3 := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p2.ProviderID, InputDraftID: p2.DraftID, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{
		EndpointIDs: &[]string{f.eps[0].ID},
	}}))(t)
	if d3.DraftID != p2.DraftID || d3.NewVersion != 2 {
		t.Errorf("create's draft: %+v", d3)
	}
	pub = must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: p2.DraftID, ExpectedVersion: ptr(int64(2))}))(t)
	if pub.Version != 3 || !slices.Equal(pub.EndpointIDs, []string{f.eps[0].ID}) {
		t.Errorf("published create's draft: %+v", pub)
	}

	// A draft without a provider stages a new provider; publishing creates
	// it at version 1.
	nd := must(e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("Staged New"), DepartmentIDs: &[]string{"ops"}}}))(t)
	if nd.NewVersion != 1 || nd.FormState.Name != "Staged New" {
		t.Errorf("new-provider draft: %+v", nd)
	}
	nd2 := must(e.glow.Draft(ctx, glow.DraftRequest{InputDraftID: nd.DraftID, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{Description: ptr("fresh")}}))(t)
	if nd2.NewVersion != 2 {
		t.Errorf("continued new-provider draft: %+v", nd2)
	}
	np := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: nd.DraftID, ExpectedVersion: ptr(int64(2))}))(t)
	expect.Fields(t, "published new provider", expect.Eq("version", np.Version, 1), expect.Eq("name", np.Name, "Staged New"),
		expect.Eq("description", np.Description, "fresh"), expect.Eq("has an id", np.ID != "", true))
	// A staged name that became live since is refused at publish.
	nd3 := must(e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("Taken Later"), DepartmentIDs: &[]string{"ops"}}}))(t)
	must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "Taken Later", DepartmentIDs: []string{"ops"}}}))(t)
	_, err = e.glow.Publish(ctx, glow.PublishRequest{DraftID: nd3.DraftID, ExpectedVersion: ptr(int64(1))})
	wantErr(t, err, api.ErrConflict, 409, api.CodeNameConflict, "")
	// A draft by the name of a live provider stages a change to it, which
	// needs the version read.
	_, err = e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("Staged New"), Description: ptr("renamed?")}})
	wantErr(t, err, api.ErrInvalid, 400, "", "expected_version")
	// A draft that names no provider must name one.
	_, err = e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Description: ptr("nameless")}})
	wantErr(t, err, api.ErrInvalid, 400, "", "name")
}

func TestGlowSearchPaging(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{}, api.WithPageSize(4))
	var in []glow.ProviderInput
	for i := range 23 {
		dept := "even"
		if i%2 == 1 {
			dept = "odd"
		}
		in = append(in, glow.ProviderInput{
			Name: fmt.Sprintf("P%02d", i), Description: fmt.Sprintf("item %d of the SWEEP", i),
			DepartmentIDs: []string{dept},
		})
	}
	created := must(e.glow.CreateProviders(ctx, in))(t)
	want := ids(created)
	slices.Sort(want)

	before := e.ops("glow.provider.search")
	got := all(t, e.glow.Search(ctx, glow.SearchRequest{}))
	if n := e.ops("glow.provider.search") - before; n != 6 {
		t.Errorf("%d search calls for 23 providers at 4 a page, want 6", n)
	}
	gotIDs := make([]string, len(got))
	for i, p := range got {
		gotIDs[i] = p.ID
		if p.Version != 1 {
			t.Errorf("search result %s: Version = %d, want 1", p.ID, p.Version)
		}
		if p.Name == "" {
			t.Errorf("search result %s: Name is empty", p.ID)
		}
		if len(p.DepartmentIDs) != 1 {
			t.Errorf("search result %s: DepartmentIDs = %v, want 1 of them", p.ID, p.DepartmentIDs)
		}
		if p.CreatedAt.IsZero() {
			t.Errorf("search result %s: CreatedAt is zero", p.ID)
		}
	}
	if !slices.Equal(gotIDs, want) {
		t.Errorf("paged search: %d ids %v, want %d in provider_id order %v", len(gotIDs), gotIDs, len(want), want)
	}

	// The request's page size overrides the client's.
	before = e.ops("glow.provider.search")
	got = all(t, e.glow.Search(ctx, glow.SearchRequest{PageSize: 10}))
	if n := e.ops("glow.provider.search") - before; n != 3 || len(got) != 23 {
		t.Errorf("%d calls, %d providers at 10 a page", n, len(got))
	}

	// Filters: department and text (case-insensitive, name or description).
	odd := all(t, e.glow.Search(ctx, glow.SearchRequest{FilterDepartmentIDs: []string{"odd"}, PageSize: 3}))
	if len(odd) != 11 {
		t.Errorf("odd department: %d, want 11", len(odd))
	}
	sweep := all(t, e.glow.Search(ctx, glow.SearchRequest{Search: "sweep", FilterDepartmentIDs: []string{"even"}, PageSize: 2}))
	if len(sweep) != 12 {
		t.Errorf("text and department: %d, want 12", len(sweep))
	}
	if one := all(t, e.glow.Search(ctx, glow.SearchRequest{Search: "p07"})); len(one) != 1 || one[0].Name != "P07" {
		t.Errorf("name search: %+v", one)
	}

	// Tokens stay valid when providers come and go between pages: nothing
	// seen twice, nothing still there missed.
	var seen []string
	deleted := want[len(want)-1]
	for p, err := range e.glow.Search(ctx, glow.SearchRequest{PageSize: 5}) {
		ok(t, err)
		seen = append(seen, p.ID)
		if len(seen) == 7 {
			must(e.glow.DeleteProviders(ctx, []string{deleted}))(t)
			must(e.glow.DeleteProviders(ctx, []string{want[2]}))(t) // already read
		}
	}
	wantSeen := slices.Clone(want[:len(want)-1])
	if !slices.Equal(seen, wantSeen) {
		t.Errorf("search across changes: %v, want %v", seen, wantSeen)
	}

	// Too large a page is bad input.
	_, err := api.Collect(e.glow.Search(ctx, glow.SearchRequest{PageSize: 501}))
	wantErr(t, err, api.ErrInvalid, 400, "invalid_field", "page_size")
}

func TestGlowBulkUpdate(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	created := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{Name: "alpha", DepartmentIDs: []string{"cs"}},
		{Name: "beta", DepartmentIDs: []string{"cs"}},
		{Name: "gamma", DepartmentIDs: []string{"cs"}},
		{Name: "delta", DepartmentIDs: []string{"hr"}},
		{Name: "alpha-two", DepartmentIDs: []string{"cs"}},
	}))(t)
	id := ids(created)
	// Make beta version 2, so that a guard of 1 is stale.
	must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: id[1], Patch: glow.Patch{Description: ptr("touched")}}))(t)

	res := must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector:         glow.Selector{ProviderIDs: []string{id[0], id[1], id[2]}},
		ExpectedVersions: map[string]int64{id[0]: 1, id[1]: 1},
		Patch:            glow.Patch{Values: &map[string]string{"tier": "bulk"}},
	}))(t)
	byID := byProvider(res)
	expect.Fields(t, "bulk by ids",
		expect.Eq("results", len(res), 3),
		expect.Eq("id[0] Success", byID[id[0]].Success, true), expect.Eq("id[0] Version", byID[id[0]].Version, 2),
		expect.Eq("id[2] Success", byID[id[2]].Success, true), expect.Eq("id[2] Version", byID[id[2]].Version, 2))
	if r := byID[id[1]]; r.Success || r.Code != api.CodeVersionConflict || !strings.Contains(r.Message, "expected version 1, server has 2") {
		t.Errorf("stale item: %+v", r)
	}
	if p := must(e.glow.GetProvider(ctx, id[1]))(t).Provider; p.Values["tier"] == "bulk" || p.Version != 2 {
		t.Errorf("stale item changed: %+v", p)
	}

	// all:true with filters and exclusions.
	res = must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector: glow.Selector{All: true, Search: "ALPHA", FilterDepartmentIDs: []string{"cs", "hr"}, ExcludedIDs: []string{id[4]}},
		Patch:    glow.Patch{Description: ptr("selected")},
	}))(t)
	if len(res) != 1 {
		t.Errorf("bulk all: got %d results, want 1: %+v", len(res), res)
	} else {
		expect.Fields(t, "bulk all", expect.Eq("ProviderID", res[0].ProviderID, id[0]), expect.Eq("Success", res[0].Success, true), expect.Eq("Version", res[0].Version, 3))
	}
	res = must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector:         glow.Selector{All: true, FilterDepartmentIDs: []string{"cs"}, ExcludedIDs: []string{id[0]}},
		ExpectedVersions: map[string]int64{id[1]: 2, id[2]: 1},
		Patch:            glow.Patch{DepartmentIDs: &[]string{"cs", "ops"}},
	}))(t)
	byID = byProvider(res)
	expect.Fields(t, "bulk all guarded",
		expect.Eq("results", len(res), 3),
		expect.Eq("id[1] Success", byID[id[1]].Success, true),
		expect.Eq("id[2] Code", byID[id[2]].Code, api.CodeVersionConflict),
		expect.Eq("id[4] Success", byID[id[4]].Success, true))
	for i, want := range []string{"selected", "touched", "", "", ""} {
		p := must(e.glow.GetProvider(ctx, id[i]))(t).Provider
		if p.Description != want {
			t.Errorf("%s: description %q, want %q", p.Name, p.Description, want)
		}
	}
	if p := must(e.glow.GetProvider(ctx, id[3]))(t).Provider; p.Version != 1 {
		t.Errorf("hr provider touched: %+v", p)
	}

	// A name patch on several providers that share a department fails the
	// items that would collide, not the call.
	res = must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector: glow.Selector{ProviderIDs: []string{id[1], id[4]}},
		Patch:    glow.Patch{Name: ptr("same")},
	}))(t)
	if len(res) != 2 {
		t.Errorf("bulk rename: got %d results, want 2: %+v", len(res), res)
	} else {
		expect.Fields(t, "bulk rename", expect.Eq("res[0].Success", res[0].Success, true), expect.Eq("res[1].Success", res[1].Success, false), expect.Eq("res[1].Code", res[1].Code, api.CodeNameConflict))
	}
	// An unknown id fails its item.
	res = must(e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector: glow.Selector{ProviderIDs: []string{"nope"}}, Patch: glow.Patch{Description: ptr("x")},
	}))(t)
	if len(res) != 1 || res[0].Success || res[0].Code != api.CodeNotFound {
		t.Errorf("bulk unknown: %+v", res)
	}
	// A malformed selector fails the call.
	_, err := e.glow.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector: glow.Selector{All: true, ProviderIDs: []string{id[0]}}, Patch: glow.Patch{Description: ptr("x")},
	})
	wantErr(t, err, api.ErrInvalid, 400, "", "")
}

// byProvider indexes a bulk call's results by provider id.
func byProvider(res []glow.ItemResult) map[string]glow.ItemResult {
	m := map[string]glow.ItemResult{}
	for _, r := range res {
		m[r.ProviderID] = r
	}
	return m
}

func TestGlowDeleteChunked(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	const n = 1203
	var all []string
	for start := 0; start < n; start += glow.MaxItems {
		var in []glow.ProviderInput
		for i := start; i < min(start+glow.MaxItems, n); i++ {
			in = append(in, glow.ProviderInput{Name: fmt.Sprintf("bulk-%04d", i)})
		}
		all = append(all, ids(must(e.glow.CreateProviders(ctx, in))(t))...)
	}
	keep := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "keeper"}}))(t)[0].ProviderID
	doomed := append(slices.Clone(all), "no-such-provider")

	before := e.ops("glow.provider.delete")
	res := must(e.glow.DeleteProviders(ctx, doomed))(t)
	calls := e.ops("glow.provider.delete") - before
	if want := int64((len(doomed) + glow.MaxItems - 1) / glow.MaxItems); calls != want {
		t.Errorf("%d delete calls for %d ids, want %d", calls, len(doomed), want)
	}
	if len(res) != len(doomed) {
		t.Fatalf("%d results for %d ids", len(res), len(doomed))
	}
	for i, r := range res[:n] {
		if !r.Success || r.ProviderID != all[i] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if last := res[n]; last.Success || last.Code != api.CodeNotFound || last.ProviderID != "no-such-provider" {
		t.Errorf("unknown id: %+v", last)
	}
	left := all2ids(all2(t, e))
	if !slices.Equal(left, []string{keep}) {
		t.Errorf("left after delete: %d providers", len(left))
	}

	// The client refuses a create above the limit without calling.
	before = e.ops("glow.provider.create")
	_, err := e.glow.CreateProviders(ctx, make([]glow.ProviderInput, glow.MaxItems+1))
	wantErr(t, err, api.ErrInvalid, 400, api.CodeTooManyItems, "")
	if e.ops("glow.provider.create") != before {
		t.Errorf("an oversized create reached the server")
	}
}

func TestGlowBulkDelete(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	created := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{Name: "tmp one", DepartmentIDs: []string{"cs"}},
		{Name: "tmp two", DepartmentIDs: []string{"cs"}},
		{Name: "tmp three", DepartmentIDs: []string{"hr"}},
		{Name: "tmp four", DepartmentIDs: []string{"cs"}},
		{Name: "permanent", DepartmentIDs: []string{"cs"}},
	}))(t)
	id := ids(created)
	res := must(e.glow.BulkDelete(ctx, glow.Selector{All: true, Search: "TMP", FilterDepartmentIDs: []string{"cs"}, ExcludedIDs: []string{id[3]}}))(t)
	got := make([]string, 0, len(res))
	for _, r := range res {
		if !r.Success {
			t.Errorf("item %+v", r)
		}
		got = append(got, r.ProviderID)
	}
	if !sameSet(got, []string{id[0], id[1]}) {
		t.Errorf("bulk deleted %v, want %v", got, id[:2])
	}
	if left := all2ids(all2(t, e)); !sameSet(left, []string{id[2], id[3], id[4]}) {
		t.Errorf("left %v", left)
	}
	// Explicit ids are DeleteProviders' business.
	_, err := e.glow.BulkDelete(ctx, glow.Selector{ProviderIDs: []string{id[2]}})
	wantErr(t, err, api.ErrInvalid, 400, "", "all")
	// Everything, minus one.
	res = must(e.glow.BulkDelete(ctx, glow.Selector{All: true, ExcludedIDs: []string{id[4]}}))(t)
	if len(res) != 2 {
		t.Errorf("delete all: %+v", res)
	}
	if left := all2ids(all2(t, e)); !slices.Equal(left, []string{id[4]}) {
		t.Errorf("left %v", left)
	}
}

// all2 reads every provider the unscoped client sees.
func all2(t *testing.T, e *env) []glow.Provider {
	t.Helper()
	return all(t, e.glow.Search(ctx, glow.SearchRequest{PageSize: 500}))
}

func all2ids(ps []glow.Provider) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

package contract

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/expect"
)

// A token scoped to cs and sales sees a provider only when all of its
// departments are in the scope.
func TestGlowDepartmentScoping(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	scoped := e.glowAs(scopedToken, api.WithPageSize(2))
	f := e.glowFixture() // created[0] is in cs+sales, [1] in cs, [2] global
	more := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{Name: "HR only", DepartmentIDs: []string{"hr"}, KeyIDs: []string{f.keys[0].ID}},
		{Name: "CS and HR", DepartmentIDs: []string{"cs", "hr"}},
	}))(t)
	inScope := []string{f.created[0].ProviderID, f.created[1].ProviderID}
	outOfScope := []string{f.created[2].ProviderID, more[0].ProviderID, more[1].ProviderID}

	for _, id := range inScope {
		must(scoped.GetProvider(ctx, id))(t)
	}
	for _, id := range outOfScope {
		wantHidden(t, scoped, id)
	}
	// Decrypt needs the provider: the key is attached, the provider hidden.
	_, err := scoped.Decrypt(ctx, more[0].ProviderID, f.keys[0].ID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	if dec := must(scoped.Decrypt(ctx, f.created[0].ProviderID, f.keys[0].ID))(t); dec.ActorName != scopedActor || dec.Value.Reveal() != keyValue {
		t.Errorf("scoped decrypt: actor %q", dec.ActorName)
	}

	// Search (paged) and export leave them out.
	if got := all2ids(all(t, scoped.Search(ctx, glow.SearchRequest{}))); !sameSet(got, inScope) {
		t.Errorf("scoped search %v, want %v", got, inScope)
	}
	if got := all(t, scoped.Search(ctx, glow.SearchRequest{FilterDepartmentIDs: []string{"hr"}})); len(got) != 0 {
		t.Errorf("scoped search of hr: %+v", got)
	}
	var buf bytes.Buffer
	ok(t, scoped.Export(ctx, glow.SearchRequest{}, &buf))
	for _, id := range outOfScope {
		if strings.Contains(buf.String(), id) {
			t.Errorf("scoped export shows %s", id)
		}
	}
	// Drafts: create opened drafts for the unscoped actor; the scoped
	// actor has none.
	if got := all(t, scoped.ListDrafts(ctx)); len(got) != 0 {
		t.Errorf("scoped drafts: %+v", got)
	}

	// Creating or moving a provider out of scope is forbidden.
	_, err = scoped.CreateProviders(ctx, []glow.ProviderInput{{Name: "global by scoped"}})
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "providers[0].department_ids")
	_, err = scoped.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: f.created[1].ProviderID, Patch: glow.Patch{DepartmentIDs: &[]string{"cs", "hr"}}})
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "department_ids")
	_, err = scoped.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: inScope}, Patch: glow.Patch{DepartmentIDs: &[]string{"hr"}}})
	wantErr(t, err, api.ErrForbidden, 403, "forbidden", "patch.department_ids")
	mine := must(scoped.CreateProviders(ctx, []glow.ProviderInput{{Name: "scoped own", DepartmentIDs: []string{"sales"}}}))(t)[0]
	// The create's draft is listed once it stages something.
	must(scoped.Draft(ctx, glow.DraftRequest{InputDraftID: mine.DraftID, ExpectedVersion: ptr(mine.Version), Patch: glow.Patch{Description: ptr("scoped staged")}}))(t)
	if got := all(t, scoped.ListDrafts(ctx)); len(got) != 1 || got[0].DraftID != mine.DraftID || got[0].ActorName != scopedActor {
		t.Errorf("scoped drafts after create: %+v", got)
	}

	// Bulk calls: out-of-scope items are not_found, in-scope ones succeed.
	res := must(scoped.BulkUpdate(ctx, glow.BulkUpdateRequest{
		Selector: glow.Selector{ProviderIDs: []string{f.created[1].ProviderID, more[0].ProviderID}},
		Patch:    glow.Patch{Description: ptr("scoped bulk")},
	}))(t)
	if len(res) != 2 {
		t.Errorf("scoped bulk update: %d results, want 2: %+v", len(res), res)
	} else {
		expect.Fields(t, "scoped bulk update", expect.Eq("res[0].Success", res[0].Success, true),
			expect.Eq("res[1].Success", res[1].Success, false), expect.Eq("res[1].Code", res[1].Code, api.CodeNotFound))
	}
	if p := must(e.glow.GetProvider(ctx, more[0].ProviderID))(t).Provider; p.Version != 1 {
		t.Errorf("out-of-scope provider changed: %+v", p)
	}
	del := must(scoped.DeleteProviders(ctx, []string{mine.ProviderID, more[0].ProviderID, more[1].ProviderID, f.created[2].ProviderID}))(t)
	if len(del) != 4 || !del[0].Success {
		t.Fatalf("scoped delete: %+v", del)
	}
	for _, r := range del[1:] {
		if r.Success || r.Code != api.CodeNotFound {
			t.Errorf("out-of-scope delete item: %+v", r)
		}
		if strings.Contains(r.Message, "department") || strings.Contains(r.Message, "scope") {
			t.Errorf("a not_found item hints that the provider exists: %q", r.Message)
		}
	}
	// Bulk delete of everything the scoped token sees spares the rest.
	res = must(scoped.BulkDelete(ctx, glow.Selector{All: true, ExcludedIDs: []string{f.created[0].ProviderID}}))(t)
	if len(res) != 1 || res[0].ProviderID != f.created[1].ProviderID || !res[0].Success {
		t.Errorf("scoped bulk delete: %+v", res)
	}
	left := all2ids(all2(t, e))
	if want := append([]string{f.created[0].ProviderID}, outOfScope...); !sameSet(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	// Out-of-scope providers are still whole for the unscoped token.
	if !slices.Contains(left, more[1].ProviderID) {
		t.Errorf("mixed-department provider deleted by a scoped token")
	}
}

// wantHidden asserts that provider id is, to client c, a provider that does
// not exist: not_found on get, update, duplicate and draft.
func wantHidden(t *testing.T, c *glow.Client, id string) {
	t.Helper()
	_, err := c.GetProvider(ctx, id)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: id, Patch: glow.Patch{Description: ptr("x")}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = c.DuplicateProvider(ctx, id)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	_, err = c.Draft(ctx, glow.DraftRequest{ProviderID: id, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{Description: ptr("x")}})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
}

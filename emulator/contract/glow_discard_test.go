package contract

import (
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
)

func draftIDs(ds []glow.Draft) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.DraftID
	}
	return out
}

// Discarding a draft closes it and changes nothing live.
func TestGlowDiscardDraft(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "kept as is", Description: "live"}}))(t)[0]
	staged := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: c.ProviderID, ExpectedVersion: ptr(c.Version),
		Patch: glow.Patch{Description: ptr("abandoned")}}))(t)
	before := must(e.glow.GetProvider(ctx, c.ProviderID))(t).Provider

	ok(t, e.glow.DiscardDraft(ctx, staged.DraftID))
	after := must(e.glow.GetProvider(ctx, c.ProviderID))(t).Provider
	if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) || after.Description != "live" {
		t.Errorf("discard changed the provider: before %+v, after %+v", before, after)
	}
	// The draft create opened is empty, so it is not listed (and staging
	// the other draft closed it).
	if got := draftIDs(all(t, e.glow.ListDrafts(ctx))); len(got) != 0 {
		t.Errorf("drafts after discard %v, want none", got)
	}
	_, err := e.glow.Publish(ctx, glow.PublishRequest{DraftID: staged.DraftID, ExpectedVersion: ptr(staged.NewVersion)})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
	// A repeat answers 404, which callers take as already discarded.
	wantErr(t, e.glow.DiscardDraft(ctx, staged.DraftID), api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
	wantErr(t, e.glow.DiscardDraft(ctx, "no-such-draft"), api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
	if n := e.ops("glow.provider.draft_discard"); n != 3 {
		t.Errorf("glow.provider.draft_discard counted %d times, want 3", n)
	}
	// The provider is still writable at its version: the discard left no
	// lock behind.
	must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: c.ProviderID, ExpectedVersion: ptr(after.Version), Patch: glow.Patch{Description: ptr("next")}}))(t)

	// A draft of a new provider: discarding it creates nothing.
	nd := must(e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("never born")}}))(t)
	ok(t, e.glow.DiscardDraft(ctx, nd.DraftID))
	if got := all(t, e.glow.Search(ctx, glow.SearchRequest{Search: "never born"})); len(got) != 0 {
		t.Errorf("a discarded new-provider draft created %+v", got)
	}
	_, err = e.glow.Publish(ctx, glow.PublishRequest{DraftID: nd.DraftID, ExpectedVersion: ptr(nd.NewVersion)})
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
}

// A token sees only drafts of providers in its scope: one scoped to cs
// gets 404 for a math provider's draft, which stays open.
func TestGlowDiscardDraftScoping(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	created := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{
		{Name: "math route", DepartmentIDs: []string{"math"}},
		{Name: "cs route", DepartmentIDs: []string{"cs"}},
	}))(t)
	math, cs := created[0], created[1]
	mathDraft := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: math.ProviderID, ExpectedVersion: ptr(math.Version), Patch: glow.Patch{Description: ptr("m")}}))(t)
	csDraft := must(e.glow.Draft(ctx, glow.DraftRequest{ProviderID: cs.ProviderID, ExpectedVersion: ptr(cs.Version), Patch: glow.Patch{Description: ptr("c")}}))(t)

	csOnly := e.glowAs(csToken)
	ae := wantAPIError(t, csOnly.DiscardDraft(ctx, mathDraft.DraftID), api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
	if ae.ID != mathDraft.DraftID {
		t.Errorf("the error does not name the draft: %v", ae)
	}
	// A new-provider draft staged for math is out of scope too.
	mathNew := must(e.glow.Draft(ctx, glow.DraftRequest{Patch: glow.Patch{Name: ptr("math new"), DepartmentIDs: &[]string{"math"}}}))(t)
	wantErr(t, csOnly.DiscardDraft(ctx, mathNew.DraftID), api.ErrNotFound, 404, api.CodeNotFound, "draft_id")

	// Both stayed open: the unscoped owner still publishes them.
	must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: mathDraft.DraftID, ExpectedVersion: ptr(mathDraft.NewVersion)}))(t)
	must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: mathNew.DraftID, ExpectedVersion: ptr(mathNew.NewVersion)}))(t)

	// In scope, the cs token discards another actor's draft, as it could
	// publish it.
	ok(t, csOnly.DiscardDraft(ctx, csDraft.DraftID))
	for _, d := range all(t, e.glow.ListDrafts(ctx)) {
		if d.DraftID == csDraft.DraftID {
			t.Errorf("draft %s still listed after the cs token discarded it", d.DraftID)
		}
	}
}

// A discard whose answer is lost is asked again; the replay finds the draft
// gone and answers 404, which is the "already discarded" of the retry
// table.
func TestGlowDiscardDraftReplay(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "interrupted"}}))(t)[0]
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.draft_discard"}})
	err := e.glow.DiscardDraft(ctx, c.DraftID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "draft_id")
	if n := e.ops("glow.provider.draft_discard"); n != 2 {
		t.Errorf("%d discard calls, want 2 (one replay)", n)
	}
	if got := all(t, e.glow.ListDrafts(ctx)); len(got) != 0 {
		t.Errorf("drafts after the dropped discard: %+v", got)
	}
}

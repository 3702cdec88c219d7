package emulator

import (
	"net/http"

	"github.com/switchboard-hq/switchboard/api/glow"
)

// mergePatch returns base with the fields present in next replaced.
func mergePatch(base, next glow.Patch) glow.Patch {
	if next.Name != nil {
		base.Name = next.Name
	}
	if next.Description != nil {
		base.Description = next.Description
	}
	if next.DepartmentIDs != nil {
		base.DepartmentIDs = next.DepartmentIDs
	}
	if next.EndpointIDs != nil {
		base.EndpointIDs = next.EndpointIDs
	}
	if next.KeyIDs != nil {
		base.KeyIDs = next.KeyIDs
	}
	if next.Values != nil {
		base.Values = next.Values
	}
	return base
}

// form is what a draft would publish: the live provider (or an empty new
// one) with the draft's changes applied.
func (s *Server) form(d *draftRec) *providerRec {
	var p *providerRec
	if live, ok := s.st.providers.get(d.ProviderID); ok && d.ProviderID != "" {
		p = live.clone()
	} else {
		p = &providerRec{}
	}
	p.apply(d.Patch)
	return p
}

// emptyPatch reports whether a draft stages nothing.
func emptyPatch(p glow.Patch) bool {
	return p.Name == nil && p.Description == nil && p.DepartmentIDs == nil && p.EndpointIDs == nil && p.KeyIDs == nil && p.Values == nil
}

// closedEmpty reports whether d is an empty draft of a live provider (the
// one create and duplicate open, or one staged with nothing) that closed
// because the provider changed since: an empty draft stays open only while
// its provider is at the version the draft was opened or last continued at.
// Every change to a provider (update, bulk update, another draft, a
// publish) grows the version, so this closes it whichever route the change
// took, and a record of it left in the store is never seen again.
func closedEmpty(d *draftRec, live *providerRec) bool {
	return d.ProviderID != "" && emptyPatch(d.Patch) && d.Version != live.Version
}

// visibleDraft finds an open draft the caller may continue, publish or
// discard.
func (s *Server) visibleDraft(c *caller, id, field string) (*draftRec, error) {
	d, ok := s.st.drafts.get(id)
	if !ok {
		return nil, notFound(field, "draft %s not found", id)
	}
	if d.ProviderID != "" {
		if p, ok := s.st.providers.get(d.ProviderID); !ok || !c.sees(p) || closedEmpty(d, p) {
			return nil, notFound(field, "draft %s not found", id)
		}
	} else if !c.sees(s.form(d)) {
		return nil, notFound(field, "draft %s not found", id)
	}
	return d, nil
}

// providerNamed finds the live provider a draft by name (without
// provider_id or input_draft_id) stages a change to: the one provider of
// that name the caller can see. It answers nil when the caller sees none
// (the draft then stages a new provider) and 400 when it sees several,
// which only provider_id tells apart.
func (s *Server) providerNamed(c *caller, name string) (*providerRec, error) {
	var found []*providerRec
	for _, id := range s.st.providers.ids {
		if p := s.st.providers.byID[id]; p.Name == name && c.sees(p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, badInput("invalid_field", "name", "%d providers are named %q (%s, %s, ...): give provider_id to say which one the draft changes",
		len(found), name, found[0].ID, found[1].ID)
}

// glowDraft stages changes. The draft's provider is, in this order: the
// draft named by input_draft_id (provider_id, when also given, must be its
// provider), provider_id, or the one visible provider with the draft's
// name; with none of them the draft stages a new provider. A draft of a
// live provider needs expected_version equal to the provider's version and
// grows that version by one; nothing live changes, so updated_at stays. The
// staged form is checked like a provider (name, references, scope) except
// for name uniqueness, which publish checks.
func (s *Server) glowDraft(r *http.Request, c *caller) (any, error) {
	var req glow.DraftRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	if err := refuseNullLists(raw, ""); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.findDraftTarget(c, &req)
	if err != nil {
		return nil, err
	}
	if err := t.checkVersion(&req); err != nil {
		return nil, err
	}
	return s.stageDraft(c, t, req.Patch)
}

// draftTarget is what a draft request stages its change to.
type draftTarget struct {
	// d is the draft to stage into: a copy of the continued one, or a new
	// one.
	d *draftRec
	// live is the provider the draft changes; nil for a new provider.
	live *providerRec
	// byName is set when live was found by the draft's name alone.
	byName bool
}

// findDraftTarget finds the draft's provider, in the order glowDraft gives.
func (s *Server) findDraftTarget(c *caller, req *glow.DraftRequest) (draftTarget, error) {
	switch {
	case req.InputDraftID != "":
		return s.continuedDraft(c, req)
	case req.ProviderID != "":
		p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
		if err != nil {
			return draftTarget{}, err
		}
		return draftTarget{d: &draftRec{ID: newID(), ProviderID: p.ID}, live: p}, nil
	case req.Name != nil:
		p, err := s.providerNamed(c, *req.Name)
		if err != nil {
			return draftTarget{}, err
		}
		t := draftTarget{d: &draftRec{ID: newID()}}
		if p != nil {
			t.live, t.d.ProviderID, t.byName = p, p.ID, true
		}
		return t, nil
	default:
		return draftTarget{}, badInput("missing_field", "name", "name is required to stage a new provider (or give provider_id or input_draft_id)")
	}
}

// continuedDraft is the target of a draft that continues input_draft_id,
// whose provider_id, when given, must be that draft's provider.
func (s *Server) continuedDraft(c *caller, req *glow.DraftRequest) (draftTarget, error) {
	old, err := s.visibleDraft(c, req.InputDraftID, "input_draft_id")
	if err != nil {
		return draftTarget{}, err
	}
	if req.ProviderID != "" && req.ProviderID != old.ProviderID {
		if old.ProviderID == "" {
			return draftTarget{}, badInput("invalid_field", "provider_id", "draft %s stages a new provider, not provider %s", old.ID, req.ProviderID)
		}
		return draftTarget{}, badInput("invalid_field", "provider_id", "draft %s belongs to provider %s, not %s", old.ID, old.ProviderID, req.ProviderID)
	}
	cp := *old
	t := draftTarget{d: &cp}
	if cp.ProviderID != "" {
		t.live = s.st.providers.byID[cp.ProviderID]
	}
	return t, nil
}

// checkVersion checks the version the caller read, which guards every draft
// of a live provider and every continued draft.
func (t draftTarget) checkVersion(req *glow.DraftRequest) error {
	live := t.live
	has := t.d.Version
	if live != nil {
		has = live.Version
	}
	switch {
	case req.ExpectedVersion == nil && t.byName:
		return badInput("missing_field", "expected_version",
			"provider %s is named %q: give expected_version (it is at version %d) to stage a change to it", live.ID, live.Name, live.Version)
	case req.ExpectedVersion == nil && live != nil:
		return badInput("missing_field", "expected_version", "expected_version is required to stage a change to provider %s", live.ID)
	case req.ExpectedVersion == nil && req.InputDraftID != "":
		return badInput("missing_field", "expected_version", "expected_version is required to continue a draft")
	case req.ExpectedVersion != nil && (live != nil || req.InputDraftID != "") && *req.ExpectedVersion != has:
		return versionConflict("expected_version", *req.ExpectedVersion, has)
	}
	return nil
}

// stageDraft merges patch into the target's draft, checks the staged form
// and stores the draft, growing the version of its live provider.
func (s *Server) stageDraft(c *caller, dt draftTarget, patch glow.Patch) (any, error) {
	d, live := dt.d, dt.live
	d.Patch = mergePatch(d.Patch, patch)
	if err := s.checkProvider(c, s.form(d), ""); err != nil {
		return nil, err
	}
	t := &tx{}
	if live != nil {
		// The version is the provider's lock (docs/api.md, Versions), so
		// it grows; updated_at is the last change of the live provider,
		// and nothing live changed.
		np := live.clone()
		np.Version++
		t.putProvider(np)
		d.Version = np.Version
	} else {
		d.Version++
	}
	d.Actor = c.actor
	d.UpdatedAt = now()
	t.putDraft(d)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return glow.DraftResponse{DraftID: d.ID, NewVersion: d.Version, FormState: formState(s.form(d))}, nil
}

func (s *Server) glowPublish(r *http.Request, c *caller) (any, error) {
	var req glow.PublishRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	if req.DraftID == "" {
		return nil, badInput("missing_field", "draft_id", "draft_id is required")
	}
	if req.ExpectedVersion == nil {
		return nil, badInput("missing_field", "expected_version", "expected_version is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.visibleDraft(c, req.DraftID, "draft_id")
	if err != nil {
		return nil, err
	}
	at := now()
	np := s.form(d)
	if d.ProviderID != "" {
		live := s.st.providers.byID[d.ProviderID]
		if *req.ExpectedVersion != live.Version {
			return nil, versionConflict("expected_version", *req.ExpectedVersion, live.Version)
		}
		np.Version = live.Version + 1
	} else {
		if *req.ExpectedVersion != d.Version {
			return nil, versionConflict("expected_version", *req.ExpectedVersion, d.Version)
		}
		np.ID, np.Version, np.CreatedAt = newID(), 1, at
	}
	np.UpdatedAt = at
	if err := s.checkProvider(c, np, ""); err != nil {
		return nil, err
	}
	if err := s.checkName(np, "name", nil); err != nil {
		return nil, err
	}
	t := &tx{}
	t.putProvider(np)
	t.deleteDraft(d.ID)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return s.wireProvider(np), nil
}

// glowDiscardDraft closes a draft without publishing it. Nothing live
// changes: the version the draft's staging grew stays, since other writers
// may already have read it, and a version never goes back.
func (s *Server) glowDiscardDraft(r *http.Request, c *caller) (any, error) {
	var req glow.DiscardDraftRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	if req.DraftID == "" {
		return nil, badInput("missing_field", "draft_id", "draft_id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.visibleDraft(c, req.DraftID, "draft_id")
	if err != nil {
		return nil, err
	}
	t := &tx{}
	t.deleteDraft(d.ID)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return glow.DiscardDraftResponse{DraftID: d.ID, Discarded: true}, nil
}

func (s *Server) glowDrafts(r *http.Request, c *caller) (any, error) {
	var req glow.ListRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	items, next, _, err := page(s.st.drafts, req.PageSize, req.PageToken, false, func(d *draftRec) bool {
		// An empty draft stages nothing, so there is nothing to review or
		// clean up: the one create opens for each provider is not listed.
		if d.Actor != c.actor || emptyPatch(d.Patch) {
			return false
		}
		_, err := s.visibleDraft(c, d.ID, "")
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	out := glow.ListDraftsResponse{Drafts: make([]glow.Draft, 0, len(items)), NextPageToken: next}
	for _, d := range items {
		out.Drafts = append(out.Drafts, glow.Draft{
			DraftID: d.ID, ProviderID: d.ProviderID, Version: d.Version, ActorName: d.Actor,
			FormState: formState(s.form(d)), UpdatedAt: d.UpdatedAt,
		})
	}
	return out, nil
}

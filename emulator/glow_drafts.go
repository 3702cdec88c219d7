package emulator

import (
	"bytes"
	"encoding/csv"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/api/glow"
)

func (s *Server) glowSearch(r *http.Request, c *caller) (any, error) {
	var req glow.SearchRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := newFilter(req.Search, req.FilterDepartmentIDs)
	items, next, total, err := page(s.st.providers, req.PageSize, req.PageToken, true, func(p *providerRec) bool {
		return c.sees(p) && f.match(p)
	})
	if err != nil {
		return nil, err
	}
	out := glow.SearchResponse{Providers: make([]glow.Provider, 0, len(items)), NextPageToken: next, TotalCount: total}
	for _, p := range items {
		out.Providers = append(out.Providers, s.wireProvider(p))
	}
	return out, nil
}

func (s *Server) glowExport(r *http.Request, c *caller) (any, error) {
	var req glow.SearchRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	if req.PageSize != 0 {
		return nil, badInput("invalid_field", "page_size", "export takes no paging")
	}
	if req.PageToken != "" {
		return nil, badInput("invalid_field", "page_token", "export takes no paging")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"provider_id", "name", "description", "department_ids", "endpoint_ids", "key_ids", "values", "version", "model_usage_count"})
	f := newFilter(req.Search, req.FilterDepartmentIDs)
	for _, id := range s.st.providers.ids {
		p := s.st.providers.byID[id]
		if !c.sees(p) || !f.match(p) {
			continue
		}
		var values []string
		for _, k := range slices.Sorted(maps.Keys(p.Values)) {
			values = append(values, k+"="+p.Values[k])
		}
		_ = w.Write([]string{
			p.ID, p.Name, p.Description,
			strings.Join(p.Departments, ";"), strings.Join(p.Endpoints, ";"), strings.Join(p.Keys, ";"),
			strings.Join(values, ";"),
			strconv.FormatInt(p.Version, 10), strconv.Itoa(len(s.st.modelsByProvider[p.ID])),
		})
	}
	w.Flush()
	return rawBody{contentType: "text/csv; charset=utf-8", data: buf.Bytes()}, nil
}

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

// visibleDraft finds a draft the caller may continue or publish.
func (s *Server) visibleDraft(c *caller, id, field string) (*draftRec, error) {
	d, ok := s.st.drafts.get(id)
	if !ok {
		return nil, notFound(field, "draft %s not found", id)
	}
	if d.ProviderID != "" {
		if p, ok := s.st.providers.get(d.ProviderID); !ok || !c.sees(p) {
			return nil, notFound(field, "draft %s not found", id)
		}
	} else if !c.sees(s.form(d)) {
		return nil, notFound(field, "draft %s not found", id)
	}
	return d, nil
}

// glowDraft stages changes. The staged form is checked like a provider
// (name, references, scope) except for name uniqueness, which publish
// checks: a draft may stage a name that is free only once it is published.
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
	at := now()
	t := &tx{}
	var d *draftRec
	if req.ProviderID != "" {
		p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
		if err != nil {
			return nil, err
		}
		if req.ExpectedVersion == nil {
			return nil, badInput("missing_field", "expected_version", "expected_version is required with provider_id")
		}
		if *req.ExpectedVersion != p.Version {
			return nil, versionConflict("expected_version", *req.ExpectedVersion, p.Version)
		}
		if req.InputDraftID != "" {
			old, err := s.visibleDraft(c, req.InputDraftID, "input_draft_id")
			if err != nil {
				return nil, err
			}
			if old.ProviderID != p.ID {
				return nil, badInput("invalid_field", "input_draft_id", "draft %s does not belong to provider %s", old.ID, p.ID)
			}
			cp := *old
			d = &cp
		} else {
			d = &draftRec{ID: newID(), ProviderID: p.ID}
		}
		d.Patch = mergePatch(d.Patch, req.Patch)
		if err := s.checkProvider(c, s.form(d), ""); err != nil {
			return nil, err
		}
		np := p.clone()
		np.Version++
		np.UpdatedAt = at
		t.putProvider(np)
		d.Version = np.Version
	} else {
		if req.InputDraftID != "" {
			old, err := s.visibleDraft(c, req.InputDraftID, "input_draft_id")
			if err != nil {
				return nil, err
			}
			if old.ProviderID != "" {
				return nil, badInput("missing_field", "provider_id", "draft %s stages provider %s: give its provider_id", old.ID, old.ProviderID)
			}
			if req.ExpectedVersion == nil {
				return nil, badInput("missing_field", "expected_version", "expected_version is required to continue a draft")
			}
			if *req.ExpectedVersion != old.Version {
				return nil, versionConflict("expected_version", *req.ExpectedVersion, old.Version)
			}
			cp := *old
			d = &cp
		} else {
			if req.Name == nil {
				return nil, badInput("missing_field", "name", "name is required to stage a new provider (or give provider_id)")
			}
			d = &draftRec{ID: newID()}
		}
		d.Patch = mergePatch(d.Patch, req.Patch)
		if err := s.checkProvider(c, s.form(d), ""); err != nil {
			return nil, err
		}
		d.Version++
	}
	d.Actor = c.actor
	d.UpdatedAt = at
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
		if d.Actor != c.actor {
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

package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api/glow"
)

func checkCount(n int, present bool, field string) error {
	switch {
	case !present:
		return badInput("missing_field", field, "%s is required", field)
	case n == 0:
		return badInput("invalid_field", field, "%s must not be empty", field)
	case n > maxItems:
		return badInput("too_many_items", field, "at most %d %s per call, got %d", maxItems, field, n)
	}
	return nil
}

func (s *Server) glowEndpointCreate(r *http.Request, c *caller) (any, error) {
	var req glow.CreateEndpointsRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	if err := checkCount(len(req.Endpoints), has(raw, "endpoints"), "endpoints"); err != nil {
		return nil, err
	}
	at := now()
	t := &tx{}
	out := glow.EndpointsResponse{Endpoints: []glow.Endpoint{}}
	for i, in := range req.Endpoints {
		f := fmt.Sprintf("endpoints[%d].url", i)
		if !has(objAt(raw, "endpoints", i), "url") {
			return nil, badInput("missing_field", f, "%s is required", f)
		}
		u, err := url.Parse(in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, badInput("invalid_field", f, "%s must be an absolute http or https URL", f)
		}
		e := &endpointRec{Endpoint: glow.Endpoint{ID: newID(), URL: in.URL, Name: in.Name, CreatedAt: at}, Scope: c.scopeOf()}
		t.putEndpoint(e)
		out.Endpoints = append(out.Endpoints, e.Endpoint)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowEndpointList(r *http.Request, c *caller) (any, error) {
	var req glow.ListRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	items, next, _, err := page(s.st.endpoints, req.PageSize, req.PageToken, false, func(e *endpointRec) bool {
		return s.seesRef(c, e.Scope, s.st.endpointUsers[e.ID])
	})
	if err != nil {
		return nil, err
	}
	out := glow.EndpointsResponse{Endpoints: make([]glow.Endpoint, 0, len(items)), NextPageToken: next}
	for _, e := range items {
		out.Endpoints = append(out.Endpoints, e.Endpoint)
	}
	return out, nil
}

// inUse answers the delete of a key or endpoint that the providers users
// attach. It names the first of them (in id order) that the caller sees;
// the caller sees the key or endpoint only through one, so there is one.
func (s *Server) inUse(c *caller, what, id string, users map[string]bool) glow.IDResult {
	msg := fmt.Sprintf("%s %s is used by a provider", what, id)
	for _, pid := range slices.Sorted(maps.Keys(users)) {
		if p, ok := s.st.providers.get(pid); ok && c.sees(p) {
			msg = fmt.Sprintf("%s %s is used by provider %s (%s)", what, id, p.ID, p.Name)
			break
		}
	}
	return glow.IDResult{ID: id, Message: msg, Code: "in_use"}
}

// deleteIDs runs a delete of endpoints, keys or models.
func deleteIDs(ids []string, present bool, field string, one func(id string) glow.IDResult) (any, error) {
	if err := checkCount(len(ids), present, field); err != nil {
		return nil, err
	}
	out := glow.IDResults{Results: []glow.IDResult{}}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		out.Results = append(out.Results, one(id))
	}
	return out, nil
}

func (s *Server) glowEndpointDelete(r *http.Request, c *caller) (any, error) {
	var req glow.DeleteEndpointsRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{}
	out, err := deleteIDs(req.EndpointIDs, has(raw, "endpoint_ids"), "endpoint_ids", func(id string) glow.IDResult {
		if _, ok := s.visibleEndpoint(c, id); !ok {
			return glow.IDResult{ID: id, Message: "endpoint not found", Code: "not_found"}
		}
		if users := s.st.endpointUsers[id]; len(users) > 0 {
			return s.inUse(c, "endpoint", id, users)
		}
		t.deleteEndpoint(id)
		return glow.IDResult{ID: id, Success: true, Message: "deleted"}
	})
	if err != nil {
		return nil, err
	}
	return out, s.commit(t)
}

func (s *Server) glowKeyCreate(r *http.Request, c *caller) (any, error) {
	var req glow.CreateKeysRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	if err := checkCount(len(req.Keys), has(raw, "keys"), "keys"); err != nil {
		return nil, err
	}
	at := now()
	t := &tx{}
	out := glow.KeysResponse{Keys: []glow.Key{}}
	for i, in := range req.Keys {
		entry := objAt(raw, "keys", i)
		for _, name := range []string{"name", "value"} {
			f := fmt.Sprintf("keys[%d].%s", i, name)
			if !has(entry, name) {
				return nil, badInput("missing_field", f, "%s is required", f)
			}
		}
		if strings.TrimSpace(in.Name) == "" {
			return nil, badInput("invalid_field", fmt.Sprintf("keys[%d].name", i), "keys[%d].name must not be empty", i)
		}
		if in.Value == "" {
			return nil, badInput("invalid_field", fmt.Sprintf("keys[%d].value", i), "keys[%d].value must not be empty", i)
		}
		k := &keyRec{ID: newID(), Name: in.Name, Sealed: s.store.Seal([]byte(in.Value)), CreatedAt: at, Scope: c.scopeOf()}
		t.putKey(k)
		out.Keys = append(out.Keys, wireKey(k))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowKeyList(r *http.Request, c *caller) (any, error) {
	var req glow.ListRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	items, next, _, err := page(s.st.keys, req.PageSize, req.PageToken, false, func(k *keyRec) bool {
		return s.seesRef(c, k.Scope, s.st.keyUsers[k.ID])
	})
	if err != nil {
		return nil, err
	}
	out := glow.KeysResponse{Keys: make([]glow.Key, 0, len(items)), NextPageToken: next}
	for _, k := range items {
		out.Keys = append(out.Keys, wireKey(k))
	}
	return out, nil
}

func (s *Server) glowKeyDelete(r *http.Request, c *caller) (any, error) {
	var req glow.DeleteKeysRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{}
	out, err := deleteIDs(req.KeyIDs, has(raw, "key_ids"), "key_ids", func(id string) glow.IDResult {
		if _, ok := s.visibleKey(c, id); !ok {
			return glow.IDResult{ID: id, Message: "key not found", Code: "not_found"}
		}
		if users := s.st.keyUsers[id]; len(users) > 0 {
			return s.inUse(c, "key", id, users)
		}
		t.deleteKey(id)
		return glow.IDResult{ID: id, Success: true, Message: "deleted"}
	})
	if err != nil {
		return nil, err
	}
	return out, s.commit(t)
}

// modelVisible: a model is visible when its provider is, or, for unscoped
// callers, when its provider is gone (the model is broken).
func (s *Server) modelVisible(c *caller, m *modelRec) bool {
	p, ok := s.st.providers.get(m.ProviderID)
	if !ok {
		return !c.scoped
	}
	return c.sees(p)
}

func (s *Server) wireModel(m *modelRec) glow.Model {
	out := glow.Model{ID: m.ID, Name: m.Name, ProviderID: m.ProviderID}
	if p, ok := s.st.providers.get(m.ProviderID); ok {
		out.ProviderName = p.Name
	}
	return out
}

func (s *Server) glowModelCreate(r *http.Request, c *caller) (any, error) {
	var req glow.CreateModelsRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	if err := checkCount(len(req.Models), has(raw, "models"), "models"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := now()
	t := &tx{}
	out := glow.ModelsResponse{Models: []glow.Model{}}
	for i, in := range req.Models {
		entry := objAt(raw, "models", i)
		for _, name := range []string{"name", "provider_id"} {
			f := fmt.Sprintf("models[%d].%s", i, name)
			if !has(entry, name) {
				return nil, badInput("missing_field", f, "%s is required", f)
			}
		}
		if strings.TrimSpace(in.Name) == "" {
			return nil, badInput("invalid_field", fmt.Sprintf("models[%d].name", i), "models[%d].name must not be empty", i)
		}
		if _, err := s.visibleProvider(c, in.ProviderID, fmt.Sprintf("models[%d].provider_id", i)); err != nil {
			return nil, err
		}
		m := &modelRec{ID: newID(), Name: in.Name, ProviderID: in.ProviderID, CreatedAt: at}
		t.putModel(m)
		out.Models = append(out.Models, s.wireModel(m))
	}
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowModelSearch(r *http.Request, c *caller) (any, error) {
	var req glow.ListRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	items, next, _, err := page(s.st.models, req.PageSize, req.PageToken, false, func(m *modelRec) bool {
		return s.modelVisible(c, m)
	})
	if err != nil {
		return nil, err
	}
	out := glow.ModelsResponse{Models: make([]glow.Model, 0, len(items)), NextPageToken: next}
	for _, m := range items {
		out.Models = append(out.Models, s.wireModel(m))
	}
	return out, nil
}

func (s *Server) glowModelDelete(r *http.Request, c *caller) (any, error) {
	var req glow.DeleteModelsRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{}
	out, err := deleteIDs(req.ModelIDs, has(raw, "model_ids"), "model_ids", func(id string) glow.IDResult {
		m, ok := s.st.models.get(id)
		if !ok || !s.modelVisible(c, m) {
			return glow.IDResult{ID: id, Message: "model not found", Code: "not_found"}
		}
		t.deleteModel(id)
		return glow.IDResult{ID: id, Success: true, Message: "deleted"}
	})
	if err != nil {
		return nil, err
	}
	return out, s.commit(t)
}

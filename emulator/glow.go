package emulator

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api/glow"
)

// Limits of docs/api.md.
const (
	maxItems        = 500 // entries of a create call, explicit ids of a bulk call
	defaultPageSize = 50
	maxPageSize     = 500
)

const typeCodeGlow = "invalid_field"

// sees reports whether the caller may see p (docs/api.md, "Department
// scoping").
func (c *caller) sees(p *providerRec) bool { return c.within(p.Departments) }

// within reports whether departments are in the caller's scope: always for
// an unscoped caller; for a scoped one, when there is at least one and all
// of them are in its scope.
func (c *caller) within(departments []string) bool {
	if !c.scoped {
		return true
	}
	if len(departments) == 0 {
		return false
	}
	for _, d := range departments {
		if !c.scope[d] {
			return false
		}
	}
	return true
}

// scopeOf is what a key or endpoint the caller creates records: its
// departments, sorted, or nil for an unscoped caller.
func (c *caller) scopeOf() []string {
	if !c.scoped {
		return nil
	}
	return slices.Sorted(maps.Keys(c.scope))
}

// seesRef reports whether the caller may see a key or endpoint created
// within scope and attached to the providers users (docs/api.md,
// "Department scoping"): an attached one through a provider the caller
// sees, an unattached one when it was created within the caller's scope.
// The caller holds s.mu.
func (s *Server) seesRef(c *caller, scope []string, users map[string]bool) bool {
	if !c.scoped {
		return true
	}
	if len(users) == 0 {
		return c.within(scope)
	}
	for pid := range users {
		if p, ok := s.st.providers.get(pid); ok && c.sees(p) {
			return true
		}
	}
	return false
}

// visibleKey finds a key the caller may see.
func (s *Server) visibleKey(c *caller, id string) (*keyRec, bool) {
	k, ok := s.st.keys.get(id)
	if !ok || !s.seesRef(c, k.Scope, s.st.keyUsers[id]) {
		return nil, false
	}
	return k, true
}

// visibleEndpoint finds an endpoint the caller may see.
func (s *Server) visibleEndpoint(c *caller, id string) (*endpointRec, bool) {
	e, ok := s.st.endpoints.get(id)
	if !ok || !s.seesRef(c, e.Scope, s.st.endpointUsers[id]) {
		return nil, false
	}
	return e, true
}

func (s *Server) visibleProvider(c *caller, id, field string) (*providerRec, error) {
	if id == "" {
		return nil, badInput("missing_field", field, "%s is required", field)
	}
	p, ok := s.st.providers.get(id)
	if !ok || !c.sees(p) {
		return nil, notFound(field, "provider %s not found", id)
	}
	return p, nil
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func (s *Server) wireProvider(p *providerRec) glow.Provider {
	models := orEmpty(slices.Clone(s.st.modelsByProvider[p.ID]))
	values := p.Values
	if values == nil {
		values = map[string]string{}
	}
	return glow.Provider{
		ID:              p.ID,
		Name:            p.Name,
		Description:     p.Description,
		DepartmentIDs:   orEmpty(p.Departments),
		EndpointIDs:     orEmpty(p.Endpoints),
		KeyIDs:          orEmpty(p.Keys),
		Values:          values,
		Version:         p.Version,
		ModelUsageCount: len(models),
		ModelIDs:        models,
		CreatedAt:       p.CreatedAt,
		UpdatedAt:       p.UpdatedAt,
	}
}

func formState(p *providerRec) glow.FormState {
	values := p.Values
	if values == nil {
		values = map[string]string{}
	}
	return glow.FormState{
		ProviderID:    p.ID,
		Name:          p.Name,
		Description:   p.Description,
		DepartmentIDs: orEmpty(p.Departments),
		EndpointIDs:   orEmpty(p.Endpoints),
		KeyIDs:        orEmpty(p.Keys),
		Values:        values,
	}
}

func wireKey(k *keyRec) glow.Key {
	return glow.Key{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt}
}

// checkProvider validates a provider as it would be stored: a name, known
// endpoints and keys, departments in the caller's scope and a name that is
// free in each of its departments. prefix is the JSON path of the input the
// fields came from ("providers[2].", "patch.", "").
func (s *Server) checkProvider(c *caller, p *providerRec, prefix string) error {
	if strings.TrimSpace(p.Name) == "" {
		return badInput("invalid_field", prefix+"name", "%sname must not be empty", prefix)
	}
	seen := map[string]bool{}
	for i, d := range p.Departments {
		f := fmt.Sprintf("%sdepartment_ids[%d]", prefix, i)
		if strings.TrimSpace(d) == "" {
			return badInput("invalid_field", f, "%s must not be empty", f)
		}
		if seen[d] {
			return badInput("invalid_field", f, "%s repeats department %s", f, d)
		}
		seen[d] = true
	}
	if err := s.checkRefs(c, p, prefix); err != nil {
		return err
	}
	for k := range p.Values {
		if strings.TrimSpace(k) == "" {
			return badInput("invalid_field", prefix+"values", "%svalues has an empty key", prefix)
		}
	}
	if c.scoped && !c.sees(p) {
		return errf(http.StatusForbidden, "forbidden", prefix+"department_ids",
			"this token may only manage providers whose departments are all within its own")
	}
	return nil
}

// checkRefs checks that every endpoint and key p refers to exists and is
// visible to c. A foreign id answers exactly like one that does not exist:
// 404 not_found naming the field and the id, never a hint that it exists.
func (s *Server) checkRefs(c *caller, p *providerRec, prefix string) error {
	for i, id := range p.Endpoints {
		if _, ok := s.visibleEndpoint(c, id); !ok {
			return notFound(fmt.Sprintf("%sendpoint_ids[%d]", prefix, i), "endpoint %s not found", id)
		}
	}
	for i, id := range p.Keys {
		if _, ok := s.visibleKey(c, id); !ok {
			return notFound(fmt.Sprintf("%skey_ids[%d]", prefix, i), "key %s not found", id)
		}
	}
	return nil
}

// checkName answers 409 name_conflict when p's name is taken in one of its
// departments (by a live provider, or by one claimed earlier in the same
// call). The message never names the other provider: the caller may not
// be allowed to see it.
func (s *Server) checkName(p *providerRec, field string, claimed map[string]string) error {
	_, taken := s.st.nameTaken(p)
	if !taken {
		for _, k := range nameKeys(p) {
			if id, ok := claimed[k]; ok && id != p.ID {
				taken = true
				break
			}
		}
	}
	if taken {
		scope := "among global providers"
		if len(p.Departments) > 0 {
			scope = "in one of its departments"
		}
		return errf(http.StatusConflict, "name_conflict", field, "the name %q is already taken %s", p.Name, scope)
	}
	return nil
}

// patchLists are the patch fields that hold a whole list or map.
var patchLists = []string{"department_ids", "endpoint_ids", "key_ids", "values"}

// refuseNullLists answers 400 for a patch list given as null. A null is
// neither "absent" (keep) nor "empty" (remove everything), and either guess
// would silently do the opposite of what some client meant; the client
// sends [] to empty a list.
func refuseNullLists(patch map[string]any, prefix string) error {
	for _, k := range patchLists {
		if v, ok := patch[k]; ok && v == nil {
			return badInput("invalid_field", prefix+k,
				"%s%s must not be null: an empty one removes every item, leaving it out keeps them", prefix, k)
		}
	}
	return nil
}

// glowTokenSelf describes the caller's token, so that a client of a scoped
// token knows what it cannot see.
func (s *Server) glowTokenSelf(r *http.Request, c *caller) (any, error) {
	var req struct{}
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	out := glow.TokenInfo{ActorName: c.actor, Scoped: c.scoped}
	if c.scoped {
		out.DepartmentIDs = slices.Sorted(maps.Keys(c.scope))
	}
	return out, nil
}

func versionConflict(field string, expected, has int64) *apiError {
	return errf(http.StatusConflict, "version_conflict", field, "expected version %d, server has %d", expected, has)
}

func (s *Server) glowCreate(r *http.Request, c *caller) (any, error) {
	var req glow.CreateProvidersRequest
	raw, err := decodeBody(r, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	switch {
	case !has(raw, "providers"):
		return nil, badInput("missing_field", "providers", "providers is required")
	case len(req.Providers) == 0:
		return nil, badInput("invalid_field", "providers", "providers must hold at least one provider")
	case len(req.Providers) > maxItems:
		return nil, badInput("too_many_items", "providers", "at most %d providers per call, got %d", maxItems, len(req.Providers))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{}
	claimed := map[string]string{}
	at := now()
	out := glow.CreateProvidersResponse{Providers: []glow.Created{}}
	for i, in := range req.Providers {
		prefix := fmt.Sprintf("providers[%d].", i)
		if !has(objAt(raw, "providers", i), "name") {
			return nil, badInput("missing_field", prefix+"name", "%sname is required", prefix)
		}
		p := &providerRec{
			ID: newID(), Name: in.Name, Description: in.Description,
			Departments: slices.Clone(in.DepartmentIDs), Endpoints: slices.Clone(in.EndpointIDs),
			Keys: slices.Clone(in.KeyIDs), Values: in.Values,
			Version: 1, CreatedAt: at, UpdatedAt: at,
		}
		if err := s.checkProvider(c, p, prefix); err != nil {
			return nil, err
		}
		if err := s.checkName(p, prefix+"name", claimed); err != nil {
			return nil, err
		}
		for _, k := range nameKeys(p) {
			claimed[k] = p.ID
		}
		d := &draftRec{ID: newID(), ProviderID: p.ID, Actor: c.actor, Version: p.Version, UpdatedAt: at}
		t.putProvider(p)
		t.putDraft(d)
		out.Providers = append(out.Providers, glow.Created{ProviderID: p.ID, Name: p.Name, DraftID: d.ID, Version: p.Version})
	}
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowGet(r *http.Request, c *caller) (any, error) {
	var req glow.DuplicateRequest // {"provider_id"}
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
	if err != nil {
		return nil, err
	}
	out := glow.ProviderDetail{
		Provider:  s.wireProvider(p),
		Endpoints: glow.EndpointSection{Current: []glow.Endpoint{}, Options: []glow.Endpoint{}},
		Keys:      glow.KeySection{Current: []glow.Key{}},
	}
	for _, id := range p.Endpoints {
		if e, ok := s.st.endpoints.get(id); ok {
			out.Endpoints.Current = append(out.Endpoints.Current, e.Endpoint)
		}
	}
	for _, id := range s.st.endpoints.ids {
		if e, ok := s.visibleEndpoint(c, id); ok {
			out.Endpoints.Options = append(out.Endpoints.Options, e.Endpoint)
		}
	}
	for _, id := range p.Keys {
		if k, ok := s.st.keys.get(id); ok {
			out.Keys.Current = append(out.Keys.Current, wireKey(k))
		}
	}
	return out, nil
}

func (s *Server) glowUpdate(r *http.Request, c *caller) (any, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if shape, _ := peekObject(data); has(shape, "provider_id") {
		var req glow.UpdateRequest
		raw, err := decodeBytes(data, &req, typeCodeGlow)
		if err != nil {
			return nil, err
		}
		if err := refuseNullLists(raw, ""); err != nil {
			return nil, err
		}
		return s.updateOne(c, req)
	}
	var req glow.BulkUpdateRequest
	raw, err := decodeBytes(data, &req, typeCodeGlow)
	if err != nil {
		return nil, err
	}
	if !has(raw, "patch") {
		return nil, badInput("missing_field", "patch", "patch is required for a bulk update (or give provider_id for a single one)")
	}
	if patch, _ := raw["patch"].(map[string]any); patch != nil {
		if err := refuseNullLists(patch, "patch."); err != nil {
			return nil, err
		}
	}
	return s.updateMany(c, req)
}

func (s *Server) updateOne(c *caller, req glow.UpdateRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
	if err != nil {
		return nil, err
	}
	if req.ExpectedVersion != nil && *req.ExpectedVersion != p.Version {
		return nil, versionConflict("expected_version", *req.ExpectedVersion, p.Version)
	}
	np := p.clone()
	np.apply(req.Patch)
	if err := s.checkProvider(c, np, ""); err != nil {
		return nil, err
	}
	if err := s.checkName(np, "name", nil); err != nil {
		return nil, err
	}
	np.Version++
	np.UpdatedAt = now()
	t := &tx{}
	t.putProvider(np)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return s.wireProvider(np), nil
}

// selection is the providers a bulk call names, in order: found ones and the
// ids that are not there (or not visible).
type selection struct {
	ids     []string
	missing map[string]bool
}

// selectProviders resolves a bulk selector. The caller holds s.mu.
func (s *Server) selectProviders(c *caller, sel glow.Selector) (selection, error) {
	var out selection
	if sel.All {
		if len(sel.ProviderIDs) > 0 {
			return out, badInput("invalid_field", "provider_ids", "give provider_ids or all, not both")
		}
		excluded := map[string]bool{}
		for _, id := range sel.ExcludedIDs {
			excluded[id] = true
		}
		f := newFilter(sel.Search, sel.FilterDepartmentIDs)
		for _, id := range s.st.providers.ids {
			p := s.st.providers.byID[id]
			if !excluded[id] && c.sees(p) && f.match(p) {
				out.ids = append(out.ids, id)
			}
		}
		return out, nil
	}
	switch {
	case sel.ProviderIDs == nil:
		return out, badInput("missing_field", "provider_ids", "provider_ids (or all: true) is required")
	case len(sel.ProviderIDs) > maxItems:
		return out, badInput("too_many_items", "provider_ids", "at most %d provider_ids per call, got %d", maxItems, len(sel.ProviderIDs))
	case sel.Search != "":
		return out, badInput("invalid_field", "search", "search applies only with all: true")
	case sel.FilterDepartmentIDs != nil:
		return out, badInput("invalid_field", "filter_department_ids", "filter_department_ids applies only with all: true")
	case sel.ExcludedIDs != nil:
		return out, badInput("invalid_field", "excluded_ids", "excluded_ids applies only with all: true")
	}
	seen := map[string]bool{}
	for i, id := range sel.ProviderIDs {
		if id == "" {
			f := fmt.Sprintf("provider_ids[%d]", i)
			return out, badInput("invalid_field", f, "%s must not be empty", f)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out.ids = append(out.ids, id)
		if p, ok := s.st.providers.get(id); !ok || !c.sees(p) {
			out.missing = addTo(out.missing, id)
		}
	}
	return out, nil
}

func (s *Server) updateMany(c *caller, req glow.BulkUpdateRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sel, err := s.selectProviders(c, req.Selector)
	if err != nil {
		return nil, err
	}
	// Check the patch once, on its own, so that a bad patch is a bad request.
	if req.Patch.Name != nil && strings.TrimSpace(*req.Patch.Name) == "" {
		return nil, badInput("invalid_field", "patch.name", "patch.name must not be empty")
	}
	probe := &providerRec{Name: "probe", Departments: []string{}}
	probe.apply(req.Patch)
	if req.Patch.DepartmentIDs == nil {
		probe.Departments = nil
	}
	if err := s.checkProvider(&caller{}, probe, "patch."); err != nil {
		return nil, err
	}
	if err := s.checkRefs(c, probe, "patch."); err != nil {
		return nil, err
	}
	if c.scoped && req.Patch.DepartmentIDs != nil && !c.sees(probe) {
		return nil, errf(http.StatusForbidden, "forbidden", "patch.department_ids",
			"this token may only manage providers whose departments are all within its own")
	}
	t := &tx{}
	claimed := map[string]string{}
	at := now()
	out := glow.BulkResponse{Results: []glow.ItemResult{}}
	for _, id := range sel.ids {
		if sel.missing[id] {
			out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Message: "provider not found", Code: "not_found"})
			continue
		}
		p := s.st.providers.byID[id]
		if ev, ok := req.ExpectedVersions[id]; ok && ev != p.Version {
			out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Message: versionConflict("", ev, p.Version).message, Code: "version_conflict"})
			continue
		}
		np := p.clone()
		np.apply(req.Patch)
		if err := s.checkName(np, "", claimed); err != nil {
			out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Message: err.(*apiError).message, Code: "name_conflict"})
			continue
		}
		for _, k := range nameKeys(np) {
			claimed[k] = np.ID
		}
		np.Version++
		np.UpdatedAt = at
		t.putProvider(np)
		out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Success: true, Message: "updated", Version: np.Version})
	}
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowDuplicate(r *http.Request, c *caller) (any, error) {
	var req glow.DuplicateRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
	if err != nil {
		return nil, err
	}
	at := now()
	np := p.clone()
	np.ID, np.Version, np.CreatedAt, np.UpdatedAt = newID(), 1, at, at
	np.Name = s.copyName(np, p.Name)
	d := &draftRec{ID: newID(), ProviderID: np.ID, Actor: c.actor, Version: 1, UpdatedAt: at}
	t := &tx{}
	t.putProvider(np)
	t.putDraft(d)
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return glow.Created{ProviderID: np.ID, Name: np.Name, DraftID: d.ID, Version: np.Version}, nil
}

// copyName names a duplicate of a provider named name: "<name> (copy)",
// "<name> (copy 2)", … the first number whose name is free in np's
// departments. Only names are compared: a number held by a provider the
// caller cannot see is skipped like one it can see, and nothing in the
// answer names the holder or says why a number was skipped. (The gap
// itself cannot be hidden: names are unique per department, so the copy
// cannot take a name that is held.)
func (s *Server) copyName(np *providerRec, name string) string {
	for n := 1; ; n++ {
		np.Name = name + " (copy)"
		if n > 1 {
			np.Name = fmt.Sprintf("%s (copy %d)", name, n)
		}
		if _, taken := s.st.nameTaken(np); !taken {
			return np.Name
		}
	}
}

func (s *Server) glowDelete(r *http.Request, c *caller) (any, error) {
	var req glow.DeleteRequest
	if _, err := decodeBody(r, &req, typeCodeGlow); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel selection
	if req.ProviderID != "" {
		if req.All || req.ProviderIDs != nil {
			return nil, badInput("invalid_field", "provider_id", "give provider_id, provider_ids or all, not several")
		}
		sel.ids = []string{req.ProviderID}
		if p, ok := s.st.providers.get(req.ProviderID); !ok || !c.sees(p) {
			sel.missing = addTo(nil, req.ProviderID)
		}
	} else {
		var err error
		if sel, err = s.selectProviders(c, req.Selector); err != nil {
			return nil, err
		}
	}
	t := &tx{}
	deleted := map[string]bool{}
	out := glow.BulkResponse{Results: []glow.ItemResult{}}
	for _, id := range sel.ids {
		if sel.missing[id] {
			out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Message: "provider not found", Code: "not_found"})
			continue
		}
		t.deleteProvider(id)
		deleted[id] = true
		out.Results = append(out.Results, glow.ItemResult{ProviderID: id, Success: true, Message: "deleted"})
	}
	if len(deleted) > 0 {
		for _, did := range s.st.drafts.ids {
			if deleted[s.st.drafts.byID[did].ProviderID] {
				t.deleteDraft(did)
			}
		}
	}
	if err := s.commit(t); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) glowDecrypt(r *http.Request, c *caller) (any, error) {
	var req glow.DecryptRequest
	_, decErr := decodeBody(r, &req, typeCodeGlow)
	s.mu.Lock()
	defer s.mu.Unlock()
	value, name, err := s.decrypt(c, req, decErr)
	t := &tx{}
	t.addAudit(AuditEntry{Time: now(), ActorName: c.actor, ProviderID: req.ProviderID, KeyID: req.KeyID, Success: err == nil})
	if cerr := s.commit(t); cerr != nil {
		return nil, cerr
	}
	s.stats.decrypt()
	if err != nil {
		return nil, err
	}
	return struct {
		KeyID     string `json:"key_id"`
		Name      string `json:"name"`
		Value     string `json:"value"`
		ActorName string `json:"actor_name"`
	}{req.KeyID, name, value, c.actor}, nil
}

func (s *Server) decrypt(c *caller, req glow.DecryptRequest, decErr error) (value, name string, err error) {
	if decErr != nil {
		return "", "", decErr
	}
	if req.KeyID == "" {
		if req.ProviderID == "" {
			return "", "", badInput("missing_field", "provider_id", "provider_id is required")
		}
		return "", "", badInput("missing_field", "key_id", "key_id is required")
	}
	p, err := s.visibleProvider(c, req.ProviderID, "provider_id")
	if err != nil {
		return "", "", err
	}
	// The key must be attached to the provider, which the caller sees, so
	// the key is visible through it; a foreign or unknown key answers the
	// same.
	k, ok := s.st.keys.get(req.KeyID)
	if !ok || !slices.Contains(p.Keys, req.KeyID) {
		return "", "", notFound("key_id", "key %s is not attached to provider %s", req.KeyID, p.ID)
	}
	plain, err := s.store.Unseal(k.Sealed)
	if err != nil {
		return "", "", err
	}
	return string(plain), k.Name, nil
}

// filter is the search filters of search, export and bulk calls.
type filter struct {
	text  string
	depts map[string]bool
}

func newFilter(search string, depts []string) filter {
	f := filter{text: strings.ToLower(strings.TrimSpace(search))}
	if len(depts) > 0 {
		f.depts = map[string]bool{}
		for _, d := range depts {
			f.depts[d] = true
		}
	}
	return f
}

func (f filter) match(p *providerRec) bool {
	if f.text != "" && !strings.Contains(strings.ToLower(p.Name), f.text) && !strings.Contains(strings.ToLower(p.Description), f.text) {
		return false
	}
	if f.depts != nil {
		for _, d := range p.Departments {
			if f.depts[d] {
				return true
			}
		}
		return false
	}
	return true
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 0:
		return 0, badInput("invalid_field", "page_size", "page_size must be positive")
	case n > maxPageSize:
		return 0, badInput("invalid_field", "page_size", "page_size is at most %d, got %d", maxPageSize, n)
	}
	return n, nil
}

func encodeToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + lastID))
}

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	last, ok := strings.CutPrefix(string(b), "after:")
	if err != nil || !ok || last == "" {
		return "", badInput("invalid_field", "page_token", "page_token is not a token this server issued")
	}
	return last, nil
}

// page walks a table in id order from after the page token, keeping the
// records keep accepts. With count, total is the number of records kept in
// the whole table (one pass over the ids, no sorting).
func page[T any](t *table[T], size int, token string, count bool, keep func(T) bool) (items []T, next string, total int, err error) {
	if size, err = pageSize(size); err != nil {
		return nil, "", 0, err
	}
	last, err := decodeToken(token)
	if err != nil {
		return nil, "", 0, err
	}
	start := t.after(last)
	before := 0
	if count {
		for _, id := range t.ids[:start] {
			if keep(t.byID[id]) {
				before++
			}
		}
	}
	lastID := ""
	for i := start; i < len(t.ids); i++ {
		id := t.ids[i]
		v := t.byID[id]
		if !keep(v) {
			continue
		}
		if len(items) == size {
			next = encodeToken(lastID)
			if !count {
				return items, next, 0, nil
			}
			rest := 0
			for _, id := range t.ids[i:] {
				if keep(t.byID[id]) {
					rest++
				}
			}
			return items, next, before + len(items) + rest, nil
		}
		items = append(items, v)
		lastID = id
	}
	return items, "", before + len(items), nil
}

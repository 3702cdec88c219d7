package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator/store"
)

// Buckets of the database, one per record type.
const (
	bucketProviders = "glow_providers"
	bucketEndpoints = "glow_endpoints"
	bucketKeys      = "glow_keys"
	bucketModels    = "glow_models"
	bucketDrafts    = "glow_drafts"
	bucketAudit     = "glow_audit"
	bucketGateflow  = "gateflow_providers"
)

type providerRec struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Departments []string          `json:"department_ids"`
	Endpoints   []string          `json:"endpoint_ids"`
	Keys        []string          `json:"key_ids"`
	Values      map[string]string `json:"values"`
	Version     int64             `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func (p *providerRec) clone() *providerRec {
	c := *p
	c.Departments = slices.Clone(p.Departments)
	c.Endpoints = slices.Clone(p.Endpoints)
	c.Keys = slices.Clone(p.Keys)
	c.Values = maps.Clone(p.Values)
	return &c
}

// apply sets the fields present in patch.
func (p *providerRec) apply(patch glow.Patch) {
	if patch.Name != nil {
		p.Name = *patch.Name
	}
	if patch.Description != nil {
		p.Description = *patch.Description
	}
	if patch.DepartmentIDs != nil {
		p.Departments = slices.Clone(*patch.DepartmentIDs)
	}
	if patch.EndpointIDs != nil {
		p.Endpoints = slices.Clone(*patch.EndpointIDs)
	}
	if patch.KeyIDs != nil {
		p.Keys = slices.Clone(*patch.KeyIDs)
	}
	if patch.Values != nil {
		p.Values = maps.Clone(*patch.Values)
	}
}

// keyRec is a Glow key. Scope is the department scope of the token that
// created it, sorted (docs/api.md, "Department scoping"); nil for an
// unscoped token, and for records persisted before scopes were recorded.
type keyRec struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Sealed    []byte    `json:"sealed_value"`
	CreatedAt time.Time `json:"created_at"`
	Scope     []string  `json:"scope,omitempty"`
}

// endpointRec is a Glow endpoint and, as for keys, the scope of the token
// that created it. Its JSON is the wire endpoint's plus "scope", so that
// records persisted before scopes were recorded load as unscoped.
type endpointRec struct {
	glow.Endpoint
	Scope []string `json:"scope,omitempty"`
}

type modelRec struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	ProviderID string    `json:"provider_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// draftRec is an open draft: the changes staged so far. For a draft of an
// existing provider, Version is the provider version its last staging
// produced; for a new-provider draft (ProviderID ""), the draft's own
// revision count.
type draftRec struct {
	ID         string     `json:"id"`
	ProviderID string     `json:"provider_id"`
	Actor      string     `json:"actor_name"`
	Version    int64      `json:"version"`
	Patch      glow.Patch `json:"patch"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

type gateflowRec struct {
	ID                   string         `json:"id"`
	SealedCredentials    []byte         `json:"sealed_credentials"`
	Settings             map[string]any `json:"settings"`
	Disabled             bool           `json:"disabled"`
	ConfiguredAt         time.Time      `json:"configured_at"`
	UpdatedAt            time.Time      `json:"updated_at"`
	CredentialsUpdatedAt time.Time      `json:"credentials_updated_at"`
	DisabledAt           *time.Time     `json:"disabled_at,omitempty"`
	EnabledAt            time.Time      `json:"enabled_at"`
}

// table is records by id plus their ids in order, for paging.
type table[T any] struct {
	byID map[string]T
	ids  []string // sorted
}

func newTable[T any]() *table[T] { return &table[T]{byID: map[string]T{}} }

func (t *table[T]) get(id string) (T, bool) { v, ok := t.byID[id]; return v, ok }

// after returns the position of the first id greater than last.
func (t *table[T]) after(last string) int {
	if last == "" {
		return 0
	}
	i := sort.SearchStrings(t.ids, last)
	if i < len(t.ids) && t.ids[i] == last {
		i++
	}
	return i
}

// set stores records, keeping ids sorted: one insertion for a few new ids,
// one sort for many.
func (t *table[T]) set(ids []string, vs []T) {
	var added []string
	for i, id := range ids {
		if _, ok := t.byID[id]; !ok {
			added = append(added, id)
		}
		t.byID[id] = vs[i]
	}
	if len(added) > 16 {
		t.ids = append(t.ids, added...)
		slices.Sort(t.ids)
		return
	}
	for _, id := range added {
		i, _ := slices.BinarySearch(t.ids, id)
		t.ids = slices.Insert(t.ids, i, id)
	}
}

func (t *table[T]) remove(ids map[string]bool) {
	if len(ids) == 0 {
		return
	}
	for id := range ids {
		delete(t.byID, id)
	}
	t.ids = slices.DeleteFunc(t.ids, func(id string) bool { return ids[id] })
}

type state struct {
	providers *table[*providerRec]
	endpoints *table[*endpointRec]
	keys      *table[*keyRec]
	models    *table[*modelRec]
	drafts    *table[*draftRec]
	gateflow  map[string]*gateflowRec
	audit     []AuditEntry

	names            map[string]string   // nameKey(dept, name) → provider id
	modelsByProvider map[string][]string // provider id → sorted model ids
	// keyUsers and endpointUsers are the live providers that attach each
	// key or endpoint (id → provider ids), for scoping and in_use.
	keyUsers      map[string]map[string]bool
	endpointUsers map[string]map[string]bool
}

func newState() *state {
	return &state{
		providers:        newTable[*providerRec](),
		endpoints:        newTable[*endpointRec](),
		keys:             newTable[*keyRec](),
		models:           newTable[*modelRec](),
		drafts:           newTable[*draftRec](),
		gateflow:         map[string]*gateflowRec{},
		names:            map[string]string{},
		modelsByProvider: map[string][]string{},
		keyUsers:         map[string]map[string]bool{},
		endpointUsers:    map[string]map[string]bool{},
	}
}

func (st *state) empty() bool {
	return len(st.providers.ids) == 0 && len(st.endpoints.ids) == 0 && len(st.keys.ids) == 0 &&
		len(st.models.ids) == 0 && len(st.drafts.ids) == 0 && len(st.gateflow) == 0
}

// nameKeys are the uniqueness scopes of a provider's name: one per
// department, or the global scope "".
func nameKeys(p *providerRec) []string {
	if len(p.Departments) == 0 {
		return []string{"\x00" + p.Name}
	}
	out := make([]string, 0, len(p.Departments))
	for _, d := range p.Departments {
		out = append(out, d+"\x00"+p.Name)
	}
	return out
}

// nameTaken returns the id of another provider that p's name collides with.
func (st *state) nameTaken(p *providerRec) (string, bool) {
	for _, k := range nameKeys(p) {
		if id, ok := st.names[k]; ok && id != p.ID {
			return id, true
		}
	}
	return "", false
}

func loadTable[T any](s *store.Store, bucket string, t *table[T], id func(T) string) error {
	var ids []string
	var vs []T
	err := s.Load(bucket, func(_ string, data []byte) error {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%s: %w", bucket, err)
		}
		ids = append(ids, id(v))
		vs = append(vs, v)
		return nil
	})
	if err != nil {
		return err
	}
	t.set(ids, vs)
	return nil
}

func loadState(s *store.Store) (*state, error) {
	st := newState()
	if err := loadTable(s, bucketProviders, st.providers, func(p *providerRec) string { return p.ID }); err != nil {
		return nil, err
	}
	for _, p := range st.providers.byID {
		for _, k := range nameKeys(p) {
			st.names[k] = p.ID
		}
		st.indexUsers(p)
	}
	if err := loadTable(s, bucketEndpoints, st.endpoints, func(e *endpointRec) string { return e.ID }); err != nil {
		return nil, err
	}
	if err := loadTable(s, bucketKeys, st.keys, func(k *keyRec) string { return k.ID }); err != nil {
		return nil, err
	}
	if err := loadTable(s, bucketModels, st.models, func(m *modelRec) string { return m.ID }); err != nil {
		return nil, err
	}
	for _, id := range st.models.ids {
		m := st.models.byID[id]
		st.modelsByProvider[m.ProviderID] = append(st.modelsByProvider[m.ProviderID], id)
	}
	if err := loadTable(s, bucketDrafts, st.drafts, func(d *draftRec) string { return d.ID }); err != nil {
		return nil, err
	}
	err := s.Load(bucketGateflow, func(_ string, data []byte) error {
		var g gateflowRec
		if err := json.Unmarshal(data, &g); err != nil {
			return err
		}
		st.gateflow[g.ID] = &g
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.Load(bucketAudit, func(_ string, data []byte) error {
		var a AuditEntry
		if err := json.Unmarshal(data, &a); err != nil {
			return err
		}
		st.audit = append(st.audit, a)
		return nil
	})
	return st, err
}

// tx collects the changes of one call: they are written to the store in one
// transaction and applied to memory only once that succeeded, so that an
// acknowledged change is durable and a failed one changes nothing.
type tx struct {
	b store.Batch

	providers   []*providerRec
	delProvider map[string]bool
	endpoints   []*endpointRec
	delEndpoint map[string]bool
	keys        []*keyRec
	delKey      map[string]bool
	models      []*modelRec
	delModel    map[string]bool
	drafts      []*draftRec
	delDraft    map[string]bool
	gateflow    []*gateflowRec
	delGateflow []string
	audit       []AuditEntry
}

func (t *tx) putProvider(p *providerRec) {
	t.b.Put(bucketProviders, p.ID, p)
	t.providers = append(t.providers, p)
}

func (t *tx) deleteProvider(id string) {
	t.b.Delete(bucketProviders, id)
	t.delProvider = addTo(t.delProvider, id)
}

func (t *tx) putEndpoint(e *endpointRec) {
	t.b.Put(bucketEndpoints, e.ID, e)
	t.endpoints = append(t.endpoints, e)
}

func (t *tx) deleteEndpoint(id string) {
	t.b.Delete(bucketEndpoints, id)
	t.delEndpoint = addTo(t.delEndpoint, id)
}

func (t *tx) putKey(k *keyRec) {
	t.b.Put(bucketKeys, k.ID, k)
	t.keys = append(t.keys, k)
}

func (t *tx) deleteKey(id string) {
	t.b.Delete(bucketKeys, id)
	t.delKey = addTo(t.delKey, id)
}

func (t *tx) putModel(m *modelRec) {
	t.b.Put(bucketModels, m.ID, m)
	t.models = append(t.models, m)
}

func (t *tx) deleteModel(id string) {
	t.b.Delete(bucketModels, id)
	t.delModel = addTo(t.delModel, id)
}

func (t *tx) putDraft(d *draftRec) {
	t.b.Put(bucketDrafts, d.ID, d)
	t.drafts = append(t.drafts, d)
}

func (t *tx) deleteDraft(id string) {
	t.b.Delete(bucketDrafts, id)
	t.delDraft = addTo(t.delDraft, id)
}

func (t *tx) putGateflow(g *gateflowRec) {
	t.b.Put(bucketGateflow, g.ID, g)
	t.gateflow = append(t.gateflow, g)
}

func (t *tx) deleteGateflow(id string) {
	t.b.Delete(bucketGateflow, id)
	t.delGateflow = append(t.delGateflow, id)
}

func (t *tx) addAudit(a AuditEntry) {
	t.b.Append(bucketAudit, a)
	t.audit = append(t.audit, a)
}

func addTo(m map[string]bool, id string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[id] = true
	return m
}

// commit persists t and then applies it to memory. The caller holds s.mu
// for writing.
func (s *Server) commit(t *tx) error {
	if err := s.store.Commit(&t.b); err != nil {
		return fmt.Errorf("persisting the change: %w", err)
	}
	st := s.st
	// Providers: deletions first, then puts, keeping the name index exact.
	for id := range t.delProvider {
		if p, ok := st.providers.get(id); ok {
			st.unindexName(p)
			st.unindexUsers(p)
		}
	}
	st.providers.remove(t.delProvider)
	if len(t.providers) > 0 {
		ids := make([]string, len(t.providers))
		for i, p := range t.providers {
			if old, ok := st.providers.get(p.ID); ok {
				st.unindexName(old)
				st.unindexUsers(old)
			}
			ids[i] = p.ID
		}
		st.providers.set(ids, t.providers)
		for _, id := range ids {
			p := st.providers.byID[id]
			for _, k := range nameKeys(p) {
				st.names[k] = p.ID
			}
			st.indexUsers(p)
		}
	}
	st.endpoints.remove(t.delEndpoint)
	st.endpoints.set(idsOf(t.endpoints, func(e *endpointRec) string { return e.ID }), t.endpoints)
	st.keys.remove(t.delKey)
	st.keys.set(idsOf(t.keys, func(k *keyRec) string { return k.ID }), t.keys)
	for id := range t.delModel {
		if m, ok := st.models.get(id); ok {
			st.unindexModel(m)
		}
	}
	st.models.remove(t.delModel)
	for _, m := range t.models {
		if old, ok := st.models.get(m.ID); ok {
			st.unindexModel(old)
		}
		list := st.modelsByProvider[m.ProviderID]
		i, _ := slices.BinarySearch(list, m.ID)
		st.modelsByProvider[m.ProviderID] = slices.Insert(list, i, m.ID)
	}
	st.models.set(idsOf(t.models, func(m *modelRec) string { return m.ID }), t.models)
	st.drafts.remove(t.delDraft)
	st.drafts.set(idsOf(t.drafts, func(d *draftRec) string { return d.ID }), t.drafts)
	for _, id := range t.delGateflow {
		delete(st.gateflow, id)
	}
	for _, g := range t.gateflow {
		st.gateflow[g.ID] = g
	}
	st.audit = append(st.audit, t.audit...)
	return nil
}

func (st *state) unindexName(p *providerRec) {
	for _, k := range nameKeys(p) {
		if st.names[k] == p.ID {
			delete(st.names, k)
		}
	}
}

// indexUsers records p as a user of its keys and endpoints. A provider put
// twice in one commit is unindexed before each put, so the sets stay exact.
func (st *state) indexUsers(p *providerRec) {
	for _, id := range p.Keys {
		st.keyUsers[id] = addTo(st.keyUsers[id], p.ID)
	}
	for _, id := range p.Endpoints {
		st.endpointUsers[id] = addTo(st.endpointUsers[id], p.ID)
	}
}

func (st *state) unindexUsers(p *providerRec) {
	drop := func(users map[string]map[string]bool, id string) {
		if set := users[id]; set != nil {
			delete(set, p.ID)
			if len(set) == 0 {
				delete(users, id)
			}
		}
	}
	for _, id := range p.Keys {
		drop(st.keyUsers, id)
	}
	for _, id := range p.Endpoints {
		drop(st.endpointUsers, id)
	}
}

func (st *state) unindexModel(m *modelRec) {
	list := st.modelsByProvider[m.ProviderID]
	list = slices.DeleteFunc(slices.Clone(list), func(id string) bool { return id == m.ID })
	if len(list) == 0 {
		delete(st.modelsByProvider, m.ProviderID)
	} else {
		st.modelsByProvider[m.ProviderID] = list
	}
}

func idsOf[T any](vs []T, id func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// now is the time stamp of a change, to the microsecond so that it survives
// a round trip through JSON unchanged.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

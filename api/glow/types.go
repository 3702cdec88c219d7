package glow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/sensitive"
)

// The types in this file are the Glow wire format. The emulator decodes and
// encodes the same types, so a field added here is added to both sides; the
// seed replay test (emulator/seed_replay_test.go) pins the JSON names to the
// vendor's documents independently of these structs. Decisions the guide
// leaves open are recorded in docs/api.md.

// Provider is a provider as search returns it and as get returns it under
// "provider". Its JSON methods are in values.go.
type Provider struct {
	ID            string   `json:"provider_id"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	DepartmentIDs []string `json:"department_ids"`
	EndpointIDs   []string `json:"endpoint_ids"`
	KeyIDs        []string `json:"key_ids"`
	// Values are the values that are strings, which is all Switchboard
	// writes.
	Values map[string]string `json:"values"`
	// OtherValues are the values that are not strings (numbers, booleans,
	// null, objects, lists), each as its compact raw JSON (30, true), so
	// that a plan can show them as they are; nil when there is none. No key
	// is in both maps. Writing values replaces them whole, so a string
	// written under such a key replaces the value, and a write without the
	// key removes it. Encoding puts them back into "values".
	OtherValues     map[string]json.RawMessage `json:"-"`
	Version         int64                      `json:"version"`
	ModelUsageCount int                        `json:"model_usage_count"`
	ModelIDs        []string                   `json:"model_ids"`
	// CreatedAt is only displayed: zero when created_at is absent or cannot
	// be read (RFC 3339 and near forms are read; see values.go).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ProviderDetail is the answer of POST /provider/get: the provider plus its
// endpoints and keys sections ("the current endpoint resource and all
// available endpoint options").
type ProviderDetail struct {
	Provider  Provider        `json:"provider"`
	Endpoints EndpointSection `json:"endpoints"`
	Keys      KeySection      `json:"keys"`
}

// EndpointSection lists the endpoints the provider uses and the endpoints it
// could use.
type EndpointSection struct {
	Current []Endpoint `json:"current"`
	Options []Endpoint `json:"options"`
}

// KeySection lists the provider's keys. Values are never included.
type KeySection struct {
	Current []Key `json:"current"`
}

// Endpoint is a base URL a provider routes calls to.
type Endpoint struct {
	ID        string    `json:"endpoint_id"`
	URL       string    `json:"url"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Key is an encrypted API credential's metadata. Its value goes in once,
// through CreateKeys, and comes back only through Decrypt.
type Key struct {
	ID        string    `json:"key_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ProviderInput is one entry of POST /provider/create. Only Name is required.
type ProviderInput struct {
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	DepartmentIDs []string          `json:"department_ids,omitempty"`
	EndpointIDs   []string          `json:"endpoint_ids,omitempty"`
	KeyIDs        []string          `json:"key_ids,omitempty"`
	Values        map[string]string `json:"values,omitempty"`
}

// CreateProvidersRequest is the body of POST /provider/create.
type CreateProvidersRequest struct {
	Providers []ProviderInput `json:"providers"`
}

// Created is one entry of the create and duplicate answers: the new
// provider's id, the draft opened for it and its initial version.
type Created struct {
	ProviderID string `json:"provider_id"`
	Name       string `json:"name"`
	DraftID    string `json:"draft_id"`
	Version    int64  `json:"version"`
}

// CreateProvidersResponse is the answer of POST /provider/create.
type CreateProvidersResponse struct {
	Providers []Created `json:"providers"`
}

// Patch holds the provider fields a draft or an update changes. A nil field
// is left as it is; a non-nil field replaces the whole value (lists and the
// values map included), which is the PATCH semantics of the draft endpoint.
type Patch struct {
	Name          *string            `json:"name,omitempty"`
	Description   *string            `json:"description,omitempty"`
	DepartmentIDs *[]string          `json:"department_ids,omitempty"`
	EndpointIDs   *[]string          `json:"endpoint_ids,omitempty"`
	KeyIDs        *[]string          `json:"key_ids,omitempty"`
	Values        *map[string]string `json:"values,omitempty"`
}

// wire is p as it goes on the wire: a list or map that is set but nil is
// sent empty ([] or {}), never as null. Callers build lists from diffs, where
// "no keys" is easily a nil slice; sent as null, Glow refuses it (a null is
// neither "absent" nor "empty"), and to a server that read it as absent,
// "remove every key" would mean "leave the keys alone".
func (p Patch) wire() Patch {
	for _, l := range []**[]string{&p.DepartmentIDs, &p.EndpointIDs, &p.KeyIDs} {
		if *l != nil && **l == nil {
			*l = &[]string{}
		}
	}
	if p.Values != nil && *p.Values == nil {
		p.Values = &map[string]string{}
	}
	return p
}

// UpdateRequest is the single-provider body of POST /provider/update: the
// provider id, an optional optimistic version and flat patch fields.
type UpdateRequest struct {
	ProviderID      string `json:"provider_id"`
	ExpectedVersion *int64 `json:"expected_version,omitempty"`
	Patch
}

// MarshalJSON sends set lists as [] rather than null (see Patch).
func (r UpdateRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateRequest
	r.Patch = r.Patch.wire()
	return json.Marshal(plain(r))
}

// Selector picks providers for bulk calls: explicit ids, or all providers
// matching flat filter fields minus ExcludedIDs. It is the guide's
// "canonical all-matching shape".
type Selector struct {
	ProviderIDs         []string `json:"provider_ids,omitempty"`
	All                 bool     `json:"all,omitempty"`
	Search              string   `json:"search,omitempty"`
	FilterDepartmentIDs []string `json:"filter_department_ids,omitempty"`
	ExcludedIDs         []string `json:"excluded_ids,omitempty"`
}

// BulkUpdateRequest is the bulk body of POST /provider/update.
// ExpectedVersions optionally guards each explicit id with the version the
// caller read; a mismatch fails that item with a conflict.
type BulkUpdateRequest struct {
	Selector
	ExpectedVersions map[string]int64 `json:"expected_versions,omitempty"`
	Patch            Patch            `json:"patch"`
}

// MarshalJSON sends set lists as [] rather than null (see Patch).
func (r BulkUpdateRequest) MarshalJSON() ([]byte, error) {
	type plain BulkUpdateRequest
	r.Patch = r.Patch.wire()
	return json.Marshal(plain(r))
}

// DeleteRequest is the body of POST /provider/delete. ProviderID is the
// single-provider form the CLI shows; the Selector is the bulk form.
type DeleteRequest struct {
	ProviderID string `json:"provider_id,omitempty"`
	Selector
}

// ItemResult is one entry of a bulk answer's results array.
type ItemResult struct {
	ProviderID string `json:"provider_id"`
	Success    bool   `json:"success"`
	Message    string `json:"message"`
	// Code is the error code of a failed item (see docs/api.md), empty on
	// success.
	Code string `json:"code,omitempty"`
	// Version is the provider's version after a successful update.
	Version int64 `json:"version,omitempty"`
}

// BulkResponse is the answer of delete and of bulk update.
type BulkResponse struct {
	Results []ItemResult `json:"results"`
}

// DuplicateRequest is the body of POST /provider/duplicate.
type DuplicateRequest struct {
	ProviderID string `json:"provider_id"`
}

// DecryptRequest is the body of POST /provider/decrypt.
type DecryptRequest struct {
	ProviderID string `json:"provider_id"`
	KeyID      string `json:"key_id"`
}

// DecryptResponse is the answer of POST /provider/decrypt. Every call is
// written to the audit log with ActorName.
type DecryptResponse struct {
	KeyID     string           `json:"key_id"`
	Name      string           `json:"name"`
	Value     sensitive.String `json:"value"`
	ActorName string           `json:"actor_name"`
}

// DraftRequest is the body of PATCH /provider/draft. ProviderID names the
// provider a new draft stages changes for; InputDraftID continues an
// existing draft; ExpectedVersion is the provider version the caller read
// (for a new-provider draft, the draft's own version).
//
// A continued draft names its provider itself, so with InputDraftID set
// ProviderID is not sent: the guide continues a draft with input_draft_id
// and expected_version only, and a Glow that rejects unknown fields would
// refuse more. Callers may still set both (ProviderID then serves their
// messages and lost-answer recovery).
type DraftRequest struct {
	ProviderID      string `json:"provider_id,omitempty"`
	InputDraftID    string `json:"input_draft_id,omitempty"`
	ExpectedVersion *int64 `json:"expected_version,omitempty"`
	Patch
}

// MarshalJSON sends set lists as [] rather than null (see Patch), and
// leaves provider_id out when input_draft_id is set.
func (r DraftRequest) MarshalJSON() ([]byte, error) {
	type plain DraftRequest
	r.Patch = r.Patch.wire()
	if r.InputDraftID != "" {
		r.ProviderID = ""
	}
	return json.Marshal(plain(r))
}

// FormState is the server-authoritative state of every field of a draft:
// the live provider with the staged changes applied.
type FormState struct {
	ProviderID    string            `json:"provider_id"`
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	DepartmentIDs []string          `json:"department_ids"`
	EndpointIDs   []string          `json:"endpoint_ids"`
	KeyIDs        []string          `json:"key_ids"`
	Values        map[string]string `json:"values"`
	// OtherValues are the values that are not strings, as in Provider.
	OtherValues map[string]json.RawMessage `json:"-"`
}

// DraftResponse is the answer of PATCH /provider/draft.
type DraftResponse struct {
	DraftID    string    `json:"draft_id"`
	NewVersion int64     `json:"new_version"`
	FormState  FormState `json:"form_state"`
}

// Draft is an entry of POST /provider/drafts.
type Draft struct {
	DraftID    string    `json:"draft_id"`
	ProviderID string    `json:"provider_id"`
	Version    int64     `json:"version"`
	ActorName  string    `json:"actor_name"`
	FormState  FormState `json:"form_state"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PublishRequest is the body of POST /provider/publish, which makes a
// draft's form state the live provider.
type PublishRequest struct {
	DraftID         string `json:"draft_id"`
	ExpectedVersion *int64 `json:"expected_version,omitempty"`
}

// DiscardDraftRequest is the body of POST /provider/draft/discard, which
// closes a draft without publishing it.
type DiscardDraftRequest struct {
	DraftID string `json:"draft_id"`
}

// DiscardDraftResponse is the answer of POST /provider/draft/discard.
type DiscardDraftResponse struct {
	DraftID   string `json:"draft_id"`
	Discarded bool   `json:"discarded"`
}

// TokenInfo is the answer of POST /token/self: who the token speaks for and
// what it may see.
type TokenInfo struct {
	// ActorName is the name decrypts are audited under and drafts are
	// listed by.
	ActorName string `json:"actor_name"`
	// Scoped is set for a department-scoped token, which sees only the
	// providers whose departments are all in DepartmentIDs.
	Scoped bool `json:"scoped"`
	// DepartmentIDs is the scope, sorted; empty when unscoped.
	DepartmentIDs []string `json:"department_ids,omitempty"`
}

// SearchRequest is the body of POST /provider/search and, without paging,
// of POST /provider/export.
type SearchRequest struct {
	Search              string   `json:"search,omitempty"`
	FilterDepartmentIDs []string `json:"filter_department_ids,omitempty"`
	PageSize            int      `json:"page_size,omitempty"`
	PageToken           string   `json:"page_token,omitempty"`
}

// SearchResponse is one page of POST /provider/search.
type SearchResponse struct {
	Providers     []Provider `json:"providers"`
	NextPageToken string     `json:"next_page_token,omitempty"`
	TotalCount    int        `json:"total_count"`
}

// ListRequest pages through endpoints, keys, models and drafts.
type ListRequest struct {
	PageSize  int    `json:"page_size,omitempty"`
	PageToken string `json:"page_token,omitempty"`
}

// ListDraftsResponse is one page of POST /provider/drafts.
type ListDraftsResponse struct {
	Drafts        []Draft `json:"drafts"`
	NextPageToken string  `json:"next_page_token,omitempty"`
}

// EndpointInput is one entry of POST /endpoint/create.
type EndpointInput struct {
	URL  string `json:"url"`
	Name string `json:"name,omitempty"`
}

// CreateEndpointsRequest is the body of POST /endpoint/create.
type CreateEndpointsRequest struct {
	Endpoints []EndpointInput `json:"endpoints"`
}

// EndpointsResponse is the answer of POST /endpoint/create and one page of
// POST /endpoint/list.
type EndpointsResponse struct {
	Endpoints     []Endpoint `json:"endpoints"`
	NextPageToken string     `json:"next_page_token,omitempty"`
}

// DeleteEndpointsRequest is the body of POST /endpoint/delete.
type DeleteEndpointsRequest struct {
	EndpointIDs []string `json:"endpoint_ids"`
}

// KeyInput is a key to create: a name and its secret value.
type KeyInput struct {
	Name  string           `json:"name"`
	Value sensitive.String `json:"-"`
}

// CreateKeysRequest is the body of POST /key/create, the one Glow body that
// carries a secret in clear. The client builds it from KeyInputs right
// before sending; the emulator decodes it and keeps the value encrypted at
// rest in its own store.
type CreateKeysRequest struct {
	Keys []KeyValue `json:"keys"`
}

// KeyValue is a key with its value in clear, as sent on the wire. It
// formats as redacted so that it cannot be printed by accident.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Format keeps fmt from printing the value.
func (k KeyValue) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{%s %s}", k.Name, sensitive.Redacted)
}

// KeysResponse is the answer of POST /key/create and one page of
// POST /key/list.
type KeysResponse struct {
	Keys          []Key  `json:"keys"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// DeleteKeysRequest is the body of POST /key/delete.
type DeleteKeysRequest struct {
	KeyIDs []string `json:"key_ids"`
}

// IDResult is one entry of the endpoint, key and model delete answers.
type IDResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// IDResults is the answer of POST /endpoint/delete, /key/delete and
// /model/delete.
type IDResults struct {
	Results []IDResult `json:"results"`
}

// Model is the minimal model Glow needs for model_usage_count: a name and
// the provider it uses.
type Model struct {
	ID           string `json:"model_id"`
	Name         string `json:"name"`
	ProviderID   string `json:"provider_id"`
	ProviderName string `json:"provider_name"`
}

// ModelInput is one entry of POST /model/create.
type ModelInput struct {
	Name       string `json:"name"`
	ProviderID string `json:"provider_id"`
}

// CreateModelsRequest is the body of POST /model/create.
type CreateModelsRequest struct {
	Models []ModelInput `json:"models"`
}

// ModelsResponse is the answer of POST /model/create and one page of
// POST /model/search.
type ModelsResponse struct {
	Models        []Model `json:"models"`
	NextPageToken string  `json:"next_page_token,omitempty"`
}

// DeleteModelsRequest is the body of POST /model/delete.
type DeleteModelsRequest struct {
	ModelIDs []string `json:"model_ids"`
}

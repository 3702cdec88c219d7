// Package state is the normalized model that both sides of a plan are
// converted into before they are compared: the desired objects (from the
// configuration, with secrets as Vault references) and the live objects (from
// Glow and Gateflow). Collections that have no meaningful order are Sets or
// maps, so that a different order is never reported as a change.
//
// Nothing in this package can hold a secret value: a secret is only ever a
// SecretSource, which says where the value lives. The plan file is built from
// these types and relies on that.
package state

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resource types, as they appear in addresses and in the plan.
const (
	TypeGlowProvider     = "glow_provider"
	TypeGateflowProvider = "gateflow_provider"
)

// UndeclaredPrefix starts the address of a live object that no configuration
// block declares. It is not a valid resource type, so it cannot collide with
// a declared address, and `--target undeclared.glow_provider` selects every
// undeclared Glow provider.
const UndeclaredPrefix = "undeclared."

// Address names a resource instance: `glow_provider.openai` or, for a block
// with several instances, `glow_provider.openai["prod"]`.
type Address string

// Resource is the address without its instance key: a target written this
// way selects every instance of the block.
func (a Address) Resource() Address {
	s := string(a)
	if i := strings.IndexByte(s, '['); i >= 0 {
		return Address(s[:i])
	}
	return a
}

// Type is the resource type: `glow_provider` or `gateflow_provider`, also for
// undeclared objects.
func (a Address) Type() string {
	s := strings.TrimPrefix(string(a.Resource()), UndeclaredPrefix)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// Name is the part after the type: `openai["prod"]`.
func (a Address) Name() string {
	// Types contain no dot, so the first one separates the type even when
	// the instance key contains dots.
	_, name, _ := strings.Cut(strings.TrimPrefix(string(a), UndeclaredPrefix), ".")
	return name
}

// Matches reports whether the target selects a: the same instance, or the
// same resource when the target has no instance key.
func (a Address) Matches(target Address) bool {
	if a == target {
		return true
	}
	return !strings.ContainsRune(string(target), '[') && a.Resource() == target
}

// UndeclaredAddress is the address given to a live object that the
// configuration does not declare.
func UndeclaredAddress(typ, id string) Address {
	return Address(UndeclaredPrefix + typ + `["` + id + `"]`)
}

// Set is a sorted list of unique strings. Use NewSet to build one; the
// comparisons also sort, so a Set built by hand is still compared as a set.
type Set []string

// NewSet returns the sorted, de-duplicated elements; empty input gives nil.
func NewSet(elems ...string) Set {
	if len(elems) == 0 {
		return nil
	}
	s := slices.Clone(elems)
	slices.Sort(s)
	return Set(slices.Compact(s))
}

// Normalized returns s itself when it is already sorted and unique, and a
// normalized copy otherwise, so that comparing normalized sets is cheap.
func (s Set) Normalized() Set {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return NewSet(s...)
		}
	}
	return s
}

// Has reports whether e is in the set.
func (s Set) Has(e string) bool {
	_, ok := slices.BinarySearch(s, e)
	return ok
}

// SecretSource says where a secret comes from, never what it is. Exactly
// one of VaultPath, Env or TerraformVersion is set.
type SecretSource struct {
	// VaultPath and VaultKey are what `vault kv get -field=KEY PATH` reads.
	VaultPath string `json:"vault_path,omitempty"`
	VaultKey  string `json:"vault_key,omitempty"`
	// Version is the KV v2 version the value was (live) or will be (desired)
	// read from. 0 means unversioned: a KV v1 mount, or an env() secret.
	Version int `json:"version,omitempty"`
	// CreatedTime is when Vault created that version (KV v2 metadata).
	// It is known for desired secrets only; Gateflow rotation compares it
	// with credentials_updated_at.
	CreatedTime time.Time `json:"created_time,omitzero"`
	// Env names an environment variable for env() secrets.
	Env string `json:"env,omitempty"`
	// TerraformVersion is set for a key written by
	// terraform-provider-switchboard from a write-only argument, whose name
	// ends in `(terraform:vN)`; N is value_wo_version, at least 1. Only live
	// keys have it: the CLI cannot read such a value, so no desired source
	// does, and a desired source always differs from it (a rotation).
	TerraformVersion int64 `json:"terraform_version,omitempty"`
}

// IsZero reports whether no source is known (a Glow key made by hand).
func (s SecretSource) IsZero() bool {
	return s.VaultPath == "" && s.Env == "" && s.TerraformVersion == 0
}

// SameOrigin reports whether both name the same secret and version,
// ignoring CreatedTime, which only desired sources carry.
func (s SecretSource) SameOrigin(o SecretSource) bool {
	return s.VaultPath == o.VaultPath && s.VaultKey == o.VaultKey && s.Version == o.Version && s.Env == o.Env &&
		s.TerraformVersion == o.TerraformVersion
}

// String names the source the way plans show it: `vault:PATH#KEY@v3`,
// `env:NAME` or `terraform:v3`. It holds no secret.
func (s SecretSource) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.VaultPath != "":
		r := "vault:" + s.VaultPath + "#" + s.VaultKey
		if s.Version > 0 {
			r += "@v" + itoa(s.Version)
		}
		return r
	case s.TerraformVersion > 0:
		return "terraform:v" + strconv.FormatInt(s.TerraformVersion, 10)
	default:
		return "unknown origin"
	}
}

// KeyState is one key attached to a Glow provider.
type KeyState struct {
	// Source is, for a desired key, where the value will be read; for a live
	// key, what its name's origin marker says (zero when it has none).
	Source SecretSource `json:"source"`
	// KeyID and Name are the live Glow key; empty for desired keys.
	KeyID string `json:"key_id,omitempty"`
	Name  string `json:"name,omitempty"`
	// Marked reports whether the live key's name carries an origin marker,
	// that is, whether Switchboard created it.
	Marked bool `json:"marked,omitempty"`
	// Owner is the configuration the live key's name records ("" for keys
	// named before owners existed, and for the Terraform provider's).
	Owner string `json:"owner,omitempty"`
}

// GlowProvider is a Glow provider, desired or live.
type GlowProvider struct {
	// Address is the configuration block's address; empty for a live object
	// until it is matched.
	Address Address `json:"address,omitempty"`
	// ID is the Glow provider id: set on live objects, and on desired ones
	// whose configuration pins it.
	ID          string            `json:"id,omitempty"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Departments Set               `json:"departments,omitempty"`
	Endpoints   Set               `json:"endpoints,omitempty"` // URLs
	Values      map[string]string `json:"values,omitempty"`
	// OtherValues are live values that are not strings (numbers, booleans,
	// nested JSON), as Glow sent them. A configuration sets only strings,
	// so any of them is a change the plan shows as it is.
	OtherValues map[string]json.RawMessage `json:"other_values,omitempty"`
	// Keys maps the key label (the key name without its origin marker) to
	// the key.
	Keys map[string]KeyState `json:"keys,omitempty"`

	// Live only.
	// EndpointIDs are the attached endpoints' ids (Endpoints has their
	// URLs): several endpoints may share a URL.
	EndpointIDs     Set       `json:"endpoint_ids,omitempty"`
	ModelUsageCount int       `json:"model_usage_count,omitempty"`
	ModelIDs        Set       `json:"model_ids,omitempty"`
	Version         int64     `json:"version,omitempty"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
	// Ownership is what the reserved values entry says; Values never
	// holds that entry.
	Ownership Ownership `json:"ownership,omitzero"`

	// Desired only: lifecycle { prevent_destroy = true }.
	PreventDestroy bool `json:"prevent_destroy,omitempty"`
	// Adopt is the block's adopt = true: it may take over a live provider
	// that this configuration does not own.
	Adopt bool `json:"adopt,omitempty"`
}

// GateflowProvider is a Gateflow provider, desired or live.
type GateflowProvider struct {
	Address Address `json:"address,omitempty"`
	// ProviderID is one of Gateflow's fixed catalogue ids (`openai`, …).
	ProviderID string `json:"provider_id"`
	// Configured is false for a live catalogue entry nobody configured; it
	// is treated as absent. Desired objects are always configured.
	Configured bool `json:"configured"`
	Enabled    bool `json:"enabled"`
	// Settings holds strings, booleans and numbers as float64; see
	// NormalizeSettings.
	Settings map[string]any `json:"settings,omitempty"`
	// Credentials is desired only: Gateflow never returns them.
	Credentials map[string]SecretSource `json:"credentials,omitempty"`

	// Live only.
	ConfiguredAt         *time.Time `json:"configured_at,omitempty"`
	UpdatedAt            *time.Time `json:"updated_at,omitempty"`
	CredentialsUpdatedAt *time.Time `json:"credentials_updated_at,omitempty"`

	PreventDestroy bool `json:"prevent_destroy,omitempty"`
}

// Snapshot is one side of a plan: every object of both services.
type Snapshot struct {
	Glow     []GlowProvider     `json:"glow,omitempty"`
	Gateflow []GateflowProvider `json:"gateflow,omitempty"`

	// Live only: what the plan needs to find objects that an interrupted
	// apply left attached to nothing, and what the Glow token can see.
	GlowKeys      []LiveKey      `json:"glow_keys,omitempty"`
	GlowEndpoints []LiveEndpoint `json:"glow_endpoints,omitempty"`
	GlowDrafts    []LiveDraft    `json:"glow_drafts,omitempty"`
	GlowScope     *TokenScope    `json:"glow_scope,omitempty"`
	// GlowModels are the models that use a provider the plan destroys,
	// read only when there is one, so that the plan can name them.
	GlowModels []LiveModel `json:"glow_models,omitempty"`
}

// LiveModel is a Glow model as the model search shows it.
type LiveModel struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ProviderID string `json:"provider_id"`
}

// LiveKey is a Glow key as the key list shows it (never its value).
type LiveKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LiveEndpoint is a Glow endpoint as the endpoint list shows it.
type LiveEndpoint struct {
	ID   string `json:"id"`
	URL  string `json:"url"`
	Name string `json:"name,omitempty"`
}

// LiveDraft is an open Glow draft of the caller's, as the drafts list
// shows it: the owner comes from the marker in its form state.
type LiveDraft struct {
	ID         string    `json:"id"`
	ProviderID string    `json:"provider_id,omitempty"`
	Name       string    `json:"name,omitempty"`
	Ownership  Ownership `json:"ownership,omitzero"`
}

// TokenScope is what the Glow token can see. Known is false when Glow does
// not say (a Glow without the token call); Departments is nil for an
// unscoped token.
type TokenScope struct {
	Known       bool   `json:"known"`
	Actor       string `json:"actor,omitempty"`
	Scoped      bool   `json:"scoped,omitempty"`
	Departments Set    `json:"departments,omitempty"`
}

// Sees reports whether a provider with these departments is visible to the
// token: Glow shows a scoped token the providers whose departments are all
// in its scope (a global provider is never in scope).
func (s *TokenScope) Sees(departments Set) bool {
	if s == nil || !s.Known || !s.Scoped {
		return true
	}
	if len(departments) == 0 {
		return false
	}
	for _, d := range departments {
		if !s.Departments.Has(d) {
			return false
		}
	}
	return true
}

// Package objects is the normalized model that both sides of a plan are
// converted into before they are compared: the desired objects (from the
// configuration, with secrets as Vault references) and the live objects (from
// Glow and Gateflow). Collections that have no meaningful order are Sets, Keys
// or maps, so that a different order is never reported as a change.
//
// Nothing in this package can hold a secret value: a secret is only ever a
// secretref.Source, which says where the value lives. The plan file is built from
// these types and relies on that.
package objects

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/secretref"
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
// with several instances, `glow_provider.openai["prod"]`; in a module, the
// module instance path comes first: `module.team["cs"].glow_provider.openai`.
type Address string

// SplitModule separates the module instance path (`module.team["cs"]`, ""
// in the root module) from the resource part. Keys are quoted HCL strings,
// so a dot or bracket inside one is skipped.
func (a Address) SplitModule() (module string, resource Address) {
	s := string(a)
	i := 0
	for strings.HasPrefix(s[i:], "module.") {
		j := i + len("module.")
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			j++
		}
		if j < len(s) && s[j] == '[' {
			j = skipIndex(s, j)
			if j < 0 {
				return "", a
			}
		}
		if j >= len(s) || s[j] != '.' {
			// A module address alone: no resource part.
			return s, ""
		}
		i = j + 1
	}
	if i == 0 {
		return "", a
	}
	return s[:i-1], Address(s[i:])
}

// skipIndex returns the index after the `["..."]` starting at s[j], or -1.
func skipIndex(s string, j int) int {
	if j+1 >= len(s) || s[j+1] != '"' {
		return -1
	}
	for k := j + 2; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case '"':
			if k+1 < len(s) && s[k+1] == ']' {
				return k + 2
			}
			return -1
		}
	}
	return -1
}

// Module is the module instance path, "" in the root module.
func (a Address) Module() string {
	m, _ := a.SplitModule()
	return m
}

func (a Address) withModule(module string) Address {
	if module == "" {
		return a
	}
	return Address(module + "." + string(a))
}

// Resource is the address without its instance key: a target written this
// way selects every instance of the block.
func (a Address) Resource() Address {
	mod, s := a.SplitModule()
	if i := strings.IndexByte(string(s), '['); i >= 0 {
		return Address(s[:i]).withModule(mod)
	}
	return a
}

// Type is the resource type: `glow_provider` or `gateflow_provider`, also for
// undeclared objects.
func (a Address) Type() string {
	_, r := a.Resource().SplitModule()
	s := strings.TrimPrefix(string(r), UndeclaredPrefix)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// Name is the part after the type: `openai["prod"]`.
func (a Address) Name() string {
	_, r := a.SplitModule()
	// Types contain no dot, so the first one separates the type even when
	// the instance key contains dots.
	_, name, _ := strings.Cut(strings.TrimPrefix(string(r), UndeclaredPrefix), ".")
	return name
}

// Matches reports whether the target selects a: the same instance, the
// same resource when the target has no instance key, or, for a target that
// is a module address, anything in that module instance (or in every
// instance of that module call, without a key), nested modules included.
func (a Address) Matches(target Address) bool {
	if a == target {
		return true
	}
	tmod, tres := target.SplitModule()
	mod, res := a.SplitModule()
	if tres == "" {
		steps, tsteps := moduleSteps(mod), moduleSteps(tmod)
		return len(steps) >= len(tsteps) && stepsMatch(steps[:len(tsteps)], tsteps)
	}
	if !stepsMatch(moduleSteps(mod), moduleSteps(tmod)) {
		return false
	}
	return res == tres || !strings.ContainsRune(string(tres), '[') && res.Resource() == tres
}

// moduleSteps splits a module path into its steps: module.a["x"], module.b.
func moduleSteps(mod string) []string {
	var out []string
	for m := mod; m != ""; {
		// A step ends at the first '.' after its name and key.
		j := len("module.")
		for j < len(m) && m[j] != '.' && m[j] != '[' {
			j++
		}
		if j < len(m) && m[j] == '[' {
			j = skipIndex(m, j)
			if j < 0 {
				return append(out, m)
			}
		}
		out = append(out, m[:j])
		if j >= len(m) {
			break
		}
		m = m[j+1:]
	}
	return out
}

// stepsMatch compares module steps; a target step without a key stands for
// every instance of its module call.
func stepsMatch(steps, target []string) bool {
	if len(steps) != len(target) {
		return false
	}
	for i, t := range target {
		s := steps[i]
		if s == t {
			continue
		}
		if strings.HasSuffix(t, "]") || !strings.HasPrefix(s, t+"[") {
			return false
		}
	}
	return true
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

// KeyState is one key attached to a Glow provider.
type KeyState struct {
	// Label is the key name without its origin marker. In JSON it is the
	// key of the object Keys are written as, not a field.
	Label string `json:"-"`
	// Source is, for a desired key, where the value will be read; for a live
	// key, what its name's origin marker says (zero when it has none).
	Source secretref.Source `json:"source"`
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
	Keys        Keys                       `json:"keys,omitempty"`

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
	Credentials map[string]secretref.Source `json:"credentials,omitempty"`

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

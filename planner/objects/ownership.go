package objects

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/secretref"
)

// Switchboard keeps no state file, so what it owns must be readable from
// the live objects themselves (docs/ownership.md):
//
//   - a Glow provider carries an ownership marker in a reserved entry of its
//     values, naming the owning configuration, the block address and
//     whether the block had prevent_destroy;
//   - a key it creates carries the owner in its name, after the origin
//     marker: `primary (vault:secret/llm/openai#api_key@v3 owner:platform-team)`;
//   - an endpoint it creates is named `switchboard (owner:platform-team)`.
//
// The marker is written in the same call that creates the provider, so even
// an interrupted apply leaves nothing that a later plan cannot attribute.

// MarkerKey is the reserved Glow values entry that holds a provider's
// ownership marker. Configurations cannot set it (config refuses the
// prefix), and the plan never shows it as a value.
const MarkerKey = config.ReservedValuePrefix + "owner"

// maxMarkerLen bounds what is parsed from a live value: a marker is a few
// hundred bytes, and anything longer was not written by Switchboard.
const maxMarkerLen = 4096

// OwnerMarker says which configuration owns a Glow provider.
type OwnerMarker struct {
	Owner string `json:"owner"`
	// Environment is the owning configuration's environment
	// (glow { environment = "staging" }); a marker written without one
	// belongs to the environment "" (docs/environments.md).
	Environment string  `json:"environment,omitempty"`
	Address     Address `json:"address"`
	// PreventDestroy survives the removal of the block: a protected
	// provider whose block was deleted is not destroyed.
	PreventDestroy bool `json:"prevent_destroy,omitempty"`
}

// Encode is the marker's value in Glow's values map.
func (m OwnerMarker) Encode() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m) // strings and a bool: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// ParseOwnerMarker reads a marker value. A value that is not a well-formed
// marker is an error: the provider is then treated as owned by someone
// unknown, never as unowned, since someone wrote the reserved key.
func ParseOwnerMarker(v string) (OwnerMarker, error) {
	if len(v) > maxMarkerLen {
		return OwnerMarker{}, fmt.Errorf("ownership marker is %d bytes, longer than %d", len(v), maxMarkerLen)
	}
	var m OwnerMarker
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return OwnerMarker{}, fmt.Errorf("ownership marker is not valid: %v", err)
	}
	if dec.More() {
		return OwnerMarker{}, fmt.Errorf("ownership marker is not valid: data after the marker")
	}
	if !ownerRE.MatchString(m.Owner) || m.Address == "" || m.Environment != "" && !ownerRE.MatchString(m.Environment) {
		return OwnerMarker{}, fmt.Errorf("ownership marker is not valid: owner %q, environment %q, address %q", m.Owner, m.Environment, m.Address)
	}
	return m, nil
}

// ownerRE is what config accepts as an owner, so that an owner needs no
// escaping inside key and endpoint names.
var ownerRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Ownership is what the live side says about who owns an object.
type Ownership struct {
	// Marker is the parsed marker; nil when the object has none.
	Marker *OwnerMarker `json:"marker,omitempty"`
	// Invalid is set when the reserved key holds something that is not a
	// marker: the object is then never adopted or destroyed by name.
	Invalid string `json:"invalid,omitempty"`
}

// OwnedBy reports whether the marker names owner, an identity as
// OwnerIdentity writes it: the same owner in the same environment.
func (o Ownership) OwnedBy(owner string) bool {
	return o.Marker != nil && o.Marker.Identity() == owner
}

// OwnerIdentity is the one string that names who owns an object: the
// owner, or OWNER/ENVIRONMENT for a configuration with an environment.
// Neither may contain '/', so the two never collide, and a marker, key or
// endpoint name written before environments existed keeps meaning the
// environment "". Plans, key names and endpoint names carry the identity.
func OwnerIdentity(owner, environment string) string {
	if environment == "" {
		return owner
	}
	return owner + "/" + environment
}

// SplitIdentity is OwnerIdentity's inverse.
func SplitIdentity(identity string) (owner, environment string) {
	owner, environment, _ = strings.Cut(identity, "/")
	return owner, environment
}

// NewOwnerMarker is the marker of identity for address.
func NewOwnerMarker(identity string, address Address, preventDestroy bool) OwnerMarker {
	owner, env := SplitIdentity(identity)
	return OwnerMarker{Owner: owner, Environment: env, Address: address, PreventDestroy: preventDestroy}
}

// Identity is the marker's owner identity (OwnerIdentity).
func (m OwnerMarker) Identity() string { return OwnerIdentity(m.Owner, m.Environment) }

// DescribeOwner names an identity for messages: configuration "x", or
// configuration "x" in environment "y".
func DescribeOwner(identity string) string {
	owner, env := SplitIdentity(identity)
	if env == "" {
		return fmt.Sprintf("configuration %q", owner)
	}
	return fmt.Sprintf("configuration %q in environment %q", owner, env)
}

// Unmarked reports whether nobody claims the object.
func (o Ownership) Unmarked() bool { return o.Marker == nil && o.Invalid == "" }

// Describe names the owner for messages.
func (o Ownership) Describe() string {
	switch {
	case o.Marker != nil:
		return fmt.Sprintf("%s (as %s)", DescribeOwner(o.Marker.Identity()), o.Marker.Address)
	case o.Invalid != "":
		return "an unknown owner (" + o.Invalid + ")"
	default:
		return "nobody (made outside Switchboard)"
	}
}

// SplitMarker separates the marker from the user's values. The values
// returned never contain MarkerKey, so the diff compares only what the
// configuration can set.
func SplitMarker(values map[string]string) (map[string]string, Ownership) {
	if _, ok := values[MarkerKey]; !ok {
		return values, Ownership{}
	}
	rest := maps.Clone(values)
	own := cutMarker(rest)
	if len(rest) == 0 {
		rest = nil
	}
	return rest, own
}

// cutMarker deletes the marker entry from values, which the caller owns,
// and says what it recorded.
func cutMarker(values map[string]string) Ownership {
	raw, ok := values[MarkerKey]
	if !ok {
		return Ownership{}
	}
	delete(values, MarkerKey)
	m, err := ParseOwnerMarker(raw)
	if err != nil {
		return Ownership{Invalid: err.Error()}
	}
	return Ownership{Marker: &m}
}

// WithMarker is values plus the marker entry, as apply writes them.
func WithMarker(values map[string]string, m OwnerMarker) map[string]string {
	out := make(map[string]string, len(values)+1)
	for k, v := range values {
		out[k] = v
	}
	out[MarkerKey] = m.Encode()
	return out
}

// EndpointName is the name of an endpoint Switchboard creates for owner.
func EndpointName(owner string) string { return "switchboard (owner:" + owner + ")" }

var endpointNameRE = regexp.MustCompile(`^switchboard \(owner:(` + secretref.IdentityPattern + `)\)$`)

// EndpointOwner is the owner an endpoint's name records; "" when none.
func EndpointOwner(name string) string {
	if m := endpointNameRE.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

package crud

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Glow performs operations on Glow providers. It is safe for concurrent use
// on different providers.
type Glow struct {
	Client *glow.Client
	// Endpoints resolves endpoint URLs to ids; shared by the operations of
	// one run so that a new URL is created once.
	Endpoints *Endpoints
	// Owner is the owner identity recorded in the names of the keys and
	// endpoints this Glow creates (docs/ownership.md); empty records none,
	// as the Terraform provider does.
	Owner string
	// Parallelism bounds the calls in flight: UpdateMany's per-provider
	// calls, and the chunks of BulkUpdate and of the deletes; 0 is 1.
	Parallelism int
}

// NewGlow returns a Glow whose endpoint cache starts from known (id → URL).
func NewGlow(client *glow.Client, known map[string]string) *Glow {
	return &Glow{Client: client, Endpoints: NewEndpoints(client, known)}
}

// NewOwnedGlow is NewGlow for a configuration with an owner identity.
func NewOwnedGlow(client *glow.Client, known map[string]string, owner string) *Glow {
	g := NewGlow(client, known)
	g.Owner = owner
	if owner != "" {
		g.Endpoints.name = objects.EndpointName(owner)
	}
	return g
}

// Key is one key a provider has after an operation.
type Key struct {
	Label  string
	Source secretref.Source
	// ID keeps an existing Glow key as it is. Empty creates a new key named
	// secretref.KeyName(Label, Source) holding Value.
	ID    string
	Value sensitive.String
}

// Name is the Glow key name a new key gets: the label and its origin marker.
func (k Key) Name() string { return secretref.KeyName(k.Label, k.Source) }

func (g *Glow) keyName(k Key) string { return secretref.OwnedKeyName(k.Label, k.Source, g.Owner) }

// ProviderSpec is a Glow provider to create.
type ProviderSpec struct {
	Name        string
	Description string
	Departments []string
	// Endpoints are URLs; an existing endpoint with the same URL is reused.
	Endpoints []string
	Values    map[string]string
	Keys      []Key
	// Marker, when set, is written into values by the create call itself,
	// so that the provider is attributable from its first moment.
	Marker *objects.OwnerMarker
}

// Update changes one Glow provider. A nil field is left as it is; a non-nil
// one replaces the whole value.
type Update struct {
	ID string
	// Name is the provider's current name, for messages.
	Name string
	// ExpectedVersion is the version the caller read. The update is refused
	// with a *ConflictError when the provider has changed since.
	ExpectedVersion int64

	NewName     *string
	Description *string
	Departments *[]string
	Endpoints   *[]string // URLs
	Values      *map[string]string
	// Keys, when set, is the provider's complete set of keys afterwards:
	// keys with an ID are kept, keys without one are created.
	Keys *[]Key
	// PreviousKeyIDs are the keys attached when the caller read the
	// provider. Those the update detaches are deleted after the publish.
	PreviousKeyIDs []string
	// Marker, when set, is written with the values: Values (or, when nil,
	// an empty map) plus the marker entry. Glow replaces values whole, so
	// a caller that owns the provider sets it on every values write.
	Marker *objects.OwnerMarker
}

// Applied is what an operation did to one provider.
type Applied struct {
	// Provider is the live provider afterwards.
	Provider glow.Provider
	// Keys maps each label of the provider's keys to the key id.
	Keys map[string]string
	// CreatedKeys, DeletedKeys are key ids; KeptKeys are detached keys left
	// in place because another provider still uses them.
	CreatedKeys []string
	DeletedKeys []string
	KeptKeys    []string
	// Recovered describes lost answers that were resolved by reading the
	// live state again, for the log.
	Recovered []string
}

// Create creates one provider with CreateMany.
func (g *Glow) Create(ctx context.Context, spec ProviderSpec) (*Applied, error) {
	out := g.CreateMany(ctx, []ProviderSpec{spec})[0]
	return out.Applied, out.Err
}

// Update changes one provider with UpdateMany.
func (g *Glow) Update(ctx context.Context, u Update) (*Applied, error) {
	out := g.UpdateMany(ctx, []Update{u})[0]
	return out.Applied, out.Err
}

// Outcome is one object's result in CreateMany or UpdateMany. Applied is
// set whenever something exists or changed, also with an error.
type Outcome struct {
	Applied *Applied
	Err     error
}

// The clones keep a patch from aliasing the caller's values.
func cloneStr(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

func cloneList(l *[]string) *[]string {
	if l == nil {
		return nil
	}
	c := slices.Clone(*l)
	if c == nil {
		c = []string{}
	}
	return &c
}

func cloneMap(m *map[string]string) *map[string]string {
	if m == nil {
		return nil
	}
	c := maps.Clone(*m)
	if c == nil {
		c = map[string]string{}
	}
	return &c
}

func patchEmpty(p glow.Patch) bool {
	return p.Name == nil && p.Description == nil && p.DepartmentIDs == nil && p.EndpointIDs == nil && p.KeyIDs == nil && p.Values == nil
}

func conflict(obj string, err error) error {
	detail := ""
	var ae *api.Error
	if errors.As(err, &ae) {
		detail = ae.Message
		if ae.Code == api.CodeNameConflict {
			return err // another provider holds the name: not a lost update
		}
	}
	return &ConflictError{Object: obj, Detail: detail, Err: err}
}

func formOf(p glow.Provider) glow.FormState {
	return glow.FormState{ProviderID: p.ID, Name: p.Name, Description: p.Description, DepartmentIDs: p.DepartmentIDs,
		EndpointIDs: p.EndpointIDs, KeyIDs: p.KeyIDs, Values: p.Values, OtherValues: p.OtherValues}
}

// formHas reports whether every field the patch sets has that value in f.
func formHas(f glow.FormState, p glow.Patch) bool {
	setEq := func(a, b []string) bool { return slices.Equal(objects.NewSet(a...), objects.NewSet(b...)) }
	switch {
	case p.Name != nil && *p.Name != f.Name,
		p.Description != nil && *p.Description != f.Description,
		p.DepartmentIDs != nil && !setEq(*p.DepartmentIDs, f.DepartmentIDs),
		p.EndpointIDs != nil && !setEq(*p.EndpointIDs, f.EndpointIDs),
		p.KeyIDs != nil && !setEq(*p.KeyIDs, f.KeyIDs),
		p.Values != nil && (len(f.OtherValues) > 0 || !(len(*p.Values) == 0 && len(f.Values) == 0) && !maps.Equal(*p.Values, f.Values)):
		return false
	}
	return true
}

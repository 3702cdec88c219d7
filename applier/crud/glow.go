package crud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/state"
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
		g.Endpoints.name = state.EndpointName(owner)
	}
	return g
}

// Key is one key a provider has after an operation.
type Key struct {
	Label  string
	Source state.SecretSource
	// ID keeps an existing Glow key as it is. Empty creates a new key named
	// state.KeyName(Label, Source) holding Value.
	ID    string
	Value sensitive.String
}

// Name is the Glow key name a new key gets: the label and its origin marker.
func (k Key) Name() string { return state.KeyName(k.Label, k.Source) }

func (g *Glow) keyName(k Key) string { return state.OwnedKeyName(k.Label, k.Source, g.Owner) }

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
	Marker *state.OwnerMarker
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
	Marker *state.OwnerMarker
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

// Create creates a provider: the provider itself, then the endpoints and
// keys it needs, attached through the draft the create opened and
// published. Creating the provider first means that a name conflict leaves
// nothing behind, and that a lost answer can be resolved by looking for the
// name.
//
// On failure after the provider exists, the error is a *StepError and
// Applied (non-nil) names the provider, so that the caller can report what
// exists; planning again turns the rest into an update.
func (g *Glow) Create(ctx context.Context, spec ProviderSpec) (*Applied, error) {
	obj := glowObject(spec.Name, "")
	created, recovered, err := g.createProvider(ctx, spec)
	if err != nil {
		return nil, err
	}
	obj = glowObject(spec.Name, created.ProviderID)
	a := &Applied{
		Provider:  glow.Provider{ID: created.ProviderID, Name: spec.Name, Version: created.Version},
		Recovered: recovered,
	}
	done := []string{"created provider " + created.ProviderID}
	fail := func(step string, err error) (*Applied, error) {
		return a, &StepError{Object: obj, Step: step, Done: done, Err: err}
	}

	epIDs, err := g.Endpoints.IDs(ctx, spec.Endpoints)
	if err != nil {
		return fail("creating endpoints", err)
	}
	keyIDs, createdKeys, err := g.createKeys(ctx, spec.Keys)
	if err != nil {
		return fail("creating keys", err)
	}
	a.Keys, a.CreatedKeys = keyIDs, createdKeys
	if len(createdKeys) > 0 {
		done = append(done, "created keys "+strings.Join(createdKeys, ", "))
	}

	var patch glow.Patch
	if len(epIDs) > 0 {
		patch.EndpointIDs = &epIDs
	}
	if ids := slices.Sorted(maps.Values(keyIDs)); len(ids) > 0 {
		patch.KeyIDs = &ids
	}

	draftID, version := created.DraftID, created.Version
	if !patchEmpty(patch) {
		dr, notes, err := g.stage(ctx, obj, created.ProviderID, draftID, version, patch)
		a.Recovered = append(a.Recovered, notes...)
		if err != nil {
			g.discardKeys(ctx, a, err)
			return fail("staging the draft", err)
		}
		draftID, version = dr.DraftID, dr.NewVersion
	}
	if draftID == "" {
		// Found after a lost create answer, with nothing to attach and no
		// draft of ours open: the provider is already as it should be.
		d, err := g.Client.GetProvider(ctx, created.ProviderID)
		if err != nil {
			return fail("reading the provider", err)
		}
		a.Provider = d.Provider
		return a, nil
	}
	p, notes, err := g.publish(ctx, obj, created.ProviderID, draftID, version, patch)
	a.Recovered = append(a.Recovered, notes...)
	if err != nil {
		g.discardKeys(ctx, a, err)
		return fail("publishing the draft", err)
	}
	a.Provider = *p
	return a, nil
}

// createProvider creates the bare provider. When the answer is lost, the
// provider is looked for by name in its departments before creating again:
// a blind repeat would fail on the name or, for a provider whose departments
// do not overlap, make a duplicate.
func (g *Glow) createProvider(ctx context.Context, spec ProviderSpec) (glow.Created, []string, error) {
	in := []glow.ProviderInput{{Name: spec.Name, Description: spec.Description, DepartmentIDs: slices.Clone(spec.Departments), Values: createValues(spec)}}
	cs, err := g.Client.CreateProviders(ctx, in)
	if err == nil {
		if len(cs) != 1 {
			return glow.Created{}, nil, fmt.Errorf("%s: create answered %d providers, want 1", glowObject(spec.Name, ""), len(cs))
		}
		return cs[0], nil, nil
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return glow.Created{}, nil, err
	}
	found, ferr := g.findCreated(ctx, spec)
	if ferr != nil {
		return glow.Created{}, nil, errors.Join(err, ferr)
	}
	if found != nil {
		note := fmt.Sprintf("create answer lost; found %s and continued with it", glowObject(spec.Name, found.ProviderID))
		return *found, []string{note}, nil
	}
	cs, err = g.Client.CreateProviders(ctx, in)
	if err != nil {
		return glow.Created{}, nil, err
	}
	if len(cs) != 1 {
		return glow.Created{}, nil, fmt.Errorf("%s: create answered %d providers, want 1", glowObject(spec.Name, ""), len(cs))
	}
	return cs[0], []string{"create answer lost; the provider did not exist, so it was created again"}, nil
}

// createValues are the values a create sends: the spec's, and its marker.
func createValues(spec ProviderSpec) map[string]string {
	v := maps.Clone(spec.Values)
	if spec.Marker != nil {
		v = state.WithMarker(v, *spec.Marker)
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

// findCreated looks for the provider a lost create may have made: the same
// name in the same department scope. It must still look freshly created
// (version 1, the description, departments and values asked for, with the
// marker this create wrote); anything else was made or changed by someone
// else, and adopting it could overwrite their work.
func (g *Glow) findCreated(ctx context.Context, spec ProviderSpec) (*glow.Created, error) {
	obj := glowObject(spec.Name, "")
	want := state.NewSet(spec.Departments...)
	var matches []glow.Provider
	for p, err := range g.Client.Search(ctx, glow.SearchRequest{Search: spec.Name, FilterDepartmentIDs: spec.Departments}) {
		if err != nil {
			return nil, fmt.Errorf("%s: looking for the provider the lost create may have made: %w", obj, err)
		}
		if p.Name == spec.Name && state.SameNameScope(want, state.NewSet(p.DepartmentIDs...)) {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("%s: the create answer was lost and %d providers with this name now exist in its departments", obj, len(matches))
	}
	p := matches[0]
	if p.Version != 1 || p.Description != spec.Description || !slices.Equal(state.NewSet(p.DepartmentIDs...), want) ||
		len(p.KeyIDs) > 0 || len(p.EndpointIDs) > 0 || !maps.Equal(p.Values, createValues(spec)) {
		return nil, &ConflictError{
			Object: glowObject(spec.Name, p.ID),
			Detail: fmt.Sprintf("the create answer was lost, and the provider with this name is at version %d and differs from what was created", p.Version),
		}
	}
	c := &glow.Created{ProviderID: p.ID, Name: p.Name, Version: p.Version}
	// The create opened a draft for the provider; continuing it keeps the
	// user's draft list free of an abandoned one.
	for d, err := range g.Client.ListDrafts(ctx) {
		if err != nil {
			return nil, fmt.Errorf("%s: listing drafts: %w", obj, err)
		}
		if d.ProviderID == p.ID && d.Version == p.Version {
			c.DraftID = d.DraftID
			break
		}
	}
	return c, nil
}

// createKeys creates the keys without an ID in one call and returns every
// label's key id. A lost answer is not resolved: keys are told apart only
// by name, and several providers may hold keys of the same name, so the
// caller reports it; an unattached key is harmless and the next apply makes
// a new one.
func (g *Glow) createKeys(ctx context.Context, keys []Key) (ids map[string]string, created []string, err error) {
	ids = make(map[string]string, len(keys))
	var in []glow.KeyInput
	var labels []string
	for _, k := range keys {
		if _, dup := ids[k.Label]; dup || slices.Contains(labels, k.Label) {
			return nil, nil, fmt.Errorf("key label %q is given twice", k.Label)
		}
		if k.ID != "" {
			ids[k.Label] = k.ID
			continue
		}
		if k.Value.IsZero() {
			return nil, nil, fmt.Errorf("key %q (%s): no value to create it with", k.Label, k.Source)
		}
		in = append(in, glow.KeyInput{Name: g.keyName(k), Value: k.Value})
		labels = append(labels, k.Label)
	}
	if len(in) == 0 {
		return ids, nil, nil
	}
	out, err := g.Client.CreateKeys(ctx, in)
	if err != nil {
		if errors.Is(err, api.ErrOutcomeUnknown) {
			names := make([]string, len(in))
			for i, k := range in {
				names[i] = fmt.Sprintf("%q", k.Name)
			}
			err = fmt.Errorf("%w; Glow may now hold unattached keys named %s, which no provider uses", err, strings.Join(names, ", "))
		}
		return nil, nil, err
	}
	if len(out) != len(in) {
		return nil, nil, fmt.Errorf("glow: create keys answered %d keys for %d", len(out), len(in))
	}
	for i, k := range out {
		if k.Name != in[i].Name {
			return nil, nil, fmt.Errorf("glow: create keys answered key %s named %q at position %d, want %q", k.ID, k.Name, i, in[i].Name)
		}
		ids[labels[i]] = k.ID
		created = append(created, k.ID)
	}
	return ids, created, nil
}

// discardKeys deletes the keys an operation created when it failed before
// any provider used them, unless the failure left it unknown whether a
// provider now does (Glow refuses to delete a key in use anyway).
func (g *Glow) discardKeys(ctx context.Context, a *Applied, cause error) {
	if len(a.CreatedKeys) == 0 || errors.Is(cause, api.ErrOutcomeUnknown) {
		return
	}
	deleted, _, _ := g.DeleteKeys(context.WithoutCancel(ctx), a.CreatedKeys)
	a.DeletedKeys = append(a.DeletedKeys, deleted...)
}

// Update stages the change as a draft guarded by ExpectedVersion, publishes
// it, and then deletes the keys it detached. A key rotation is a Keys list
// where the label's new key has no ID: the new key is created first and
// swapped in by the same publish that detaches the old one, so the provider
// always has a key.
func (g *Glow) Update(ctx context.Context, u Update) (*Applied, error) {
	obj := glowObject(u.Name, u.ID)
	a := &Applied{Provider: glow.Provider{ID: u.ID, Name: u.Name, Version: u.ExpectedVersion}}
	var done []string
	fail := func(step string, err error) (*Applied, error) {
		var ce *ConflictError
		if errors.As(err, &ce) && len(done) == 0 {
			return a, err
		}
		return a, &StepError{Object: obj, Step: step, Done: done, Err: err}
	}

	patch := glow.Patch{Name: cloneStr(u.NewName), Description: cloneStr(u.Description), DepartmentIDs: cloneList(u.Departments), Values: cloneMap(u.Values)}
	if u.Marker != nil {
		var v map[string]string
		if u.Values != nil {
			v = *u.Values
		}
		v = state.WithMarker(v, *u.Marker)
		patch.Values = &v
	}
	if u.Endpoints != nil {
		ids, err := g.Endpoints.IDs(ctx, *u.Endpoints)
		if err != nil {
			return fail("creating endpoints", err)
		}
		patch.EndpointIDs = &ids
	}
	var keep map[string]bool
	if u.Keys != nil {
		ids, created, err := g.createKeys(ctx, *u.Keys)
		if err != nil {
			return fail("creating keys", err)
		}
		a.Keys, a.CreatedKeys = ids, created
		if len(created) > 0 {
			done = append(done, "created keys "+strings.Join(created, ", "))
		}
		// Never nil: an empty list must go out as [] to detach the last
		// key; null would leave the keys as they are.
		list := append([]string{}, slices.Sorted(maps.Values(ids))...)
		patch.KeyIDs = &list
		keep = make(map[string]bool, len(list))
		for _, id := range list {
			keep[id] = true
		}
	}
	if patchEmpty(patch) {
		return a, nil
	}

	dr, notes, err := g.stage(ctx, obj, u.ID, "", u.ExpectedVersion, patch)
	a.Recovered = append(a.Recovered, notes...)
	if err != nil {
		g.discardKeys(ctx, a, err)
		return fail("staging the draft", err)
	}
	p, notes, err := g.publish(ctx, obj, u.ID, dr.DraftID, dr.NewVersion, patch)
	a.Recovered = append(a.Recovered, notes...)
	if err != nil {
		// The draft is staged but not live; it is the provider's
		// version now, so nobody can publish a stale form over it.
		g.discardKeys(ctx, a, err)
		return fail("publishing the draft", err)
	}
	a.Provider = *p
	if keep != nil {
		done = append(done, fmt.Sprintf("published version %d", p.Version))
		var detached []string
		for _, id := range u.PreviousKeyIDs {
			if !keep[id] && !slices.Contains(detached, id) {
				detached = append(detached, id)
			}
		}
		if len(detached) > 0 {
			deleted, inUse, err := g.DeleteKeys(ctx, detached)
			a.DeletedKeys, a.KeptKeys = append(a.DeletedKeys, deleted...), inUse
			if err != nil {
				return fail("deleting the detached keys", err)
			}
		}
	}
	return a, nil
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

// stage runs PATCH /provider/draft guarded by version. A lost answer is
// resolved by reading the provider: at the same version the draft did not
// land and is staged again under the same guard; at the next version, our
// own open draft with the staged form is continued; anything else is
// someone else's change.
func (g *Glow) stage(ctx context.Context, obj, id, draftID string, version int64, patch glow.Patch) (*glow.DraftResponse, []string, error) {
	req := glow.DraftRequest{ProviderID: id, InputDraftID: draftID, ExpectedVersion: &version, Patch: patch}
	dr, err := g.Client.Draft(ctx, req)
	if err == nil {
		return dr, nil, nil
	}
	if errors.Is(err, api.ErrConflict) {
		return nil, nil, conflict(obj, err)
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return nil, nil, err
	}
	d, gerr := g.Client.GetProvider(ctx, id)
	if gerr != nil {
		return nil, nil, errors.Join(err, fmt.Errorf("reading the provider to find out: %w", gerr))
	}
	if d.Provider.Version == version {
		dr, err := g.Client.Draft(ctx, req)
		if err != nil {
			if errors.Is(err, api.ErrConflict) {
				return nil, nil, conflict(obj, err)
			}
			return nil, nil, err
		}
		return dr, []string{"draft answer lost; the draft had not landed, so it was staged again"}, nil
	}
	for dd, lerr := range g.Client.ListDrafts(ctx) {
		if lerr != nil {
			return nil, nil, errors.Join(err, fmt.Errorf("listing drafts to find out: %w", lerr))
		}
		if dd.ProviderID == id && dd.Version == d.Provider.Version && d.Provider.Version == version+1 && formHas(dd.FormState, patch) {
			return &glow.DraftResponse{DraftID: dd.DraftID, NewVersion: dd.Version, FormState: dd.FormState},
				[]string{"draft answer lost; found the staged draft and continued with it"}, nil
		}
	}
	return nil, nil, &ConflictError{Object: obj, Err: err,
		Detail: fmt.Sprintf("the draft's answer was lost and the provider is now at version %d, not by this draft", d.Provider.Version)}
}

// publish runs POST /provider/publish guarded by the draft's version. A lost
// answer is resolved by reading the provider: still at the draft's version,
// the publish did not land and is sent again under the same guard (a repeat
// of one that did land would get 409, never apply twice); one version later
// with the staged form live, it landed.
func (g *Glow) publish(ctx context.Context, obj, id, draftID string, version int64, patch glow.Patch) (*glow.Provider, []string, error) {
	req := glow.PublishRequest{DraftID: draftID, ExpectedVersion: &version}
	p, err := g.Client.Publish(ctx, req)
	if err == nil {
		return p, nil, nil
	}
	if errors.Is(err, api.ErrConflict) {
		return nil, nil, conflict(obj, err)
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return nil, nil, err
	}
	d, gerr := g.Client.GetProvider(ctx, id)
	if gerr != nil {
		return nil, nil, errors.Join(err, fmt.Errorf("reading the provider to find out: %w", gerr))
	}
	live := d.Provider
	switch {
	case live.Version == version:
		p, err := g.Client.Publish(ctx, req)
		if err != nil {
			if errors.Is(err, api.ErrConflict) {
				return nil, nil, conflict(obj, err)
			}
			return nil, nil, err
		}
		return p, []string{"publish answer lost; it had not landed, so it was sent again"}, nil
	case live.Version == version+1 && formHas(formOf(live), patch):
		return &live, []string{"publish answer lost; the provider shows it landed"}, nil
	}
	return nil, nil, &ConflictError{Object: obj, Err: err,
		Detail: fmt.Sprintf("the publish answer was lost and the provider is now at version %d without this change", live.Version)}
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
		EndpointIDs: p.EndpointIDs, KeyIDs: p.KeyIDs, Values: p.Values}
}

// formHas reports whether every field the patch sets has that value in f.
func formHas(f glow.FormState, p glow.Patch) bool {
	setEq := func(a, b []string) bool { return slices.Equal(state.NewSet(a...), state.NewSet(b...)) }
	switch {
	case p.Name != nil && *p.Name != f.Name,
		p.Description != nil && *p.Description != f.Description,
		p.DepartmentIDs != nil && !setEq(*p.DepartmentIDs, f.DepartmentIDs),
		p.EndpointIDs != nil && !setEq(*p.EndpointIDs, f.EndpointIDs),
		p.KeyIDs != nil && !setEq(*p.KeyIDs, f.KeyIDs),
		p.Values != nil && !(len(*p.Values) == 0 && len(f.Values) == 0) && !maps.Equal(*p.Values, f.Values):
		return false
	}
	return true
}

package crud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// CreateMany creates providers in as few calls as Glow allows: their new
// endpoints in one call per glow.MaxItems, their keys likewise, and then
// the providers themselves, each created with its endpoints, keys, values
// and ownership marker in the create call, likewise. N creates cost about
// three calls per glow.MaxItems instead of four per provider, and there is
// never a provider without its key: it is born with it.
//
// Outcomes are per spec, in order. A create call is all or nothing: when
// Glow refuses one entry (a name taken, say, with `field` naming it), that
// spec fails and the others are created again without it. A lost answer is
// resolved by looking for the providers (by ownership marker, or by name
// for a spec without one) before creating the rest again. The keys of a
// spec that failed are deleted, unless whether a provider holds them is
// unknown; the next plan lists what is left over as orphans.
func (g *Glow) CreateMany(ctx context.Context, specs []ProviderSpec) []Outcome {
	out := make([]Outcome, len(specs))
	apps := make([]*Applied, len(specs))
	lists := make([]*[]Key, len(specs))
	var urls []string
	for i := range specs {
		apps[i] = &Applied{Keys: map[string]string{}}
		lists[i] = &specs[i].Keys
		urls = append(urls, specs[i].Endpoints...)
	}
	epErrs := g.Endpoints.EnsureAll(ctx, urls)
	g.createNewKeys(ctx, lists, out, apps)
	entries := g.createEntries(ctx, specs, epErrs, out, apps)
	g.createProviders(ctx, specs, entries, out, apps)
	for i := range out {
		if apps[i].Provider.ID != "" || len(apps[i].CreatedKeys) > 0 {
			out[i].Applied = apps[i]
		}
	}
	return out
}

// createNewKeys creates the keys of each list that have no id yet, in as
// few calls as Glow allows, and records the id of every key of the list by
// its label in apps; a nil list (an update that leaves the keys as they
// are) is skipped. An entry whose list is invalid or whose keys could not be
// created gets the error in out.
func (g *Glow) createNewKeys(ctx context.Context, lists []*[]Key, out []Outcome, apps []*Applied) {
	var keys []newKey
	var keyOwner []int
	var keyLabel []string
	for i, list := range lists {
		if list == nil {
			continue
		}
		if err := checkLabels(*list); err != nil {
			out[i].Err = err
			continue
		}
		if apps[i].Keys == nil {
			apps[i].Keys = map[string]string{}
		}
		for _, k := range *list {
			if k.ID != "" {
				apps[i].Keys[k.Label] = k.ID
				continue
			}
			if k.Value.IsZero() {
				out[i].Err = fmt.Errorf("key %q (%s): no value to create it with", k.Label, k.Source)
				break
			}
			keys = append(keys, newKey{input: glow.KeyInput{Name: g.keyName(k), Value: k.Value}, id: new(string)})
			keyOwner = append(keyOwner, i)
			keyLabel = append(keyLabel, k.Label)
		}
	}
	keyErrs := g.createKeys(ctx, keys)
	for j, k := range keys {
		i := keyOwner[j]
		apps[i].Keys[keyLabel[j]] = *k.id
		if *k.id != "" {
			apps[i].CreatedKeys = append(apps[i].CreatedKeys, *k.id)
		}
		if keyErrs[j] != nil && out[i].Err == nil {
			out[i].Err = fmt.Errorf("creating keys: %w", keyErrs[j])
		}
	}
}

// endpointsFailed is the failure of the first of urls that EnsureAll could
// not create, or nil.
func endpointsFailed(urls []string, epErrs map[string]error) error {
	for _, u := range urls {
		if err := epErrs[u]; err != nil {
			return fmt.Errorf("creating endpoints: %w", err)
		}
	}
	return nil
}

// createEntry is one provider to create and the spec it is for.
type createEntry struct {
	spec  int
	input glow.ProviderInput
}

// createEntries are the providers to create: one for each spec whose keys
// and endpoints exist. A spec that failed already has the keys made for it
// discarded.
func (g *Glow) createEntries(ctx context.Context, specs []ProviderSpec, epErrs map[string]error, out []Outcome, apps []*Applied) []createEntry {
	var entries []createEntry
	for i, s := range specs {
		if out[i].Err == nil {
			out[i].Err = endpointsFailed(s.Endpoints, epErrs)
		}
		if out[i].Err != nil {
			apps[i].DeletedKeys = g.discard(ctx, apps[i].CreatedKeys, out[i].Err)
			continue
		}
		epIDs, _ := g.Endpoints.IDs(ctx, s.Endpoints) // all known now
		in := glow.ProviderInput{
			Name: s.Name, Description: s.Description, DepartmentIDs: slices.Clone(s.Departments),
			EndpointIDs: epIDs, KeyIDs: slices.Sorted(maps.Values(apps[i].Keys)), Values: createValues(s),
		}
		entries = append(entries, createEntry{spec: i, input: in})
	}
	return entries
}

// createProviders sends the creates, glow.MaxItems to a call, and records
// each provider as created in apps, or its failure in out with the keys
// made for it discarded.
func (g *Glow) createProviders(ctx context.Context, specs []ProviderSpec, entries []createEntry, out []Outcome, apps []*Applied) {
	for start := 0; start < len(entries); start += glow.MaxItems {
		chunk := entries[start:min(start+glow.MaxItems, len(entries))]
		idx := make([]int, len(chunk))
		in := make([]glow.ProviderInput, len(chunk))
		for k, e := range chunk {
			idx[k], in[k] = e.spec, e.input
		}
		results := g.createChunk(ctx, specs, idx, in)
		for k, r := range results {
			i := idx[k]
			if r.err != nil {
				out[i].Err = r.err
				apps[i].DeletedKeys = g.discard(ctx, apps[i].CreatedKeys, r.err)
				continue
			}
			in := entries[start+k].input
			// The provider as created: the create answer has only its id
			// and version, and everything else is what was sent.
			apps[i].Provider = glow.Provider{
				ID: r.created.ProviderID, Name: in.Name, Description: in.Description, Version: r.created.Version,
				DepartmentIDs: slices.Clone(in.DepartmentIDs), EndpointIDs: slices.Clone(in.EndpointIDs),
				KeyIDs: slices.Clone(in.KeyIDs), Values: maps.Clone(in.Values),
			}
			apps[i].Recovered = append(apps[i].Recovered, r.notes...)
		}
	}
}

func checkLabels(keys []Key) error {
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Label] {
			return fmt.Errorf("key label %q is given twice", k.Label)
		}
		seen[k.Label] = true
	}
	return nil
}

type created struct {
	created glow.Created
	notes   []string
	err     error
}

// createChunk creates one call's worth of providers (idx are their specs).
func (g *Glow) createChunk(ctx context.Context, specs []ProviderSpec, idx []int, in []glow.ProviderInput) []created {
	out := make([]created, len(in))
	pending := make([]int, len(in)) // positions in out still to create
	for k := range pending {
		pending[k] = k
	}
	retried := false
	for len(pending) > 0 {
		batch := make([]glow.ProviderInput, len(pending))
		for k, p := range pending {
			batch[k] = in[p]
		}
		cs, err := g.Client.CreateProviders(ctx, batch)
		switch {
		case err == nil && len(cs) == len(batch):
			for k, p := range pending {
				out[p].created = cs[k]
			}
			return out
		case err == nil:
			err = fmt.Errorf("glow: create answered %d providers for %d", len(cs), len(batch))
		case errors.Is(err, api.ErrOutcomeUnknown) && !retried:
			retried = true
			found, ferr := g.findCreatedMany(ctx, specs, idx, pending, in)
			if ferr != nil {
				err = errors.Join(err, ferr)
				break
			}
			var rest []int
			for _, p := range pending {
				if c, ok := found[p]; ok {
					out[p].created = c
					out[p].notes = []string{fmt.Sprintf("create answer lost; found %s and continued with it", glowObject(specs[idx[p]].Name, c.ProviderID))}
				} else {
					rest = append(rest, p)
				}
			}
			pending = rest
			continue
		default:
			// An entry Glow refuses (`field` is providers[i]…) fails
			// alone; the others are sent again without it.
			if k, ok := failedEntry(err, len(batch)); ok {
				out[pending[k]].err = err
				pending = slices.Delete(slices.Clone(pending), k, k+1)
				continue
			}
		}
		for _, p := range pending {
			out[p].err = err
		}
		return out
	}
	return out
}

// failedEntry is the entry a refused create names in its field
// (`providers[2].name`).
func failedEntry(err error, n int) (int, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.OutcomeUnknown || n < 2 {
		return 0, false
	}
	rest, ok := strings.CutPrefix(ae.Field, "providers[")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "]")
	k, cerr := strconv.Atoi(num)
	if !ok || cerr != nil || k < 0 || k >= n {
		return 0, false
	}
	return k, true
}

// findCreatedMany looks for the providers a lost create may have made: by
// the ownership marker the create wrote when the spec has one (exact: the
// owner and the address), otherwise by name as findCreated does.
func (g *Glow) findCreatedMany(ctx context.Context, specs []ProviderSpec, idx, pending []int, ins []glow.ProviderInput) (map[int]glow.Created, error) {
	found := map[int]glow.Created{}
	byMarker := map[objects.OwnerMarker]int{}
	var byName []int
	for _, p := range pending {
		if m := specs[idx[p]].Marker; m != nil {
			byMarker[objects.OwnerMarker{Owner: m.Owner, Environment: m.Environment, Address: m.Address}] = p
		} else {
			byName = append(byName, p)
		}
	}
	if len(byMarker) > 0 {
		for lp, err := range g.Client.Search(ctx, glow.SearchRequest{}) {
			if err != nil {
				return nil, fmt.Errorf("looking for the providers the lost create may have made: %w", err)
			}
			_, own := objects.SplitMarker(lp.Values)
			if own.Marker == nil {
				continue
			}
			if p, ok := byMarker[objects.OwnerMarker{Owner: own.Marker.Owner, Environment: own.Marker.Environment, Address: own.Marker.Address}]; ok {
				found[p] = glow.Created{ProviderID: lp.ID, Name: lp.Name, Version: lp.Version}
			}
		}
	}
	for _, p := range byName {
		c, err := g.findCreated(ctx, specs[idx[p]], ins[p])
		if err != nil {
			return nil, err
		}
		if c != nil {
			found[p] = *c
		}
	}
	return found, nil
}

// createValues are the values a create sends: the spec's, and its marker.
func createValues(spec ProviderSpec) map[string]string {
	v := maps.Clone(spec.Values)
	if spec.Marker != nil {
		v = objects.WithMarker(v, *spec.Marker)
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

// findCreated looks, for a spec without an ownership marker (the Terraform
// provider's), for the provider a lost create may have made: the same name
// in the same department scope, still exactly as created (version 1, the
// description, departments, values and endpoints asked for, and the very
// keys this create made, which no other provider can hold). Anything else
// was made or changed by someone else, and taking it could overwrite their
// work.
func (g *Glow) findCreated(ctx context.Context, spec ProviderSpec, in glow.ProviderInput) (*glow.Created, error) {
	obj := glowObject(spec.Name, "")
	want := objects.NewSet(spec.Departments...)
	var matches []glow.Provider
	for p, err := range g.Client.Search(ctx, glow.SearchRequest{Search: spec.Name, FilterDepartmentIDs: spec.Departments}) {
		if err != nil {
			return nil, fmt.Errorf("%s: looking for the provider the lost create may have made: %w", obj, err)
		}
		if p.Name == spec.Name && objects.SameNameScope(want, objects.NewSet(p.DepartmentIDs...)) {
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
	if p.Version != 1 || p.Description != spec.Description || !slices.Equal(objects.NewSet(p.DepartmentIDs...), want) ||
		!maps.Equal(p.Values, createValues(spec)) || len(p.OtherValues) > 0 || !slices.Equal(objects.NewSet(p.EndpointIDs...), objects.NewSet(in.EndpointIDs...)) ||
		!slices.Equal(objects.NewSet(p.KeyIDs...), objects.NewSet(in.KeyIDs...)) {
		return nil, &ConflictError{
			Object: glowObject(spec.Name, p.ID),
			Detail: fmt.Sprintf("the create answer was lost, and the provider with this name is at version %d and differs from what was created", p.Version),
		}
	}
	return &glow.Created{ProviderID: p.ID, Name: p.Name, Version: p.Version}, nil
}

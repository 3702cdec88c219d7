package crud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// UpdateMany changes providers: the new endpoints and keys of all of them
// first, in as few calls as Glow allows, then one update per provider
// (POST /provider/update guarded by ExpectedVersion, so a provider changed
// since it was read is never overwritten), Parallelism at a time, and last
// the keys the updates detached, in one call per glow.MaxItems. A key
// rotation is an update whose Keys give the label a new key: the new key
// exists before the update swaps it in, and the old one is deleted only
// after, so the provider always has a key.
//
// Outcomes are per update, in order; a failure of one does not stop the
// others.
func (g *Glow) UpdateMany(ctx context.Context, us []Update) []Outcome {
	out := make([]Outcome, len(us))
	apps := make([]*Applied, len(us))
	lists := make([]*[]Key, len(us))
	var urls []string
	for i, u := range us {
		apps[i] = &Applied{Provider: glow.Provider{ID: u.ID, Name: u.Name, Version: u.ExpectedVersion}}
		lists[i] = u.Keys
		if u.Endpoints != nil {
			urls = append(urls, *u.Endpoints...)
		}
	}
	epErrs := g.Endpoints.EnsureAll(ctx, urls)
	g.createNewKeys(ctx, lists, out, apps)
	g.sendUpdates(ctx, us, epErrs, out, apps)
	g.deleteDetached(ctx, us, out, apps)
	for i := range out {
		out[i].Applied = apps[i]
	}
	return out
}

// sendUpdates sends the update of each provider whose keys and endpoints
// exist, Parallelism at a time. A provider that failed, before or in its
// update, has the keys made for it discarded.
func (g *Glow) sendUpdates(ctx context.Context, us []Update, epErrs map[string]error, out []Outcome, apps []*Applied) {
	grp := new(errgroup.Group)
	grp.SetLimit(max(g.Parallelism, 1))
	for i := range us {
		u := us[i]
		if out[i].Err == nil && u.Endpoints != nil {
			out[i].Err = endpointsFailed(*u.Endpoints, epErrs)
		}
		if out[i].Err != nil {
			apps[i].DeletedKeys = g.discard(ctx, apps[i].CreatedKeys, out[i].Err)
			continue
		}
		grp.Go(func() error {
			out[i].Err = g.updateOne(ctx, u, apps[i])
			if out[i].Err != nil {
				apps[i].DeletedKeys = g.discard(ctx, apps[i].CreatedKeys, out[i].Err)
			}
			return nil
		})
	}
	_ = grp.Wait()
}

// detachedKeys are the keys the successful updates detached, each once, and
// for each the updates that detached it.
func detachedKeys(us []Update, out []Outcome, apps []*Applied) ([]string, map[string][]int) {
	detachedBy := map[string][]int{}
	var detached []string
	for i, u := range us {
		if out[i].Err != nil || u.Keys == nil {
			continue
		}
		keep := map[string]bool{}
		for _, id := range apps[i].Keys {
			keep[id] = true
		}
		for _, id := range u.PreviousKeyIDs {
			if !keep[id] {
				if _, seen := detachedBy[id]; !seen {
					detached = append(detached, id)
				}
				detachedBy[id] = append(detachedBy[id], i)
			}
		}
	}
	return detached, detachedBy
}

// deleteDetached deletes the keys the successful updates detached, in one
// delete, and records each as deleted or kept (still in use) by the updates
// that detached it; an update whose detached keys are neither fails at that
// step.
func (g *Glow) deleteDetached(ctx context.Context, us []Update, out []Outcome, apps []*Applied) {
	detached, detachedBy := detachedKeys(us, out, apps)
	if len(detached) == 0 {
		return
	}
	deleted, inUse, err := g.DeleteKeys(ctx, detached)
	for _, id := range deleted {
		for _, i := range detachedBy[id] {
			apps[i].DeletedKeys = append(apps[i].DeletedKeys, id)
		}
	}
	for _, id := range inUse {
		for _, i := range detachedBy[id] {
			apps[i].KeptKeys = append(apps[i].KeptKeys, id)
		}
	}
	if err == nil {
		return
	}
	for _, id := range detached {
		if slices.Contains(deleted, id) || slices.Contains(inUse, id) {
			continue
		}
		for _, i := range detachedBy[id] {
			if out[i].Err == nil {
				out[i].Err = &StepError{Object: glowObject(us[i].Name, us[i].ID), Step: "deleting the detached keys",
					Done: []string{fmt.Sprintf("updated to version %d", apps[i].Provider.Version)}, Err: err}
			}
		}
	}
}

// updateOne sends one provider's update, its keys and endpoints already
// created.
func (g *Glow) updateOne(ctx context.Context, u Update, a *Applied) error {
	obj := glowObject(u.Name, u.ID)
	patch := glow.Patch{Name: cloneStr(u.NewName), Description: cloneStr(u.Description), DepartmentIDs: cloneList(u.Departments), Values: cloneMap(u.Values)}
	if u.Marker != nil {
		var v map[string]string
		if u.Values != nil {
			v = *u.Values
		}
		v = objects.WithMarker(v, *u.Marker)
		patch.Values = &v
	}
	if u.Endpoints != nil {
		ids, err := g.Endpoints.IDs(ctx, *u.Endpoints)
		if err != nil {
			return &StepError{Object: obj, Step: "creating endpoints", Err: err}
		}
		patch.EndpointIDs = &ids
	}
	if u.Keys != nil {
		// Never nil: an empty list must go out as [] to detach the last
		// key; null would leave the keys as they are.
		list := append([]string{}, slices.Sorted(maps.Values(a.Keys))...)
		patch.KeyIDs = &list
	}
	if patchEmpty(patch) {
		return nil
	}
	fail := func(err error) error {
		var ce *ConflictError
		if errors.As(err, &ce) || len(a.CreatedKeys) == 0 {
			return err
		}
		return &StepError{Object: obj, Step: "updating", Done: []string{"created keys " + strings.Join(a.CreatedKeys, ", ")}, Err: err}
	}
	version := u.ExpectedVersion
	req := glow.UpdateRequest{ProviderID: u.ID, ExpectedVersion: &version, Patch: patch}
	p, err := g.Client.UpdateProvider(ctx, req)
	switch {
	case err == nil:
	case errors.Is(err, api.ErrConflict):
		return fail(conflict(obj, err))
	case !errors.Is(err, api.ErrOutcomeUnknown):
		return fail(err)
	default:
		// A lost answer: at the same version the update did not land and
		// is sent again under the same guard (a repeat of one that did land
		// would get 409, never apply twice); one version later with the
		// patch live, it landed.
		d, gerr := g.Client.GetProvider(ctx, u.ID)
		if gerr != nil {
			return fail(errors.Join(err, fmt.Errorf("reading the provider to find out: %w", gerr)))
		}
		switch live := d.Provider; {
		case live.Version == version:
			if p, err = g.Client.UpdateProvider(ctx, req); err != nil {
				if errors.Is(err, api.ErrConflict) {
					return fail(conflict(obj, err))
				}
				return fail(err)
			}
			a.Recovered = append(a.Recovered, "update answer lost; it had not landed, so it was sent again")
		case live.Version == version+1 && formHas(formOf(live), patch):
			p = &live
			a.Recovered = append(a.Recovered, "update answer lost; the provider shows it landed")
		default:
			return fail(&ConflictError{Object: obj, Err: err,
				Detail: fmt.Sprintf("the update answer was lost and the provider is now at version %d without this change", live.Version)})
		}
	}
	a.Provider = *p
	return nil
}

package applier

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
)

// glowBatch creates or updates Glow providers together. The secrets their
// new keys hold are read first, in parallel; an operation whose secret
// cannot be read fails alone.
func (r *run) glowBatch(ctx context.Context, ops []*op) {
	started, began := r.beginAll(ctx, ops)
	if len(started) == 0 {
		return
	}
	keys := make([][]crud.Key, len(started))
	errs := make([]error, len(started))
	g := new(errgroup.Group)
	g.SetLimit(r.opts.Parallelism)
	for i, o := range started {
		g.Go(func() error {
			switch {
			case o.glowCreate != nil:
				keys[i], errs[i] = r.keyValues(ctx, o.glowCreate.Keys)
			case o.glowUpdate.Keys != nil:
				keys[i], errs[i] = r.keyValues(ctx, *o.glowUpdate.Keys)
			}
			return nil
		})
	}
	_ = g.Wait()
	var creates, updates []*op
	var specs []crud.ProviderSpec
	var us []crud.Update
	for i, o := range started {
		if errs[i] != nil {
			id := ""
			if o.glowUpdate != nil {
				id = o.glowUpdate.ID
			}
			r.finish(o, began, id, nil, errs[i])
			continue
		}
		if o.glowCreate != nil {
			spec := *o.glowCreate
			spec.Keys = keys[i]
			specs, creates = append(specs, spec), append(creates, o)
		} else {
			u := *o.glowUpdate
			if u.Keys != nil {
				u.Keys = &keys[i]
			}
			us, updates = append(us, u), append(updates, o)
		}
	}
	if len(specs) > 0 {
		for i, res := range r.glow.CreateMany(ctx, specs) {
			id, notes, err := glowOutcome(res.Applied, res.Err)
			r.finish(creates[i], began, id, notes, err)
		}
	}
	if len(us) > 0 {
		for i, res := range r.glow.UpdateMany(ctx, us) {
			id, notes, err := glowOutcome(res.Applied, res.Err)
			if id == "" {
				id = us[i].ID
			}
			r.finish(updates[i], began, id, notes, err)
		}
	}
}

// keyValues fills in the value of every key the operation creates.
func (r *run) keyValues(ctx context.Context, keys []crud.Key) ([]crud.Key, error) {
	out := slices.Clone(keys)
	for i := range out {
		if out[i].ID != "" {
			continue
		}
		v, err := r.secrets.get(ctx, out[i].Source)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", out[i].Label, err)
		}
		out[i].Value = v
	}
	return out, nil
}

func glowOutcome(a *crud.Applied, err error) (string, []string, error) {
	if a == nil {
		return "", nil, err
	}
	notes := slices.Clone(a.Recovered)
	if len(a.KeptKeys) > 0 {
		notes = append(notes, "detached keys left in place, another provider uses them: "+strings.Join(a.KeptKeys, ", "))
	}
	return a.Provider.ID, notes, err
}

// bulkUpdate sends one guarded bulk update for updates that share a patch.
func (r *run) bulkUpdate(ctx context.Context, grp []*op) {
	started, began := r.beginAll(ctx, grp)
	if len(started) == 0 {
		return
	}
	items := make([]crud.Guarded, len(started))
	for i, o := range started {
		items[i] = crud.Guarded{ID: o.glowUpdate.ID, ExpectedVersion: o.glowUpdate.ExpectedVersion}
	}
	u := started[0].glowUpdate
	patch := glow.Patch{Description: u.Description, DepartmentIDs: u.Departments, Values: u.Values}
	results := r.glow.BulkUpdate(ctx, items, patch)
	for _, o := range started {
		res := results[o.glowUpdate.ID]
		r.finish(o, began, o.glowUpdate.ID, nil, res.Err)
	}
}

// destroyGlow deletes every Glow provider of the plan in one bulk call (per
// glow.MaxItems) and checks each item. The keys and endpoints they used are
// deleted by the cleanup, once every change is done.
func (r *run) destroyGlow(ctx context.Context, ops []*op) {
	started, began := r.beginAll(ctx, ops)
	if len(started) == 0 {
		return
	}
	ids := make([]string, len(started))
	for i, o := range started {
		ids[i] = o.change.ID
	}
	results := r.glow.DeleteProviders(ctx, ids)
	for _, o := range started {
		r.finish(o, began, o.change.ID, nil, results[o.change.ID])
	}
}

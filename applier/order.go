package applier

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// apply runs the operations in the order that never leaves a provider
// without what it uses:
//
//  1. updates, then creates (an update may free a name a create takes);
//     an endpoint a destroy will stop using is still there to be reused;
//  2. destroys;
//  3. only when every change is done, the cleanup: keys of destroyed
//     providers, endpoints this owner created that nothing uses any more,
//     and the orphans the plan listed.
func (r *run) apply(ctx context.Context, ops []*op) error {
	if err := r.connect(ctx, ops); err != nil {
		return err
	}
	ph := inPhases(ops)
	r.writes(ctx, ph.updates)
	r.writes(ctx, ph.creates)
	r.destroys(ctx, ph.glowDeletes, ph.gateflowDeletes)
	if r.opts.Verify {
		r.verify(ctx, append(ph.updates, ph.creates...))
	}
	r.cleanupIfComplete(ctx, ops)
	r.hook(func(h Hooks) { h.Summary(r.res) })
	return nil
}

// phases are a run's operations by the step of apply that makes them.
type phases struct {
	updates, creates             []*op
	glowDeletes, gateflowDeletes []*op
}

func inPhases(ops []*op) phases {
	var ph phases
	for _, o := range ops {
		switch {
		case o.change.Action() == plan.ActionDelete && o.change.Type == objects.TypeGlowProvider:
			ph.glowDeletes = append(ph.glowDeletes, o)
		case o.change.Action() == plan.ActionDelete:
			ph.gateflowDeletes = append(ph.gateflowDeletes, o)
		case o.change.Action() == plan.ActionCreate:
			ph.creates = append(ph.creates, o)
		default:
			ph.updates = append(ph.updates, o)
		}
	}
	return ph
}

// connect sets up the per-service operations the plan needs, refusing
// before the first call when a service it changes has no client. Glow's
// endpoints are read first: their URLs let a create reuse one, and their
// names tell the ones this owner created (and may delete) apart.
func (r *run) connect(ctx context.Context, ops []*op) error {
	needGlow, needGateflow := len(r.plan.Orphans) > 0, false
	for _, o := range ops {
		switch o.change.Type {
		case objects.TypeGlowProvider:
			needGlow = true
		case objects.TypeGateflowProvider:
			needGateflow = true
		}
	}
	if needGlow && r.deps.Glow == nil {
		return errors.New("apply: the plan changes Glow providers but no Glow client is configured")
	}
	if needGateflow && r.deps.Gateflow == nil {
		return errors.New("apply: the plan changes Gateflow providers but no Gateflow client is configured")
	}
	if needGlow {
		known := map[string]string{}
		r.endpointNames = map[string]string{}
		eps, err := api.Collect(r.deps.Glow.ListEndpoints(ctx))
		if err != nil {
			return fmt.Errorf("apply: reading Glow endpoints: %w", err)
		}
		for _, e := range eps {
			known[e.ID] = e.URL
			r.endpointNames[e.ID] = e.Name
		}
		r.glow = crud.NewOwnedGlow(r.deps.Glow, known, r.plan.Owner)
		r.glow.Parallelism = r.opts.Parallelism
	}
	if needGateflow {
		r.gateflow = &crud.Gateflow{Client: r.deps.Gateflow}
	}
	return nil
}

// destroys deletes the Glow providers in bulk and the Gateflow ones one
// by one, all at once within the parallelism, until apply is halted.
func (r *run) destroys(ctx context.Context, glowDeletes, gateflowDeletes []*op) {
	g := new(errgroup.Group)
	g.SetLimit(r.opts.Parallelism)
	if len(glowDeletes) > 0 {
		g.Go(func() error { r.destroyGlow(ctx, glowDeletes); return nil })
	}
	for _, o := range gateflowDeletes {
		if r.halted(ctx) {
			break
		}
		g.Go(func() error { r.destroyGateflow(ctx, o); return nil })
	}
	_ = g.Wait()
}

// cleanupIfComplete runs the cleanup once every change is done, or warns
// that what it would have deleted is left for the next apply.
func (r *run) cleanupIfComplete(ctx context.Context, ops []*op) {
	r.resMu.Lock()
	r.res.Stopped = r.res.Count(StatusNotStarted) > 0
	complete := r.res.Count(StatusDone) == len(r.res.Addresses)
	r.resMu.Unlock()
	if complete && ctx.Err() == nil {
		r.cleanup(ctx, ops)
	} else if r.cleanupPending(ops) {
		r.warn("cleanup skipped because not every change was made: the next plan lists the keys, endpoints and drafts left behind, and its apply deletes them")
	}
}

// writes runs creates or updates: updates sharing a patch in one bulk
// call, the other Glow creates and updates as one batch (crud.CreateMany,
// crud.UpdateMany: their keys and endpoints in one call per 500, then the
// providers), and Gateflow's one by one, in plan order.
func (r *run) writes(ctx context.Context, writes []*op) {
	bulks := map[string][]*op{}
	var glowBatch, singles []*op
	for _, o := range writes {
		switch {
		case o.bulk != "":
			bulks[o.bulk] = append(bulks[o.bulk], o)
		case o.glowCreate != nil || o.glowUpdate != nil:
			glowBatch = append(glowBatch, o)
		default:
			singles = append(singles, o)
		}
	}
	var groups [][]*op
	for _, key := range slices.Sorted(maps.Keys(bulks)) {
		if grp := bulks[key]; len(grp) > 1 {
			groups = append(groups, grp)
		} else {
			glowBatch = append(glowBatch, grp[0])
		}
	}
	slices.SortFunc(glowBatch, func(a, b *op) int { return a.index - b.index })
	slices.SortFunc(singles, func(a, b *op) int { return a.index - b.index })

	g := new(errgroup.Group)
	g.SetLimit(r.opts.Parallelism)
	for _, grp := range groups {
		if r.halted(ctx) {
			break
		}
		g.Go(func() error { r.bulkUpdate(ctx, grp); return nil })
	}
	if len(glowBatch) > 0 {
		g.Go(func() error { r.glowBatch(ctx, glowBatch); return nil })
	}
	for _, o := range singles {
		if r.halted(ctx) {
			break
		}
		g.Go(func() error { r.writeGateflow(ctx, o); return nil })
	}
	_ = g.Wait()
}

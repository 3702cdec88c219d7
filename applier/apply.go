// Package applier executes a plan against Glow and Gateflow, the way
// `terraform apply` executes a saved plan: it first checks that nothing the
// plan read has moved (CheckStale), then runs each address's change through
// the per-object operations of applier/crud, independent addresses in
// parallel, and reports per address what was done, what failed and what was
// not started, so that a failed apply can be finished by planning and
// applying again.
package applier

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/internal/english"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Deps are the services apply talks to. A nil client is an error only when
// the plan changes that service.
type Deps struct {
	Glow     *glow.Client
	Gateflow *gateflow.Client
	// Secrets reads the values to write, at the versions the plan recorded.
	Secrets SecretReader
	// Metadata serves the stale check; nil takes it from Secrets when that
	// implements MetadataReader (as *secrets.Resolver does).
	Metadata MetadataReader
	// LookupEnv reads env() secrets; nil is os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Credentials, when set, is told every secret value apply reads, so
	// that the caller can cut it out of everything it prints.
	Credentials CredentialSink
}

// CredentialSink learns the secret values a run holds; *redact.Registry
// implements it.
type CredentialSink interface {
	Add(name string, value sensitive.String)
}

func (d Deps) metadata() MetadataReader {
	if d.Metadata != nil {
		return d.Metadata
	}
	m, _ := d.Secrets.(MetadataReader)
	return m
}

// Options tune one apply.
type Options struct {
	// Parallelism bounds the operations in flight; 0 is
	// api.DefaultParallelism.
	Parallelism int
	// Verify tests the connection of every Gateflow provider configured or
	// changed and enabled, once the changes are done.
	Verify bool
	// Hooks receive every event, the closing summary included; nil
	// ignores them.
	Hooks Hooks
	// Stop, when closed, stops apply from starting new operations; those
	// in flight finish (the first Ctrl-C). Cancelling the context aborts
	// them too (the second).
	Stop <-chan struct{}
	// Now is the clock of the durations shown; nil is time.Now.
	Now func() time.Time
	// JustPlanned skips the stale check: the caller made p itself an
	// instant ago, with no pause between its live read and this call
	// (`apply DIR --auto-approve`), so the check would read again what
	// the plan just read, and its baseline is that read. A plan that
	// waited (for a person's answer, in a file) is checked.
	JustPlanned bool
}

// Status is what happened to one address.
type Status string

// Statuses.
const (
	StatusDone       Status = "done"
	StatusFailed     Status = "failed"
	StatusNotStarted Status = "not started"
)

// AddressResult is the outcome of one address.
type AddressResult struct {
	Address string
	Action  plan.Action
	// ID is the object's id afterwards (a created Glow provider's new id),
	// or before for a destroy.
	ID       string
	Status   Status
	Err      error
	Duration time.Duration
	// Notes are what the log should say besides the outcome: lost answers
	// resolved, keys left in place because another provider uses them.
	Notes []string
	// VerifyErr is the failed connection test of a Gateflow provider whose
	// change is done.
	VerifyErr error
}

// Result says per address what apply did.
type Result struct {
	Addresses []AddressResult
	// Added, Changed and Destroyed count the completed changes.
	Added, Changed, Destroyed int
	// Warnings are things left behind that no plan will show: keys or
	// endpoints that could not be deleted after their provider was.
	Warnings []string
	// Stopped is true when Stop was closed or the context cancelled before
	// every address started.
	Stopped bool
}

// Err joins the failures; nil when every address is done and verified.
func (r *Result) Err() error {
	var errs []error
	for _, a := range r.Addresses {
		switch {
		case a.Status == StatusFailed:
			errs = append(errs, fmt.Errorf("%s: %w", a.Address, a.Err))
		case a.VerifyErr != nil:
			errs = append(errs, fmt.Errorf("%s: %w", a.Address, a.VerifyErr))
		}
	}
	if n := r.Count(StatusNotStarted); n > 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("apply was stopped: %d changes were not started", n))
	}
	return errors.Join(errs...)
}

// Count is the number of addresses with status s.
func (r *Result) Count(s Status) int {
	n := 0
	for _, a := range r.Addresses {
		if a.Status == s {
			n++
		}
	}
	return n
}

// Apply executes p after checking that it is not stale. p must carry the
// typed objects of its changes (plan.Change.Subjects), as a plan just made
// or re-derived from a plan file does. The error is non-nil when nothing
// was started (a stale plan, a plan without its objects) or when some
// address failed; in the latter case the Result says which, and what was
// done.
func Apply(ctx context.Context, p *plan.Plan, deps Deps, opts Options) (*Result, error) {
	if p == nil {
		return nil, errors.New("apply: no plan")
	}
	ops, err := buildOps(p)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, o := range ops {
		c := o.change
		res.Addresses = append(res.Addresses, AddressResult{Address: c.Address, Action: c.Action(), ID: c.ID, Status: StatusNotStarted})
	}
	if opts.Hooks == nil {
		opts.Hooks = NoHooks{}
	}
	if len(ops) == 0 && len(p.Orphans) == 0 {
		opts.Hooks.Summary(res)
		return res, nil
	}
	if !opts.JustPlanned {
		if err := checkStale(ctx, p, ops, deps); err != nil {
			return nil, err
		}
	}
	for _, o := range ops {
		opts.Hooks.PlannedChange(o.operation())
	}
	r := &run{deps: deps, opts: opts, res: res, plan: p, secrets: newSecretCache(deps.Secrets, deps.LookupEnv, deps.Credentials)}
	if r.opts.Parallelism <= 0 {
		r.opts.Parallelism = api.DefaultParallelism
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	if err := r.apply(ctx, ops); err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return res, err
	}
	return res, nil
}

type run struct {
	deps Deps
	opts Options
	plan *plan.Plan
	// endpointNames are the names of the endpoints read at the start,
	// which tell the ones this owner created (and may delete) apart.
	endpointNames map[string]string
	secrets       *secretCache
	glow          *crud.Glow
	gateflow      *crud.Gateflow

	failed atomic.Bool
	// outMu makes the hooks' calls one at a time, and ended counts the
	// operations that ended, under it: the N of each Outcome.
	outMu sync.Mutex
	ended int
	resMu sync.Mutex
	res   *Result
}

// halted reports whether new operations must not start: one failed, Stop
// was closed or the context is done.
func (r *run) halted(ctx context.Context) bool {
	if r.failed.Load() || ctx.Err() != nil {
		return true
	}
	select {
	case <-r.opts.Stop:
		return true
	default:
		return false
	}
}

// hook calls f with the hooks, one call at a time.
func (r *run) hook(f func(Hooks)) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	f(r.opts.Hooks)
}

func (r *run) message(msg string) { r.hook(func(h Hooks) { h.Message(msg) }) }

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
	var glowDeletes, gateflowDeletes, updates, creates []*op
	needGlow, needGateflow := len(r.plan.Orphans) > 0, false
	for _, o := range ops {
		switch o.change.Type {
		case objects.TypeGlowProvider:
			needGlow = true
		case objects.TypeGateflowProvider:
			needGateflow = true
		}
		switch {
		case o.change.Action() == plan.ActionDelete && o.change.Type == objects.TypeGlowProvider:
			glowDeletes = append(glowDeletes, o)
		case o.change.Action() == plan.ActionDelete:
			gateflowDeletes = append(gateflowDeletes, o)
		case o.change.Action() == plan.ActionCreate:
			creates = append(creates, o)
		default:
			updates = append(updates, o)
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

	r.writes(ctx, updates)
	r.writes(ctx, creates)

	g := new(errgroup.Group)
	g.SetLimit(r.opts.Parallelism)
	if len(glowDeletes) > 0 {
		g.Go(func() error { r.destroyGlow(ctx, glowDeletes); return nil })
	}
	for _, o := range gateflowDeletes {
		if r.halted(ctx) {
			break
		}
		g.Go(func() error {
			r.step(ctx, o, func() (string, []string, error) {
				return o.change.ID, nil, r.gateflow.Delete(ctx, o.change.ID)
			})
			return nil
		})
	}
	_ = g.Wait()

	if r.opts.Verify {
		r.verify(ctx, append(updates, creates...))
	}
	r.resMu.Lock()
	r.res.Stopped = r.res.Count(StatusNotStarted) > 0
	complete := r.res.Count(StatusDone) == len(r.res.Addresses)
	r.resMu.Unlock()
	if complete && ctx.Err() == nil {
		r.cleanup(ctx, ops)
	} else if r.cleanupPending(ops) {
		r.warn("cleanup skipped because not every change was made: the next plan lists the keys, endpoints and drafts left behind, and its apply deletes them")
	}
	r.hook(func(h Hooks) { h.Summary(r.res) })
	return nil
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
		g.Go(func() error { r.write(ctx, o); return nil })
	}
	_ = g.Wait()
}

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

func (r *run) cleanupPending(ops []*op) bool {
	if len(r.plan.Orphans) > 0 {
		return true
	}
	for _, o := range ops {
		if len(o.keyIDs) > 0 || len(o.freedEndpoints) > 0 {
			return true
		}
	}
	return false
}

// cleanup deletes what the changes left attached to nothing and the
// orphans the plan listed. Glow refuses to delete a key or endpoint that a
// provider still uses (in_use), which covers one used by a provider the
// token cannot see: those stay.
func (r *run) cleanup(ctx context.Context, ops []*op) {
	var keyIDs, endpointIDs, draftIDs []string
	for _, o := range ops {
		keyIDs = append(keyIDs, o.keyIDs...)
		for _, id := range o.freedEndpoints {
			// Only endpoints this owner created: one made by hand may be
			// meant for providers that do not exist yet.
			if r.plan.Owner != "" && objects.EndpointOwner(r.endpointNames[id]) == r.plan.Owner {
				endpointIDs = append(endpointIDs, id)
			}
		}
	}
	for _, orphan := range r.plan.Orphans {
		switch orphan.Kind {
		case plan.OrphanKey:
			keyIDs = append(keyIDs, orphan.ID)
		case plan.OrphanEndpoint:
			endpointIDs = append(endpointIDs, orphan.ID)
		case plan.OrphanDraft:
			draftIDs = append(draftIDs, orphan.ID)
		}
	}
	if len(keyIDs) == 0 && len(endpointIDs) == 0 && len(draftIDs) == 0 {
		return
	}
	r.message("Cleaning up: " + cleanupWords(len(dedupe(keyIDs)), len(dedupe(endpointIDs)), len(dedupe(draftIDs))))
	// Drafts first: a draft may hold the last reference to a key.
	for _, id := range dedupe(draftIDs) {
		if err := r.glow.Client.DiscardDraft(ctx, id); err != nil && !errors.Is(err, api.ErrNotFound) {
			r.warn(fmt.Sprintf("draft %s was not discarded: %v", id, err))
		}
	}
	if ids := dedupe(keyIDs); len(ids) > 0 {
		_, inUse, err := r.glow.DeleteKeys(ctx, ids)
		if err != nil {
			r.warn(fmt.Sprintf("keys left behind were not all deleted: %v", err))
		}
		if len(inUse) > 0 {
			r.note(fmt.Sprintf("keys still used by another provider were left in place: %s", strings.Join(inUse, ", ")))
		}
	}
	if ids := dedupe(endpointIDs); len(ids) > 0 {
		if _, _, err := r.glow.DeleteEndpoints(ctx, ids); err != nil {
			r.warn(fmt.Sprintf("endpoints left behind were not all deleted: %v", err))
		}
	}
	r.message("Cleanup complete")
}

func cleanupWords(keys, endpoints, drafts int) string {
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, english.Count(n, one, many))
		}
	}
	add(keys, "key", "keys")
	add(endpoints, "endpoint", "endpoints")
	add(drafts, "draft", "drafts")
	return strings.Join(parts, ", ") + " attached to nothing"
}

// begin marks an address as started and prints its first line; false when
// apply is halted and the address must stay not started.
func (r *run) begin(ctx context.Context, o *op) (time.Time, bool) {
	if r.halted(ctx) {
		return time.Time{}, false
	}
	r.hook(func(h Hooks) { h.Started(o.operation()) })
	return r.opts.Now(), true
}

// finish records an address's outcome and prints its last line.
func (r *run) finish(o *op, began time.Time, id string, notes []string, err error) {
	d := r.opts.Now().Sub(began)
	r.resMu.Lock()
	a := &r.res.Addresses[o.index]
	a.Duration, a.Notes = d, append(a.Notes, notes...)
	if id != "" {
		a.ID = id
	}
	if err != nil {
		a.Status, a.Err = StatusFailed, err
	} else {
		a.Status = StatusDone
		switch o.change.Action() {
		case plan.ActionCreate:
			r.res.Added++
		case plan.ActionDelete:
			r.res.Destroyed++
		default:
			r.res.Changed++
		}
	}
	total := len(r.res.Addresses)
	r.resMu.Unlock()
	if err != nil {
		r.failed.Store(true)
	}
	r.hook(func(h Hooks) {
		r.ended++
		h.Finished(o.operation(), Outcome{ID: id, Elapsed: d, Err: err, N: r.ended, Total: total})
	})
}

func (r *run) step(ctx context.Context, o *op, f func() (id string, notes []string, err error)) {
	began, ok := r.begin(ctx, o)
	if !ok {
		return
	}
	id, notes, err := f()
	r.finish(o, began, id, notes, err)
}

func (r *run) write(ctx context.Context, o *op) {
	r.step(ctx, o, func() (string, []string, error) {
		switch {
		case o.gateflowCreate != nil:
			spec := *o.gateflowCreate
			creds, err := r.credentials(ctx, o.credentials)
			if err != nil {
				return spec.ProviderID, nil, err
			}
			spec.Credentials = creds
			_, err = r.gateflow.Create(ctx, spec)
			return spec.ProviderID, nil, err
		case o.gateflowUpdate != nil:
			u := *o.gateflowUpdate
			if o.credentials != nil {
				creds, err := r.credentials(ctx, o.credentials)
				if err != nil {
					return u.ProviderID, nil, err
				}
				u.Credentials = creds
			}
			_, err := r.gateflow.Update(ctx, u)
			return u.ProviderID, nil, err
		}
		return "", nil, fmt.Errorf("nothing to do for %s", o.change.Action())
	})
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

func (r *run) credentials(ctx context.Context, srcs map[string]secretref.Source) (map[string]sensitive.String, error) {
	out := make(map[string]sensitive.String, len(srcs))
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		v, err := r.secrets.get(ctx, srcs[name])
		if err != nil {
			return nil, fmt.Errorf("credential %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// buildOps turns every change of p but the no-ops into an operation, in
// plan order; op.index is its place in Result.Addresses.
func buildOps(p *plan.Plan) ([]*op, error) {
	var ops []*op
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action() == plan.ActionNoOp {
			continue
		}
		o, err := buildOp(c)
		if err != nil {
			return nil, fmt.Errorf("apply: %w; plan again", err)
		}
		o.index = len(ops)
		ops = append(ops, o)
	}
	return ops, nil
}

// beginAll starts the operations of one batched call, in order, until
// apply is stopped; the call then carries only those that started.
func (r *run) beginAll(ctx context.Context, ops []*op) (started []*op, began time.Time) {
	for _, o := range ops {
		t, ok := r.begin(ctx, o)
		if !ok {
			break
		}
		began = t
		started = append(started, o)
	}
	return started, began
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

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func (r *run) warn(msg string) {
	r.resMu.Lock()
	r.res.Warnings = append(r.res.Warnings, msg)
	r.resMu.Unlock()
}

func (r *run) note(msg string) { r.message(msg) }

// verify tests every enabled Gateflow provider this apply configured or
// changed. A failed test does not undo the change; it makes apply fail so
// that the user looks.
func (r *run) verify(ctx context.Context, writes []*op) {
	g := new(errgroup.Group)
	g.SetLimit(r.opts.Parallelism)
	for _, o := range writes {
		if o.change.Type != objects.TypeGateflowProvider {
			continue
		}
		r.resMu.Lock()
		done := r.res.Addresses[o.index].Status == StatusDone
		r.resMu.Unlock()
		if !done || !o.gateflowEnabled {
			continue
		}
		g.Go(func() error {
			_, err := r.gateflow.Verify(ctx, o.change.ID)
			r.hook(func(h Hooks) { h.Verified(o.operation(), err) })
			r.resMu.Lock()
			r.res.Addresses[o.index].VerifyErr = err
			r.resMu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
}

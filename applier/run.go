package applier

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// The run's bookkeeping: which addresses started and ended, the hooks
// called one at a time, and whether new operations may still start.

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

func (r *run) warn(msg string) {
	r.resMu.Lock()
	r.res.Warnings = append(r.res.Warnings, msg)
	r.resMu.Unlock()
}

func (r *run) note(msg string) { r.message(msg) }

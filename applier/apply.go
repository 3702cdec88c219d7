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
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/plan"
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

package applier

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// writeGateflow creates or updates one Gateflow provider, with the
// credentials its secrets hold.
func (r *run) writeGateflow(ctx context.Context, o *op) {
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

// credentials reads the values a Gateflow provider is given, by name.
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

// destroyGateflow deletes one Gateflow provider.
func (r *run) destroyGateflow(ctx context.Context, o *op) {
	r.step(ctx, o, func() (string, []string, error) {
		return o.change.ID, nil, r.gateflow.Delete(ctx, o.change.ID)
	})
}

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

package applier

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// ErrStale matches every *StaleError.
var ErrStale = errors.New("the plan is stale")

// StaleError lists the objects that moved since the plan read them.
type StaleError struct {
	Objects []StaleObject
}

// StaleObject is one object that moved, and how.
type StaleObject struct {
	Address string
	Reason  string
}

func (e *StaleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the plan is stale: %d object(s) changed since it was made, so applying it could overwrite those changes:", len(e.Objects))
	for _, o := range e.Objects {
		fmt.Fprintf(&b, "\n  - %s: %s", o.Address, o.Reason)
	}
	b.WriteString("\nNothing was changed. Run plan again and review the new plan.")
	return b.String()
}

// Is matches ErrStale.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// glowSearchThreshold is the number of Glow providers above which one full
// search (⌈N/500⌉ calls) is cheaper than one get per provider.
const glowSearchThreshold = 10

// CheckStale refuses a plan when an object it read has changed since: a
// Glow provider's version, a Gateflow provider's updated_at, settings or
// state, a provider now present where the plan creates one, or a Vault
// version the plan writes that was deleted, destroyed, recreated or
// superseded by one written after the plan. It reads only metadata and
// never a secret value. The error is a *StaleError naming every moved
// object, or the error of a read that failed.
func CheckStale(ctx context.Context, p *plan.Plan, deps Deps) error {
	ops, err := buildOps(p)
	if err != nil {
		return err
	}
	return checkStale(ctx, p, ops, deps)
}

func checkStale(ctx context.Context, p *plan.Plan, ops []*op, deps Deps) error {
	var (
		mu    sync.Mutex
		stale []StaleObject
	)
	add := func(addr, format string, args ...any) {
		mu.Lock()
		stale = append(stale, StaleObject{Address: addr, Reason: fmt.Sprintf(format, args...)})
		mu.Unlock()
	}
	var glowOps, gateflowOps []*op
	for _, o := range ops {
		if o.change.Type == objects.TypeGlowProvider {
			glowOps = append(glowOps, o)
		} else {
			gateflowOps = append(gateflowOps, o)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(api.DefaultParallelism)
	if len(glowOps) > 0 {
		if deps.Glow == nil {
			return errors.New("apply: the plan changes Glow providers but no Glow client is configured")
		}
		g.Go(func() error { return staleGlow(gctx, deps.Glow, glowOps, add) })
	}
	for _, o := range gateflowOps {
		if deps.Gateflow == nil {
			return errors.New("apply: the plan changes Gateflow providers but no Gateflow client is configured")
		}
		g.Go(func() error { return staleGateflow(gctx, deps, o, add) })
	}
	if err := staleSecrets(gctx, g, p, ops, deps, add); err != nil {
		_ = g.Wait()
		return err
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("apply: checking that the plan is current: %w", err)
	}
	if len(stale) == 0 {
		return nil
	}
	slices.SortFunc(stale, func(a, b StaleObject) int {
		return strings.Compare(a.Address+"\x00"+a.Reason, b.Address+"\x00"+b.Reason)
	})
	return &StaleError{Objects: slices.Compact(stale)}
}

func staleGlow(ctx context.Context, c *glow.Client, ops []*op, add func(string, string, ...any)) error {
	live, all, err := readLiveGlow(ctx, c, ops)
	if err != nil {
		return err
	}
	for _, o := range ops {
		switch o.change.Action() {
		case plan.ActionCreate:
			staleGlowCreate(o, all, add)
		case plan.ActionUpdate, plan.ActionDelete:
			staleGlowExisting(o.change, live, add)
		}
	}
	return nil
}

// readLiveGlow reads the Glow providers the ops change, by ID. A create
// needs every provider (all), to find one that now takes its place; so do
// more updates than glowSearchThreshold, for which one search is cheaper
// than a get each. A provider not found is absent from live.
func readLiveGlow(ctx context.Context, c *glow.Client, ops []*op) (live map[string]*glow.Provider, all []glow.Provider, err error) {
	var ids []string
	creates := false
	for _, o := range ops {
		if o.change.Action() == plan.ActionCreate {
			creates = true
		} else {
			ids = append(ids, o.change.ID)
		}
	}
	live = map[string]*glow.Provider{}
	if creates || len(ids) > glowSearchThreshold {
		if all, err = api.Collect(c.Search(ctx, glow.SearchRequest{})); err != nil {
			return nil, nil, err
		}
		for i := range all {
			live[all[i].ID] = &all[i]
		}
		return live, all, nil
	}
	for _, id := range ids {
		d, err := c.GetProvider(ctx, id)
		if errors.Is(err, api.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		live[id] = &d.Provider
	}
	return live, nil, nil
}

// staleGlowCreate reports a live provider that now carries the marker the
// create would write, or that now has its name in its departments.
func staleGlowCreate(o *op, all []glow.Provider, add func(string, string, ...any)) {
	ch, spec := o.change, o.glowCreate
	want := objects.NewSet(spec.Departments...)
	for _, lp := range all {
		_, own := objects.SplitMarker(lp.Values)
		switch {
		case spec.Marker != nil && own.OwnedBy(spec.Marker.Identity()) && own.Marker.Address == spec.Marker.Address:
			add(ch.Address, "Glow provider %s (%q) now carries this configuration's ownership marker for it; the plan creates one", lp.ID, lp.Name)
		case lp.Name == spec.Name && objects.SameNameScope(want, objects.NewSet(lp.DepartmentIDs...)):
			add(ch.Address, "Glow provider %s named %q now exists in its departments; the plan creates one", lp.ID, lp.Name)
		}
	}
}

// staleGlowExisting reports a provider the plan updates or deletes that
// was deleted, or moved to another version, since the plan read it.
func staleGlowExisting(ch *plan.Change, live map[string]*glow.Provider, add func(string, string, ...any)) {
	lp, ok := live[ch.ID]
	switch {
	case !ok && ch.Action() == plan.ActionDelete:
		// Already gone: the delete's goal holds.
	case !ok:
		add(ch.Address, "Glow provider %s was deleted", ch.ID)
	case lp.Version != ch.LiveVersion:
		add(ch.Address, "Glow provider %s is at version %d; the plan read version %d", ch.ID, lp.Version, ch.LiveVersion)
	}
}

func staleGateflow(ctx context.Context, deps Deps, o *op, add func(string, string, ...any)) error {
	ch := o.change
	lp, err := deps.Gateflow.Get(ctx, ch.ID)
	if err != nil {
		return err
	}
	if ch.Action() == plan.ActionCreate {
		if lp.Configured {
			add(ch.Address, "Gateflow provider %s is configured now; the plan configures it", ch.ID)
		}
		return nil
	}
	if !lp.Configured {
		if ch.Action() != plan.ActionDelete {
			add(ch.Address, "Gateflow provider %s is no longer configured", ch.ID)
		}
		return nil
	}
	if !objects.SameTime(lp.UpdatedAt, ch.LiveUpdatedAt) {
		add(ch.Address, "Gateflow provider %s was updated at %s; the plan read it as of %s", ch.ID, objects.FormatTime(lp.UpdatedAt), objects.FormatTime(ch.LiveUpdatedAt))
		return nil
	}
	l, err := objects.GateflowFromLive(*lp)
	if err != nil {
		return err
	}
	was := ch.Values().Before
	before, _ := was["settings"].(map[string]any)
	if !reflect.DeepEqual(nilIfEmpty(l.Settings), nilIfEmpty(before)) {
		add(ch.Address, "Gateflow provider %s has other settings than the plan read", ch.ID)
	}
	if en, ok := was["enabled"].(bool); ok && en != l.Enabled {
		add(ch.Address, "Gateflow provider %s was %s since the plan", ch.ID, map[bool]string{true: "enabled", false: "disabled"}[l.Enabled])
	}
	return nil
}

func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// staleSecrets checks every Vault version apply will write. The version must
// still be readable and be the one the plan saw (same created_time: a
// secret deleted and written again restarts its versions). A newer version
// written after the plan means the plan no longer shows what Vault holds;
// one written before it means the configuration pins the planned version.
func staleSecrets(ctx context.Context, g *errgroup.Group, p *plan.Plan, ops []*op, deps Deps, add func(string, string, ...any)) error {
	users := map[secretref.Source][]string{}
	var order []secretref.Source
	for _, o := range ops {
		for _, src := range o.secrets() {
			if src.VaultPath == "" || src.Version == 0 {
				continue // env() and KV v1 have no versions to compare
			}
			if _, ok := users[src]; !ok {
				order = append(order, src)
			}
			users[src] = append(users[src], o.addr())
		}
	}
	if len(order) == 0 {
		return nil
	}
	meta := deps.metadata()
	if meta == nil {
		return errors.New("apply: the plan writes Vault secrets but no Vault is configured")
	}
	planned := p.CreatedAt
	for _, src := range order {
		g.Go(func() error {
			reason, err := secretMoved(ctx, meta, src, planned)
			if err != nil {
				return err
			}
			if reason != "" {
				for _, addr := range dedupe(users[src]) {
					add(addr, "%s: %s", src, reason)
				}
			}
			return nil
		})
	}
	return nil
}

func secretMoved(ctx context.Context, meta MetadataReader, src secretref.Source, planned time.Time) (string, error) {
	ref := secretref.VaultRef{Path: src.VaultPath, Key: src.VaultKey, Version: src.Version}
	md, err := meta.Metadata(ctx, ref)
	switch {
	case errors.Is(err, secrets.ErrNotFound), errors.Is(err, secrets.ErrVersionNotFound),
		errors.Is(err, secrets.ErrVersionDeleted), errors.Is(err, secrets.ErrVersionDestroyed):
		return fmt.Sprintf("the planned version cannot be read any more (%v)", err), nil
	case err != nil:
		return "", err
	}
	if md.Deleted || md.Destroyed {
		return "the planned version was deleted", nil
	}
	if !src.CreatedTime.IsZero() && !md.CreatedTime.Equal(src.CreatedTime) {
		return fmt.Sprintf("version %d was written again (created %s; the plan saw %s)", src.Version,
			md.CreatedTime.UTC().Format(time.RFC3339), src.CreatedTime.UTC().Format(time.RFC3339)), nil
	}
	if md.CurrentVersion > src.Version {
		next, err := meta.Metadata(ctx, secretref.VaultRef{Path: src.VaultPath, Key: src.VaultKey, Version: src.Version + 1})
		if err != nil || next.CreatedTime.IsZero() || next.CreatedTime.After(planned) {
			return fmt.Sprintf("Vault now has version %d, written after the plan, which writes version %d", md.CurrentVersion, src.Version), nil
		}
	}
	return "", nil
}

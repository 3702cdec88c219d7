// Package diff compares the desired objects with the live ones and decides
// the plan: which live object each configuration block stands for, what to
// create, update, rotate and delete, what is unmanaged, and what is unsafe.
//
// It is pure: both sides come in as state snapshots and nothing is read from
// Glow, Gateflow or Vault here, so every rule is tested without a server.
package diff

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

// Options are the knobs of one plan.
type Options struct {
	// Targets limit the plan to these addresses; a target without an
	// instance key selects every instance of the block.
	Targets []objects.Address
	// PruneDepartments deletes undeclared Glow providers whose departments
	// are all in this list (a provider with no department is never pruned).
	PruneDepartments []string
	// PruneGateflow deletes undeclared configured Gateflow providers.
	PruneGateflow bool
	// Destroy plans the deletion of every declared object, like
	// `terraform plan -destroy`.
	Destroy bool
	// Rotate forces the rotation of these objects' secrets even when the
	// references and Vault metadata show nothing new (see docs/secrets.md
	// for what cannot be detected).
	Rotate []objects.Address
	// Baseline maps addresses to the desired digests of the last applied
	// plan (plan.Plan.Digests). With it, an update of an object whose
	// configuration has not changed since is reported as drift. Nil means no
	// baseline.
	Baseline map[string]string
	// ConfigChecksum is copied into the plan.
	ConfigChecksum string
	// Owner is the configuration's owner identity: live providers whose
	// ownership marker names it are this configuration's (docs/ownership.md).
	Owner string
	// Scope is what the Glow token can see; nil when unknown.
	Scope *objects.TokenScope
	// Now stamps the plan; the zero value means time.Now.
	Now time.Time
}

// cmpOpts treats nil and empty alike: Glow answers [] and {} where the
// configuration says nothing. Sets are normalized (objects.Set.Normalized)
// before they are compared rather than sorted by cmpopts.SortSlices, whose
// reflective sortedness check was half the cost of a 10,000-provider plan.
var cmpOpts = gocmp.Options{cmpopts.EquateEmpty()}

// TargetingWarning is the warning of every targeted plan.
var TargetingWarning = plan.Diagnostic{
	Summary: "Resource targeting is in effect",
	Detail: "You are creating a plan with the --target option, which means that the result of this plan may not " +
		"represent all of the changes requested by the current configuration.\n\n" +
		"The --target option is not for routine use, and is provided only for exceptional situations such as " +
		"recovering from errors or mistakes, or when Switchboard specifically suggests to use it as part of an " +
		"error message.",
}

// ScopeUnknownWarning is the warning of a plan whose Glow does not say what
// the token can see.
var ScopeUnknownWarning = plan.Diagnostic{
	Summary: "Glow does not say what this token can see",
	Detail: "Glow answered 404 to POST /token/self, so the plan cannot tell a provider that does not exist from one " +
		"outside a department-scoped token's reach. If the token is scoped, a planned create may fail at apply with 403 " +
		"or a name conflict.",
}

// Diff plans the changes that make live match desired. The error lists
// every problem found (ambiguous identities, prevent_destroy), joined; no
// partial plan is returned with it.
func Diff(desired, live objects.Snapshot, opts Options) (*plan.Plan, error) {
	d := &differ{opts: opts, prune: objects.NewSet(opts.PruneDepartments...), scope: opts.Scope}
	if len(live.GlowModels) > 0 {
		d.modelNames = make(map[string]string, len(live.GlowModels))
		for _, m := range live.GlowModels {
			d.modelNames[m.ID] = m.Name
		}
	}
	d.glow(desired.Glow, live.Glow)
	d.gateflow(desired.Gateflow, live.Gateflow)
	d.orphans(live)

	p := &plan.Plan{
		FormatVersion:  plan.FormatVersion,
		ConfigChecksum: opts.ConfigChecksum,
		CreatedAt:      opts.Now,
		DriftBaseline:  opts.Baseline != nil,
		Owner:          opts.Owner,
		Unmanaged:      d.unmanaged,
		Orphans:        d.orphaned,
	}
	if opts.Scope != nil && !opts.Scope.Known {
		p.Warnings = append(p.Warnings, ScopeUnknownWarning)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	changes := d.changes
	if len(opts.Targets) > 0 {
		changes, p.Warnings = d.target(changes)
		// Objects outside the targets are not part of the plan, and neither
		// are the lists of objects nobody declared or that nothing uses.
		p.Unmanaged, p.Orphans = nil, nil
		for _, t := range opts.Targets {
			p.Targets = append(p.Targets, string(t))
		}
	}
	slices.SortFunc(changes, func(a, b plan.Change) int { return cmp.Compare(a.Address, b.Address) })
	slices.SortFunc(p.Unmanaged, func(a, b plan.Unmanaged) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
	})
	p.Changes = changes
	for _, c := range changes {
		if c.Action() == plan.ActionDelete && d.protected[c.Address] {
			d.errs = append(d.errs, fmt.Errorf("instance cannot be destroyed: %s has lifecycle.prevent_destroy set, "+
				"but the plan calls for it to be destroyed. To avoid this error and continue with the plan, either "+
				"disable lifecycle.prevent_destroy or reduce the scope of the plan using the --target option", c.Address))
		}
	}
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	p.Summarize()
	return p, nil
}

type differ struct {
	opts      Options
	orphaned  []plan.Orphan
	prune     objects.Set
	scope     *objects.TokenScope
	changes   []plan.Change
	unmanaged []plan.Unmanaged
	protected map[string]bool
	errs      []error
	// modelNames are the names of the models that use a destroyed
	// provider, by id, when the live snapshot has them.
	modelNames map[string]string
}

func (d *differ) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf(format, args...))
}

func (d *differ) rotateForced(a objects.Address) bool {
	for _, t := range d.opts.Rotate {
		if a.Matches(t) {
			return true
		}
	}
	return false
}

func (d *differ) protect(a string) {
	if d.protected == nil {
		d.protected = map[string]bool{}
	}
	d.protected[a] = true
}

// target keeps the changes the targets select, and warns about targets that
// select nothing, which is most often a typo.
func (d *differ) target(changes []plan.Change) ([]plan.Change, []plan.Diagnostic) {
	warnings := []plan.Diagnostic{TargetingWarning}
	used := make([]bool, len(d.opts.Targets))
	kept := changes[:0]
	for _, c := range changes {
		keep := false
		for i, t := range d.opts.Targets {
			if objects.Address(c.Address).Matches(t) {
				keep, used[i] = true, true
			}
		}
		if keep {
			kept = append(kept, c)
		}
	}
	for i, t := range d.opts.Targets {
		if !used[i] {
			warnings = append(warnings, plan.Diagnostic{
				Summary: fmt.Sprintf("Target %s matches nothing", t),
				Detail:  "No declared or undeclared object has this address; check it for a typo.",
			})
		}
	}
	return kept, warnings
}

// changeFor starts a change with its identity fields.
func changeFor(addr objects.Address, providerName, id string) plan.Change {
	name := addr.Resource().Name()
	if strings.HasPrefix(string(addr), objects.UndeclaredPrefix) || name == "" {
		name = id
	}
	return plan.Change{
		Address:      string(addr),
		Type:         addr.Type(),
		Name:         name,
		ProviderName: providerName,
		ID:           id,
	}
}

// finish sets the action from the fields, rotations and marker writes
// found.
func finish(c *plan.Change) {
	if len(c.Fields) > 0 || len(c.Rotations) > 0 || c.Marker != nil {
		c.Actions = []plan.Action{plan.ActionUpdate}
	} else {
		c.Actions = []plan.Action{plan.ActionNoOp}
	}
}

// drift applies the baseline rule (see docs/plan-format.md): an update of an
// object whose configuration is unchanged since the last apply can only come
// from a change made outside Switchboard.
//
// A rotation is never drift: a new Vault version changes no configuration
// and no live field, so only changes of fields other than rotated secrets
// count.
func (d *differ) drift(c *plan.Change, updatedAt *time.Time) {
	if c.Action() != plan.ActionUpdate || d.opts.Baseline == nil || c.Adopt != nil || !changesBesidesRotations(c) {
		return
	}
	if d.opts.Baseline[c.Address] != c.DesiredDigest {
		return
	}
	reason := "configuration unchanged since the last apply, so the live object was changed outside Switchboard"
	if updatedAt != nil && !updatedAt.IsZero() {
		reason += fmt.Sprintf("; last changed %s", updatedAt.UTC().Format(time.RFC3339))
	}
	c.Drift = true
	c.DriftReasons = append(c.DriftReasons, reason)
}

func changesBesidesRotations(c *plan.Change) bool {
	for _, f := range c.Fields {
		if !f.Sensitive {
			return true
		}
		for _, e := range f.Entries {
			if !e.Rotate {
				return true
			}
		}
	}
	return false
}

// scalarField records a scalar change when before and after differ.
func scalarField(c *plan.Change, field string, before, after any) {
	if !gocmp.Equal(before, after, cmpOpts) {
		c.Fields = append(c.Fields, plan.FieldChange{Field: field, Kind: plan.FieldScalar, Before: before, After: after})
	}
}

// setField records the elements added and removed when two sets differ.
func setField(c *plan.Change, field string, before, after objects.Set) {
	b, a := before.Normalized(), after.Normalized()
	if gocmp.Equal(b, a, cmpOpts) {
		return
	}
	fc := plan.FieldChange{Field: field, Kind: plan.FieldSet}
	for _, e := range a {
		if !b.Has(e) {
			fc.Added = append(fc.Added, e)
		}
	}
	for _, e := range b {
		if a.Has(e) {
			fc.Unchanged++
		} else {
			fc.Removed = append(fc.Removed, e)
		}
	}
	c.Fields = append(c.Fields, fc)
}

// mapField records the entries created, updated and deleted when two maps
// of JSON values differ.
func mapField(c *plan.Change, field string, before, after map[string]any) {
	if gocmp.Equal(before, after, cmpOpts) {
		return
	}
	fc := plan.FieldChange{Field: field, Kind: plan.FieldMap}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		bv, ok := before[k]
		switch {
		case !ok:
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: k, Action: plan.ActionCreate, After: after[k]})
		case !gocmp.Equal(bv, after[k], cmpOpts):
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: k, Action: plan.ActionUpdate, Before: bv, After: after[k]})
		default:
			fc.Unchanged++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[k]; !ok {
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: k, Action: plan.ActionDelete, Before: before[k]})
		}
	}
	slices.SortStableFunc(fc.Entries, func(a, b plan.EntryChange) int { return cmp.Compare(a.Key, b.Key) })
	c.Fields = append(c.Fields, fc)
}

func joinIDs(ids []string) string {
	return strings.Join(ids, ", ")
}

// gateflowKnown reports whether id can be configured although the live
// snapshot has no entry for it (Gateflow's catalogue is fixed).
func gateflowKnown(id string) bool { return catalogue.IsProviderID(id) }

// orphans lists what this owner made that nothing uses: keys attached to no
// provider, endpoints no provider uses, and this token's open drafts of
// providers this owner marked. They are what an interrupted apply leaves
// behind, and apply deletes them last.
func (d *differ) orphans(live objects.Snapshot) {
	if d.opts.Owner == "" {
		return
	}
	keys := map[string]bool{}
	endpoints := map[string]bool{}
	for i := range live.Glow {
		for _, k := range live.Glow[i].Keys {
			keys[k.KeyID] = true
		}
		for _, id := range live.Glow[i].EndpointIDs {
			endpoints[id] = true
		}
	}
	for _, k := range live.GlowKeys {
		if _, _, owner, ok := secretref.ParseOwnedKeyName(k.Name); ok && owner == d.opts.Owner && !keys[k.ID] {
			d.orphaned = append(d.orphaned, plan.Orphan{Kind: plan.OrphanKey, ID: k.ID, Name: k.Name})
		}
	}
	for _, e := range live.GlowEndpoints {
		if objects.EndpointOwner(e.Name) == d.opts.Owner && !endpoints[e.ID] {
			d.orphaned = append(d.orphaned, plan.Orphan{Kind: plan.OrphanEndpoint, ID: e.ID, Name: e.Name, URL: e.URL})
		}
	}
	for _, dr := range live.GlowDrafts {
		if dr.Ownership.OwnedBy(d.opts.Owner) {
			d.orphaned = append(d.orphaned, plan.Orphan{Kind: plan.OrphanDraft, ID: dr.ID, Name: dr.Name, ProviderID: dr.ProviderID})
		}
	}
	slices.SortFunc(d.orphaned, func(a, b plan.Orphan) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID)) })
}

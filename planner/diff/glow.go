package diff

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

// glowManaged is the part of a Glow provider that the configuration sets,
// compared in one go-cmp call before any field-by-field work: most objects
// of a large plan are unchanged.
type glowManaged struct {
	Name        string
	Description string
	Departments objects.Set
	Endpoints   objects.Set
	Values      map[string]string
}

func managedGlow(g *objects.GlowProvider) glowManaged {
	return glowManaged{g.Name, g.Description, g.Departments.Normalized(), g.Endpoints.Normalized(), g.Values}
}

// glow matches desired to live providers and plans each of them
// (docs/ownership.md). A block binds, in this order:
//
//  1. to the live provider whose ownership marker names this owner and the
//     block's address;
//  2. to the provider its id pins;
//  3. by name within a shared department: to a provider this owner marked
//     under an address that is no longer declared (the block was renamed),
//     or to an unmarked provider, which is an adoption and needs adopt =
//     true, a pinned id or prune_departments covering the provider. A name
//     match with an object another configuration owns is an error.
//
// Live providers this owner marked that no block binds were removed from the
// configuration and are destroyed; everything else is unmanaged.
func (d *differ) glow(desired, live []objects.GlowProvider) {
	b := d.newGlowBinder(desired, live)
	pairs := b.bindAll(desired)
	d.planGlowPairs(pairs)
	d.planGlowUnbound(live, b.claimedBy)
}

// glowBinder holds the live providers indexed the three ways a block can
// bind to one, and which live provider each block has bound so far.
type glowBinder struct {
	d        *differ
	live     []objects.GlowProvider
	byID     map[string]int
	byName   map[string][]int
	byMarker map[objects.Address]int
	// declared are the addresses of the configuration's blocks.
	declared  map[objects.Address]bool
	claimedBy map[int]objects.Address
}

// glowPair is a block and the live provider it binds, if any, with why it
// does when that is an adoption or a move from another address.
type glowPair struct {
	desired *objects.GlowProvider
	live    *objects.GlowProvider
	adopt   *plan.Adoption
	moved   objects.Address
}

// newGlowBinder indexes live, reporting two providers that carry this
// owner's marker for the same address.
func (d *differ) newGlowBinder(desired, live []objects.GlowProvider) *glowBinder {
	b := &glowBinder{
		d:         d,
		live:      live,
		byID:      make(map[string]int, len(live)),
		byName:    make(map[string][]int, len(live)),
		byMarker:  make(map[objects.Address]int, len(live)),
		declared:  make(map[objects.Address]bool, len(desired)),
		claimedBy: make(map[int]objects.Address, len(desired)),
	}
	for i := range live {
		b.byID[live[i].ID] = i
		b.byName[live[i].Name] = append(b.byName[live[i].Name], i)
		if live[i].Ownership.OwnedBy(d.opts.Owner) {
			addr := live[i].Ownership.Marker.Address
			if j, dup := b.byMarker[addr]; dup {
				d.errorf("Glow providers %s and %s both carry this configuration's ownership marker for %s; delete one of them or remove the marker from one by hand",
					glowRef(&live[j]), glowRef(&live[i]), addr)
				continue
			}
			b.byMarker[addr] = i
		}
	}
	for i := range desired {
		b.declared[desired[i].Address] = true
	}
	return b
}

// bindAll binds each block, in order, to at most one live provider that no
// other block binds. A block that cannot be bound safely is reported and
// left out.
func (b *glowBinder) bindAll(desired []objects.GlowProvider) []glowPair {
	d := b.d
	seen := make(map[objects.Address]bool, len(desired))
	pairs := make([]glowPair, 0, len(desired))
	for i := range desired {
		want := &desired[i]
		if seen[want.Address] {
			d.errorf("%s is declared twice", want.Address)
			continue
		}
		seen[want.Address] = true
		p := glowPair{desired: want}
		match, ok := b.match(want, &p)
		if !ok {
			continue
		}
		if match < 0 {
			if !d.scope.Sees(want.Departments) {
				d.errorf("%s: the Glow token is scoped to departments %s and cannot see providers in %s, so the plan cannot tell whether this provider exists; plan with a token whose scope covers them",
					want.Address, joinIDs(d.scope.Departments), departmentsWord(want.Departments))
				continue
			}
			pairs = append(pairs, p)
			continue
		}
		if other, ok := b.claimedBy[match]; ok {
			d.errorf("%s and %s both match live Glow provider %s (%q)", other, want.Address, b.live[match].ID, b.live[match].Name)
			continue
		}
		b.claimedBy[match] = want.Address
		p.live = &b.live[match]
		pairs = append(pairs, p)
	}
	return pairs
}

// match finds the live provider want binds, by marker, pinned id or name in
// that order, setting p's adoption or move: its index, -1 for none, and
// false when binding is refused (reported).
func (b *glowBinder) match(want *objects.GlowProvider, p *glowPair) (int, bool) {
	if j, ok := b.byMarker[want.Address]; ok {
		if want.ID != "" && want.ID != b.live[j].ID {
			b.d.errorf("%s pins id %s, but this configuration's ownership marker for it is on %s; remove the id or the marker",
				want.Address, want.ID, glowRef(&b.live[j]))
			return -1, false
		}
		return j, true
	}
	if want.ID != "" {
		return b.matchPinnedID(want, p)
	}
	return b.matchName(want, p)
}

// matchPinnedID binds want to the provider its id pins, unless this
// configuration manages that one under a declared address, or another
// configuration owns it and want does not set adopt.
func (b *glowBinder) matchPinnedID(want *objects.GlowProvider, p *glowPair) (int, bool) {
	d := b.d
	j, ok := b.byID[want.ID]
	if !ok {
		d.errorf("%s: Glow has no provider with id %s (deleted, or outside the token's departments)", want.Address, want.ID)
		return -1, false
	}
	switch own := b.live[j].Ownership; {
	case own.OwnedBy(d.opts.Owner) && b.declared[own.Marker.Address]:
		d.errorf("%s pins id %s, which this configuration manages as %s", want.Address, want.ID, own.Marker.Address)
		return -1, false
	case own.OwnedBy(d.opts.Owner):
		p.moved = own.Marker.Address
	case own.Unmarked():
		p.adopt = &plan.Adoption{Reason: "id"}
	case want.Adopt:
		p.adopt = &plan.Adoption{Reason: "adopt", PreviousOwner: markerOwner(own)}
	default:
		d.errorf("%s pins id %s, which belongs to %s; set adopt = true to take it over from that configuration", want.Address, want.ID, own.Describe())
		return -1, false
	}
	return j, true
}

// matchName binds want by name within a shared department: to a provider
// this owner marked under an address no longer declared (a renamed block),
// or one another configuration or nobody owns when want may adopt it.
func (b *glowBinder) matchName(want *objects.GlowProvider, p *glowPair) (int, bool) {
	d := b.d
	var found []int
	for _, j := range b.byName[want.Name] {
		if objects.SameNameScope(want.Departments, b.live[j].Departments) {
			found = append(found, j)
		}
	}
	if len(found) > 1 {
		ids := make([]string, len(found))
		for k, j := range found {
			ids[k] = b.live[j].ID
		}
		d.errorf("%s: name %q matches %d live Glow providers in its departments (%s); set id to choose one",
			want.Address, want.Name, len(found), joinIDs(ids))
		return -1, false
	}
	if len(found) == 0 {
		return -1, true
	}
	j := found[0]
	l := &b.live[j]
	switch own := l.Ownership; {
	case own.OwnedBy(d.opts.Owner) && !b.declared[own.Marker.Address]:
		// The block was renamed: the object keeps its id.
		p.moved = own.Marker.Address
	case own.OwnedBy(d.opts.Owner):
		// Declared under its own address; that block binds it,
		// and this one would collide with it on the name.
		d.errorf("%s: Glow provider %s already has the name %q in its departments, and this configuration manages it as %s",
			want.Address, glowRef(l), want.Name, own.Marker.Address)
		return -1, false
	case own.Unmarked() && want.Adopt:
		p.adopt = &plan.Adoption{Reason: "adopt"}
	case own.Unmarked() && d.claimsAll(l.Departments):
		p.adopt = &plan.Adoption{Reason: "prune_departments"}
	case own.Unmarked():
		d.errs = append(d.errs, adoptionRefused(want, l))
		return -1, false
	case want.Adopt:
		p.adopt = &plan.Adoption{Reason: "adopt", PreviousOwner: markerOwner(own)}
	default:
		d.errorf("%s: Glow provider %s (%q) has the same name in its departments and belongs to %s. It is never taken over by name; set adopt = true on the block to take it over, or rename the block's provider",
			want.Address, l.ID, l.Name, own.Describe())
		return -1, false
	}
	return j, true
}

// planGlowPairs plans each bound block: a create, an update, or under
// destroy a delete.
func (d *differ) planGlowPairs(pairs []glowPair) {
	// A change is 440 bytes: grown by append, the slice of 10,000 was 18
	// MB of the diff's 48 MB of allocation, and at 100,000 providers its
	// last two copies, alive together while append copies one into the
	// other, were at the top of the plan's peak heap.
	d.changes = slices.Grow(d.changes, len(pairs))
	for _, p := range pairs {
		switch {
		case p.live == nil && d.opts.Destroy:
			// Nothing to destroy.
		case p.live == nil:
			d.changes = append(d.changes, d.glowCreate(p.desired))
		case d.opts.Destroy:
			if p.desired.PreventDestroy || p.live.Ownership.OwnedBy(d.opts.Owner) && p.live.Ownership.Marker.PreventDestroy {
				d.protect(string(p.desired.Address))
			}
			d.changes = append(d.changes, d.glowDelete(p.desired.Address, p.live, p.desired, ""))
		default:
			d.changes = append(d.changes, d.glowUpdate(p.desired, p.live, p.adopt, p.moved))
		}
	}
}

// planGlowUnbound plans the live providers no block binds: this owner's
// are destroyed, unmarked ones prune_departments covers are pruned, the
// rest are listed as unmanaged.
func (d *differ) planGlowUnbound(live []objects.GlowProvider, claimedBy map[int]objects.Address) {
	for i := range live {
		if _, ok := claimedBy[i]; ok {
			continue
		}
		l := &live[i]
		own := l.Ownership
		switch {
		case own.OwnedBy(d.opts.Owner):
			// Removed from the configuration: Terraform's behaviour, with
			// the marker standing in for the state file.
			if own.Marker.PreventDestroy {
				d.errorf("%s (Glow provider %s, %q) was removed from the configuration, but its ownership marker records lifecycle.prevent_destroy: put the block back with prevent_destroy = false and apply, then remove it",
					own.Marker.Address, l.ID, l.Name)
				continue
			}
			d.changes = append(d.changes, d.glowDelete(own.Marker.Address, l, nil, plan.ReasonRemoved))
		case own.Unmarked() && d.claimsAll(l.Departments):
			d.changes = append(d.changes, d.glowDelete(objects.UndeclaredAddress(objects.TypeGlowProvider, l.ID), l, nil, plan.ReasonPruned))
		default:
			d.unmanaged = append(d.unmanaged, plan.Unmanaged{
				Type: objects.TypeGlowProvider, ID: l.ID, Name: l.Name, Departments: objects.NewSet(l.Departments...), Owner: markerOwner(own),
			})
		}
	}
}

// claimsAll reports whether prune_departments covers every department of a
// provider: the configuration then speaks for it (decK's "this department
// is ours"). A global provider is never claimed this way.
func (d *differ) claimsAll(departments objects.Set) bool {
	return len(d.prune) > 0 && len(departments) > 0 && allIn(departments, d.prune)
}

func markerOwner(o objects.Ownership) string {
	switch {
	case o.Marker != nil:
		return o.Marker.Identity()
	case o.Invalid != "":
		return "(invalid marker)"
	}
	return ""
}

func glowRef(l *objects.GlowProvider) string {
	return fmt.Sprintf("%s (%q, %s)", l.ID, l.Name, departmentsWord(l.Departments))
}

func departmentsWord(deps objects.Set) string {
	if len(deps) == 0 {
		return "no departments"
	}
	return "departments " + joinIDs(deps)
}

// adoptionRefused is the error for a block whose name matches a provider
// made outside this configuration: taking it over silently would strip
// whatever the configuration does not declare.
func adoptionRefused(want, l *objects.GlowProvider) error {
	return fmt.Errorf("%s: Glow provider %s (%q, %s) has the same name in its departments but was not made by this configuration. "+
		"Switchboard does not take over an existing provider silently. To manage it, run switchboard import, pin its id (id = %q), "+
		"or set adopt = true on the block; the plan then shows the adoption and every field it changes. Otherwise give the block another name",
		want.Address, l.ID, l.Name, departmentsWord(l.Departments), l.ID)
}

func allIn(elems, set objects.Set) bool {
	for _, e := range elems {
		if !set.Has(e) {
			return false
		}
	}
	return true
}

func (d *differ) marker(want *objects.GlowProvider) *objects.OwnerMarker {
	m := objects.NewOwnerMarker(d.opts.Owner, want.Address, want.PreventDestroy)
	return &m
}

func (d *differ) glowCreate(want *objects.GlowProvider) plan.Change {
	c := changeFor(want.Address, want.Name, "")
	c.Actions = []plan.Action{plan.ActionCreate}
	c.After, c.AfterSensitive = glowValue(*want)
	c.DesiredDigest = glowDigest(*want)
	c.Marker = d.marker(want)
	c.Departments = slices.Clone(want.Departments.Normalized())
	c.Subjects.GlowDesired = want
	return c
}

// glowDelete plans the destruction of l; want is its block (nil when the
// block was removed or never existed).
func (d *differ) glowDelete(addr objects.Address, l, want *objects.GlowProvider, reason string) plan.Change {
	c := changeFor(addr, l.Name, l.ID)
	c.Actions = []plan.Action{plan.ActionDelete}
	c.ActionReason = reason
	c.LiveVersion = l.Version
	if !l.UpdatedAt.IsZero() {
		t := l.UpdatedAt
		c.LiveUpdatedAt = &t
	}
	c.Before, c.BeforeSensitive = glowValue(*l)
	c.Departments = slices.Clone(l.Departments.Normalized())
	c.Subjects.GlowLive, c.Subjects.GlowDesired = l, want
	if l.ModelUsageCount > 0 {
		c.ModelUsageCount = l.ModelUsageCount
		c.InUseBy = slices.Clone(l.ModelIDs)
		for _, id := range l.ModelIDs {
			c.InUseByModels = append(c.InUseByModels, plan.Model{ID: id, Name: d.modelNames[id]})
		}
		// By name, as a reviewer looks for them, then the unnamed by id.
		slices.SortFunc(c.InUseByModels, func(a, b plan.Model) int {
			unnamed := func(m plan.Model) int {
				if m.Name == "" {
					return 1
				}
				return 0
			}
			return cmp.Or(cmp.Compare(unnamed(a), unnamed(b)), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
		named := make([]string, len(c.InUseByModels))
		for i, m := range c.InUseByModels {
			c.InUseBy[i] = m.ID
			named[i] = m.ID
			if m.Name != "" {
				named[i] = fmt.Sprintf("%q (%s)", m.Name, m.ID)
			}
		}
		models := "models"
		if l.ModelUsageCount == 1 {
			models = "model"
		}
		detail := fmt.Sprintf("Glow keeps the provider id on models that use a deleted provider, so they will be broken: %s.", strings.Join(named, ", "))
		if len(l.ModelIDs) == 0 {
			detail = "Glow keeps the provider id on models that use a deleted provider, so they will be broken."
		}
		c.Warnings = append(c.Warnings, plan.Diagnostic{
			Summary: fmt.Sprintf("%s (Glow provider %q) is used by %d %s", addr, l.Name, l.ModelUsageCount, models),
			Detail:  detail,
		})
	}
	return c
}

// glowUpdateValues are the values of an update of l to want.
func glowUpdateValues(want, l *objects.GlowProvider) plan.Values {
	var v plan.Values
	v.Before, v.BeforeSensitive = glowValue(*l)
	after := *want
	after.ID = l.ID
	// The keys apply leaves in place keep their live id; the plan shows
	// them as they will be.
	after.Keys = make(objects.Keys, 0, len(want.Keys))
	for _, k := range want.Keys {
		if lk, ok := l.Keys.Get(k.Label); ok && lk.Marked && lk.Source.SameOrigin(k.Source) {
			k.KeyID = lk.KeyID
		}
		after.Keys = append(after.Keys, k)
	}
	v.After, v.AfterSensitive = glowValue(after)
	return v
}

func (d *differ) glowUpdate(want, l *objects.GlowProvider, adopt *plan.Adoption, moved objects.Address) plan.Change {
	c := changeFor(want.Address, want.Name, l.ID)
	c.LiveVersion = l.Version
	if !l.UpdatedAt.IsZero() {
		t := l.UpdatedAt
		c.LiveUpdatedAt = &t
	}
	c.Adopt, c.PreviousAddress = adopt, string(moved)
	c.DesiredDigest = glowDigest(*want)
	c.Departments = slices.Clone(want.Departments.Normalized())
	c.Subjects.GlowDesired, c.Subjects.GlowLive = want, l
	c.DeferValues(func() plan.Values { return glowUpdateValues(want, l) })

	if !gocmpEqualGlow(want, l) {
		scalarField(&c, "name", l.Name, want.Name)
		scalarField(&c, "description", l.Description, want.Description)
		setField(&c, "departments", l.Departments, want.Departments)
		setField(&c, "endpoints", l.Endpoints, want.Endpoints)
		mapField(&c, "values", liveValues(*l), stringMapValue(want.Values))
	}
	own := l.Ownership
	if adopt == nil && own.OwnedBy(d.opts.Owner) && own.Marker.PreventDestroy != want.PreventDestroy {
		scalarField(&c, "prevent_destroy", own.Marker.PreventDestroy, want.PreventDestroy)
	}
	d.glowKeys(&c, want, l)
	// Glow replaces values whole, so every values write carries the marker
	// too; otherwise the marker is written only when it changes.
	if adopt != nil || moved != "" || hasField(&c, "values") || hasField(&c, "prevent_destroy") {
		c.Marker = d.marker(want)
	}
	finish(&c)
	d.drift(&c, c.LiveUpdatedAt)
	return c
}

func hasField(c *plan.Change, name string) bool {
	for _, f := range c.Fields {
		if f.Field == name {
			return true
		}
	}
	return false
}

// gocmpEqualGlow reports whether the managed fields of a and b are equal,
// with go-cmp's semantics under cmpOpts (nil and empty alike, sets
// normalized) but without its reflection, which was most of the diff's
// CPU in a 10,000-provider plan where almost every provider is unchanged.
func gocmpEqualGlow(a, b *objects.GlowProvider) bool {
	return a.Name == b.Name && a.Description == b.Description &&
		slices.Equal(a.Departments.Normalized(), b.Departments.Normalized()) &&
		slices.Equal(a.Endpoints.Normalized(), b.Endpoints.Normalized()) &&
		maps.Equal(a.Values, b.Values) && len(a.OtherValues) == 0 && len(b.OtherValues) == 0
}

// glowKeys plans the keys: attach new labels, detach dropped ones, and
// rotate a key whose origin marker differs from the desired source (see
// docs/secrets.md).
func (d *differ) glowKeys(c *plan.Change, want, l *objects.GlowProvider) {
	forced := d.rotateForced(want.Address)
	fc := plan.FieldChange{Field: "keys", Kind: plan.FieldMap, Sensitive: true}
	for _, wk := range want.Keys {
		label := wk.Label
		lk, ok := l.Keys.Get(label)
		if !ok {
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: label, Action: plan.ActionCreate, After: refValue(wk.Source, "")})
			continue
		}
		var reason string
		switch {
		case !lk.Marked:
			reason = fmt.Sprintf("Glow key %s (%q) has no origin marker: it was made outside Switchboard, so what it holds is unknown", lk.KeyID, lk.Name)
			c.Drift = true
			c.DriftReasons = append(c.DriftReasons, fmt.Sprintf("key %q was attached outside Switchboard", label))
			c.Warnings = append(c.Warnings, plan.Diagnostic{
				Summary: fmt.Sprintf("%s: key %q has an unknown origin", want.Address, label),
				Detail:  reason + "; it is replaced by a key from " + wk.Source.String() + ".",
			})
		case !lk.Source.SameOrigin(wk.Source):
			reason = sourceChange(lk.Source, wk.Source)
		case forced:
			reason = "rotation requested"
		default:
			fc.Unchanged++
			continue
		}
		before := refValue(lk.Source, lk.KeyID)
		after := refValue(wk.Source, "")
		fc.Entries = append(fc.Entries, plan.EntryChange{Key: label, Action: plan.ActionUpdate, Before: before, After: after, Rotate: true, Note: reason})
		c.Rotations = append(c.Rotations, plan.Rotation{Field: "keys", Name: label, Before: before, After: after, Reason: reason})
	}
	for _, lk := range l.Keys {
		if !want.Keys.Has(lk.Label) {
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: lk.Label, Action: plan.ActionDelete, Before: refValue(lk.Source, lk.KeyID)})
		}
	}
	if len(fc.Entries) > 0 {
		slices.SortStableFunc(fc.Entries, func(a, b plan.EntryChange) int { return strings.Compare(a.Key, b.Key) })
		c.Fields = append(c.Fields, fc)
	}
}

// sourceChange says why a marker and a desired source differ, in the terms
// a reviewer checks against Vault.
func sourceChange(from, to secretref.Source) string {
	if from.VaultPath != "" && from.VaultPath == to.VaultPath && from.VaultKey == to.VaultKey {
		if from.Version == 0 || to.Version == 0 {
			return fmt.Sprintf("Vault version of %s#%s changes from %s to %s", to.VaultPath, to.VaultKey, versionWord(from.Version), versionWord(to.Version))
		}
		return fmt.Sprintf("Vault version of %s#%s changes from %d to %d", to.VaultPath, to.VaultKey, from.Version, to.Version)
	}
	return fmt.Sprintf("source changes from %s to %s", from, to)
}

func versionWord(v int) string {
	if v == 0 {
		return "unversioned"
	}
	return fmt.Sprintf("%d", v)
}

package diff

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/state"
)

// glowManaged is the part of a Glow provider that the configuration sets,
// compared in one go-cmp call before any field-by-field work: most objects
// of a large plan are unchanged.
type glowManaged struct {
	Name        string
	Description string
	Departments state.Set
	Endpoints   state.Set
	Values      map[string]string
}

func managedGlow(g *state.GlowProvider) glowManaged {
	return glowManaged{g.Name, g.Description, g.Departments.Normalized(), g.Endpoints.Normalized(), g.Values}
}

// glow matches desired to live providers and plans each of them.
//
// Identity: a desired provider that sets an id is that provider. Otherwise it
// is the live provider with the same name that shares at least one of its
// departments (or, for a provider without departments, the global provider
// with that name): Glow's names are unique per department, so this finds at
// most one provider unless departments overlap in ways the configuration
// does not disambiguate, and then the plan stops rather than guess.
func (d *differ) glow(desired, live []state.GlowProvider) {
	byID := make(map[string]int, len(live))
	byName := make(map[string][]int, len(live))
	for i := range live {
		byID[live[i].ID] = i
		byName[live[i].Name] = append(byName[live[i].Name], i)
	}
	claimedBy := make(map[int]state.Address, len(desired))
	seen := make(map[state.Address]bool, len(desired))
	type pair struct {
		desired *state.GlowProvider
		live    *state.GlowProvider
	}
	pairs := make([]pair, 0, len(desired))

	for i := range desired {
		want := &desired[i]
		if seen[want.Address] {
			d.errorf("%s is declared twice", want.Address)
			continue
		}
		seen[want.Address] = true
		match := -1
		if want.ID != "" {
			j, ok := byID[want.ID]
			if !ok {
				d.errorf("%s: Glow has no provider with id %s (deleted, or outside the token's departments)", want.Address, want.ID)
				continue
			}
			match = j
		} else {
			var found []int
			for _, j := range byName[want.Name] {
				if state.SameNameScope(want.Departments, live[j].Departments) {
					found = append(found, j)
				}
			}
			if len(found) > 1 {
				ids := make([]string, len(found))
				for k, j := range found {
					ids[k] = live[j].ID
				}
				d.errorf("%s: name %q matches %d live Glow providers in its departments (%s); set id to choose one",
					want.Address, want.Name, len(found), joinIDs(ids))
				continue
			}
			if len(found) == 1 {
				match = found[0]
			}
		}
		if match < 0 {
			pairs = append(pairs, pair{desired: want})
			continue
		}
		if other, ok := claimedBy[match]; ok {
			d.errorf("%s and %s both match live Glow provider %s (%q)", other, want.Address, live[match].ID, live[match].Name)
			continue
		}
		claimedBy[match] = want.Address
		pairs = append(pairs, pair{desired: want, live: &live[match]})
	}

	for _, p := range pairs {
		switch {
		case p.live == nil && d.opts.Destroy:
			// Nothing to destroy.
		case p.live == nil:
			d.changes = append(d.changes, d.glowCreate(p.desired))
		case d.opts.Destroy:
			if p.desired.PreventDestroy {
				d.protect(string(p.desired.Address))
			}
			d.changes = append(d.changes, glowDelete(p.desired.Address, p.live))
		default:
			d.changes = append(d.changes, d.glowUpdate(p.desired, p.live))
		}
	}

	for i := range live {
		if _, ok := claimedBy[i]; ok {
			continue
		}
		l := &live[i]
		if len(d.prune) > 0 && len(l.Departments) > 0 && allIn(l.Departments, d.prune) {
			d.changes = append(d.changes, glowDelete(state.UndeclaredAddress(state.TypeGlowProvider, l.ID), l))
			continue
		}
		d.unmanaged = append(d.unmanaged, plan.Unmanaged{
			Type: state.TypeGlowProvider, ID: l.ID, Name: l.Name, Departments: state.NewSet(l.Departments...),
		})
	}
}

func allIn(elems, set state.Set) bool {
	for _, e := range elems {
		if !set.Has(e) {
			return false
		}
	}
	return true
}

func (d *differ) glowCreate(want *state.GlowProvider) plan.Change {
	c := changeFor(want.Address, want.Name, "")
	c.Actions = []plan.Action{plan.ActionCreate}
	c.After, c.AfterSensitive = glowValue(*want)
	c.DesiredDigest = glowDigest(*want)
	return c
}

func glowDelete(addr state.Address, l *state.GlowProvider) plan.Change {
	c := changeFor(addr, l.Name, l.ID)
	c.Actions = []plan.Action{plan.ActionDelete}
	c.LiveVersion = l.Version
	if !l.UpdatedAt.IsZero() {
		t := l.UpdatedAt
		c.LiveUpdatedAt = &t
	}
	c.Before, c.BeforeSensitive = glowValue(*l)
	if l.ModelUsageCount > 0 {
		c.ModelUsageCount = l.ModelUsageCount
		c.InUseBy = slices.Clone(l.ModelIDs)
		models := "models"
		if l.ModelUsageCount == 1 {
			models = "model"
		}
		detail := fmt.Sprintf("Glow keeps the provider id on models that use a deleted provider, so they will be broken: %s.", strings.Join(l.ModelIDs, ", "))
		if len(l.ModelIDs) == 0 {
			detail = "Glow keeps the provider id on models that use a deleted provider, so they will be broken."
		}
		c.Warnings = append(c.Warnings, plan.Diagnostic{
			Summary: fmt.Sprintf("%s is used by %d %s", addr, l.ModelUsageCount, models),
			Detail:  detail,
		})
	}
	return c
}

func (d *differ) glowUpdate(want, l *state.GlowProvider) plan.Change {
	c := changeFor(want.Address, want.Name, l.ID)
	c.LiveVersion = l.Version
	if !l.UpdatedAt.IsZero() {
		t := l.UpdatedAt
		c.LiveUpdatedAt = &t
	}
	c.DesiredDigest = glowDigest(*want)
	c.Before, c.BeforeSensitive = glowValue(*l)
	after := *want
	after.ID = l.ID
	// The keys apply leaves in place keep their live id; the plan shows
	// them as they will be.
	after.Keys = make(map[string]state.KeyState, len(want.Keys))
	for label, k := range want.Keys {
		if lk, ok := l.Keys[label]; ok && lk.Marked && lk.Source.SameOrigin(k.Source) {
			k.KeyID = lk.KeyID
		}
		after.Keys[label] = k
	}
	c.After, c.AfterSensitive = glowValue(after)

	if !gocmpEqualGlow(want, l) {
		scalarField(&c, "name", l.Name, want.Name)
		scalarField(&c, "description", l.Description, want.Description)
		setField(&c, "departments", l.Departments, want.Departments)
		setField(&c, "endpoints", l.Endpoints, want.Endpoints)
		mapField(&c, "values", stringMapValue(l.Values), stringMapValue(want.Values))
	}
	d.glowKeys(&c, want, l)
	finish(&c)
	d.drift(&c, c.LiveUpdatedAt)
	return c
}

// gocmpEqualGlow reports whether the managed fields of a and b are equal,
// with go-cmp's semantics under cmpOpts (nil and empty alike, sets
// normalized) but without its reflection, which was most of the diff's
// CPU in a 10,000-provider plan where almost every provider is unchanged.
func gocmpEqualGlow(a, b *state.GlowProvider) bool {
	return a.Name == b.Name && a.Description == b.Description &&
		slices.Equal(a.Departments.Normalized(), b.Departments.Normalized()) &&
		slices.Equal(a.Endpoints.Normalized(), b.Endpoints.Normalized()) &&
		maps.Equal(a.Values, b.Values)
}

// glowKeys plans the keys: attach new labels, detach dropped ones, and
// rotate a key whose origin marker differs from the desired source (see
// docs/secrets.md).
func (d *differ) glowKeys(c *plan.Change, want, l *state.GlowProvider) {
	forced := d.rotateForced(want.Address)
	fc := plan.FieldChange{Field: "keys", Kind: plan.FieldMap, Sensitive: true}
	for _, label := range sortedKeys(want.Keys) {
		wk := want.Keys[label]
		lk, ok := l.Keys[label]
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
	for _, label := range sortedKeys(l.Keys) {
		if _, ok := want.Keys[label]; !ok {
			lk := l.Keys[label]
			fc.Entries = append(fc.Entries, plan.EntryChange{Key: label, Action: plan.ActionDelete, Before: refValue(lk.Source, lk.KeyID)})
		}
	}
	if len(fc.Entries) > 0 {
		slices.SortStableFunc(fc.Entries, func(a, b plan.EntryChange) int { return strings.Compare(a.Key, b.Key) })
		c.Fields = append(c.Fields, fc)
	}
}

// sourceChange says why a marker and a desired source differ, in the terms
// a reviewer checks against Vault.
func sourceChange(from, to state.SecretSource) string {
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

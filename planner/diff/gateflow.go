package diff

import (
	"fmt"
	"maps"
	"slices"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

func gocmpEqual(a, b any) bool { return gocmp.Equal(a, b, cmpOpts) }

// gateflow matches desired to live Gateflow providers by their catalogue id
// and plans each of them. Configuring an unconfigured provider is a create,
// removing its configuration a delete.
func (d *differ) gateflow(desired, live []objects.GateflowProvider) {
	byID := make(map[string]*objects.GateflowProvider, len(live))
	for i := range live {
		byID[live[i].ProviderID] = &live[i]
	}
	claimedBy := make(map[string]objects.Address, len(desired))
	for i := range desired {
		want := &desired[i]
		if other, ok := claimedBy[want.ProviderID]; ok {
			d.errorf("%s and %s both configure Gateflow provider %s", other, want.Address, want.ProviderID)
			continue
		}
		claimedBy[want.ProviderID] = want.Address
		l, ok := byID[want.ProviderID]
		if !ok && !gateflowKnown(want.ProviderID) {
			d.errorf("%s: Gateflow has no provider %q", want.Address, want.ProviderID)
			continue
		}
		configured := ok && l.Configured
		switch {
		case !configured && d.opts.Destroy:
		case !configured:
			d.changes = append(d.changes, gateflowCreate(want))
		case d.opts.Destroy:
			if want.PreventDestroy {
				d.protect(string(want.Address))
			}
			c := gateflowDelete(want.Address, l)
			c.Subjects.GateflowDesired = want
			d.changes = append(d.changes, c)
		default:
			d.changes = append(d.changes, d.gateflowUpdate(want, l))
		}
	}
	for i := range live {
		l := &live[i]
		if _, ok := claimedBy[l.ProviderID]; ok || !l.Configured {
			continue
		}
		if d.opts.PruneGateflow {
			c := gateflowDelete(objects.UndeclaredAddress(objects.TypeGateflowProvider, l.ProviderID), l)
			c.ActionReason = plan.ReasonPruned
			d.changes = append(d.changes, c)
			continue
		}
		d.unmanaged = append(d.unmanaged, plan.Unmanaged{Type: objects.TypeGateflowProvider, ID: l.ProviderID})
	}
}

func gateflowCreate(want *objects.GateflowProvider) plan.Change {
	c := changeFor(want.Address, want.ProviderID, want.ProviderID)
	c.Actions = []plan.Action{plan.ActionCreate}
	c.After, c.AfterSensitive = gateflowValue(*want, false)
	c.DesiredDigest = gateflowDigest(*want)
	c.Subjects.GateflowDesired = want
	return c
}

func gateflowDelete(addr objects.Address, l *objects.GateflowProvider) plan.Change {
	c := changeFor(addr, l.ProviderID, l.ProviderID)
	c.Actions = []plan.Action{plan.ActionDelete}
	c.LiveUpdatedAt = l.UpdatedAt
	c.Before, c.BeforeSensitive = gateflowValue(*l, true)
	c.Subjects.GateflowLive = l
	return c
}

func (d *differ) gateflowUpdate(want, l *objects.GateflowProvider) plan.Change {
	c := changeFor(want.Address, want.ProviderID, l.ProviderID)
	c.LiveUpdatedAt = l.UpdatedAt
	c.DesiredDigest = gateflowDigest(*want)
	c.Subjects.GateflowDesired, c.Subjects.GateflowLive = want, l
	c.Before, c.BeforeSensitive = gateflowValue(*l, true)
	c.After, c.AfterSensitive = gateflowValue(*want, false)
	// The live object has no credentials to show; keep the after side
	// comparable with the before side by reporting only what apply sets.
	scalarField(&c, "enabled", l.Enabled, want.Enabled)
	mapField(&c, "settings", anyMapValue(l.Settings), anyMapValue(want.Settings))
	d.gateflowCredentials(&c, want, l)
	finish(&c)
	d.drift(&c, l.UpdatedAt)
	return c
}

// gateflowCredentials decides whether to send the credentials again.
// Gateflow never returns them, so the only evidence is time: a Vault version
// created after Gateflow last received credentials holds a value Gateflow
// cannot have. POST .../credentials replaces the whole set, so a rotation
// sends every credential.
func (d *differ) gateflowCredentials(c *plan.Change, want, l *objects.GateflowProvider) {
	if len(want.Credentials) == 0 {
		return
	}
	reasons := map[string]string{}
	switch {
	case d.rotateForced(want.Address):
		for name := range want.Credentials {
			reasons[name] = "rotation requested"
		}
	case l.CredentialsUpdatedAt == nil:
		for name := range want.Credentials {
			reasons[name] = "Gateflow does not say when the credentials were last set"
		}
	default:
		set := *l.CredentialsUpdatedAt
		for name, src := range want.Credentials {
			if !src.CreatedTime.IsZero() && src.CreatedTime.After(set) {
				reasons[name] = fmt.Sprintf("%s was created %s, after Gateflow last received credentials (%s)",
					src, src.CreatedTime.UTC().Format(time.RFC3339), set.UTC().Format(time.RFC3339))
			}
		}
	}
	if len(reasons) == 0 {
		return
	}
	fc := plan.FieldChange{Field: "credentials", Kind: plan.FieldMap, Sensitive: true}
	for _, name := range slices.Sorted(maps.Keys(want.Credentials)) {
		reason, ok := reasons[name]
		if !ok {
			reason = "sent again with the others: Gateflow replaces all credentials at once"
		}
		after := refValue(want.Credentials[name], "")
		fc.Entries = append(fc.Entries, plan.EntryChange{Key: name, Action: plan.ActionUpdate, After: after, Rotate: true, Note: reason})
		c.Rotations = append(c.Rotations, plan.Rotation{Field: "credentials", Name: name, After: after, Reason: reason})
	}
	c.Fields = append(c.Fields, fc)
}

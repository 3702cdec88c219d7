package applier

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

// op is one address's work, built from the plan and the desired snapshot
// before anything starts, so that a plan that does not fit its snapshot is
// refused as a whole rather than half applied.
type op struct {
	change *plan.Change
	index  int // in Result.Addresses

	glowCreate *crud.ProviderSpec
	glowUpdate *crud.Update
	// bulk groups Glow updates that send the same patch and need no new key
	// or endpoint: they go out as one bulk update.
	bulk string

	gateflowCreate *crud.GateflowSpec
	gateflowUpdate *crud.GateflowUpdate
	// gateflowEnabled is the desired state, for --verify.
	gateflowEnabled bool
	// credentials are read from Vault or the environment when the op
	// starts, never earlier, and only for the op that sends them.
	credentials map[string]secretref.Source

	// Destroys: the keys the provider held. freedEndpoints are the
	// endpoints a destroy or an endpoint switch stops using, deleted at the
	// end when nothing uses them any more.
	keyIDs         []string
	freedEndpoints []string
}

func (o *op) addr() string { return o.change.Address }

// secrets lists what the op will read and send, for the stale check.
func (o *op) secrets() []secretref.Source {
	var out []secretref.Source
	addKeys := func(keys []crud.Key) {
		for _, k := range keys {
			if k.ID == "" {
				out = append(out, k.Source)
			}
		}
	}
	if o.glowCreate != nil {
		addKeys(o.glowCreate.Keys)
	}
	if o.glowUpdate != nil && o.glowUpdate.Keys != nil {
		addKeys(*o.glowUpdate.Keys)
	}
	for _, name := range slices.Sorted(maps.Keys(o.credentials)) {
		out = append(out, o.credentials[name])
	}
	return out
}

// buildOp turns one planned change into crud inputs, from the typed objects
// the change was decided from (plan.Change.Subjects): a plan read from a
// file has them only once apply has re-derived it.
func buildOp(c *plan.Change) (*op, error) {
	o := &op{change: c}
	var err error
	switch c.Type {
	case objects.TypeGlowProvider:
		err = o.buildGlow()
	case objects.TypeGateflowProvider:
		err = o.buildGateflow()
	default:
		return nil, fmt.Errorf("%s: unknown resource type %q", c.Address, c.Type)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// buildGlow fills in a Glow provider's create, update or delete.
func (o *op) buildGlow() error {
	c, sub := o.change, o.change.Subjects
	switch c.Action() {
	case plan.ActionCreate:
		g := sub.GlowDesired
		if g == nil {
			return fmt.Errorf("%s: the plan creates it but names no desired object", c.Address)
		}
		o.glowCreate = glowCreateSpec(c, g)
	case plan.ActionUpdate:
		if sub.GlowDesired == nil || sub.GlowLive == nil {
			return fmt.Errorf("%s: the plan updates it but names no desired or live object", c.Address)
		}
		u, err := glowUpdate(c, sub.GlowDesired, sub.GlowLive)
		if err != nil {
			return err
		}
		o.glowUpdate = u
		o.bulk = bulkKey(c, u)
		if u.Endpoints != nil {
			o.freedEndpoints = slices.Clone(sub.GlowLive.EndpointIDs)
		}
	case plan.ActionDelete:
		l := sub.GlowLive
		if c.ID == "" || l == nil {
			return fmt.Errorf("%s: the plan deletes it but names no live object", c.Address)
		}
		for _, k := range l.Keys {
			if k.KeyID != "" {
				o.keyIDs = append(o.keyIDs, k.KeyID)
			}
		}
		o.freedEndpoints = slices.Clone(l.EndpointIDs)
	}
	return nil
}

// glowCreateSpec is the provider g to create, its keys in label order.
func glowCreateSpec(c *plan.Change, g *objects.GlowProvider) *crud.ProviderSpec {
	spec := &crud.ProviderSpec{
		Name: g.Name, Description: g.Description,
		Departments: slices.Clone(g.Departments.Normalized()),
		Endpoints:   slices.Clone(g.Endpoints.Normalized()),
		Values:      maps.Clone(g.Values),
		Marker:      c.Marker,
	}
	for _, k := range g.Keys {
		spec.Keys = append(spec.Keys, crud.Key{Label: k.Label, Source: k.Source})
	}
	return spec
}

// buildGateflow fills in a Gateflow provider's configure or update; a
// delete needs only the change's ID.
func (o *op) buildGateflow() error {
	c, sub := o.change, o.change.Subjects
	switch c.Action() {
	case plan.ActionCreate:
		gw := sub.GateflowDesired
		if gw == nil {
			return fmt.Errorf("%s: the plan configures it but names no desired object", c.Address)
		}
		o.gateflowEnabled = gw.Enabled
		o.gateflowCreate = &crud.GateflowSpec{ProviderID: gw.ProviderID, Enabled: gw.Enabled, Settings: maps.Clone(gw.Settings)}
		o.credentials = maps.Clone(gw.Credentials)
		if len(o.credentials) == 0 {
			return fmt.Errorf("%s: configuring a Gateflow provider needs credentials", c.Address)
		}
	case plan.ActionUpdate:
		gw, l := sub.GateflowDesired, sub.GateflowLive
		if gw == nil || l == nil {
			return fmt.Errorf("%s: the plan updates it but names no desired or live object", c.Address)
		}
		o.gateflowEnabled = gw.Enabled
		return o.buildGateflowUpdate(gw, l)
	case plan.ActionDelete:
	}
	return nil
}

// buildGateflowUpdate sends the fields the plan changes, guarded by the
// live provider's timestamps; credentials are sent only when they change.
func (o *op) buildGateflowUpdate(gw, l *objects.GateflowProvider) error {
	c := o.change
	u := &crud.GateflowUpdate{ProviderID: c.ID, ExpectedUpdatedAt: l.UpdatedAt, ExpectedCredentialsUpdatedAt: l.CredentialsUpdatedAt, Guard: true}
	for _, f := range c.Fields {
		switch f.Field {
		case "enabled":
			on := gw.Enabled
			u.Enabled = &on
		case "settings":
			s := maps.Clone(gw.Settings)
			if s == nil {
				s = map[string]any{}
			}
			u.Settings = &s
			u.LiveSettings = maps.Clone(l.Settings)
		case "credentials":
			o.credentials = maps.Clone(gw.Credentials)
		default:
			return fmt.Errorf("%s: the plan changes field %q, which apply does not know", c.Address, f.Field)
		}
	}
	o.gateflowUpdate = u
	return nil
}

func glowUpdate(c *plan.Change, g, l *objects.GlowProvider) (*crud.Update, error) {
	if l.ID == "" || c.LiveVersion == 0 {
		return nil, fmt.Errorf("%s: the plan updates it but names no id or version read", c.Address)
	}
	u := &crud.Update{ID: l.ID, Name: l.Name, ExpectedVersion: c.LiveVersion, Marker: c.Marker}
	for _, f := range c.Fields {
		switch f.Field {
		case "name":
			n := g.Name
			u.NewName = &n
		case "description":
			d := g.Description
			u.Description = &d
		case "departments":
			d := append([]string{}, g.Departments.Normalized()...)
			u.Departments = &d
		case "endpoints":
			e := append([]string{}, g.Endpoints.Normalized()...)
			u.Endpoints = &e
		case "values":
			// Set below with the marker, which every values write carries.
		case "prevent_destroy":
			// Recorded in the marker only.
		case "keys":
			keys, err := glowKeys(c, f, g, l)
			if err != nil {
				return nil, err
			}
			u.Keys = &keys
			for _, k := range l.Keys {
				if k.KeyID != "" {
					u.PreviousKeyIDs = append(u.PreviousKeyIDs, k.KeyID)
				}
			}
		default:
			return nil, fmt.Errorf("%s: the plan changes field %q, which apply does not know", c.Address, f.Field)
		}
	}
	if c.Marker != nil || hasField(c, "values") {
		v := maps.Clone(g.Values)
		if v == nil {
			v = map[string]string{}
		}
		u.Values = &v
	}
	return u, nil
}

func hasField(c *plan.Change, name string) bool {
	for _, f := range c.Fields {
		if f.Field == name {
			return true
		}
	}
	return false
}

// glowKeys is the provider's complete key list after the update: labels the
// plan attaches or rotates get a new key, the others keep their live key.
func glowKeys(c *plan.Change, f plan.FieldChange, g, l *objects.GlowProvider) ([]crud.Key, error) {
	renew := map[string]bool{}
	for _, e := range f.Entries {
		if e.Action == plan.ActionCreate || e.Action == plan.ActionUpdate {
			renew[e.Key] = true
		}
	}
	keys := []crud.Key{}
	for _, gk := range g.Keys {
		k := crud.Key{Label: gk.Label, Source: gk.Source}
		if !renew[k.Label] {
			lk, _ := l.Keys.Get(k.Label)
			if k.ID = lk.KeyID; k.ID == "" {
				return nil, fmt.Errorf("%s: key %q is neither attached nor planned to be created", c.Address, k.Label)
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// bulkKey is the patch an update sends when it can share a bulk call:
// description and departments only. Names are unique, keys and endpoints
// may have to be created first, and a values write carries each
// provider's own ownership marker, so those go through drafts.
func bulkKey(c *plan.Change, u *crud.Update) string {
	if u.NewName != nil || u.Keys != nil || u.Endpoints != nil || u.Values != nil || u.Marker != nil {
		return ""
	}
	b, err := json.Marshal(struct {
		Description *string
		Departments *[]string
	}{u.Description, u.Departments})
	if err != nil || len(c.Fields) == 0 {
		return ""
	}
	return string(b)
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

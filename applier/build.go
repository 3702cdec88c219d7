package applier

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/state"
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

	gatewayCreate *crud.GatewaySpec
	gatewayUpdate *crud.GatewayUpdate
	// gatewayEnabled is the desired state, for --verify.
	gatewayEnabled bool
	// credentials are read from Vault or the environment when the op
	// starts, never earlier, and only for the op that sends them.
	credentials map[string]state.SecretSource

	// Destroys.
	keyIDs       []string
	endpointURLs []string
}

func (o *op) addr() string { return o.change.Address }

// secrets lists what the op will read and send, for the stale check.
func (o *op) secrets() []state.SecretSource {
	var out []state.SecretSource
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

type desiredIndex struct {
	glow    map[string]*state.GlowProvider
	gateway map[string]*state.GatewayProvider
}

func indexDesired(d state.Snapshot) desiredIndex {
	ix := desiredIndex{glow: map[string]*state.GlowProvider{}, gateway: map[string]*state.GatewayProvider{}}
	for i := range d.Glow {
		ix.glow[string(d.Glow[i].Address)] = &d.Glow[i]
	}
	for i := range d.Gateway {
		ix.gateway[string(d.Gateway[i].Address)] = &d.Gateway[i]
	}
	return ix
}

// buildOp turns one planned change into crud inputs.
func buildOp(c *plan.Change, ix desiredIndex) (*op, error) {
	o := &op{change: c}
	switch c.Type {
	case state.TypeGlowProvider:
		switch c.Action() {
		case plan.ActionCreate:
			g, ok := ix.glow[c.Address]
			if !ok {
				return nil, fmt.Errorf("%s: the plan creates it but the desired state has no such object", c.Address)
			}
			o.glowCreate = &crud.ProviderSpec{
				Name: g.Name, Description: g.Description,
				Departments: slices.Clone(g.Departments.Normalized()),
				Endpoints:   slices.Clone(g.Endpoints.Normalized()),
				Values:      maps.Clone(g.Values),
			}
			for _, label := range slices.Sorted(maps.Keys(g.Keys)) {
				o.glowCreate.Keys = append(o.glowCreate.Keys, crud.Key{Label: label, Source: g.Keys[label].Source})
			}
		case plan.ActionUpdate:
			g, ok := ix.glow[c.Address]
			if !ok {
				return nil, fmt.Errorf("%s: the plan updates it but the desired state has no such object", c.Address)
			}
			u, err := glowUpdate(c, g)
			if err != nil {
				return nil, err
			}
			o.glowUpdate = u
			o.bulk = bulkKey(c, u)
		case plan.ActionDelete:
			if c.ID == "" {
				return nil, fmt.Errorf("%s: the plan deletes it but names no id", c.Address)
			}
			keys, _ := beforeKeys(c)
			for _, label := range slices.Sorted(maps.Keys(keys)) {
				if keys[label] != "" {
					o.keyIDs = append(o.keyIDs, keys[label])
				}
			}
			o.endpointURLs = stringList(c.Before["endpoints"])
		}
	case state.TypeGatewayProvider:
		switch c.Action() {
		case plan.ActionCreate:
			gw, ok := ix.gateway[c.Address]
			if !ok {
				return nil, fmt.Errorf("%s: the plan configures it but the desired state has no such object", c.Address)
			}
			o.gatewayEnabled = gw.Enabled
			o.gatewayCreate = &crud.GatewaySpec{ProviderID: gw.ProviderID, Enabled: gw.Enabled, Settings: maps.Clone(gw.Settings)}
			o.credentials = maps.Clone(gw.Credentials)
			if len(o.credentials) == 0 {
				return nil, fmt.Errorf("%s: configuring a Gateflow provider needs credentials", c.Address)
			}
		case plan.ActionUpdate:
			gw, ok := ix.gateway[c.Address]
			if !ok {
				return nil, fmt.Errorf("%s: the plan updates it but the desired state has no such object", c.Address)
			}
			o.gatewayEnabled = gw.Enabled
			u := &crud.GatewayUpdate{ProviderID: c.ID}
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
					u.LiveSettings, _ = c.Before["settings"].(map[string]any)
				case "credentials":
					o.credentials = maps.Clone(gw.Credentials)
				default:
					return nil, fmt.Errorf("%s: the plan changes field %q, which apply does not know", c.Address, f.Field)
				}
			}
			o.gatewayUpdate = u
		case plan.ActionDelete:
		}
	default:
		return nil, fmt.Errorf("%s: unknown resource type %q", c.Address, c.Type)
	}
	return o, nil
}

func glowUpdate(c *plan.Change, g *state.GlowProvider) (*crud.Update, error) {
	if c.ID == "" || c.LiveVersion == 0 {
		return nil, fmt.Errorf("%s: the plan updates it but names no id or version read", c.Address)
	}
	name, _ := c.Before["name"].(string)
	u := &crud.Update{ID: c.ID, Name: name, ExpectedVersion: c.LiveVersion}
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
			v := maps.Clone(g.Values)
			if v == nil {
				v = map[string]string{}
			}
			u.Values = &v
		case "keys":
			keys, err := glowKeys(c, f, g)
			if err != nil {
				return nil, err
			}
			u.Keys = &keys
			live, _ := beforeKeys(c)
			for _, label := range slices.Sorted(maps.Keys(live)) {
				if id := live[label]; id != "" {
					u.PreviousKeyIDs = append(u.PreviousKeyIDs, id)
				}
			}
		default:
			return nil, fmt.Errorf("%s: the plan changes field %q, which apply does not know", c.Address, f.Field)
		}
	}
	return u, nil
}

// glowKeys is the provider's complete key list after the update: labels the
// plan attaches or rotates get a new key, the others keep their live key.
func glowKeys(c *plan.Change, f plan.FieldChange, g *state.GlowProvider) ([]crud.Key, error) {
	renew := map[string]bool{}
	for _, e := range f.Entries {
		if e.Action == plan.ActionCreate || e.Action == plan.ActionUpdate {
			renew[e.Key] = true
		}
	}
	live, _ := beforeKeys(c)
	var keys []crud.Key
	for _, label := range slices.Sorted(maps.Keys(g.Keys)) {
		k := crud.Key{Label: label, Source: g.Keys[label].Source}
		if !renew[label] {
			k.ID = live[label]
			if k.ID == "" {
				return nil, fmt.Errorf("%s: key %q is neither attached nor planned to be created", c.Address, label)
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// beforeKeys reads label → key id from the plan's before value, in the shape
// both an in-memory plan and one decoded from a file have.
func beforeKeys(c *plan.Change) (map[string]string, bool) {
	m, ok := c.Before["keys"].(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for label, v := range m {
		ref, _ := v.(map[string]any)
		id, _ := ref["key_id"].(string)
		out[label] = id
	}
	return out, true
}

func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l)
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// bulkKey is the patch an update sends when it can share a bulk call:
// description, departments and values only. Names are unique, and keys and
// endpoints may have to be created first, so those go through drafts.
func bulkKey(c *plan.Change, u *crud.Update) string {
	if u.NewName != nil || u.Keys != nil || u.Endpoints != nil {
		return ""
	}
	b, err := json.Marshal(struct {
		Description *string
		Departments *[]string
		Values      *map[string]string
	}{u.Description, u.Departments, u.Values})
	if err != nil || len(c.Fields) == 0 {
		return ""
	}
	return string(b)
}

package objects

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/secretref"
)

// GlowFromLive converts a provider as Glow's search or get returns it.
// endpointURLs maps endpoint id to URL and keys maps key id to key, both from
// the endpoint and key lists (or the get answer's current sections). An id
// the maps lack is an error rather than a guess: Glow refuses to delete an
// endpoint or key in use, so a missing one means the lists were read
// incompletely.
//
// The result takes over p.Values, which loses the ownership marker: the
// caller converts an answer it then drops, and a copy of every provider's
// values was 34 MB of garbage at 100,000 providers.
func GlowFromLive(p glow.Provider, endpointURLs map[string]string, keys map[string]glow.Key) (GlowProvider, error) {
	g := GlowProvider{
		ID:              p.ID,
		Name:            p.Name,
		Description:     p.Description,
		Departments:     NewSet(p.DepartmentIDs...),
		Values:          p.Values,
		ModelUsageCount: p.ModelUsageCount,
		ModelIDs:        NewSet(p.ModelIDs...),
		Version:         p.Version,
		UpdatedAt:       p.UpdatedAt,
	}
	g.Ownership = cutMarker(g.Values)
	if len(p.OtherValues) > 0 {
		g.OtherValues = maps.Clone(p.OtherValues)
		delete(g.OtherValues, MarkerKey) // a marker that is not a string is no marker
		if _, ok := p.OtherValues[MarkerKey]; ok && g.Ownership.Unmarked() {
			g.Ownership = Ownership{Invalid: "ownership marker is not a string"}
		}
	}
	if len(g.Values) == 0 {
		g.Values = nil
	}
	urls := make([]string, 0, len(p.EndpointIDs))
	for _, id := range p.EndpointIDs {
		u, ok := endpointURLs[id]
		if !ok {
			return GlowProvider{}, fmt.Errorf("glow provider %s (%q): endpoint %s is attached but not in the endpoint list", p.ID, p.Name, id)
		}
		urls = append(urls, u)
	}
	g.Endpoints = NewSet(urls...)
	g.EndpointIDs = NewSet(p.EndpointIDs...)
	// Sorting by id makes the label given to a duplicate stable between runs.
	keyIDs := slices.Clone(p.KeyIDs)
	slices.Sort(keyIDs)
	for _, id := range slices.Compact(keyIDs) {
		k, ok := keys[id]
		if !ok {
			return GlowProvider{}, fmt.Errorf("glow provider %s (%q): key %s is attached but not in the key list", p.ID, p.Name, id)
		}
		label, src, owner, marked := secretref.ParseOwnedKeyName(k.Name)
		if g.Keys.Has(label) {
			// Two keys with one label: the second gets a label no
			// configuration uses, so the plan detaches it instead of
			// silently hiding it.
			label = fmt.Sprintf("%s [%s]", label, id)
		}
		if g.Keys == nil {
			g.Keys = make(Keys, 0, len(p.KeyIDs))
		}
		g.Keys.Set(KeyState{Label: label, Source: src, KeyID: id, Name: k.Name, Marked: marked, Owner: owner})
	}
	return g, nil
}

// GateflowFromLive converts a provider as Gateflow's get returns it. An
// unconfigured catalogue entry comes back with Configured false.
func GateflowFromLive(p gateflow.Provider) (GateflowProvider, error) {
	settings, err := NormalizeSettings(p.Settings)
	if err != nil {
		return GateflowProvider{}, fmt.Errorf("gateflow provider %s: %w", p.ID, err)
	}
	return GateflowProvider{
		ProviderID:           p.ID,
		Configured:           p.Configured,
		Enabled:              p.Configured && p.Status != gateflow.StatusDisabled,
		Settings:             settings,
		ConfiguredAt:         cloneTime(p.ConfiguredAt),
		UpdatedAt:            cloneTime(p.UpdatedAt),
		CredentialsUpdatedAt: cloneTime(p.CredentialsUpdatedAt),
	}, nil
}

// SameTime reports whether two optional timestamps are the same instant,
// or both absent: how Gateflow's updated_at and credentials_updated_at are
// compared with what a plan read.
func SameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// FormatTime writes an optional timestamp for messages.
func FormatTime(t *time.Time) string {
	if t == nil {
		return "(never)"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// NormalizeSettings returns settings with every number as float64, which is
// what decoding Gateflow's JSON gives, so that a desired 30000 (an int from
// the configuration) equals a live 30000. Gateflow settings are flat:
// anything but strings, booleans and numbers is an error. Empty gives nil.
func NormalizeSettings(in map[string]any) (map[string]any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		n, err := normalizeScalar(v)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", k, err)
		}
		out[k] = n
	}
	return out, nil
}

func normalizeScalar(v any) (any, error) {
	var f float64
	switch v := v.(type) {
	case string, bool:
		return v, nil
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint:
		f = float64(v)
	case uint32:
		f = float64(v)
	case uint64:
		f = float64(v)
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return nil, fmt.Errorf("number %s: %w", v, err)
		}
	default:
		return nil, fmt.Errorf("unsupported value of type %T: settings are strings, numbers and booleans", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v cannot be written as JSON", f)
	}
	return f, nil
}

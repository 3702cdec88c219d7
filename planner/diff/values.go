package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"time"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
)

// The plan carries JSON values (see package plan). These functions build
// them directly in the shape encoding/json decodes to, so that a plan read
// back from a file compares equal to the one written.

func setValue(s objects.Set) []any {
	out := make([]any, 0, len(s))
	for _, e := range s.Normalized() {
		out = append(out, e)
	}
	return out
}

func stringMapValue(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// liveValues are a live provider's values as the plan shows them: the
// strings, and the values of other types as they are (30, true), which a
// configuration's strings replace.
func liveValues(g objects.GlowProvider) map[string]any {
	out := stringMapValue(g.Values)
	for k, raw := range g.OtherValues {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			v = string(raw)
		}
		out[k] = v
	}
	return out
}

func anyMapValue(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return maps.Clone(m)
}

// refValue is the plan's stand-in for a secret: where it comes from, never
// what it is. keyID is the live Glow key, when there is one.
func refValue(src secretref.Source, keyID string) map[string]any {
	r := map[string]any{}
	switch {
	case src.Env != "":
		r["env"] = src.Env
	case src.VaultPath != "":
		r["vault"] = src.VaultPath + "#" + src.VaultKey
		if src.Version > 0 {
			r["version"] = float64(src.Version)
		}
	case src.TerraformVersion > 0:
		r["terraform_version"] = float64(src.TerraformVersion)
	default:
		r["origin"] = "unknown"
	}
	if keyID != "" {
		r["key_id"] = keyID
	}
	return r
}

func glowValue(g objects.GlowProvider) (obj, mask map[string]any) {
	keys := make(map[string]any, len(g.Keys))
	keyMask := make(map[string]any, len(g.Keys))
	for _, k := range g.Keys {
		keys[k.Label] = refValue(k.Source, k.KeyID)
		keyMask[k.Label] = true
	}
	obj = map[string]any{
		"name":        g.Name,
		"description": g.Description,
		"departments": setValue(g.Departments),
		"endpoints":   setValue(g.Endpoints),
		"values":      liveValues(g),
		"keys":        keys,
	}
	if g.ID != "" {
		obj["id"] = g.ID
	}
	return obj, map[string]any{"keys": keyMask}
}

// gateflowValue describes a desired provider, or a live one when live is
// true: Gateflow never returns credentials, so a live object shows only when
// they were last set.
func gateflowValue(g objects.GateflowProvider, live bool) (obj, mask map[string]any) {
	obj = map[string]any{
		"provider_id": g.ProviderID,
		"enabled":     g.Enabled,
		"settings":    anyMapValue(g.Settings),
	}
	if live {
		if g.CredentialsUpdatedAt != nil {
			obj["credentials_updated_at"] = g.CredentialsUpdatedAt.UTC().Format(time.RFC3339Nano)
		}
		return obj, map[string]any{}
	}
	creds := make(map[string]any, len(g.Credentials))
	credMask := make(map[string]any, len(g.Credentials))
	for name, src := range g.Credentials {
		creds[name] = refValue(src, "")
		credMask[name] = true
	}
	obj["credentials"] = creds
	return obj, map[string]any{"credentials": credMask}
}

// digestRef names a secret without its version: a new Vault version is a
// rotation, not a configuration change, so it must not move the digest.
func digestRef(src secretref.Source) string {
	if src.Env != "" {
		return "env:" + src.Env
	}
	return "vault:" + src.VaultPath + "#" + src.VaultKey
}

func digest(v any) string {
	b, err := json.Marshal(v) // maps are written sorted: the digest is stable
	if err != nil {
		panic("planner: digest of a plain value: " + err.Error()) // only strings, bools, float64
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func glowDigest(g objects.GlowProvider) string {
	keys := make(map[string]string, len(g.Keys))
	for _, k := range g.Keys {
		keys[k.Label] = digestRef(k.Source)
	}
	return digest(struct {
		ID, Name, Description  string
		Departments, Endpoints []string
		Values, Keys           map[string]string
	}{g.ID, g.Name, g.Description, g.Departments.Normalized(), g.Endpoints.Normalized(), g.Values, keys})
}

func gateflowDigest(g objects.GateflowProvider) string {
	creds := make(map[string]string, len(g.Credentials))
	for name, src := range g.Credentials {
		creds[name] = digestRef(src)
	}
	return digest(struct {
		ProviderID  string
		Enabled     bool
		Settings    map[string]any
		Credentials map[string]string
	}{g.ProviderID, g.Enabled, g.Settings, creds})
}

// Package catalogue is the one table of what Gateflow knows about each of
// its six providers: the provider IDs, display names, models, accepted
// settings with their types, and credential fields. `switchboard validate`
// (package config) checks configurations against it offline, the
// Terraform provider at plan time, and the emulator answers from it. The
// reference gives the IDs, names, models and example fields; docs/api.md
// ("Gateflow", Providers) records the rest.
//
// It is data and the checks of a value against it, nothing HTTP, and it
// imports no package of Switchboard: config uses it without depending on
// the Gateflow client (package gateflow, one directory up), whose wire
// types are the client's own.
package catalogue

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// The six provider IDs of the reference's "Supported Providers" table.
const (
	OpenAI     = "openai"
	Anthropic  = "anthropic"
	Google     = "google"
	Mistral    = "mistral"
	Cohere     = "cohere"
	ElevenLabs = "elevenlabs"
)

// ProviderIDs lists the supported provider IDs in the reference's order.
var ProviderIDs = []string{OpenAI, Anthropic, Google, Mistral, Cohere, ElevenLabs}

// IsProviderID reports whether id is one of the supported provider IDs.
func IsProviderID(id string) bool { return slices.Contains(ProviderIDs, id) }

// ValueType is the JSON type a setting takes.
type ValueType string

// The types of settings.
const (
	TypeString  ValueType = "string"
	TypeNumber  ValueType = "number"
	TypeInteger ValueType = "integer"
	TypeBoolean ValueType = "boolean"
)

// SettingInfo is one accepted setting of a provider.
type SettingInfo struct {
	Name string
	Type ValueType
	// NonNegative: a number or integer must be at least 0.
	NonNegative bool
}

// Expected says what a value of the setting must be, for messages: "a
// string", "a non-negative integer".
func (s SettingInfo) Expected() string {
	switch {
	case s.NonNegative && (s.Type == TypeNumber || s.Type == TypeInteger):
		return "a non-negative " + string(s.Type)
	case s.Type == TypeInteger:
		return "an integer"
	}
	return "a " + string(s.Type)
}

// Accepts reports whether v is a valid value of the setting. v is a value
// as encoding/json decodes it (string, bool, float64, or json.Number with
// UseNumber) or as Go code builds it (any integer or float type). An
// integer setting takes a json.Number only when it is written as an
// integer, and a float only when it is whole and fits in an int64; nil is
// never accepted (a null setting means "remove", which the caller decides).
func (s SettingInfo) Accepts(v any) bool {
	switch s.Type {
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeNumber:
		f, ok := asFloat(v)
		return ok && !math.IsNaN(f) && !math.IsInf(f, 0) && (!s.NonNegative || f >= 0)
	case TypeInteger:
		neg, ok := asInteger(v)
		return ok && (!s.NonNegative || !neg)
	}
	return false
}

// asFloat reads a number of any of the forms Accepts takes.
func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// asInteger reports whether v is an integer that fits in an int64, and
// whether it is negative.
func asInteger(v any) (negative, ok bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i < 0, err == nil
	case float64:
		return n < 0, n == math.Trunc(n) && n >= math.MinInt64 && n < math.MaxInt64
	case float32:
		return asInteger(float64(n))
	case int, int8, int16, int32, int64:
		f, _ := asFloat(n)
		return f < 0, true
	case uint, uint8, uint16, uint32:
		return false, true
	case uint64:
		return false, n <= math.MaxInt64
	}
	return false, false
}

// CredentialInfo is one accepted credential field. Credentials are strings.
type CredentialInfo struct {
	Name string
	// Required: the field must be present and non-empty.
	Required bool
	// Prefix, when set, is how every value starts ("sk-" for an OpenAI
	// api_key). Only a value can show it: validate, which never reads
	// secrets, cannot check it.
	Prefix string
}

// Model is one model of a provider: what the get answer shows of it once
// the provider is configured, where Gateflow reports each as available.
type Model struct {
	ID string
	// Type is the kind of model: "chat", "embedding", "audio", "rerank"
	// or "tts".
	Type string
}

// ProviderInfo is one provider of the catalogue.
type ProviderInfo struct {
	ID string
	// Name is the display name, as list and get show it.
	Name string
	// Models are the provider's models, in the order get shows them.
	Models []Model
	// Settings are the accepted settings, by name.
	Settings []SettingInfo
	// Credentials are the accepted credential fields, by name.
	Credentials []CredentialInfo
}

// Setting finds an accepted setting by name.
func (p ProviderInfo) Setting(name string) (SettingInfo, bool) {
	for _, s := range p.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return SettingInfo{}, false
}

// Credential finds an accepted credential field by name.
func (p ProviderInfo) Credential(name string) (CredentialInfo, bool) {
	for _, c := range p.Credentials {
		if c.Name == name {
			return c, true
		}
	}
	return CredentialInfo{}, false
}

// SettingNames are the names of the accepted settings, sorted.
func (p ProviderInfo) SettingNames() []string {
	out := make([]string, len(p.Settings))
	for i, s := range p.Settings {
		out[i] = s.Name
	}
	return out
}

// CredentialNames are the names of the accepted credential fields, sorted.
func (p ProviderInfo) CredentialNames() []string {
	out := make([]string, len(p.Credentials))
	for i, c := range p.Credentials {
		out[i] = c.Name
	}
	return out
}

// ModelIDs are the IDs of the provider's models, as list shows them.
func (p ProviderInfo) ModelIDs() []string {
	out := make([]string, len(p.Models))
	for i, m := range p.Models {
		out[i] = m.ID
	}
	return out
}

// Lookup returns the entry of a provider ID, false for an ID Gateflow
// does not support. The entry is a copy: changing it changes nothing else.
func Lookup(id string) (ProviderInfo, bool) {
	for _, p := range table {
		if p.ID == id {
			p.Models = slices.Clone(p.Models)
			p.Settings = slices.Clone(p.Settings)
			p.Credentials = slices.Clone(p.Credentials)
			return p, true
		}
	}
	return ProviderInfo{}, false
}

func models(typ string, ids ...string) []Model {
	out := make([]Model, len(ids))
	for i, id := range ids {
		out[i] = Model{ID: id, Type: typ}
	}
	return out
}

// settings are the settings every provider accepts plus its own, sorted
// by name.
func settings(own ...SettingInfo) []SettingInfo {
	out := append([]SettingInfo{
		{Name: "base_url", Type: TypeString},
		{Name: "default_model", Type: TypeString},
		{Name: "max_retries", Type: TypeInteger, NonNegative: true},
		{Name: "timeout_ms", Type: TypeInteger, NonNegative: true},
	}, own...)
	slices.SortFunc(out, func(a, b SettingInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func apiKey(prefix string) CredentialInfo {
	return CredentialInfo{Name: "api_key", Required: true, Prefix: prefix}
}

// table is in the reference's order, that of ProviderIDs.
var table = []ProviderInfo{
	{
		ID: OpenAI, Name: "OpenAI",
		Models: slices.Concat(models("chat", "gpt-5.2", "gpt-5", "gpt-5-mini"),
			models("embedding", "text-embedding-3-large")),
		Settings: settings(
			SettingInfo{Name: "organization_id", Type: TypeString},
			SettingInfo{Name: "project_id", Type: TypeString}),
		Credentials: []CredentialInfo{apiKey("sk-"), {Name: "organization_id"}},
	},
	{
		ID: Anthropic, Name: "Anthropic",
		Models:      models("chat", "claude-opus-4-5-20251107", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251015"),
		Settings:    settings(),
		Credentials: []CredentialInfo{apiKey("sk-ant-")},
	},
	{
		ID: Google, Name: "Google AI",
		Models: slices.Concat(models("chat", "gemini-3-pro", "gemini-3-flash"),
			models("embedding", "gemini-embedding-001")),
		Settings:    settings(SettingInfo{Name: "region", Type: TypeString}),
		Credentials: []CredentialInfo{apiKey("")},
	},
	{
		ID: Mistral, Name: "Mistral",
		Models: slices.Concat(models("chat", "mistral-large-latest", "mistral-small-latest", "devstral-medium-latest"),
			models("audio", "voxtral-small-latest"), models("embedding", "mistral-embed")),
		Settings:    settings(),
		Credentials: []CredentialInfo{apiKey("")},
	},
	{
		ID: Cohere, Name: "Cohere",
		Models: slices.Concat(models("chat", "command-r-plus", "command-a-03-2025"),
			models("rerank", "rerank-v3.5")),
		Settings:    settings(),
		Credentials: []CredentialInfo{apiKey("")},
	},
	{
		ID: ElevenLabs, Name: "ElevenLabs",
		Models:      models("tts", "eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_flash_v2_5"),
		Settings:    settings(SettingInfo{Name: "default_voice", Type: TypeString}),
		Credentials: []CredentialInfo{apiKey("")},
	},
}

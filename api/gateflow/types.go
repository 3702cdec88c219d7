package gateflow

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// The types in this file are the Gateflow Management API wire format, shared
// with the emulator. The reference leaves some fields open; the choices are
// in docs/api.md.
//
// Answers are decoded strictly only where Switchboard acts on a field: a
// provider's id, status, configured flag, settings, updated_at and
// credentials_updated_at, and a test's test_result. Every other answer field
// is only displayed, and decodes from whatever JSON arrives (docs/api.md,
// "Tolerance"): a string field shows any other value as its JSON text, a
// number field takes any JSON number (or a string holding one), a
// timestamp takes RFC 3339 and near forms and is absent otherwise. The
// answers of configure, credentials, enable and disable are only displayed
// as a whole, so any JSON body, or none, decodes.

// Status values of a provider.
const (
	StatusActive   = "active"   // configured and enabled
	StatusInactive = "inactive" // not configured
	StatusDisabled = "disabled" // configured, disabled
)

// Health is a provider's last health check; nil when it is not configured.
// Switchboard only displays it, so it decodes from any JSON: an object's
// fields as far as their values allow, and anything else as the Status
// (a bare string as it is, other JSON as its text).
type Health struct {
	Status string `json:"status"`
	// LatencyMS is latency_ms in whole milliseconds: a fraction is
	// rounded, and a value that is not a number reads as 0.
	LatencyMS int      `json:"latency_ms"`
	Uptime30d *float64 `json:"uptime_30d,omitempty"`
	// LastCheck is zero when last_check is absent or not a timestamp.
	LastCheck time.Time `json:"last_check"`
	// LastError is last_error as Gateflow sent it, any JSON (a string, an
	// object with a code and a message, …); nil when absent or null.
	// LastErrorText shows it.
	LastError json.RawMessage `json:"last_error"`
}

// LastErrorText is last_error for display: a string as it is, other JSON
// as its compact text, "" when there is none.
func (h Health) LastErrorText() string { return text(h.LastError) }

// UnmarshalJSON decodes any JSON (see Health).
func (h *Health) UnmarshalJSON(b []byte) error {
	var w struct {
		Status    json.RawMessage `json:"status"`
		LatencyMS json.RawMessage `json:"latency_ms"`
		Uptime30d json.RawMessage `json:"uptime_30d"`
		LastCheck json.RawMessage `json:"last_check"`
		LastError json.RawMessage `json:"last_error"`
	}
	*h = Health{}
	if json.Unmarshal(b, &w) != nil {
		h.Status = text(b)
		return nil
	}
	h.Status = text(w.Status)
	h.LatencyMS = wholeInt(w.LatencyMS)
	if f, ok := number(w.Uptime30d); ok {
		h.Uptime30d = &f
	}
	if t := timestamp(w.LastCheck); t != nil {
		h.LastCheck = *t
	}
	h.LastError = jsonValue(w.LastError)
	return nil
}

// ProviderSummary is an entry of GET /v1/management/providers. ID, Status
// and Configured are decoded strictly; Name, Models and Health are only
// displayed (a model given as an object, as get shows them, is its id).
type ProviderSummary struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Configured bool     `json:"configured"`
	Models     []string `json:"models"`
	Health     *Health  `json:"health"`
}

// UnmarshalJSON decodes what list acts on strictly and the rest
// tolerantly.
func (s *ProviderSummary) UnmarshalJSON(b []byte) error {
	type plain ProviderSummary
	var w struct {
		plain
		Name   json.RawMessage `json:"name"`
		Models json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = ProviderSummary(w.plain)
	s.Name = text(w.Name)
	if items, ok := list(w.Models); ok {
		s.Models = make([]string, len(items))
		for i, m := range items {
			s.Models[i] = modelID(m)
		}
	}
	return nil
}

// ListResponse is the answer of GET /v1/management/providers.
type ListResponse struct {
	Providers []ProviderSummary `json:"providers"`
}

// ConfigureRequest is the body of POST /v1/management/providers. Credentials
// are in clear on the wire; the client builds this right before sending.
type ConfigureRequest struct {
	Provider    string            `json:"provider"`
	Credentials map[string]string `json:"credentials"`
	Settings    map[string]any    `json:"settings,omitempty"`
}

// ConfigureResponse is the answer of POST /v1/management/providers.
// Switchboard acts on none of it but the ETag, so any JSON body decodes
// (fields it cannot read stay zero), and an empty one too.
type ConfigureResponse struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Status       string    `json:"status"`
	Configured   bool      `json:"configured"`
	ConfiguredAt time.Time `json:"configured_at"`
	Models       []string  `json:"models"`
	// ETag is the provider's entity tag after the write, from the answer's
	// ETag header; pass it to IfMatch to guard the next write.
	ETag string `json:"-"`
}

// UnmarshalJSON decodes any JSON (see ConfigureResponse).
func (r *ConfigureResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		ID           json.RawMessage `json:"id"`
		Name         json.RawMessage `json:"name"`
		Status       json.RawMessage `json:"status"`
		Configured   json.RawMessage `json:"configured"`
		ConfiguredAt json.RawMessage `json:"configured_at"`
		Models       json.RawMessage `json:"models"`
	}
	_ = json.Unmarshal(b, &w) // a body that is not an object tells nothing
	*r = ConfigureResponse{ID: text(w.ID), Name: text(w.Name), Status: text(w.Status), Configured: flag(w.Configured)}
	if t := timestamp(w.ConfiguredAt); t != nil {
		r.ConfiguredAt = *t
	}
	if items, ok := list(w.Models); ok {
		r.Models = make([]string, len(items))
		for i, m := range items {
			r.Models[i] = modelID(m)
		}
	}
	return nil
}

// Model is a model entry of the get answer. It is only displayed: a bare
// string (as list shows models) is the ID, and any other JSON that is not
// an object is the ID as its text.
type Model struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Available bool   `json:"available"`
}

// UnmarshalJSON decodes any JSON (see Model).
func (m *Model) UnmarshalJSON(b []byte) error {
	var w struct {
		ID        json.RawMessage `json:"id"`
		Type      json.RawMessage `json:"type"`
		Available json.RawMessage `json:"available"`
	}
	if json.Unmarshal(b, &w) != nil {
		*m = Model{ID: text(b)}
		return nil
	}
	*m = Model{ID: text(w.ID), Type: text(w.Type), Available: flag(w.Available)}
	return nil
}

// Usage is the get answer's usage block. It is only displayed, so it
// decodes from any JSON: numbers of any form (counts rounded), and zero for
// what is not a number.
type Usage struct {
	RequestsToday int64   `json:"requests_today"`
	TokensToday   int64   `json:"tokens_today"`
	CostTodayUSD  float64 `json:"cost_today_usd"`
}

// UnmarshalJSON decodes any JSON (see Usage).
func (u *Usage) UnmarshalJSON(b []byte) error {
	var w struct {
		RequestsToday json.RawMessage `json:"requests_today"`
		TokensToday   json.RawMessage `json:"tokens_today"`
		CostTodayUSD  json.RawMessage `json:"cost_today_usd"`
	}
	_ = json.Unmarshal(b, &w) // not an object: nothing to show
	*u = Usage{}
	u.RequestsToday, _ = whole(w.RequestsToday)
	u.TokensToday, _ = whole(w.TokensToday)
	u.CostTodayUSD, _ = number(w.CostTodayUSD)
	return nil
}

// Provider is the answer of GET /v1/management/providers/{provider_id} and of
// PATCH. The reference shows configured_at, settings, models, health and
// usage; Switchboard also relies on updated_at, credentials_updated_at and
// disabled_at (documented in docs/api.md) to detect drift and rotation
// without ever reading credentials back.
//
// ID, Status, Configured, Settings (an object), UpdatedAt and
// CredentialsUpdatedAt (RFC 3339, with or without fractional seconds, or
// null) are decoded strictly: Switchboard acts on them. Name, ConfiguredAt,
// DisabledAt, Models, Health and Usage are only displayed and decode from
// any JSON (a timestamp that cannot be read is nil).
type Provider struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	Status               string         `json:"status"`
	Configured           bool           `json:"configured"`
	ConfiguredAt         *time.Time     `json:"configured_at,omitempty"`
	UpdatedAt            *time.Time     `json:"updated_at,omitempty"`
	CredentialsUpdatedAt *time.Time     `json:"credentials_updated_at,omitempty"`
	DisabledAt           *time.Time     `json:"disabled_at,omitempty"`
	Settings             map[string]any `json:"settings"`
	Models               []Model        `json:"models"`
	Health               *Health        `json:"health"`
	Usage                *Usage         `json:"usage,omitempty"`
	// ETag is the entity tag of what was read (the answer's ETag header,
	// not a JSON field). It changes whenever settings, credentials, state
	// or configuration change; pass it to IfMatch so that a write fails
	// with api.ErrPreconditionFailed instead of overwriting a change made
	// since this read. Empty when the server sends none.
	ETag string `json:"-"`
}

// UnmarshalJSON decodes what Switchboard acts on strictly and the rest
// tolerantly (see Provider).
func (p *Provider) UnmarshalJSON(b []byte) error {
	type plain Provider
	var w struct {
		plain
		Name         json.RawMessage `json:"name"`
		ConfiguredAt json.RawMessage `json:"configured_at"`
		DisabledAt   json.RawMessage `json:"disabled_at"`
		Models       json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = Provider(w.plain)
	p.Name = text(w.Name)
	p.ConfiguredAt, p.DisabledAt = timestamp(w.ConfiguredAt), timestamp(w.DisabledAt)
	if items, ok := list(w.Models); ok {
		p.Models = make([]Model, len(items))
		for i, m := range items {
			_ = p.Models[i].UnmarshalJSON(m) // never fails
		}
	}
	return nil
}

// UpdateRequest is the body of PATCH /v1/management/providers/{provider_id}:
// the settings given are merged into the provider's settings; a null value
// removes a setting.
type UpdateRequest struct {
	Settings map[string]any `json:"settings"`
}

// CredentialsResponse is the answer of POST .../{provider_id}/credentials.
// Switchboard acts on none of it but the ETag (rotation is told from get's
// credentials_updated_at), so any JSON body decodes, and an empty one too.
type CredentialsResponse struct {
	ID                   string    `json:"id"`
	CredentialsUpdatedAt time.Time `json:"credentials_updated_at"`
	Status               string    `json:"status"`
	// ETag is the provider's entity tag after the write.
	ETag string `json:"-"`
}

// UnmarshalJSON decodes any JSON (see CredentialsResponse).
func (r *CredentialsResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		ID                   json.RawMessage `json:"id"`
		CredentialsUpdatedAt json.RawMessage `json:"credentials_updated_at"`
		Status               json.RawMessage `json:"status"`
	}
	_ = json.Unmarshal(b, &w) // a body that is not an object tells nothing
	*r = CredentialsResponse{ID: text(w.ID), Status: text(w.Status)}
	if t := timestamp(w.CredentialsUpdatedAt); t != nil {
		r.CredentialsUpdatedAt = *t
	}
	return nil
}

// TestResult is the answer of POST .../{provider_id}/test. TestResult is
// decoded strictly (apply --verify acts on it); the rest is only displayed
// and decodes from any JSON: LatencyMS and ModelsAvailable round any
// number, Error shows an object (or any JSON that is not a string) as its
// text, and a TestedAt that cannot be read is zero.
type TestResult struct {
	ID              string    `json:"id"`
	TestResult      string    `json:"test_result"` // "success" or "failure"
	LatencyMS       int       `json:"latency_ms"`
	ModelsAvailable int       `json:"models_available"`
	TestedAt        time.Time `json:"tested_at"`
	Error           string    `json:"error,omitempty"`
}

// UnmarshalJSON decodes test_result strictly and the rest tolerantly.
func (r *TestResult) UnmarshalJSON(b []byte) error {
	var w struct {
		ID              json.RawMessage `json:"id"`
		TestResult      string          `json:"test_result"`
		LatencyMS       json.RawMessage `json:"latency_ms"`
		ModelsAvailable json.RawMessage `json:"models_available"`
		TestedAt        json.RawMessage `json:"tested_at"`
		Error           json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = TestResult{ID: text(w.ID), TestResult: w.TestResult, LatencyMS: wholeInt(w.LatencyMS),
		ModelsAvailable: wholeInt(w.ModelsAvailable), Error: text(w.Error)}
	if t := timestamp(w.TestedAt); t != nil {
		r.TestedAt = *t
	}
	return nil
}

// StateResponse is the answer of POST .../{provider_id}/disable and /enable.
// Switchboard acts on none of it but the ETag (it reads the state with
// get), so any JSON body decodes, and an empty one too.
type StateResponse struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	EnabledAt  *time.Time `json:"enabled_at,omitempty"`
	// ETag is the provider's entity tag after the write.
	ETag string `json:"-"`
}

// UnmarshalJSON decodes any JSON (see StateResponse).
func (r *StateResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		ID         json.RawMessage `json:"id"`
		Status     json.RawMessage `json:"status"`
		DisabledAt json.RawMessage `json:"disabled_at"`
		EnabledAt  json.RawMessage `json:"enabled_at"`
	}
	_ = json.Unmarshal(b, &w) // a body that is not an object tells nothing
	*r = StateResponse{ID: text(w.ID), Status: text(w.Status),
		DisabledAt: timestamp(w.DisabledAt), EnabledAt: timestamp(w.EnabledAt)}
	return nil
}

// DeleteResult is what DeleteWithETag learns from the 204 of DELETE
// .../{provider_id}, which has no body.
type DeleteResult struct {
	ID string
	// ETag is the tag of the now unconfigured provider: IfMatch(ETag) on
	// Configure configures it only if nobody did in between.
	ETag string
}

// The tolerant decoding of displayed-only fields. raw is one JSON value as
// the decoder found it, or empty when the field was absent; none of these
// fails.

// isNull reports whether raw is absent or null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// text is a displayed string: a JSON string as it is, absent or null as "",
// anything else as its compact JSON text (30, true, {"code":"x"}).
func text(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(jsonValue(raw))
}

// jsonValue is raw compacted, nil when absent or null.
func jsonValue(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append(json.RawMessage(nil), bytes.TrimSpace(raw)...)
	}
	return b.Bytes()
}

// number is a displayed number: any JSON number, or a string holding one.
// ok is false for anything else, and for what float64 cannot hold.
func number(raw json.RawMessage) (float64, bool) {
	if isNull(raw) {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// maxWhole bounds whole: beyond it, float64 no longer holds every integer.
const maxWhole = 1 << 53

// whole is a displayed count: number rounded to the nearest integer.
func whole(raw json.RawMessage) (int64, bool) {
	f, ok := number(raw)
	if !ok || math.Abs(f) > maxWhole {
		return 0, false
	}
	return int64(math.Round(f)), true
}

// wholeInt is whole as an int, 0 when it does not fit.
func wholeInt(raw json.RawMessage) int {
	n, ok := whole(raw)
	if !ok || n > math.MaxInt || n < math.MinInt {
		return 0
	}
	return int(n)
}

// flag is a displayed boolean: JSON true, or a string strconv.ParseBool
// reads as true.
func flag(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		b, _ = strconv.ParseBool(strings.TrimSpace(s))
	}
	return b
}

// timeLayouts are the timestamp forms a displayed timestamp is read in:
// RFC 3339 (fractional seconds are accepted by every layout), a zone
// without a colon, a space for the T, and no zone at all (read as UTC).
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
}

// timestamp is a displayed timestamp, nil when absent, null, or in no form
// of timeLayouts.
func timestamp(raw json.RawMessage) *time.Time {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return &t
		}
	}
	return nil
}

// list is a displayed list's elements: an array's (ok with an empty,
// non-nil slice for []), one element for any other value, and ok false
// when absent or null.
func list(raw json.RawMessage) ([]json.RawMessage, bool) {
	if isNull(raw) {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return []json.RawMessage{raw}, true
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	return items, true
}

// modelID is a displayed model: a string as it is, an object by its id,
// anything else as its text.
func modelID(raw json.RawMessage) string {
	var m Model
	_ = m.UnmarshalJSON(raw) // never fails
	return m.ID
}

package gateflow

import "time"

// The types in this file are the Gateflow Management API wire format, shared
// with the emulator. The reference leaves some fields open; the choices are
// in docs/api.md.

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
func IsProviderID(id string) bool {
	for _, p := range ProviderIDs {
		if p == id {
			return true
		}
	}
	return false
}

// Status values of a provider.
const (
	StatusActive   = "active"   // configured and enabled
	StatusInactive = "inactive" // not configured
	StatusDisabled = "disabled" // configured, disabled
)

// Health is a provider's last health check; nil when it is not configured.
type Health struct {
	Status    string    `json:"status"`
	LatencyMS int       `json:"latency_ms"`
	Uptime30d *float64  `json:"uptime_30d,omitempty"`
	LastCheck time.Time `json:"last_check"`
	LastError *string   `json:"last_error"`
}

// ProviderSummary is an entry of GET /v1/management/providers.
type ProviderSummary struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Configured bool     `json:"configured"`
	Models     []string `json:"models"`
	Health     *Health  `json:"health"`
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

// Model is a model entry of the get answer.
type Model struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Available bool   `json:"available"`
}

// Usage is the get answer's usage block.
type Usage struct {
	RequestsToday int64   `json:"requests_today"`
	TokensToday   int64   `json:"tokens_today"`
	CostTodayUSD  float64 `json:"cost_today_usd"`
}

// Provider is the answer of GET /v1/management/providers/{provider_id} and of
// PATCH. The reference shows configured_at, settings, models, health and
// usage; Switchboard also relies on updated_at, credentials_updated_at and
// disabled_at (documented in docs/api.md) to detect drift and rotation
// without ever reading credentials back.
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

// UpdateRequest is the body of PATCH /v1/management/providers/{provider_id}:
// the settings given are merged into the provider's settings; a null value
// removes a setting.
type UpdateRequest struct {
	Settings map[string]any `json:"settings"`
}

// CredentialsResponse is the answer of POST .../{provider_id}/credentials.
type CredentialsResponse struct {
	ID                   string    `json:"id"`
	CredentialsUpdatedAt time.Time `json:"credentials_updated_at"`
	Status               string    `json:"status"`
	// ETag is the provider's entity tag after the write.
	ETag string `json:"-"`
}

// TestResult is the answer of POST .../{provider_id}/test.
type TestResult struct {
	ID              string    `json:"id"`
	TestResult      string    `json:"test_result"` // "success" or "failure"
	LatencyMS       int       `json:"latency_ms"`
	ModelsAvailable int       `json:"models_available"`
	TestedAt        time.Time `json:"tested_at"`
	Error           string    `json:"error,omitempty"`
}

// StateResponse is the answer of POST .../{provider_id}/disable and /enable.
type StateResponse struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	EnabledAt  *time.Time `json:"enabled_at,omitempty"`
	// ETag is the provider's entity tag after the write.
	ETag string `json:"-"`
}

// DeleteResult is what DeleteWithETag learns from the 204 of DELETE
// .../{provider_id}, which has no body.
type DeleteResult struct {
	ID string
	// ETag is the tag of the now unconfigured provider: IfMatch(ETag) on
	// Configure configures it only if nobody did in between.
	ETag string
}

// ErrorBody is the body of every non-2xx answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code, a message and, for bad
// input, the JSON path of the offending field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

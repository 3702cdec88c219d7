package gateflow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/transport"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Environment variables NewFromEnv reads.
const (
	EnvURL      = "GATEFLOW_URL"
	EnvAdminKey = "GATEFLOW_ADMIN_KEY"
)

// basePath is where the Management API lives under the service URL.
const basePath = "/v1/management"

// Client calls the Gateflow Management API. It is safe for concurrent use.
type Client struct {
	t *transport.Client
}

// New makes a client for the Gateflow service at baseURL (the reference's
// https://api.gateflow.ai); a URL that already ends in /v1/management is
// accepted too. adminKey is a gw_admin_ key.
func New(baseURL string, adminKey sensitive.String, opts ...api.Option) (*Client, error) {
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(base, basePath) {
		base += basePath
	}
	t, err := transport.New("gateflow", base, adminKey, api.NewConfig(opts...))
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// NewFromEnv makes a client from GATEFLOW_URL and GATEFLOW_ADMIN_KEY.
func NewFromEnv(opts ...api.Option) (*Client, error) {
	u, key := os.Getenv(EnvURL), os.Getenv(EnvAdminKey)
	if u == "" {
		return nil, fmt.Errorf("gateflow: %s is not set", EnvURL)
	}
	if key == "" {
		return nil, fmt.Errorf("gateflow: %s is not set", EnvAdminKey)
	}
	return New(u, sensitive.New(key), opts...)
}

// Stats returns the client's attempt and retry counters.
func (c *Client) Stats() api.Stats { return c.t.Stats() }

func providerPath(id string, suffix string) string {
	return "/providers/" + url.PathEscape(id) + suffix
}

// List reads the catalogue: all six providers, configured or not.
func (c *Client) List(ctx context.Context) ([]ProviderSummary, error) {
	var out ListResponse
	err := c.t.Do(ctx, transport.Call{
		Operation: "list providers", Method: http.MethodGet, Path: "/providers",
		Replay: transport.Idempotent, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return out.Providers, nil
}

// Configure sets up a provider that is not configured yet (409
// already_configured otherwise; use UpdateSettings and UpdateCredentials).
// The credential values are revealed only into the request body built here.
// It is not replayed after an ambiguous failure: the replay of a configure
// that succeeded answers a false 409.
func (c *Client) Configure(ctx context.Context, id string, credentials map[string]sensitive.String, settings map[string]any) (*ConfigureResponse, error) {
	creds, secrets := reveal(credentials)
	var out ConfigureResponse
	err := c.t.Do(ctx, transport.Call{
		Operation: "configure provider", Name: id, Method: http.MethodPost, Path: "/providers",
		Replay: transport.NotIdempotent, Secrets: secrets, Out: &out,
		Body: ConfigureRequest{Provider: id, Credentials: creds, Settings: settings},
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Get reads a provider. An unconfigured provider answers with Configured
// false; an unknown id is api.ErrNotFound.
func (c *Client) Get(ctx context.Context, id string) (*Provider, error) {
	var out Provider
	err := c.t.Do(ctx, transport.Call{
		Operation: "get provider", Name: id, Method: http.MethodGet, Path: providerPath(id, ""),
		Replay: transport.Idempotent, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateSettings merges settings into the provider's; a nil value removes a
// setting. A merge is idempotent, so it is replayed like a read.
func (c *Client) UpdateSettings(ctx context.Context, id string, settings map[string]any) (*Provider, error) {
	if settings == nil {
		settings = map[string]any{}
	}
	var out Provider
	err := c.t.Do(ctx, transport.Call{
		Operation: "update settings of provider", Name: id, Method: http.MethodPatch, Path: providerPath(id, ""),
		Replay: transport.Idempotent, Body: UpdateRequest{Settings: settings}, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateCredentials replaces the provider's credentials. Replacing with the
// same values twice leaves the same state, so it is replayed like a read.
func (c *Client) UpdateCredentials(ctx context.Context, id string, credentials map[string]sensitive.String) (*CredentialsResponse, error) {
	creds, secrets := reveal(credentials)
	var out CredentialsResponse
	err := c.t.Do(ctx, transport.Call{
		Operation: "update credentials of provider", Name: id, Method: http.MethodPost,
		Path: providerPath(id, "/credentials"), Replay: transport.Idempotent,
		Secrets: secrets, Body: creds, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Test asks Gateflow to call the provider. A failing provider is a
// TestResult with "failure", not an error.
func (c *Client) Test(ctx context.Context, id string) (*TestResult, error) {
	var out TestResult
	err := c.t.Do(ctx, transport.Call{
		Operation: "test provider", Name: id, Method: http.MethodPost, Path: providerPath(id, "/test"),
		Replay: transport.Idempotent, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Disable stops routing to the provider, keeping its configuration.
func (c *Client) Disable(ctx context.Context, id string) (*StateResponse, error) {
	return c.state(ctx, "disable provider", id, "/disable")
}

// Enable resumes routing to a disabled provider.
func (c *Client) Enable(ctx context.Context, id string) (*StateResponse, error) {
	return c.state(ctx, "enable provider", id, "/enable")
}

func (c *Client) state(ctx context.Context, op, id, suffix string) (*StateResponse, error) {
	var out StateResponse
	err := c.t.Do(ctx, transport.Call{
		Operation: op, Name: id, Method: http.MethodPost, Path: providerPath(id, suffix),
		Replay: transport.Idempotent, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete removes the provider's configuration; it is listed as inactive
// afterwards.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.t.Do(ctx, transport.Call{
		Operation: "delete provider", Name: id, Method: http.MethodDelete, Path: providerPath(id, ""),
		Replay: transport.Idempotent,
	})
}

func reveal(in map[string]sensitive.String) (map[string]string, []string) {
	out := make(map[string]string, len(in))
	secrets := make([]string, 0, len(in))
	for k, v := range in {
		out[k] = v.Reveal()
		secrets = append(secrets, v.Reveal())
	}
	return out, secrets
}

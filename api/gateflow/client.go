package gateflow

import (
	"cmp"
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

// WriteOption changes one write call (Configure, UpdateSettings,
// UpdateCredentials, Disable, Enable, Delete).
type WriteOption func(*writeOptions)

type writeOptions struct {
	ifMatch string
}

// IfMatch makes a write conditional on the provider being as it was when
// Gateflow answered etag (Provider.ETag, or the ETag of a write's result).
// If it changed since, the write changes nothing and fails with
// api.ErrPreconditionFailed (which also matches api.ErrConflict). An empty
// etag leaves the write unconditional.
//
// A conditional write is replayed after a lost answer even where the
// unconditional one is not (Configure): the replay of a write that landed
// answers 412 rather than acting twice, and the caller reads the provider
// again to tell its own write from someone else's.
func IfMatch(etag string) WriteOption {
	return func(o *writeOptions) { o.ifMatch = etag }
}

// write builds a write call with the options applied. replay is the call's
// replay when it is unconditional.
//
// A write's answer body only reports what Get reads again, so an empty one
// (a 204, or a 200 without a body) is a success: the result then holds the
// provider's ID and the answer's ETag, and its other fields are zero.
func write(call transport.Call, replay transport.Replay, opts []WriteOption) (transport.Call, *http.Header) {
	call.EmptyOK = true
	var o writeOptions
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	call.Replay = replay
	if o.ifMatch != "" {
		call.Header = http.Header{"If-Match": {o.ifMatch}}
		call.Replay = transport.Idempotent
	}
	h := new(http.Header)
	call.AnswerHeader = h
	return call, h
}

// Configure sets up a provider that is not configured yet (409
// already_configured otherwise; use UpdateSettings and UpdateCredentials).
// The credential values are revealed only into the request body built here.
// Unconditional, it is not replayed after an ambiguous failure: the replay
// of a configure that succeeded answers a false 409. With IfMatch (the tag
// of the unconfigured provider, from Get) it is replayed, and a replay of
// one that landed answers 412.
func (c *Client) Configure(ctx context.Context, id string, credentials map[string]sensitive.String, settings map[string]any, opts ...WriteOption) (*ConfigureResponse, error) {
	creds, secrets := reveal(credentials)
	var out ConfigureResponse
	call, h := write(transport.Call{
		Operation: "configure provider", Name: id, Method: http.MethodPost, Path: "/providers",
		Secrets: secrets, Out: &out,
		Body: ConfigureRequest{Provider: id, Credentials: creds, Settings: settings},
	}, transport.NotIdempotent, opts)
	if err := c.t.Do(ctx, call); err != nil {
		return nil, err
	}
	out.ID = cmp.Or(out.ID, id)
	out.ETag = h.Get("ETag")
	return &out, nil
}

// Get reads a provider, with its ETag. An unconfigured provider answers
// with Configured false (and a tag that Configure can be made conditional
// on); an unknown id is api.ErrNotFound.
func (c *Client) Get(ctx context.Context, id string) (*Provider, error) {
	var out Provider
	var h http.Header
	err := c.t.Do(ctx, transport.Call{
		Operation: "get provider", Name: id, Method: http.MethodGet, Path: providerPath(id, ""),
		Replay: transport.Idempotent, Out: &out, AnswerHeader: &h,
	})
	if err != nil {
		return nil, err
	}
	out.ETag = h.Get("ETag")
	return &out, nil
}

// UpdateSettings merges settings into the provider's; a nil value removes a
// setting. A merge is idempotent, so it is replayed like a read. Gateflow
// answers the provider as Get does, but the answer may also be empty (a
// 204): then only ID and ETag are set, and Get reads the provider's state.
func (c *Client) UpdateSettings(ctx context.Context, id string, settings map[string]any, opts ...WriteOption) (*Provider, error) {
	if settings == nil {
		settings = map[string]any{}
	}
	var out Provider
	call, h := write(transport.Call{
		Operation: "update settings of provider", Name: id, Method: http.MethodPatch, Path: providerPath(id, ""),
		Body: UpdateRequest{Settings: settings}, Out: &out,
	}, transport.Idempotent, opts)
	if err := c.t.Do(ctx, call); err != nil {
		return nil, err
	}
	out.ID = cmp.Or(out.ID, id)
	out.ETag = h.Get("ETag")
	return &out, nil
}

// UpdateCredentials replaces the provider's credentials. Replacing with the
// same values twice leaves the same state, so it is replayed like a read.
func (c *Client) UpdateCredentials(ctx context.Context, id string, credentials map[string]sensitive.String, opts ...WriteOption) (*CredentialsResponse, error) {
	creds, secrets := reveal(credentials)
	var out CredentialsResponse
	call, h := write(transport.Call{
		Operation: "update credentials of provider", Name: id, Method: http.MethodPost,
		Path: providerPath(id, "/credentials"), Secrets: secrets, Body: creds, Out: &out,
	}, transport.Idempotent, opts)
	if err := c.t.Do(ctx, call); err != nil {
		return nil, err
	}
	out.ID = cmp.Or(out.ID, id)
	out.ETag = h.Get("ETag")
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

// Disable stops routing to the provider, keeping its configuration. An
// empty answer (a 204) is a success whose StateResponse has only ID and
// ETag; so is Enable's.
func (c *Client) Disable(ctx context.Context, id string, opts ...WriteOption) (*StateResponse, error) {
	return c.state(ctx, "disable provider", id, "/disable", opts)
}

// Enable resumes routing to a disabled provider.
func (c *Client) Enable(ctx context.Context, id string, opts ...WriteOption) (*StateResponse, error) {
	return c.state(ctx, "enable provider", id, "/enable", opts)
}

func (c *Client) state(ctx context.Context, op, id, suffix string, opts []WriteOption) (*StateResponse, error) {
	var out StateResponse
	call, h := write(transport.Call{
		Operation: op, Name: id, Method: http.MethodPost, Path: providerPath(id, suffix), Out: &out,
	}, transport.Idempotent, opts)
	if err := c.t.Do(ctx, call); err != nil {
		return nil, err
	}
	out.ID = cmp.Or(out.ID, id)
	out.ETag = h.Get("ETag")
	return &out, nil
}

// Delete removes the provider's configuration; it is listed as inactive
// afterwards. A replay after a lost answer finds it unconfigured and
// answers 404, which callers count as deleted.
func (c *Client) Delete(ctx context.Context, id string, opts ...WriteOption) error {
	_, err := c.DeleteWithETag(ctx, id, opts...)
	return err
}

// DeleteWithETag is Delete that also returns the tag of the now
// unconfigured provider.
func (c *Client) DeleteWithETag(ctx context.Context, id string, opts ...WriteOption) (*DeleteResult, error) {
	call, h := write(transport.Call{
		Operation: "delete provider", Name: id, Method: http.MethodDelete, Path: providerPath(id, ""),
	}, transport.Idempotent, opts)
	if err := c.t.Do(ctx, call); err != nil {
		return nil, err
	}
	return &DeleteResult{ID: id, ETag: h.Get("ETag")}, nil
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

package glow

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/transport"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Environment variables NewFromEnv reads, as the guide names them.
const (
	EnvURL   = "GLOW_INSTANCE_URL"
	EnvToken = "GLOW_TOKEN"
)

// MaxItems is the most entries Glow takes in one create or explicit-id
// delete call (400 too_many_items above).
const MaxItems = 500

// Client calls the Glow API. It is safe for concurrent use.
type Client struct {
	t *transport.Client
}

// New makes a client for the Glow instance at baseURL.
func New(baseURL string, token sensitive.String, opts ...api.Option) (*Client, error) {
	t, err := transport.New("glow", baseURL, token, api.NewConfig(opts...))
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// NewFromEnv makes a client from GLOW_INSTANCE_URL and GLOW_TOKEN.
func NewFromEnv(opts ...api.Option) (*Client, error) {
	u, tok := os.Getenv(EnvURL), os.Getenv(EnvToken)
	if u == "" {
		return nil, fmt.Errorf("glow: %s is not set", EnvURL)
	}
	if tok == "" {
		return nil, fmt.Errorf("glow: %s is not set", EnvToken)
	}
	return New(u, sensitive.New(tok), opts...)
}

// Stats returns the client's attempt and retry counters.
func (c *Client) Stats() api.Stats { return c.t.Stats() }

func (c *Client) post(ctx context.Context, call transport.Call) error {
	call.Method = http.MethodPost
	return c.t.Do(ctx, call)
}

// indexRe finds the entry index of a field path such as providers[2].name.
var indexRe = regexp.MustCompile(`^[a-z_]+\[(\d+)\]`)

// nameAt names the subject of a bad-input error on a multi-entry call by the
// entry its field points at.
func nameAt(names func(i int) (string, bool)) func(string) string {
	return func(field string) string {
		m := indexRe.FindStringSubmatch(field)
		if m == nil {
			return ""
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			return ""
		}
		n, _ := names(i)
		return n
	}
}

func tooMany(op string, n int) error {
	return &api.Error{
		Service: "glow", Operation: op, StatusCode: http.StatusBadRequest,
		Code:    api.CodeTooManyItems,
		Message: fmt.Sprintf("%d entries, at most %d per call", n, MaxItems),
	}
}

// CreateProviders creates several providers in one call, all or nothing. It
// is never replayed after an ambiguous failure: a replay of a create that
// succeeded would fail on the names (or, for global providers in different
// departments, duplicate them).
func (c *Client) CreateProviders(ctx context.Context, providers []ProviderInput) ([]Created, error) {
	const op = "create providers"
	if len(providers) == 0 {
		return nil, nil
	}
	if len(providers) > MaxItems {
		// Splitting would break the all-or-nothing promise, so the caller
		// decides how to split.
		return nil, tooMany(op, len(providers))
	}
	call := transport.Call{
		Operation: op, Path: "/provider/create", Replay: transport.NotIdempotent,
		Body: CreateProvidersRequest{Providers: providers},
		NameForField: nameAt(func(i int) (string, bool) {
			if i < len(providers) {
				return providers[i].Name, true
			}
			return "", false
		}),
	}
	if len(providers) == 1 {
		call.Operation, call.Name = "create provider", providers[0].Name
	}
	var out CreateProvidersResponse
	call.Out = &out
	if err := c.post(ctx, call); err != nil {
		return nil, err
	}
	return out.Providers, nil
}

// GetProvider reads a provider with its endpoints and keys.
func (c *Client) GetProvider(ctx context.Context, id string) (*ProviderDetail, error) {
	var out ProviderDetail
	err := c.post(ctx, transport.Call{
		Operation: "get provider", ID: id, Path: "/provider/get", Replay: transport.Idempotent,
		Body: getRequest{ProviderID: id}, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// getRequest is the body of POST /provider/get.
type getRequest struct {
	ProviderID string `json:"provider_id"`
}

// UpdateProvider changes one live provider at once. With ExpectedVersion set
// it fails with api.ErrConflict (code version_conflict) if someone changed
// the provider since it was read. It is not replayed after an ambiguous
// failure: the replay of a guarded update that succeeded answers a false 409.
func (c *Client) UpdateProvider(ctx context.Context, req UpdateRequest) (*Provider, error) {
	var out Provider
	err := c.post(ctx, transport.Call{
		Operation: "update provider", ID: req.ProviderID, Name: deref(req.Name),
		Path: "/provider/update", Replay: transport.NotIdempotent, Body: req, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkUpdate applies one patch to explicit ids or to every provider a
// selector matches. Per-item failures are in the results, not the error.
func (c *Client) BulkUpdate(ctx context.Context, req BulkUpdateRequest) ([]ItemResult, error) {
	var out BulkResponse
	err := c.post(ctx, transport.Call{
		Operation: "bulk update providers", Path: "/provider/update",
		Replay: transport.NotIdempotent, Body: req, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}

// DuplicateProvider copies a provider under a fresh name. Not replayed after
// an ambiguous failure: each replay would make another copy.
func (c *Client) DuplicateProvider(ctx context.Context, id string) (*Created, error) {
	var out Created
	err := c.post(ctx, transport.Call{
		Operation: "duplicate provider", ID: id, Path: "/provider/duplicate",
		Replay: transport.NotIdempotent, Body: DuplicateRequest{ProviderID: id}, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteProviders deletes providers by id, in calls of at most MaxItems ids,
// and merges the results in order. A replayed call reports not_found for
// ids the lost attempt already deleted; callers treat not_found as gone. If
// a chunk fails, the results of the chunks before it are returned with the
// error, so the caller knows what was deleted.
func (c *Client) DeleteProviders(ctx context.Context, ids []string) ([]ItemResult, error) {
	var all []ItemResult
	for start := 0; start < len(ids); start += MaxItems {
		chunk := ids[start:min(start+MaxItems, len(ids))]
		call := transport.Call{
			Operation: "delete providers", Path: "/provider/delete", Replay: transport.Idempotent,
			Body: DeleteRequest{Selector: Selector{ProviderIDs: chunk}},
		}
		if len(ids) == 1 {
			call.Operation, call.ID = "delete provider", ids[0]
		}
		var out BulkResponse
		call.Out = &out
		if err := c.post(ctx, call); err != nil {
			return all, err
		}
		all = append(all, out.Results...)
	}
	return all, nil
}

// BulkDelete deletes every provider the selector's filters match, minus its
// excluded ids. It is not replayed after an ambiguous failure: a replay
// would also delete providers created since that match the filters.
func (c *Client) BulkDelete(ctx context.Context, sel Selector) ([]ItemResult, error) {
	const op = "bulk delete providers"
	if !sel.All || len(sel.ProviderIDs) > 0 {
		return nil, &api.Error{Service: "glow", Operation: op, StatusCode: http.StatusBadRequest,
			Code: "invalid_field", Field: "all",
			Message: "bulk delete takes all: true and filters; use DeleteProviders for explicit ids"}
	}
	var out BulkResponse
	err := c.post(ctx, transport.Call{
		Operation: op, Path: "/provider/delete", Replay: transport.NotIdempotent,
		Body: DeleteRequest{Selector: sel}, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}

// Decrypt reads a key's value. Every call is audited by Glow with the
// caller's identity, so callers should decrypt only when they must compare
// or copy a value. Replaying one adds an audit entry but changes nothing.
func (c *Client) Decrypt(ctx context.Context, providerID, keyID string) (*DecryptResponse, error) {
	var out DecryptResponse
	err := c.post(ctx, transport.Call{
		Operation: "decrypt key " + keyID + " of provider", ID: providerID, Path: "/provider/decrypt",
		Replay: transport.Idempotent, Body: DecryptRequest{ProviderID: providerID, KeyID: keyID}, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Export writes the CSV export of the providers the filters match to w. The
// answer is streamed: if reading it fails midway, w holds a partial export.
func (c *Client) Export(ctx context.Context, filters SearchRequest, w io.Writer) error {
	filters.PageSize, filters.PageToken = 0, ""
	return c.post(ctx, transport.Call{
		Operation: "export providers", Path: "/provider/export", Replay: transport.Idempotent,
		Body: filters, Writer: w, Accept: "text/csv",
	})
}

// Draft stages changes in a draft (PATCH /provider/draft). A continued
// draft is sent with the guide's fields only, without provider_id (see
// DraftRequest). It is not replayed after an ambiguous failure: a staged
// draft grows the version, so a replay would answer a false 409.
func (c *Client) Draft(ctx context.Context, req DraftRequest) (*DraftResponse, error) {
	var out DraftResponse
	err := c.t.Do(ctx, transport.Call{
		Operation: "stage draft for provider", ID: req.ProviderID, Name: deref(req.Name),
		Method: http.MethodPatch, Path: "/provider/draft",
		Replay: transport.NotIdempotent, Body: req, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Publish makes a draft's form state the live provider. Not replayed after
// an ambiguous failure, for the same reason as Draft.
func (c *Client) Publish(ctx context.Context, req PublishRequest) (*Provider, error) {
	var out Provider
	err := c.post(ctx, transport.Call{
		Operation: "publish draft", ID: req.DraftID, Path: "/provider/publish",
		Replay: transport.NotIdempotent, Body: req, Out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DiscardDraft closes an open draft without publishing it; nothing live
// changes (the provider's version and updated_at stay). It is replayed like
// a read: the replay of a discard that landed answers 404, so callers treat
// api.ErrNotFound as already discarded.
func (c *Client) DiscardDraft(ctx context.Context, draftID string) error {
	var out DiscardDraftResponse
	return c.post(ctx, transport.Call{
		Operation: "discard draft", ID: draftID, Path: "/provider/draft/discard",
		Replay: transport.Idempotent, Body: DiscardDraftRequest{DraftID: draftID}, Out: &out,
	})
}

// Self describes the client's token: the actor it speaks for and its
// department scope. It is a read. A Glow that predates the call answers 404,
// so callers treat api.ErrNotFound as "scope unknown" rather than as a
// failure.
func (c *Client) Self(ctx context.Context) (TokenInfo, error) {
	var out TokenInfo
	err := c.post(ctx, transport.Call{
		Operation: "describe token", Path: "/token/self", Replay: transport.Idempotent,
		Body: struct{}{}, Out: &out,
	})
	if err != nil {
		return TokenInfo{}, err
	}
	return out, nil
}

// ListDrafts yields the caller's open drafts.
func (c *Client) ListDrafts(ctx context.Context) iter.Seq2[Draft, error] {
	const op = "list drafts"
	return transport.Pages(ctx, c.t, op, func(ctx context.Context, token string) ([]Draft, string, error) {
		var out ListDraftsResponse
		err := c.post(ctx, transport.Call{
			Operation: op, Path: "/provider/drafts", Replay: transport.Idempotent,
			Body: c.listRequest(token), Out: &out,
		})
		return out.Drafts, out.NextPageToken, err
	})
}

// Search yields every provider the filters match, in provider_id order.
// req.PageSize, when set, overrides the client's page size.
func (c *Client) Search(ctx context.Context, req SearchRequest) iter.Seq2[Provider, error] {
	const op = "search providers"
	if req.PageSize == 0 {
		req.PageSize = c.t.Config().PageSize
	}
	return transport.Pages(ctx, c.t, op, func(ctx context.Context, token string) ([]Provider, string, error) {
		req := req
		req.PageToken = token
		var wire searchResponseJSON
		err := c.post(ctx, transport.Call{
			Operation: op, Path: "/provider/search", Replay: transport.Idempotent,
			Body: req, Out: &wire,
		})
		out := wire.response()
		return out.Providers, out.NextPageToken, err
	})
}

// CreateEndpoints creates endpoints. Not replayed after an ambiguous
// failure: a replay would make duplicates.
func (c *Client) CreateEndpoints(ctx context.Context, endpoints []EndpointInput) ([]Endpoint, error) {
	if len(endpoints) == 0 {
		return nil, nil
	}
	call := transport.Call{
		Operation: "create endpoints", Path: "/endpoint/create", Replay: transport.NotIdempotent,
		Body: CreateEndpointsRequest{Endpoints: endpoints},
		NameForField: nameAt(func(i int) (string, bool) {
			if i < len(endpoints) {
				return cmp.Or(endpoints[i].Name, endpoints[i].URL), true
			}
			return "", false
		}),
	}
	if len(endpoints) == 1 {
		call.Operation, call.Name = "create endpoint", cmp.Or(endpoints[0].Name, endpoints[0].URL)
	}
	var out EndpointsResponse
	call.Out = &out
	if err := c.post(ctx, call); err != nil {
		return nil, err
	}
	return out.Endpoints, nil
}

// ListEndpoints yields every endpoint.
func (c *Client) ListEndpoints(ctx context.Context) iter.Seq2[Endpoint, error] {
	const op = "list endpoints"
	return transport.Pages(ctx, c.t, op, func(ctx context.Context, token string) ([]Endpoint, string, error) {
		var out EndpointsResponse
		err := c.post(ctx, transport.Call{
			Operation: op, Path: "/endpoint/list", Replay: transport.Idempotent,
			Body: c.listRequest(token), Out: &out,
		})
		return out.Endpoints, out.NextPageToken, err
	})
}

// DeleteEndpoints deletes endpoints by id. An endpoint still in use fails
// its item with code in_use.
func (c *Client) DeleteEndpoints(ctx context.Context, ids []string) ([]IDResult, error) {
	return c.deleteIDs(ctx, "delete endpoints", "/endpoint/delete", DeleteEndpointsRequest{EndpointIDs: ids}, ids)
}

// CreateKeys stores keys. The values are revealed only into the request
// body built here, so no caller ever holds a printable CreateKeysRequest.
// Not replayed after an ambiguous failure: a replay would store the secret
// twice under two ids.
func (c *Client) CreateKeys(ctx context.Context, keys []KeyInput) ([]Key, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	body := CreateKeysRequest{Keys: make([]KeyValue, len(keys))}
	secrets := make([]string, 0, len(keys))
	for i, k := range keys {
		body.Keys[i] = KeyValue{Name: k.Name, Value: k.Value.Reveal()}
		secrets = append(secrets, k.Value.Reveal())
	}
	call := transport.Call{
		Operation: "create keys", Path: "/key/create", Replay: transport.NotIdempotent,
		Body: body, Secrets: secrets,
		NameForField: nameAt(func(i int) (string, bool) {
			if i < len(keys) {
				return keys[i].Name, true
			}
			return "", false
		}),
	}
	if len(keys) == 1 {
		call.Operation, call.Name = "create key", keys[0].Name
	}
	var out KeysResponse
	call.Out = &out
	if err := c.post(ctx, call); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// ListKeys yields every key's metadata (never values).
func (c *Client) ListKeys(ctx context.Context) iter.Seq2[Key, error] {
	const op = "list keys"
	return transport.Pages(ctx, c.t, op, func(ctx context.Context, token string) ([]Key, string, error) {
		var out KeysResponse
		err := c.post(ctx, transport.Call{
			Operation: op, Path: "/key/list", Replay: transport.Idempotent,
			Body: c.listRequest(token), Out: &out,
		})
		return out.Keys, out.NextPageToken, err
	})
}

// DeleteKeys deletes keys by id. A key still in use fails its item with code
// in_use.
func (c *Client) DeleteKeys(ctx context.Context, ids []string) ([]IDResult, error) {
	return c.deleteIDs(ctx, "delete keys", "/key/delete", DeleteKeysRequest{KeyIDs: ids}, ids)
}

// CreateModels creates models. Not replayed after an ambiguous failure.
func (c *Client) CreateModels(ctx context.Context, models []ModelInput) ([]Model, error) {
	if len(models) == 0 {
		return nil, nil
	}
	call := transport.Call{
		Operation: "create models", Path: "/model/create", Replay: transport.NotIdempotent,
		Body: CreateModelsRequest{Models: models},
		NameForField: nameAt(func(i int) (string, bool) {
			if i < len(models) {
				return models[i].Name, true
			}
			return "", false
		}),
	}
	if len(models) == 1 {
		call.Operation, call.Name = "create model", models[0].Name
	}
	var out ModelsResponse
	call.Out = &out
	if err := c.post(ctx, call); err != nil {
		return nil, err
	}
	return out.Models, nil
}

// SearchModels yields every model.
func (c *Client) SearchModels(ctx context.Context) iter.Seq2[Model, error] {
	const op = "search models"
	return transport.Pages(ctx, c.t, op, func(ctx context.Context, token string) ([]Model, string, error) {
		var out ModelsResponse
		err := c.post(ctx, transport.Call{
			Operation: op, Path: "/model/search", Replay: transport.Idempotent,
			Body: c.listRequest(token), Out: &out,
		})
		return out.Models, out.NextPageToken, err
	})
}

// DeleteModels deletes models by id.
func (c *Client) DeleteModels(ctx context.Context, ids []string) ([]IDResult, error) {
	return c.deleteIDs(ctx, "delete models", "/model/delete", DeleteModelsRequest{ModelIDs: ids}, ids)
}

func (c *Client) deleteIDs(ctx context.Context, op, path string, body any, ids []string) ([]IDResult, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	call := transport.Call{Operation: op, Path: path, Replay: transport.Idempotent, Body: body}
	if len(ids) == 1 {
		call.Operation, call.ID = strings.TrimSuffix(op, "s"), ids[0]
	}
	var out IDResults
	call.Out = &out
	if err := c.post(ctx, call); err != nil {
		return nil, err
	}
	return out.Results, nil
}

func (c *Client) listRequest(token string) ListRequest {
	return ListRequest{PageSize: c.t.Config().PageSize, PageToken: token}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

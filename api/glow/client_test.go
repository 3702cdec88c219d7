package glow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const testToken = "glow-tok-RECOGNISABLE-7f3a9"

// fake is a Glow server whose answers each test scripts.
type fake struct {
	*apitest.Recorder
	t *testing.T
}

func newFake(t *testing.T, handle apitest.Handler) *fake {
	t.Helper()
	return &fake{Recorder: apitest.NewRecorder(t, handle), t: t}
}

func (f *fake) client(opts ...api.Option) *glow.Client {
	f.t.Helper()
	base := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
	c, err := glow.New(f.URL, sensitive.New(testToken), append(base, opts...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	apitest.WriteJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg, Field: field}})
}

func ptr[T any](v T) *T { return &v }

// TestRequestShapes pins method, path, headers and body of every operation,
// and that each answer is decoded.
// requestShape is one client call: the request it must send, the answer
// the fake server gives, and what the call must return from it.
type requestShape struct {
	name     string
	method   string
	path     string
	wantBody map[string]any
	answer   any
	call     func(c *glow.Client) (any, error)
	want     any
}

// requestShapes is one case per call of the client.
func requestShapes(ctx context.Context) []requestShape {
	now := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	prov := glow.Provider{ID: "p1", Name: "OpenAI Production", Version: 3, Values: map[string]string{"a": "b"}, CreatedAt: now, UpdatedAt: now}
	return []requestShape{
		{
			name: "create", method: "POST", path: "/provider/create",
			wantBody: map[string]any{"providers": []any{
				map[string]any{"name": "A", "description": "d", "department_ids": []any{"d1"}},
				map[string]any{"name": "B"},
			}},
			answer: glow.CreateProvidersResponse{Providers: []glow.Created{{ProviderID: "p1", Name: "A", DraftID: "d1", Version: 1}, {ProviderID: "p2", Name: "B", DraftID: "d2", Version: 1}}},
			call: func(c *glow.Client) (any, error) {
				return c.CreateProviders(ctx, []glow.ProviderInput{{Name: "A", Description: "d", DepartmentIDs: []string{"d1"}}, {Name: "B"}})
			},
			want: []glow.Created{{ProviderID: "p1", Name: "A", DraftID: "d1", Version: 1}, {ProviderID: "p2", Name: "B", DraftID: "d2", Version: 1}},
		},
		{
			name: "get", method: "POST", path: "/provider/get",
			wantBody: map[string]any{"provider_id": "p1"},
			answer:   glow.ProviderDetail{Provider: prov, Endpoints: glow.EndpointSection{Current: []glow.Endpoint{{ID: "e1", URL: "https://x", CreatedAt: now}}}},
			call:     func(c *glow.Client) (any, error) { return c.GetProvider(ctx, "p1") },
			want:     &glow.ProviderDetail{Provider: prov, Endpoints: glow.EndpointSection{Current: []glow.Endpoint{{ID: "e1", URL: "https://x", CreatedAt: now}}}},
		},
		{
			name: "update", method: "POST", path: "/provider/update",
			wantBody: map[string]any{"provider_id": "p1", "expected_version": float64(3), "description": "new", "key_ids": []any{}},
			answer:   prov,
			call: func(c *glow.Client) (any, error) {
				return c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1", ExpectedVersion: ptr(int64(3)), Patch: glow.Patch{Description: ptr("new"), KeyIDs: ptr([]string{})}})
			},
			want: &prov,
		},
		{
			name: "bulk update", method: "POST", path: "/provider/update",
			wantBody: map[string]any{"all": true, "search": "open", "excluded_ids": []any{"p9"}, "patch": map[string]any{"values": map[string]any{"k": "v"}}, "expected_versions": map[string]any{"p1": float64(2)}},
			answer:   glow.BulkResponse{Results: []glow.ItemResult{{ProviderID: "p1", Success: true, Version: 3}}},
			call: func(c *glow.Client) (any, error) {
				return c.BulkUpdate(ctx, glow.BulkUpdateRequest{
					Selector:         glow.Selector{All: true, Search: "open", ExcludedIDs: []string{"p9"}},
					ExpectedVersions: map[string]int64{"p1": 2},
					Patch:            glow.Patch{Values: ptr(map[string]string{"k": "v"})},
				})
			},
			want: []glow.ItemResult{{ProviderID: "p1", Success: true, Version: 3}},
		},
		{
			name: "duplicate", method: "POST", path: "/provider/duplicate",
			wantBody: map[string]any{"provider_id": "p1"},
			answer:   glow.Created{ProviderID: "p2", Name: "A (copy)", DraftID: "d", Version: 1},
			call:     func(c *glow.Client) (any, error) { return c.DuplicateProvider(ctx, "p1") },
			want:     &glow.Created{ProviderID: "p2", Name: "A (copy)", DraftID: "d", Version: 1},
		},
		{
			name: "delete", method: "POST", path: "/provider/delete",
			wantBody: map[string]any{"provider_ids": []any{"p1", "p2"}},
			answer:   glow.BulkResponse{Results: []glow.ItemResult{{ProviderID: "p1", Success: true}, {ProviderID: "p2", Message: "not found", Code: "not_found"}}},
			call:     func(c *glow.Client) (any, error) { return c.DeleteProviders(ctx, []string{"p1", "p2"}) },
			want:     []glow.ItemResult{{ProviderID: "p1", Success: true}, {ProviderID: "p2", Message: "not found", Code: "not_found"}},
		},
		{
			name: "bulk delete", method: "POST", path: "/provider/delete",
			wantBody: map[string]any{"all": true, "filter_department_ids": []any{"dept-retired"}, "excluded_ids": []any{"keep"}},
			answer:   glow.BulkResponse{Results: []glow.ItemResult{{ProviderID: "p1", Success: true}}},
			call: func(c *glow.Client) (any, error) {
				return c.BulkDelete(ctx, glow.Selector{All: true, FilterDepartmentIDs: []string{"dept-retired"}, ExcludedIDs: []string{"keep"}})
			},
			want: []glow.ItemResult{{ProviderID: "p1", Success: true}},
		},
		{
			// A continued draft goes with the guide's fields only: the
			// draft names its provider, so provider_id is left out.
			name: "draft", method: "PATCH", path: "/provider/draft",
			wantBody: map[string]any{"input_draft_id": "d1", "expected_version": float64(3), "endpoint_ids": []any{"e2"}},
			answer:   glow.DraftResponse{DraftID: "d1", NewVersion: 4, FormState: glow.FormState{ProviderID: "p1", Name: "A", EndpointIDs: []string{"e2"}}},
			call: func(c *glow.Client) (any, error) {
				return c.Draft(ctx, glow.DraftRequest{ProviderID: "p1", InputDraftID: "d1", ExpectedVersion: ptr(int64(3)), Patch: glow.Patch{EndpointIDs: ptr([]string{"e2"})}})
			},
			want: &glow.DraftResponse{DraftID: "d1", NewVersion: 4, FormState: glow.FormState{ProviderID: "p1", Name: "A", EndpointIDs: []string{"e2"}}},
		},
		{
			name: "publish", method: "POST", path: "/provider/publish",
			wantBody: map[string]any{"draft_id": "d1", "expected_version": float64(4)},
			answer:   prov,
			call: func(c *glow.Client) (any, error) {
				return c.Publish(ctx, glow.PublishRequest{DraftID: "d1", ExpectedVersion: ptr(int64(4))})
			},
			want: &prov,
		},
		{
			// Lists built from diffs are often nil: set but nil is still
			// "replace with nothing", so it goes as [] (and {}), never null.
			name: "update with nil lists", method: "POST", path: "/provider/update",
			wantBody: map[string]any{"provider_id": "p1", "key_ids": []any{}, "endpoint_ids": []any{}, "department_ids": []any{}, "values": map[string]any{}},
			answer:   prov,
			call: func(c *glow.Client) (any, error) {
				return c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1", Patch: glow.Patch{
					KeyIDs: ptr([]string(nil)), EndpointIDs: new([]string), DepartmentIDs: ptr([]string(nil)), Values: new(map[string]string),
				}})
			},
			want: &prov,
		},
		{
			name: "draft with nil keys", method: "PATCH", path: "/provider/draft",
			wantBody: map[string]any{"provider_id": "p1", "expected_version": float64(3), "key_ids": []any{}},
			answer:   glow.DraftResponse{DraftID: "d1", NewVersion: 4},
			call: func(c *glow.Client) (any, error) {
				return c.Draft(ctx, glow.DraftRequest{ProviderID: "p1", ExpectedVersion: ptr(int64(3)), Patch: glow.Patch{KeyIDs: ptr([]string(nil))}})
			},
			want: &glow.DraftResponse{DraftID: "d1", NewVersion: 4},
		},
		{
			name: "bulk update with nil endpoints", method: "POST", path: "/provider/update",
			wantBody: map[string]any{"provider_ids": []any{"p1"}, "patch": map[string]any{"endpoint_ids": []any{}}},
			answer:   glow.BulkResponse{Results: []glow.ItemResult{{ProviderID: "p1", Success: true, Version: 3}}},
			call: func(c *glow.Client) (any, error) {
				return c.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{"p1"}}, Patch: glow.Patch{EndpointIDs: ptr([]string(nil))}})
			},
			want: []glow.ItemResult{{ProviderID: "p1", Success: true, Version: 3}},
		},
		{
			name: "discard draft", method: "POST", path: "/provider/draft/discard",
			wantBody: map[string]any{"draft_id": "d1"},
			answer:   glow.DiscardDraftResponse{DraftID: "d1", Discarded: true},
			call:     func(c *glow.Client) (any, error) { return nil, c.DiscardDraft(ctx, "d1") },
			want:     nil,
		},
		{
			name: "token self", method: "POST", path: "/token/self",
			wantBody: map[string]any{},
			answer:   glow.TokenInfo{ActorName: "ci", Scoped: true, DepartmentIDs: []string{"cs", "math"}},
			call:     func(c *glow.Client) (any, error) { return c.Self(ctx) },
			want:     glow.TokenInfo{ActorName: "ci", Scoped: true, DepartmentIDs: []string{"cs", "math"}},
		},
		{
			name: "create endpoints", method: "POST", path: "/endpoint/create",
			wantBody: map[string]any{"endpoints": []any{map[string]any{"url": "https://api.openai.com/v1", "name": "oai"}}},
			answer:   glow.EndpointsResponse{Endpoints: []glow.Endpoint{{ID: "e1", URL: "https://api.openai.com/v1", Name: "oai", CreatedAt: now}}},
			call: func(c *glow.Client) (any, error) {
				return c.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://api.openai.com/v1", Name: "oai"}})
			},
			want: []glow.Endpoint{{ID: "e1", URL: "https://api.openai.com/v1", Name: "oai", CreatedAt: now}},
		},
		{
			name: "delete endpoints", method: "POST", path: "/endpoint/delete",
			wantBody: map[string]any{"endpoint_ids": []any{"e1"}},
			answer:   glow.IDResults{Results: []glow.IDResult{{ID: "e1", Message: "used by provider \"A\"", Code: "in_use"}}},
			call:     func(c *glow.Client) (any, error) { return c.DeleteEndpoints(ctx, []string{"e1"}) },
			want:     []glow.IDResult{{ID: "e1", Message: "used by provider \"A\"", Code: "in_use"}},
		},
		{
			name: "create keys", method: "POST", path: "/key/create",
			wantBody: map[string]any{"keys": []any{map[string]any{"name": "k", "value": "sk-abc"}}},
			answer:   glow.KeysResponse{Keys: []glow.Key{{ID: "k1", Name: "k", CreatedAt: now}}},
			call: func(c *glow.Client) (any, error) {
				return c.CreateKeys(ctx, []glow.KeyInput{{Name: "k", Value: sensitive.New("sk-abc")}})
			},
			want: []glow.Key{{ID: "k1", Name: "k", CreatedAt: now}},
		},
		{
			name: "delete keys", method: "POST", path: "/key/delete",
			wantBody: map[string]any{"key_ids": []any{"k1", "k2"}},
			answer:   glow.IDResults{Results: []glow.IDResult{{ID: "k1", Success: true}, {ID: "k2", Success: true}}},
			call:     func(c *glow.Client) (any, error) { return c.DeleteKeys(ctx, []string{"k1", "k2"}) },
			want:     []glow.IDResult{{ID: "k1", Success: true}, {ID: "k2", Success: true}},
		},
		{
			name: "create models", method: "POST", path: "/model/create",
			wantBody: map[string]any{"models": []any{map[string]any{"name": "gpt", "provider_id": "p1"}}},
			answer:   glow.ModelsResponse{Models: []glow.Model{{ID: "m1", Name: "gpt", ProviderID: "p1", ProviderName: "A"}}},
			call: func(c *glow.Client) (any, error) {
				return c.CreateModels(ctx, []glow.ModelInput{{Name: "gpt", ProviderID: "p1"}})
			},
			want: []glow.Model{{ID: "m1", Name: "gpt", ProviderID: "p1", ProviderName: "A"}},
		},
		{
			name: "delete models", method: "POST", path: "/model/delete",
			wantBody: map[string]any{"model_ids": []any{"m1"}},
			answer:   glow.IDResults{Results: []glow.IDResult{{ID: "m1", Success: true}}},
			call:     func(c *glow.Client) (any, error) { return c.DeleteModels(ctx, []string{"m1"}) },
			want:     []glow.IDResult{{ID: "m1", Success: true}},
		},
	}
}

func TestRequestShapes(t *testing.T) {
	for _, tc := range requestShapes(context.Background()) {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
				apitest.WriteJSON(w, 200, tc.answer)
			})
			got, err := tc.call(f.client())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != tc.path {
				t.Errorf("request %s %s, want %s %s", r.Method, r.Path, tc.method, tc.path)
			}
			checkHeaders(t, r, "application/json")
			if d := cmp.Diff(tc.wantBody, r.Body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func checkHeaders(t *testing.T, r apitest.Request, accept string) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != version.UserAgent() || !strings.HasPrefix(got, "switchboard/") {
		t.Errorf("User-Agent = %q, want %q", got, version.UserAgent())
	}
	if got := r.Header.Get("Accept"); got != accept {
		t.Errorf("Accept = %q, want %q", got, accept)
	}
	if r.Raw != "" && r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
}

func TestDecryptReturnsSensitiveValue(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		_, _ = io.WriteString(w, `{"key_id":"k1","name":"prod","value":"sk-live-DECRYPTED","actor_name":"ci"}`)
	})
	got, err := f.client().Decrypt(context.Background(), "p1", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Value.Reveal() != "sk-live-DECRYPTED" || got.ActorName != "ci" || got.Name != "prod" {
		t.Errorf("got %+v", got)
	}
	if s := fmt.Sprintf("%v %+v", got, got); strings.Contains(s, "DECRYPTED") {
		t.Errorf("decrypted value printable: %s", s)
	}
	r := f.Requests()[0]
	if r.Path != "/provider/decrypt" || !cmp.Equal(r.Body, map[string]any{"provider_id": "p1", "key_id": "k1"}) {
		t.Errorf("request %s %v", r.Path, r.Body)
	}
}

func TestExportStreamsCSV(t *testing.T) {
	const csv = "provider_id,name,description,department_ids,endpoint_ids,key_ids,values,version,model_usage_count\np1,A,,d1;d2,,,a=b,3,0\n"
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		w.Header().Set("Content-Type", "text/csv")
		_, _ = io.WriteString(w, csv)
	})
	var buf bytes.Buffer
	err := f.client().Export(context.Background(), glow.SearchRequest{Search: "open", PageSize: 10, PageToken: "x"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != csv {
		t.Errorf("csv = %q", buf.String())
	}
	r := f.Requests()[0]
	checkHeaders(t, r, "text/csv")
	if r.Path != "/provider/export" || !cmp.Equal(r.Body, map[string]any{"search": "open"}) {
		t.Errorf("request %s %v (paging must not be sent)", r.Path, r.Body)
	}
}

func TestSearchPagesThroughEveryPage(t *testing.T) {
	// 7 providers in pages of 3: the iterator makes 3 calls and passes each
	// next_page_token back.
	all := make([]glow.Provider, 7)
	for i := range all {
		all[i] = glow.Provider{ID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("n%d", i)}
	}
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, req apitest.Request, _ int) {
		start := 0
		if tok, _ := req.Body["page_token"].(string); tok != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(tok, "after-"))
		}
		size := int(req.Body["page_size"].(float64))
		end := min(start+size, len(all))
		resp := glow.SearchResponse{Providers: all[start:end], TotalCount: len(all)}
		if end < len(all) {
			resp.NextPageToken = fmt.Sprintf("after-%d", end)
		}
		apitest.WriteJSON(w, 200, resp)
	})
	c := f.client(api.WithPageSize(3))
	got, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{Search: "n"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(all, got); d != "" {
		t.Errorf("providers (-want +got):\n%s", d)
	}
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d calls, want 3", len(reqs))
	}
	for i, wantTok := range []any{nil, "after-3", "after-6"} {
		if reqs[i].Body["page_token"] != wantTok || reqs[i].Body["search"] != "n" {
			t.Errorf("call %d body %v", i, reqs[i].Body)
		}
	}

	// Breaking out of the loop stops fetching.
	n := 0
	for _, err := range c.Search(context.Background(), glow.SearchRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if got := len(f.Requests()); got != 4 {
		t.Errorf("%d calls after an early break, want 4", got)
	}
}

func TestListIteratorsPage(t *testing.T) {
	// Every list call pages the same way; the fake answers two pages.
	page := func(w http.ResponseWriter, req apitest.Request, first, second any) {
		if req.Body["page_token"] == nil {
			apitest.WriteJSON(w, 200, first)
		} else {
			apitest.WriteJSON(w, 200, second)
		}
	}
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, req apitest.Request, _ int) {
		switch req.Path {
		case "/provider/drafts":
			page(w, req, glow.ListDraftsResponse{Drafts: []glow.Draft{{DraftID: "d1"}}, NextPageToken: "t"}, glow.ListDraftsResponse{Drafts: []glow.Draft{{DraftID: "d2"}}})
		case "/endpoint/list":
			page(w, req, glow.EndpointsResponse{Endpoints: []glow.Endpoint{{ID: "e1"}}, NextPageToken: "t"}, glow.EndpointsResponse{Endpoints: []glow.Endpoint{{ID: "e2"}}})
		case "/key/list":
			page(w, req, glow.KeysResponse{Keys: []glow.Key{{ID: "k1"}}, NextPageToken: "t"}, glow.KeysResponse{Keys: []glow.Key{{ID: "k2"}}})
		case "/model/search":
			page(w, req, glow.ModelsResponse{Models: []glow.Model{{ID: "m1"}}, NextPageToken: "t"}, glow.ModelsResponse{Models: []glow.Model{{ID: "m2"}}})
		}
	})
	c := f.client()
	ctx := context.Background()
	ids := func(n int, err error) string { return fmt.Sprint(n, err) }
	d, err := api.Collect(c.ListDrafts(ctx))
	e, err2 := api.Collect(c.ListEndpoints(ctx))
	k, err3 := api.Collect(c.ListKeys(ctx))
	m, err4 := api.Collect(c.SearchModels(ctx))
	if got := []string{ids(len(d), err), ids(len(e), err2), ids(len(k), err3), ids(len(m), err4)}; !cmp.Equal(got, []string{"2 <nil>", "2 <nil>", "2 <nil>", "2 <nil>"}) {
		t.Errorf("got %v", got)
	}
	for _, c := range []struct{ list, got, want string }{
		{"drafts", d[1].DraftID, "d2"},
		{"endpoints", e[1].ID, "e2"},
		{"keys", k[1].ID, "k2"},
		{"models", m[1].ID, "m2"},
	} {
		if c.got != c.want {
			t.Errorf("second page of %s not read: [1] = %q, want %q", c.list, c.got, c.want)
		}
	}
	for _, r := range f.Requests() {
		if r.Body["page_size"] != float64(api.DefaultPageSize) {
			t.Errorf("%s page_size = %v", r.Path, r.Body["page_size"])
		}
	}
}

func TestPagingErrorEndsSequence(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
		if n == 1 {
			apitest.WriteJSON(w, 200, glow.SearchResponse{Providers: []glow.Provider{{ID: "p1"}}, NextPageToken: "t"})
			return
		}
		writeError(w, 400, "invalid_field", "page_token is not valid", "page_token")
	})
	got, err := api.Collect(f.client().Search(context.Background(), glow.SearchRequest{}))
	if len(got) != 1 || !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestPagingLoopIsAnError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		apitest.WriteJSON(w, 200, glow.KeysResponse{Keys: []glow.Key{{ID: "k"}}, NextPageToken: "same"})
	})
	_, err := api.Collect(f.client().ListKeys(context.Background()))
	if err == nil || !strings.Contains(err.Error(), "page token repeated") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeleteProvidersChunks(t *testing.T) {
	ids := make([]string, 1201)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%04d", i)
	}
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, req apitest.Request, _ int) {
		var res glow.BulkResponse
		list := req.Body["provider_ids"].([]any)
		if len(list) > glow.MaxItems {
			writeError(w, 400, "too_many_items", "at most 500", "provider_ids")
			return
		}
		for _, id := range list {
			res.Results = append(res.Results, glow.ItemResult{ProviderID: id.(string), Success: true})
		}
		apitest.WriteJSON(w, 200, res)
	})
	got, err := f.client().DeleteProviders(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d results, want %d", len(got), len(ids))
	}
	for i, r := range got {
		if r.ProviderID != ids[i] || !r.Success {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	var sizes []int
	for _, r := range f.Requests() {
		sizes = append(sizes, len(r.Body["provider_ids"].([]any)))
	}
	if !cmp.Equal(sizes, []int{500, 500, 201}) {
		t.Errorf("chunk sizes %v", sizes)
	}
}

func TestDeleteProvidersReturnsEarlierChunksOnError(t *testing.T) {
	ids := make([]string, 600)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, req apitest.Request, n int) {
		if n == 2 {
			writeError(w, 401, "unauthorized", "token expired", "")
			return
		}
		var res glow.BulkResponse
		for _, id := range req.Body["provider_ids"].([]any) {
			res.Results = append(res.Results, glow.ItemResult{ProviderID: id.(string), Success: true})
		}
		apitest.WriteJSON(w, 200, res)
	})
	got, err := f.client().DeleteProviders(context.Background(), ids)
	if !errors.Is(err, api.ErrUnauthorized) || len(got) != 500 {
		t.Fatalf("got %d results, %v", len(got), err)
	}
}

func TestCreateRejectsMoreThanMaxItemsWithoutACall(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { apitest.WriteJSON(w, 200, nil) })
	_, err := f.client().CreateProviders(context.Background(), make([]glow.ProviderInput, 501))
	if !errors.Is(err, api.ErrInvalid) || len(f.Requests()) != 0 {
		t.Fatalf("err = %v, %d calls", err, len(f.Requests()))
	}
}

// TestErrorStatuses maps every status of docs/api.md to its sentinel and
// checks the sentence the user reads.
func TestErrorStatuses(t *testing.T) {
	cases := []struct {
		status           int
		code, msg, field string
		sentinel         error
		call             func(*glow.Client) error
		want             string
		notRetried       bool
	}{
		{409, "version_conflict", "expected version 3, server has 4", "", api.ErrConflict,
			func(c *glow.Client) error {
				_, err := c.UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: "5f3a", ExpectedVersion: ptr(int64(3)), Patch: glow.Patch{Name: ptr("OpenAI Production")}})
				return err
			},
			`glow: update provider "OpenAI Production" (id 5f3a): 409 version conflict: expected version 3, server has 4`, true},
		{409, "name_conflict", `a provider named "A" already exists in department d1`, "providers[0].name", api.ErrConflict,
			func(c *glow.Client) error {
				_, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "A"}})
				return err
			},
			`glow: create provider "A": 409 name conflict: a provider named "A" already exists in department d1 (field providers[0].name)`, true},
		{400, "missing_field", "providers[1].name is required", "providers[1].name", api.ErrInvalid,
			func(c *glow.Client) error {
				_, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "A"}, {Name: "B"}})
				return err
			},
			`glow: create providers "B": 400 missing field: providers[1].name is required`, true},
		{401, "unauthorized", "missing or unknown token", "", api.ErrUnauthorized,
			func(c *glow.Client) error { _, err := c.GetProvider(context.Background(), "p1"); return err },
			`glow: get provider id p1: 401 unauthorized: missing or unknown token`, true},
		{403, "forbidden", "department_ids outside the token's scope", "department_ids", api.ErrForbidden,
			func(c *glow.Client) error { _, err := c.DuplicateProvider(context.Background(), "p1"); return err },
			`glow: duplicate provider id p1: 403 forbidden: department_ids outside the token's scope`, true},
		{404, "not_found", "provider p1 not found", "", api.ErrNotFound,
			func(c *glow.Client) error { _, err := c.Decrypt(context.Background(), "p1", "k1"); return err },
			`glow: decrypt key k1 of provider id p1: 404 not found: provider p1 not found`, true},
		{503, "unavailable", "try again", "", api.ErrUnavailable,
			func(c *glow.Client) error { _, err := c.GetProvider(context.Background(), "p1"); return err },
			`glow: get provider id p1: 503 unavailable: try again`, false},
		{429, "rate_limited", "slow down", "", api.ErrRateLimited,
			func(c *glow.Client) error { _, err := c.GetProvider(context.Background(), "p1"); return err },
			`glow: get provider id p1: 429 rate limited: slow down`, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
				writeError(w, tc.status, tc.code, tc.msg, tc.field)
			})
			err := tc.call(f.client(api.WithRetryMax(2)))
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err %v is not %v", err, tc.sentinel)
			}
			if err.Error() != tc.want {
				t.Errorf("message\n got %s\nwant %s", err, tc.want)
			}
			var ae *api.Error
			if !errors.As(err, &ae) {
				t.Errorf("%v is not an *api.Error", err)
			} else {
				if ae.StatusCode != tc.status {
					t.Errorf("StatusCode = %d, want %d", ae.StatusCode, tc.status)
				}
				if ae.Code != tc.code {
					t.Errorf("Code = %q, want %q", ae.Code, tc.code)
				}
				if ae.Field != tc.field {
					t.Errorf("Field = %q, want %q", ae.Field, tc.field)
				}
				if ae.Service != "glow" {
					t.Errorf("Service = %q, want %q", ae.Service, "glow")
				}
			}
			if errors.Is(err, api.ErrOutcomeUnknown) {
				t.Errorf("%v must not be outcome-unknown", err)
			}
			wantCalls := 3
			if tc.notRetried {
				wantCalls = 1
			}
			if got := len(f.Requests()); got != wantCalls {
				t.Errorf("%d calls, want %d", got, wantCalls)
			}
		})
	}
}

func TestGarbageAnswers(t *testing.T) {
	html := "<html><body><h1>502 Bad Gateway</h1>" + strings.Repeat("x", 1000) + "</body></html>"
	t.Run("non-JSON error body", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, html)
		})
		_, err := f.client().GetProvider(context.Background(), "p1")
		msg := err.Error()
		if !strings.HasPrefix(msg, "glow: get provider id p1: 500 internal server error: <html><body><h1>502 Bad Gateway</h1>xxx") || !strings.HasSuffix(msg, "…") || len(msg) > 300 {
			t.Errorf("message %q", msg)
		}
		if len(f.Requests()) != 1 {
			t.Errorf("a 500 is not retried")
		}
	})
	t.Run("empty error body", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { w.WriteHeader(404) })
		_, err := f.client().GetProvider(context.Background(), "p1")
		if !errors.Is(err, api.ErrNotFound) || err.Error() != "glow: get provider id p1: 404 not found" {
			t.Errorf("err %v", err)
		}
	})
	t.Run("undecodable 200", func(t *testing.T) {
		for _, body := range []string{"", "{", "not json", `{"provider": {"version": "three"}}`, `[1,2]`} {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { _, _ = io.WriteString(w, body) })
			_, err := f.client().GetProvider(context.Background(), "p1")
			if !errors.Is(err, api.ErrDecode) || !strings.Contains(err.Error(), "200 answer could not be decoded") {
				t.Errorf("body %q: err %v", body, err)
			}
		}
	})
}

// retryCounter records the retry hook's events.
type retryCounter struct {
	mu     sync.Mutex
	events []api.RetryEvent
}

func (r *retryCounter) hook(e api.RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *retryCounter) get() []api.RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]api.RetryEvent(nil), r.events...)
}

func TestRetry503ThenSuccess(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
		if n == 1 {
			writeError(w, 503, "unavailable", "try again", "")
			return
		}
		apitest.WriteJSON(w, 200, glow.CreateProvidersResponse{Providers: []glow.Created{{ProviderID: "p1"}}})
	})
	var rc retryCounter
	c := f.client(api.WithRetryHook(rc.hook))
	// A create is retried on 503: the server says it did not act.
	got, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "A"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	if ev := rc.get(); len(ev) != 1 {
		t.Errorf("retry events: got %d, want 1: %+v", len(ev), ev)
	} else {
		if ev[0].StatusCode != 503 {
			t.Errorf("retry event StatusCode = %d, want 503", ev[0].StatusCode)
		}
		if ev[0].Retry != 1 {
			t.Errorf("retry event Retry = %d, want 1", ev[0].Retry)
		}
		if ev[0].Operation != "create provider" {
			t.Errorf("retry event Operation = %q, want %q", ev[0].Operation, "create provider")
		}
		if ev[0].Service != "glow" {
			t.Errorf("retry event Service = %q, want %q", ev[0].Service, "glow")
		}
	}
	if s := c.Stats(); s.Attempts != 2 || s.Retries != 1 || s.OutcomeUnknown != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeError(w, 429, "rate_limited", "slow down", "")
			return
		}
		apitest.WriteJSON(w, 200, glow.Created{ProviderID: "p2"})
	})
	var rc retryCounter
	start := time.Now()
	// Duplicate is not idempotent, and still retried on 429.
	got, err := f.client(api.WithRetryHook(rc.hook)).DuplicateProvider(context.Background(), "p1")
	if err != nil || got.ProviderID != "p2" {
		t.Fatalf("%v %v", got, err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %s, before Retry-After", el)
	}
	if ev := rc.get(); len(ev) != 1 || ev[0].Wait < time.Second || ev[0].Wait > time.Second+5*time.Millisecond {
		t.Errorf("events %+v", ev)
	}
}

func TestRetryAfterBeyondMaxIsReturned(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		w.Header().Set("Retry-After", "120")
		writeError(w, 429, "rate_limited", "slow down", "")
	})
	_, err := f.client(api.WithRetryAfterMax(time.Second)).GetProvider(context.Background(), "p1")
	var ae *api.Error
	if !errors.As(err, &ae) || !errors.Is(err, api.ErrRateLimited) || ae.RetryAfter != 2*time.Minute {
		t.Fatalf("err %v", err)
	}
	if !strings.HasSuffix(err.Error(), "(retry after 2m0s)") || len(f.Requests()) != 1 {
		t.Errorf("err %v after %d calls", err, len(f.Requests()))
	}
}

func TestConnectionDrop(t *testing.T) {
	t.Run("idempotent call is retried", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
			if n == 1 {
				apitest.Drop(w)
				return
			}
			apitest.WriteJSON(w, 200, glow.SearchResponse{Providers: []glow.Provider{{ID: "p1"}}})
		})
		c := f.client()
		got, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{}))
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %v", got, err)
		}
		if s := c.Stats(); s.Retries != 1 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("create is not retried", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { apitest.Drop(w) })
		c := f.client()
		_, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "OpenAI Production"}})
		if !errors.Is(err, api.ErrOutcomeUnknown) {
			t.Fatalf("err %v is not ErrOutcomeUnknown", err)
		}
		if n := len(f.Requests()); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
		if !strings.HasPrefix(err.Error(), `glow: create provider "OpenAI Production": outcome unknown`) ||
			!strings.Contains(err.Error(), "check the current state before retrying") {
			t.Errorf("message %q", err)
		}
		if s := c.Stats(); s.OutcomeUnknown != 1 || s.Retries != 0 {
			t.Errorf("stats %+v", s)
		}
	})
	for _, op := range []struct {
		name string
		call func(*glow.Client) error
	}{
		{"draft", func(c *glow.Client) error {
			_, err := c.Draft(context.Background(), glow.DraftRequest{ProviderID: "p1", ExpectedVersion: ptr(int64(1))})
			return err
		}},
		{"publish", func(c *glow.Client) error {
			_, err := c.Publish(context.Background(), glow.PublishRequest{DraftID: "d1", ExpectedVersion: ptr(int64(2))})
			return err
		}},
		{"update", func(c *glow.Client) error {
			_, err := c.UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: "p1"})
			return err
		}},
		{"create keys", func(c *glow.Client) error {
			_, err := c.CreateKeys(context.Background(), []glow.KeyInput{{Name: "k", Value: sensitive.New("v")}})
			return err
		}},
		{"create endpoints", func(c *glow.Client) error {
			_, err := c.CreateEndpoints(context.Background(), []glow.EndpointInput{{URL: "https://x"}})
			return err
		}},
		{"create models", func(c *glow.Client) error {
			_, err := c.CreateModels(context.Background(), []glow.ModelInput{{Name: "m", ProviderID: "p"}})
			return err
		}},
	} {
		t.Run(op.name+" is not retried on 502/504 or a drop", func(t *testing.T) {
			for _, fault := range []int{0, 502, 504} {
				f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
					if fault == 0 {
						apitest.Drop(w)
						return
					}
					writeError(w, fault, "bad_gateway", "upstream failed", "")
				})
				err := op.call(f.client())
				if !errors.Is(err, api.ErrOutcomeUnknown) || len(f.Requests()) != 1 {
					t.Errorf("fault %d: err %v after %d calls", fault, err, len(f.Requests()))
				}
			}
		})
	}
	t.Run("idempotent call is retried on 502 and 504", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
			switch n {
			case 1:
				w.WriteHeader(502)
			case 2:
				w.WriteHeader(504)
			default:
				apitest.WriteJSON(w, 200, glow.IDResults{})
			}
		})
		if _, err := f.client().DeleteKeys(context.Background(), []string{"k"}); err != nil || len(f.Requests()) != 3 {
			t.Fatalf("err %v after %d calls", err, len(f.Requests()))
		}
	})
}

func TestDialErrorOnCreateIsRetried(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		apitest.WriteJSON(w, 200, glow.CreateProvidersResponse{Providers: []glow.Created{{ProviderID: "p1"}}})
	})
	var dials atomic.Int32
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
	c := f.client(api.WithHTTPClient(hc))
	if _, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "A"}}); err != nil {
		t.Fatal(err)
	}
	if len(f.Requests()) != 1 || dials.Load() != 2 || c.Stats().Retries != 1 {
		t.Errorf("%d calls, %d dials, stats %+v", len(f.Requests()), dials.Load(), c.Stats())
	}
}

func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := glow.New("http://"+addr, sensitive.New(testToken), api.WithRetryMax(2), api.WithRetryWait(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "A"}})
	if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, api.ErrOutcomeUnknown) {
		t.Fatalf("err %v", err)
	}
	if s := c.Stats(); s.Attempts != 3 {
		t.Errorf("stats %+v", s)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("message %q", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		cancel()
		writeError(w, 503, "unavailable", "", "")
	})
	_, err := f.client(api.WithRetryWait(time.Hour, time.Hour)).GetProvider(ctx, "p1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if errors.Is(err, api.ErrUnavailable) {
		t.Errorf("a cancellation is not unavailability")
	}
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ apitest.Request, n int) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		apitest.WriteJSON(w, 200, glow.ProviderDetail{})
	})
	c := f.client(api.WithTimeout(50 * time.Millisecond))
	if _, err := c.GetProvider(context.Background(), "p1"); err != nil {
		t.Fatalf("a hung attempt of a read is retried: %v", err)
	}
	if s := c.Stats(); s.Retries != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestSecretsNeverLeak sets the token and key values to recognisable strings,
// makes the server echo everything it received in every failure mode, and
// checks errors and debug logs.
func TestSecretsNeverLeak(t *testing.T) {
	const keyValue = "sk-KEYVALUE-RECOGNISABLE-42"
	echo := func(r *http.Request, req apitest.Request) string {
		return req.Raw + " token=" + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	modes := map[string]func(w http.ResponseWriter, r *http.Request, req apitest.Request){
		"json error echo": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			writeError(w, 400, "invalid_field", echo(r, req), echo(r, req))
		},
		"garbage echo": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "<html>"+echo(r, req))
		},
		"echo with 422": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			writeError(w, 422, echo(r, req), "bad", "")
		},
		"503 echo": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			writeError(w, 503, "unavailable", echo(r, req), "")
		},
		"drop": func(w http.ResponseWriter, _ *http.Request, _ apitest.Request) { apitest.Drop(w) },
		"502 echo": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			w.WriteHeader(502)
			_, _ = io.WriteString(w, echo(r, req))
		},
		"200 garbage with secret": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			_, _ = io.WriteString(w, `{"keys": "`+echo(r, req))
		},
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, req apitest.Request, _ int) { mode(w, r, req) })
			var rc retryCounter
			c := f.client(api.WithLogger(logger), api.WithRetryMax(1), api.WithRetryHook(rc.hook))
			_, err := c.CreateKeys(context.Background(), []glow.KeyInput{{Name: "prod", Value: sensitive.New(keyValue)}})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(f.Requests()[0].Raw, keyValue) {
				t.Fatal("the key value was not sent")
			}
			var ae *api.Error
			errors.As(err, &ae)
			texts := []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), fmt.Sprintf("%+v", ae), logs.String()}
			for _, ev := range rc.get() {
				texts = append(texts, fmt.Sprint(ev), fmt.Sprint(ev.Err))
			}
			if logs.Len() == 0 {
				t.Error("no debug logs")
			}
			for _, s := range texts {
				for _, secret := range []string{testToken, keyValue, "Bearer", "Authorization"} {
					if strings.Contains(s, secret) {
						t.Errorf("%q leaks in %s", secret, s)
					}
				}
			}
		})
	}
}

func TestSecretsNeverInDecryptDecodeError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		_, _ = io.WriteString(w, `{"key_id":"k1","value":"sk-live-DECRYPTED-VALUE","actor_name":`)
	})
	_, err := f.client().Decrypt(context.Background(), "p1", "k1")
	if !errors.Is(err, api.ErrDecode) || strings.Contains(err.Error(), "DECRYPTED") {
		t.Fatalf("err %v", err)
	}
}

func TestNewFromEnv(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		apitest.WriteJSON(w, 200, glow.ProviderDetail{})
	})
	t.Setenv(glow.EnvURL, f.URL+"/")
	t.Setenv(glow.EnvToken, testToken)
	c, err := glow.NewFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetProvider(context.Background(), "p1"); err != nil {
		t.Fatal(err)
	}
	checkHeaders(t, f.Requests()[0], "application/json")
	if f.Requests()[0].Path != "/provider/get" {
		t.Errorf("path %s", f.Requests()[0].Path)
	}

	t.Setenv(glow.EnvToken, "")
	if _, err := glow.NewFromEnv(); err == nil || !strings.Contains(err.Error(), "GLOW_TOKEN is not set") {
		t.Errorf("err %v", err)
	}
	t.Setenv(glow.EnvToken, testToken)
	t.Setenv(glow.EnvURL, "ftp://user:"+testToken+"@host")
	if _, err := glow.NewFromEnv(); err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("err %v", err)
	}
}

// A Glow that predates token/self answers 404, in its own words or a
// router's; either way callers can tell "scope unknown" by api.ErrNotFound,
// and the call is not retried.
func TestSelfOnAGlowWithoutIt(t *testing.T) {
	for name, answer := range map[string]func(w http.ResponseWriter){
		"json":  func(w http.ResponseWriter) { writeError(w, 404, "not_found", "no such operation", "") },
		"plain": func(w http.ResponseWriter) { http.Error(w, "404 page not found", 404) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { answer(w) })
			info, err := f.client().Self(context.Background())
			if !errors.Is(err, api.ErrNotFound) {
				t.Fatalf("err %v, want api.ErrNotFound", err)
			}
			if info.ActorName != "" || info.Scoped || info.DepartmentIDs != nil {
				t.Errorf("info %+v alongside the error", info)
			}
			if n := len(f.Requests()); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
		})
	}
}

package glow_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// fuzzKeyValue is sent in CreateKeys; no error may quote it.
const fuzzKeyValue = "sk-FUZZ-KEY-VALUE-93b1"

// fuzzCalls are the client's method classes, one per answer shape.
var fuzzCalls = []struct {
	name string
	call func(ctx context.Context, c *glow.Client) error
}{
	{"create providers", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateProviders(ctx, []glow.ProviderInput{{Name: "a"}, {Name: "b"}})
		return err
	}},
	{"get provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.GetProvider(ctx, "p1")
		return err
	}},
	{"update provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: "p1"})
		return err
	}},
	{"bulk update", func(ctx context.Context, c *glow.Client) error {
		_, err := c.BulkUpdate(ctx, glow.BulkUpdateRequest{Selector: glow.Selector{ProviderIDs: []string{"p1"}}})
		return err
	}},
	{"duplicate provider", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DuplicateProvider(ctx, "p1")
		return err
	}},
	{"delete providers", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteProviders(ctx, []string{"p1", "p2"})
		return err
	}},
	{"bulk delete", func(ctx context.Context, c *glow.Client) error {
		_, err := c.BulkDelete(ctx, glow.Selector{All: true})
		return err
	}},
	{"decrypt", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Decrypt(ctx, "p1", "k1")
		return err
	}},
	{"export", func(ctx context.Context, c *glow.Client) error {
		return c.Export(ctx, glow.SearchRequest{}, io.Discard)
	}},
	{"draft", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Draft(ctx, glow.DraftRequest{ProviderID: "p1"})
		return err
	}},
	{"publish", func(ctx context.Context, c *glow.Client) error {
		_, err := c.Publish(ctx, glow.PublishRequest{DraftID: "d1"})
		return err
	}},
	{"list drafts", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListDrafts(ctx))
		return err
	}},
	{"search", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.Search(ctx, glow.SearchRequest{}))
		return err
	}},
	{"create endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateEndpoints(ctx, []glow.EndpointInput{{URL: "https://x.test"}})
		return err
	}},
	{"list endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListEndpoints(ctx))
		return err
	}},
	{"delete endpoints", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteEndpoints(ctx, []string{"e1"})
		return err
	}},
	{"create keys", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateKeys(ctx, []glow.KeyInput{{Name: "k", Value: sensitive.New(fuzzKeyValue)}})
		return err
	}},
	{"list keys", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.ListKeys(ctx))
		return err
	}},
	{"delete keys", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteKeys(ctx, []string{"k1"})
		return err
	}},
	{"create models", func(ctx context.Context, c *glow.Client) error {
		_, err := c.CreateModels(ctx, []glow.ModelInput{{Name: "m", ProviderID: "p1"}})
		return err
	}},
	{"search models", func(ctx context.Context, c *glow.Client) error {
		_, err := api.Collect(c.SearchModels(ctx))
		return err
	}},
	{"delete models", func(ctx context.Context, c *glow.Client) error {
		_, err := c.DeleteModels(ctx, []string{"m1"})
		return err
	}},
}

// fuzzStatuses are the statuses a fuzzed answer comes with.
var fuzzStatuses = []int{200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504}

// fuzzServer answers every request with the current input.
type fuzzServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	body   []byte
}

func newFuzzServer(t testing.TB) *fuzzServer {
	s := &fuzzServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fuzzServer) set(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// checkFuzzError is what every answer must lead to: no panic (the fuzzer
// catches those), a success only for a 2xx, and otherwise an *api.Error
// that names the service and the status and quotes no secret.
func checkFuzzError(t *testing.T, service, op string, status int, body []byte, err error, secrets ...string) {
	t.Helper()
	ok := status >= 200 && status <= 299
	if err == nil {
		if !ok {
			t.Fatalf("%s: status %d answered success", op, status)
		}
		return
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s: status %d: error %T is not an *api.Error: %v", op, status, err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, service+": ") {
		t.Errorf("%s: message does not name the service: %q", op, msg)
	}
	if len(msg) > 2000 {
		t.Errorf("%s: message of %d bytes", op, len(msg))
	}
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Fatalf("%s: message quotes a secret: %q", op, msg)
		}
	}
	if ok {
		if !errors.Is(err, api.ErrDecode) || !strings.Contains(msg, "could not be decoded") {
			t.Errorf("%s: status %d with body %.100q: want a decode error, got %q", op, status, body, msg)
		}
		return
	}
	if errors.Is(err, api.ErrDecode) {
		t.Errorf("%s: status %d is not a decode error: %q", op, status, msg)
	}
	if !strings.Contains(msg, strconv.Itoa(status)) {
		t.Errorf("%s: status %d not in the message %q", op, status, msg)
	}
}

// fuzzSeeds are answers real servers and proxies send by mistake.
func fuzzSeeds() [][]byte {
	huge := "[" + strings.Repeat(`{"provider_id":"p","name":"n"},`, 200) + `{}]`
	return [][]byte{
		nil,
		[]byte("{"),
		[]byte(`{"provider": {"provider_id": "p1", "version": "three"}}`),
		[]byte(`{"providers": [{"provider_id": 1}], "next_page_token": 7}`),
		[]byte(`{"providers": ` + huge + `}`),
		[]byte(`{"results": ` + huge + `, "next_page_token": "t"}`),
		[]byte(`{"keys": null, "endpoints": {"current": "x"}}`),
		[]byte(`{"value": {"nested": true}, "key_id": []}`),
		[]byte(`{"error": {"code": 5, "message": ["x"]}}`),
		[]byte(`{"error": {"code": "version_conflict", "message": "expected version 3, server has 4", "field": "expected_version"}}`),
		[]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"),
		[]byte("\x00\xff\xfe garbage \x1b[31m"),
		[]byte(`[1, 2, 3]`),
		[]byte(`"just a string"`),
		[]byte(`{"providers": [], "next_page_token": "same"}`),
		[]byte(strings.Repeat("[", 2000)),
	}
}

func FuzzGlowDecode(f *testing.F) {
	for i, body := range fuzzSeeds() {
		f.Add(uint8(i), uint8(0), body)
		f.Add(uint8(i+7), uint8(i), body)
	}
	srv := newFuzzServer(f)
	c, err := glow.New(srv.srv.URL, sensitive.New(testToken), api.WithRetryMax(0), api.WithTimeout(2*time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, status uint8, body []byte) {
		fc := fuzzCalls[int(op)%len(fuzzCalls)]
		st := fuzzStatuses[int(status)%len(fuzzStatuses)]
		srv.set(st, body)
		err := fc.call(context.Background(), c)
		checkFuzzError(t, "glow", fc.name, st, body, err, testToken, fuzzKeyValue)
	})
}

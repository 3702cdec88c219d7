package gateflow_test

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
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// fuzzCredential is sent by Configure and UpdateCredentials; no error may
// quote it.
const fuzzCredential = "sk-ant-FUZZ-CREDENTIAL-71c4"

var fuzzCreds = map[string]sensitive.String{"api_key": sensitive.New(fuzzCredential)}

// fuzzCalls are the client's method classes, one per answer shape.
var fuzzCalls = []struct {
	name string
	call func(ctx context.Context, c *gateflow.Client) error
}{
	{"list", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.List(ctx)
		return err
	}},
	{"configure", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Configure(ctx, gateflow.OpenAI, fuzzCreds, map[string]any{"timeout_ms": 30000})
		return err
	}},
	{"get", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Get(ctx, gateflow.OpenAI)
		return err
	}},
	{"update settings", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.UpdateSettings(ctx, gateflow.OpenAI, map[string]any{"default_model": nil})
		return err
	}},
	{"update credentials", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.UpdateCredentials(ctx, gateflow.Anthropic, fuzzCreds)
		return err
	}},
	{"test", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Test(ctx, gateflow.OpenAI)
		return err
	}},
	{"disable", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Disable(ctx, gateflow.OpenAI)
		return err
	}},
	{"enable", func(ctx context.Context, c *gateflow.Client) error {
		_, err := c.Enable(ctx, gateflow.OpenAI)
		return err
	}},
	{"delete", func(ctx context.Context, c *gateflow.Client) error {
		return c.Delete(ctx, gateflow.OpenAI)
	}},
}

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

// checkFuzzError: a success only for a 2xx, and otherwise an *api.Error
// that names the service and the status and quotes no secret. A panic or a
// hang (the attempt timeout turns one into an error without a status) fails
// too.
func checkFuzzError(t *testing.T, op string, status int, body []byte, err error) {
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
	if !strings.HasPrefix(msg, "gateflow: ") {
		t.Errorf("%s: message does not name the service: %q", op, msg)
	}
	if len(msg) > 2000 {
		t.Errorf("%s: message of %d bytes", op, len(msg))
	}
	for _, s := range []string{adminKey, fuzzCredential} {
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

func FuzzGateflowDecode(f *testing.F) {
	huge := "[" + strings.Repeat(`{"id":"openai","name":"OpenAI","models":["a","b"]},`, 200) + `{}]`
	seeds := [][]byte{
		nil,
		[]byte("{"),
		[]byte(`{"providers": ` + huge + `}`),
		[]byte(`{"providers": [{"id": 1, "health": "green", "models": "gpt"}]}`),
		[]byte(`{"id": "openai", "configured": "yes", "settings": [1], "configured_at": "yesterday"}`),
		[]byte(`{"id": "openai", "credentials_updated_at": 12, "status": null}`),
		[]byte(`{"test_result": {"ok": true}, "latency_ms": 1e400}`),
		[]byte(`{"error": {"code": "invalid_credentials", "message": "api_key must start with sk-", "field": "credentials.api_key"}}`),
		[]byte(`{"error": "invalid"}`),
		[]byte("<html><body><h1>Service Unavailable</h1></body></html>"),
		[]byte("\x00\xff garbage"),
		[]byte(`null`),
		[]byte(strings.Repeat(`{"a":`, 2000)),
	}
	for i, body := range seeds {
		f.Add(uint8(i), uint8(0), body)
		f.Add(uint8(i+3), uint8(i), body)
	}
	srv := newFuzzServer(f)
	c, err := gateflow.New(srv.srv.URL, sensitive.New(adminKey), api.WithRetryMax(0), api.WithTimeout(2*time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, status uint8, body []byte) {
		fc := fuzzCalls[int(op)%len(fuzzCalls)]
		st := fuzzStatuses[int(status)%len(fuzzStatuses)]
		srv.set(st, body)
		checkFuzzError(t, fc.name, st, body, fc.call(context.Background(), c))
	})
}

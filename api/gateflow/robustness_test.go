package gateflow_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Servers that are not Gateflow, or not well: the client fails, says so in
// a sentence that names the call, and never hangs past its attempt timeout.

func robustClient(t *testing.T, url string, opts ...api.Option) *gateflow.Client {
	t.Helper()
	base := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond), api.WithTimeout(100 * time.Millisecond)}
	c, err := gateflow.New(url, sensitive.New(adminKey), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStalledServerTimesOut(t *testing.T) {
	url := apitest.StalledServer(t)
	t.Run("get: retried, then unavailable", func(t *testing.T) {
		var retries int
		c := robustClient(t, url, api.WithRetryMax(2), api.WithRetryHook(func(api.RetryEvent) { retries++ }))
		start := time.Now()
		_, err := c.Get(context.Background(), catalogue.OpenAI)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s with a 100ms attempt timeout", d)
		}
		if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, api.ErrOutcomeUnknown) {
			t.Errorf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, `gateflow: get provider "openai": `) || !strings.Contains(msg, "Timeout exceeded") {
			t.Errorf("message %q does not say the call timed out", msg)
		}
		if retries != 2 {
			t.Errorf("%d retries, want 2", retries)
		}
	})
	t.Run("configure: not replayed, outcome unknown", func(t *testing.T) {
		c := robustClient(t, url, api.WithRetryMax(2))
		creds := map[string]sensitive.String{"api_key": sensitive.New("sk-STALLED-CREDENTIAL-1")}
		_, err := c.Configure(context.Background(), catalogue.OpenAI, creds, nil)
		if !errors.Is(err, api.ErrOutcomeUnknown) {
			t.Fatalf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, `gateflow: configure provider "openai": outcome unknown`) ||
			!strings.Contains(msg, "Timeout exceeded") || strings.Contains(msg, "sk-STALLED") {
			t.Errorf("message %q", msg)
		}
		if s := c.Stats(); s.Attempts != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestStallInTheMiddleOfTheBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"providers": [{"id": "openai", "na`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	_, err := robustClient(t, srv.URL, api.WithRetryMax(0)).List(context.Background())
	if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, api.ErrDecode) {
		t.Fatalf("err %v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "gateflow: list providers: reading the 200 answer: ") || !strings.Contains(msg, "while reading body") {
		t.Errorf("message %q does not say the answer timed out", msg)
	}
}

func TestNotGateflowAnswers(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        []string
		is          error
	}{
		{"200 with an HTML page", 200, "text/html", "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>",
			[]string{`gateflow: get provider "openai": 200 answer could not be decoded`, "invalid character '<'"}, api.ErrDecode},
		{"200 with garbage", 200, "application/octet-stream", "\x00\x01\xfe\xffGARBAGE",
			[]string{`gateflow: get provider "openai": 200 answer could not be decoded`, "invalid character"}, api.ErrDecode},
		{"200 with wrong types", 200, "application/json", `{"id": "openai", "configured": "yes"}`,
			[]string{`gateflow: get provider "openai": 200 answer could not be decoded`, "cannot unmarshal string"}, api.ErrDecode},
		{"200 truncated", 200, "application/json", `{"id": "openai", "settings": {`,
			[]string{`gateflow: get provider "openai": 200 answer could not be decoded`, "unexpected end of JSON input"}, api.ErrDecode},
		{"502 with an HTML page", 502, "text/html", "<html><head><title>502 Bad Gateway</title></head></html>",
			[]string{`gateflow: get provider "openai": 502 bad gateway: <html><head><title>502 Bad Gateway</title></head></html>`}, api.ErrUnavailable},
		{"401 with a plain text body", 401, "text/plain", "Unauthorized\n",
			[]string{`gateflow: get provider "openai": 401 unauthorized: Unauthorized`}, api.ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			_, err := robustClient(t, srv.URL, api.WithRetryMax(1)).Get(context.Background(), catalogue.OpenAI)
			if !errors.Is(err, tc.is) {
				t.Errorf("err %v, want %v", err, tc.is)
			}
			if err == nil {
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
		})
	}
}

func TestHugeListDecodes(t *testing.T) {
	const n = 100_000
	body := `{"providers": [` + strings.Repeat(`{"id": "openai", "name": "OpenAI", "models": ["a", "b"]},`, n-1) + `{"id": "last"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	ps, err := robustClient(t, srv.URL, api.WithTimeout(10*time.Second)).List(context.Background())
	if err != nil || len(ps) != n || ps[n-1].ID != "last" {
		t.Fatalf("%d providers, err %v", len(ps), err)
	}
}

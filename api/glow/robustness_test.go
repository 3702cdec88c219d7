package glow_test

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
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Servers that are not Glow, or not well: the client fails, says so in a
// sentence that names the call, and never hangs past its attempt timeout.

func robustClient(t *testing.T, url string, opts ...api.Option) *glow.Client {
	t.Helper()
	base := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond), api.WithTimeout(100 * time.Millisecond)}
	c, err := glow.New(url, sensitive.New(testToken), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStalledServerTimesOut(t *testing.T) {
	url := apitest.StalledServer(t)
	t.Run("read: retried, then unavailable", func(t *testing.T) {
		var retries int
		c := robustClient(t, url, api.WithRetryMax(2), api.WithRetryHook(func(api.RetryEvent) { retries++ }))
		start := time.Now()
		_, err := c.GetProvider(context.Background(), "p1")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s with a 100ms attempt timeout", d)
		}
		if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, api.ErrOutcomeUnknown) || errors.Is(err, api.ErrDecode) {
			t.Errorf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "glow: get provider id p1: ") || !strings.Contains(msg, "Timeout exceeded") {
			t.Errorf("message %q does not say the call timed out", msg)
		}
		if retries != 2 {
			t.Errorf("%d retries, want 2", retries)
		}
	})
	t.Run("create: not replayed, outcome unknown", func(t *testing.T) {
		c := robustClient(t, url, api.WithRetryMax(2))
		_, err := c.CreateProviders(context.Background(), []glow.ProviderInput{{Name: "a"}})
		if !errors.Is(err, api.ErrOutcomeUnknown) {
			t.Fatalf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, `glow: create provider "a": outcome unknown`) ||
			!strings.Contains(msg, "Timeout exceeded") || !strings.Contains(msg, "check the current state") {
			t.Errorf("message %q", msg)
		}
		if s := c.Stats(); s.Attempts != 1 || s.OutcomeUnknown != 1 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("caller's deadline ends the retries", func(t *testing.T) {
		c := robustClient(t, url, api.WithRetryMax(100), api.WithTimeout(time.Hour))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := api.Collect(c.Search(ctx, glow.SearchRequest{}))
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "glow: search providers: ") {
			t.Errorf("err %v", err)
		}
	})
}

// A server that sends a 200 and then stalls in the middle of the body.
func TestStallInTheMiddleOfTheBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"provider": {"provider_id": "p1", "na`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	t.Run("read", func(t *testing.T) {
		c := robustClient(t, srv.URL, api.WithRetryMax(0))
		_, err := c.GetProvider(context.Background(), "p1")
		// A cut-off answer is the transport failing, not an answer of the
		// wrong shape.
		if !errors.Is(err, api.ErrUnavailable) || errors.Is(err, api.ErrDecode) {
			t.Fatalf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "glow: get provider id p1: reading the 200 answer: ") || !strings.Contains(msg, "while reading body") {
			t.Errorf("message %q does not say the answer timed out", msg)
		}
	})
	t.Run("publish: the server acted, the outcome is unknown", func(t *testing.T) {
		c := robustClient(t, srv.URL, api.WithRetryMax(0))
		_, err := c.Publish(context.Background(), glow.PublishRequest{DraftID: "d1"})
		if !errors.Is(err, api.ErrOutcomeUnknown) || errors.Is(err, api.ErrDecode) {
			t.Fatalf("err %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "glow: publish draft id d1: outcome unknown") || !strings.Contains(msg, "reading the 200 answer") {
			t.Errorf("message %q", msg)
		}
	})
}

func TestNotGlowAnswers(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        []string
		is          error
	}{
		{"200 with an HTML login page", 200, "text/html", "<!DOCTYPE html><html><body>Please sign in</body></html>",
			[]string{"glow: get provider id p1: 200 answer could not be decoded", "invalid character '<'"}, api.ErrDecode},
		{"200 with garbage", 200, "application/octet-stream", "\x00\x01\xfe\xffGARBAGE",
			[]string{"glow: get provider id p1: 200 answer could not be decoded", "invalid character"}, api.ErrDecode},
		{"200 with JSON of the wrong shape", 200, "application/json", `{"provider": [1, 2]}`,
			[]string{"glow: get provider id p1: 200 answer could not be decoded", "cannot unmarshal array"}, api.ErrDecode},
		{"200 truncated", 200, "application/json", `{"provider": {"provider_id": "p1"`,
			[]string{"glow: get provider id p1: 200 answer could not be decoded", "unexpected end of JSON input"}, api.ErrDecode},
		{"200 empty", 200, "application/json", "",
			[]string{"glow: get provider id p1: 200 answer could not be decoded", "unexpected end of JSON input"}, api.ErrDecode},
		{"404 with an HTML page", 404, "text/html", "<html><body><h1>Not Found</h1>\n\n<p>nginx</p></body></html>",
			[]string{"glow: get provider id p1: 404 not found: <html><body><h1>Not Found</h1> <p>nginx</p></body></html>"}, api.ErrNotFound},
		{"503 with garbage", 503, "text/plain", "\x00\xffupstream connect error",
			[]string{"glow: get provider id p1: 503 service unavailable: ", "upstream connect error"}, api.ErrUnavailable},
		{"400 with JSON of another shape", 400, "application/json", `{"error": "bad"}`,
			[]string{`glow: get provider id p1: 400 bad request: {"error": "bad"}`}, api.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			_, err := robustClient(t, srv.URL, api.WithRetryMax(1)).GetProvider(context.Background(), "p1")
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

// A decrypt answer that is not JSON must not be quoted: it may hold the
// key's value, which the client cannot know in order to scrub it.
func TestUndecodableDecryptQuotesNothing(t *testing.T) {
	const value = "sk-DECRYPTED-VALUE-5e1d"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<html>value=`+value+`</html>`)
	}))
	t.Cleanup(srv.Close)
	_, err := robustClient(t, srv.URL).Decrypt(context.Background(), "p1", "k1")
	if !errors.Is(err, api.ErrDecode) || strings.Contains(err.Error(), value) {
		t.Errorf("err %v", err)
	}
}

// Huge arrays decode (a 500-provider page is far smaller), and the answer
// limit bounds memory rather than failing normal pages.
func TestHugePageDecodes(t *testing.T) {
	const n = 100_000
	body := `{"providers": [` + strings.Repeat(`{"provider_id": "p", "name": "n", "department_ids": ["d"]},`, n-1) + `{"provider_id": "last"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	ps, err := api.Collect(robustClient(t, srv.URL, api.WithTimeout(10*time.Second)).Search(context.Background(), glow.SearchRequest{}))
	if err != nil || len(ps) != n || ps[n-1].ID != "last" {
		t.Fatalf("%d providers, err %v", len(ps), err)
	}
}

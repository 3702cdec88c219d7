package gateflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Probes of answers the reference leaves open (docs/api.md, "Tolerance"):
// each fake server answers exactly one shape, and the client must decode
// what Switchboard acts on strictly and everything it only displays
// whatever its shape.

// answering is a fake that answers every request with status, the ETag
// etag (none when empty) and body as it is.
func answering(t *testing.T, status int, etag, body string) *gateflow.Client {
	t.Helper()
	return newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}).client(api.WithRetryMax(0))
}

var creds = map[string]sensitive.String{"api_key": sensitive.New("sk-tolerance-1")}

// TestEmptyWriteAnswersSucceed: a write answered 204, or 200 without a
// body, landed. The result holds the provider's id and the answer's ETag;
// every other field is zero (callers read the provider with Get).
func TestEmptyWriteAnswersSucceed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		etag   string
		body   string
		call   func(*gateflow.Client) (any, error)
		want   any
	}{
		{"enable 204", 204, `"t1"`, "", func(c *gateflow.Client) (any, error) { return c.Enable(ctx, catalogue.Cohere) },
			&gateflow.StateResponse{ID: "cohere", ETag: `"t1"`}},
		{"enable 200 empty", 200, "", "", func(c *gateflow.Client) (any, error) { return c.Enable(ctx, catalogue.Cohere) },
			&gateflow.StateResponse{ID: "cohere"}},
		{"disable 204", 204, `"t2"`, "", func(c *gateflow.Client) (any, error) { return c.Disable(ctx, catalogue.Cohere) },
			&gateflow.StateResponse{ID: "cohere", ETag: `"t2"`}},
		{"disable 200 white space", 200, `"t3"`, " \r\n", func(c *gateflow.Client) (any, error) { return c.Disable(ctx, catalogue.Cohere) },
			&gateflow.StateResponse{ID: "cohere", ETag: `"t3"`}},
		{"settings PATCH 204", 204, `"t4"`, "", func(c *gateflow.Client) (any, error) {
			return c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": "gpt-5"}, gateflow.IfMatch(`"t0"`))
		}, &gateflow.Provider{ID: "openai", ETag: `"t4"`}},
		{"settings PATCH 200 empty", 200, "", "", func(c *gateflow.Client) (any, error) {
			return c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": "gpt-5"})
		}, &gateflow.Provider{ID: "openai"}},
		{"credentials 204", 204, `"t5"`, "", func(c *gateflow.Client) (any, error) {
			return c.UpdateCredentials(ctx, catalogue.OpenAI, creds)
		}, &gateflow.CredentialsResponse{ID: "openai", ETag: `"t5"`}},
		{"credentials 200 empty", 200, "", "", func(c *gateflow.Client) (any, error) {
			return c.UpdateCredentials(ctx, catalogue.OpenAI, creds)
		}, &gateflow.CredentialsResponse{ID: "openai"}},
		{"configure 201 empty", 201, `"t6"`, "", func(c *gateflow.Client) (any, error) {
			return c.Configure(ctx, catalogue.OpenAI, creds, nil)
		}, &gateflow.ConfigureResponse{ID: "openai", ETag: `"t6"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.call(answering(t, tc.status, tc.etag, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

// TestEmptyAnswersToReadsFail: Switchboard acts on what get, list and test
// answer, so an empty answer there is undecodable; so is a write answer
// that is not JSON at all (a proxy's page is not Gateflow's answer).
func TestEmptyAnswersToReadsFail(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		call   func(*gateflow.Client) error
	}{
		{"get 200 empty", 200, "", func(c *gateflow.Client) error { _, err := c.Get(ctx, catalogue.OpenAI); return err }},
		{"get 204", 204, "", func(c *gateflow.Client) error { _, err := c.Get(ctx, catalogue.OpenAI); return err }},
		{"list 200 empty", 200, "", func(c *gateflow.Client) error { _, err := c.List(ctx); return err }},
		{"test 200 empty", 200, "", func(c *gateflow.Client) error { _, err := c.Test(ctx, catalogue.OpenAI); return err }},
		{"enable 200 HTML", 200, "<html><body>OK</body></html>", func(c *gateflow.Client) error {
			_, err := c.Enable(ctx, catalogue.OpenAI)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(answering(t, tc.status, "", tc.body))
			if !errors.Is(err, api.ErrDecode) {
				t.Fatalf("err %v, want an undecodable answer", err)
			}
		})
	}
}

// TestWriteAnswersOfAnyShape: the answers of enable, disable, credentials
// and configure are only displayed, so fields of unexpected types (and
// bodies that are not objects) still decode.
func TestWriteAnswersOfAnyShape(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	t.Run("enable with a status object and a time without zone", func(t *testing.T) {
		c := answering(t, 200, `"e1"`, `{"id": "cohere", "status": {"state": "active"}, "enabled_at": "2026-02-16T10:00:00"}`)
		got, err := c.Enable(ctx, catalogue.Cohere)
		if err != nil {
			t.Fatal(err)
		}
		want := &gateflow.StateResponse{ID: "cohere", Status: `{"state":"active"}`, EnabledAt: &at, ETag: `"e1"`}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("disable answered with a bare string", func(t *testing.T) {
		got, err := answering(t, 200, "", `"disabled"`).Disable(ctx, catalogue.Cohere)
		if err != nil || got.ID != "cohere" || got.Status != "" {
			t.Fatalf("%+v, %v", got, err)
		}
	})
	t.Run("credentials with an epoch number for a time", func(t *testing.T) {
		got, err := answering(t, 200, "", `{"id": "openai", "credentials_updated_at": 1771236000, "status": "active"}`).
			UpdateCredentials(ctx, catalogue.OpenAI, creds)
		if err != nil || !got.CredentialsUpdatedAt.IsZero() || got.Status != "active" {
			t.Fatalf("%+v, %v", got, err)
		}
	})
	t.Run("configure with models as objects and configured as a string", func(t *testing.T) {
		got, err := answering(t, 200, "", `{"id": "openai", "configured": "true", "configured_at": "2026-02-16 10:00:00Z",
			"models": [{"id": "gpt-5.2", "type": "chat"}, "gpt-5", 7]}`).Configure(ctx, catalogue.OpenAI, creds, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := &gateflow.ConfigureResponse{ID: "openai", Configured: true, ConfiguredAt: at, Models: []string{"gpt-5.2", "gpt-5", "7"}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

// getAnswer is a get answer with health as given.
func getAnswer(health string) string {
	return `{"id": "openai", "name": "OpenAI", "status": "active", "configured": true,
		"configured_at": "2026-02-16T10:00:00Z", "updated_at": "2026-02-16T10:00:00Z",
		"settings": {"default_model": "gpt-5.2"}, "models": [], "health": ` + health + `}`
}

// TestHealthOfAnyShape: last_error as an object, a string or anything,
// latency_ms as a fraction, and health itself in unexpected forms.
func TestHealthOfAnyShape(t *testing.T) {
	check := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, health string
		want         *gateflow.Health
		text         string
	}{
		{"last_error as an object",
			`{"status": "degraded", "latency_ms": 120, "last_check": "2026-02-16T10:00:00Z", "last_error": {"code": "timeout", "message": "upstream timed out"}}`,
			&gateflow.Health{Status: "degraded", LatencyMS: 120, LastCheck: check, LastError: json.RawMessage(`{"code":"timeout","message":"upstream timed out"}`)},
			`{"code":"timeout","message":"upstream timed out"}`},
		{"last_error as a string",
			`{"status": "degraded", "last_error": "upstream timed out"}`,
			&gateflow.Health{Status: "degraded", LastError: json.RawMessage(`"upstream timed out"`)},
			"upstream timed out"},
		{"last_error as a list", `{"last_error": [1, "two"]}`,
			&gateflow.Health{LastError: json.RawMessage(`[1,"two"]`)}, `[1,"two"]`},
		{"last_error null", `{"status": "healthy", "last_error": null}`,
			&gateflow.Health{Status: "healthy"}, ""},
		{"latency_ms as a fraction", `{"status": "healthy", "latency_ms": 120.6, "uptime_30d": 0.9995}`,
			&gateflow.Health{Status: "healthy", LatencyMS: 121, Uptime30d: ptr(0.9995)}, ""},
		{"latency_ms as a string and in exponent form", `{"latency_ms": "95.2", "uptime_30d": 9.995e-1}`,
			&gateflow.Health{LatencyMS: 95, Uptime30d: ptr(0.9995)}, ""},
		{"latency_ms out of range and not a number", `{"latency_ms": 1e300, "uptime_30d": "high"}`,
			&gateflow.Health{}, ""},
		{"last_check with fraction and offset", `{"last_check": "2026-02-16T11:00:00.250+01:00"}`,
			&gateflow.Health{LastCheck: check.Add(250 * time.Millisecond)}, ""},
		{"last_check unreadable", `{"last_check": "a minute ago"}`, &gateflow.Health{}, ""},
		{"health as a bare string", `"healthy"`, &gateflow.Health{Status: "healthy"}, ""},
		{"health as a number", `42`, &gateflow.Health{Status: "42"}, ""},
		{"health null", `null`, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := answering(t, 200, `"g1"`, getAnswer(tc.health)).Get(context.Background(), catalogue.OpenAI)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p.Health, cmp.Comparer(sameTime)); d != "" {
				t.Errorf("health (-want +got):\n%s", d)
			}
			if p.Health != nil && p.Health.LastErrorText() != tc.text {
				t.Errorf("LastErrorText %q, want %q", p.Health.LastErrorText(), tc.text)
			}
			if p.ID != catalogue.OpenAI {
				t.Errorf("ID = %q, want %q", p.ID, catalogue.OpenAI)
			}
			if !p.Configured {
				t.Errorf("Configured = false, want true")
			}
			if p.Settings["default_model"] != "gpt-5.2" {
				t.Errorf("Settings[default_model] = %#v, want %q", p.Settings["default_model"], "gpt-5.2")
			}
			if p.ETag != `"g1"` {
				t.Errorf("ETag = %q, want %q", p.ETag, `"g1"`)
			}
		})
	}
}

// TestListHealthOfAnyShape: the list shows the same health blocks, and
// models given as objects are shown by id.
func TestListHealthOfAnyShape(t *testing.T) {
	body := `{"providers": [
		{"id": "openai", "name": "OpenAI", "status": "active", "configured": true,
		 "models": [{"id": "gpt-5.2", "type": "chat"}, "gpt-5"],
		 "health": {"status": "degraded", "latency_ms": 99.5, "last_error": {"code": "rate_limited"}}},
		{"id": "google", "name": null, "status": "inactive", "configured": false, "models": [], "health": null}]}`
	got, err := answering(t, 200, "", body).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []gateflow.ProviderSummary{
		{ID: "openai", Name: "OpenAI", Status: "active", Configured: true, Models: []string{"gpt-5.2", "gpt-5"},
			Health: &gateflow.Health{Status: "degraded", LatencyMS: 100, LastError: json.RawMessage(`{"code":"rate_limited"}`)}},
		{ID: "google", Status: "inactive", Models: []string{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestTestResultOfAnyShape: latency_ms as a fraction, error as an object
// and tested_at without zone are shown; test_result, which apply --verify
// acts on, is strict.
func TestTestResultOfAnyShape(t *testing.T) {
	ctx := context.Background()
	got, err := answering(t, 200, "", `{"id": "openai", "test_result": "failure", "latency_ms": 145.4,
		"models_available": "12", "tested_at": "2026-02-16T10:00:00.5", "error": {"code": "invalid_key", "message": "key revoked"}}`).
		Test(ctx, catalogue.OpenAI)
	if err != nil {
		t.Fatal(err)
	}
	want := &gateflow.TestResult{ID: "openai", TestResult: "failure", LatencyMS: 145, ModelsAvailable: 12,
		TestedAt: time.Date(2026, 2, 16, 10, 0, 0, 5e8, time.UTC), Error: `{"code":"invalid_key","message":"key revoked"}`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	_, err = answering(t, 200, "", `{"id": "openai", "test_result": {"ok": true}}`).Test(ctx, catalogue.OpenAI)
	if !errors.Is(err, api.ErrDecode) {
		t.Errorf("test_result as an object: err %v, want an undecodable answer", err)
	}
}

// TestProviderTimestampsAndDisplayedFields: the timestamps Switchboard acts
// on (updated_at, credentials_updated_at) take RFC 3339 with or without
// fractional seconds and null, and refuse anything else; those it only
// displays (configured_at, disabled_at) read as absent when they cannot be
// read. Name may be null, models may be bare ids, usage may hold fractions.
func TestProviderTimestampsAndDisplayedFields(t *testing.T) {
	ctx := context.Background()
	got, err := answering(t, 200, "", `{"id": "openai", "name": null, "status": "disabled", "configured": true,
		"configured_at": "", "updated_at": "2026-02-16T10:00:00.123456Z", "credentials_updated_at": "2026-02-16T10:00:00Z",
		"disabled_at": "yesterday", "settings": {"timeout_ms": 30000},
		"models": ["gpt-5.2", {"id": "gpt-5", "type": "chat", "available": "true"}],
		"usage": {"requests_today": 5000.0, "tokens_today": "2500000", "cost_today_usd": "25.5"}}`).Get(ctx, catalogue.OpenAI)
	if err != nil {
		t.Fatal(err)
	}
	updated := time.Date(2026, 2, 16, 10, 0, 0, 123456000, time.UTC)
	creds := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	want := &gateflow.Provider{ID: "openai", Status: "disabled", Configured: true, UpdatedAt: &updated, CredentialsUpdatedAt: &creds,
		Settings: map[string]any{"timeout_ms": float64(30000)},
		Models:   []gateflow.Model{{ID: "gpt-5.2"}, {ID: "gpt-5", Type: "chat", Available: true}},
		Usage:    &gateflow.Usage{RequestsToday: 5000, TokensToday: 2500000, CostTodayUSD: 25.5}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	for _, body := range []string{
		`{"id": "openai", "configured": true, "updated_at": "2026-02-16T10:00:00"}`,
		`{"id": "openai", "configured": true, "credentials_updated_at": "yesterday"}`,
		`{"id": "openai", "configured": true, "settings": ["default_model"]}`,
		`{"id": "openai", "configured": "yes"}`,
		`{"id": 7, "configured": true}`,
	} {
		if _, err := answering(t, 200, "", body).Get(ctx, catalogue.OpenAI); !errors.Is(err, api.ErrDecode) {
			t.Errorf("%s: err %v, want an undecodable answer", body, err)
		}
	}
}

// TestDisplayedFieldsRoundTrip: what the emulator encodes from these types
// decodes to the same values (last_error absent is sent as null).
func TestDisplayedFieldsRoundTrip(t *testing.T) {
	at := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	h := gateflow.Health{Status: "healthy", LatencyMS: 120, Uptime30d: ptr(0.9995), LastCheck: at}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"healthy","latency_ms":120,"uptime_30d":0.9995,"last_check":"2026-02-16T10:00:00Z","last_error":null}`; string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	var back gateflow.Health
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(h, back); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func sameTime(a, b time.Time) bool { return a.Equal(b) }

func ptr[T any](v T) *T { return &v }

package gateflow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const adminKey = "gw_admin_RECOGNISABLE-c0ffee"

// fake is a Gateflow server whose answers each test scripts.
type fake struct {
	*apitest.Recorder
	t *testing.T
}

func newFake(t *testing.T, handle apitest.Handler) *fake {
	t.Helper()
	return &fake{Recorder: apitest.NewRecorder(t, handle), t: t}
}

func (f *fake) client(opts ...api.Option) *gateflow.Client {
	f.t.Helper()
	base := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
	c, err := gateflow.New(f.URL, sensitive.New(adminKey), append(base, opts...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	apitest.WriteJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg, Field: field}})
}

// requestShape is one client call: the request it must send, the answer
// the fake server gives (status 204: an empty one), and what the call must
// return from it.
type requestShape struct {
	name, method, path string
	wantBody           map[string]any
	status             int
	answer             any
	call               func(c *gateflow.Client) (any, error)
	want               any
}

// requestShapes is one case per call of the client.
func requestShapes(ctx context.Context) []requestShape {
	now := time.Date(2026, 2, 16, 10, 0, 0, 0, time.UTC)
	prov := gateflow.Provider{ID: "openai", Name: "OpenAI", Status: gateflow.StatusActive, Configured: true,
		ConfiguredAt: &now, Settings: map[string]any{"default_model": "gpt-5.2"},
		Models: []gateflow.Model{{ID: "gpt-5.2", Type: "chat", Available: true}}}
	return []requestShape{
		{
			name: "list", method: "GET", path: "/v1/management/providers",
			answer: gateflow.ListResponse{Providers: []gateflow.ProviderSummary{{ID: "google", Name: "Google AI", Status: "inactive", Models: []string{}}}},
			call:   func(c *gateflow.Client) (any, error) { return c.List(ctx) },
			want:   []gateflow.ProviderSummary{{ID: "google", Name: "Google AI", Status: "inactive", Models: []string{}}},
		},
		{
			name: "configure", method: "POST", path: "/v1/management/providers",
			wantBody: map[string]any{"provider": "openai", "credentials": map[string]any{"api_key": "sk-abc", "organization_id": "org-1"},
				"settings": map[string]any{"default_model": "gpt-5.2", "timeout_ms": float64(3000)}},
			answer: gateflow.ConfigureResponse{ID: "openai", Name: "OpenAI", Status: "active", Configured: true, ConfiguredAt: now, Models: []string{"gpt-5.2"}},
			call: func(c *gateflow.Client) (any, error) {
				return c.Configure(ctx, catalogue.OpenAI,
					map[string]sensitive.String{"api_key": sensitive.New("sk-abc"), "organization_id": sensitive.New("org-1")},
					map[string]any{"default_model": "gpt-5.2", "timeout_ms": 3000})
			},
			want: &gateflow.ConfigureResponse{ID: "openai", Name: "OpenAI", Status: "active", Configured: true, ConfiguredAt: now, Models: []string{"gpt-5.2"}},
		},
		{
			name: "get", method: "GET", path: "/v1/management/providers/openai",
			answer: prov,
			call:   func(c *gateflow.Client) (any, error) { return c.Get(ctx, catalogue.OpenAI) },
			want:   &prov,
		},
		{
			name: "update settings", method: "PATCH", path: "/v1/management/providers/openai",
			wantBody: map[string]any{"settings": map[string]any{"default_model": "gpt-5-mini", "base_url": nil}},
			answer:   prov,
			call: func(c *gateflow.Client) (any, error) {
				return c.UpdateSettings(ctx, catalogue.OpenAI, map[string]any{"default_model": "gpt-5-mini", "base_url": nil})
			},
			want: &prov,
		},
		{
			name: "update credentials", method: "POST", path: "/v1/management/providers/anthropic/credentials",
			wantBody: map[string]any{"api_key": "sk-ant-new"},
			answer:   gateflow.CredentialsResponse{ID: "anthropic", CredentialsUpdatedAt: now, Status: "active"},
			call: func(c *gateflow.Client) (any, error) {
				return c.UpdateCredentials(ctx, catalogue.Anthropic, map[string]sensitive.String{"api_key": sensitive.New("sk-ant-new")})
			},
			want: &gateflow.CredentialsResponse{ID: "anthropic", CredentialsUpdatedAt: now, Status: "active"},
		},
		{
			name: "test", method: "POST", path: "/v1/management/providers/openai/test",
			answer: gateflow.TestResult{ID: "openai", TestResult: "success", LatencyMS: 145, ModelsAvailable: 12, TestedAt: now},
			call:   func(c *gateflow.Client) (any, error) { return c.Test(ctx, catalogue.OpenAI) },
			want:   &gateflow.TestResult{ID: "openai", TestResult: "success", LatencyMS: 145, ModelsAvailable: 12, TestedAt: now},
		},
		{
			name: "disable", method: "POST", path: "/v1/management/providers/cohere/disable",
			answer: gateflow.StateResponse{ID: "cohere", Status: "disabled", DisabledAt: &now},
			call:   func(c *gateflow.Client) (any, error) { return c.Disable(ctx, catalogue.Cohere) },
			want:   &gateflow.StateResponse{ID: "cohere", Status: "disabled", DisabledAt: &now},
		},
		{
			name: "enable", method: "POST", path: "/v1/management/providers/cohere/enable",
			answer: gateflow.StateResponse{ID: "cohere", Status: "active", EnabledAt: &now},
			call:   func(c *gateflow.Client) (any, error) { return c.Enable(ctx, catalogue.Cohere) },
			want:   &gateflow.StateResponse{ID: "cohere", Status: "active", EnabledAt: &now},
		},
		{
			name: "delete", method: "DELETE", path: "/v1/management/providers/mistral", status: 204,
			call: func(c *gateflow.Client) (any, error) { return nil, c.Delete(ctx, catalogue.Mistral) },
		},
		{
			name: "id is escaped", method: "GET", path: "/v1/management/providers/a%2Fb",
			answer: prov,
			call:   func(c *gateflow.Client) (any, error) { return c.Get(ctx, "a/b") },
			want:   &prov,
		},
	}
}

func TestRequestShapes(t *testing.T) {
	for _, tc := range requestShapes(context.Background()) {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
				if tc.status == 204 {
					w.WriteHeader(204)
					return
				}
				apitest.WriteJSON(w, 200, tc.answer)
			})
			got, err := tc.call(f.client())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			r := f.Requests()[0]
			if r.Method != tc.method || r.EscapedPath != tc.path {
				t.Errorf("request %s %s, want %s %s", r.Method, r.EscapedPath, tc.method, tc.path)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+adminKey {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("User-Agent"); got != version.UserAgent() {
				t.Errorf("User-Agent = %q", got)
			}
			if (r.Raw != "") != (tc.wantBody != nil) {
				t.Errorf("body %q", r.Raw)
			}
			if r.Raw != "" && r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
			if d := cmp.Diff(tc.wantBody, r.Body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func TestBaseURLWithManagementPath(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		apitest.WriteJSON(w, 200, gateflow.ListResponse{})
	})
	t.Setenv(gateflow.EnvURL, f.URL+"/v1/management/")
	t.Setenv(gateflow.EnvAdminKey, adminKey)
	c, err := gateflow.NewFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := f.Requests()[0].EscapedPath; p != "/v1/management/providers" {
		t.Errorf("path %s", p)
	}
	t.Setenv(gateflow.EnvAdminKey, "")
	if _, err := gateflow.NewFromEnv(); err == nil || !strings.Contains(err.Error(), "GATEFLOW_ADMIN_KEY is not set") {
		t.Errorf("err %v", err)
	}
}

func TestErrorTable(t *testing.T) {
	cases := []struct {
		status           int
		code, msg, field string
		sentinel         error
		want             string
	}{
		{400, "invalid_configuration", "unknown setting", "settings.colour", api.ErrInvalid,
			`gateflow: configure provider "openai": 400 invalid configuration: unknown setting (field settings.colour)`},
		{401, "unauthorized", "invalid admin key", "", api.ErrUnauthorized,
			`gateflow: configure provider "openai": 401 unauthorized: invalid admin key`},
		{403, "forbidden", "read-only admin key", "", api.ErrForbidden,
			`gateflow: configure provider "openai": 403 forbidden: read-only admin key`},
		{404, "not_found", "provider not found", "", api.ErrNotFound,
			`gateflow: configure provider "openai": 404 not found: provider not found`},
		{409, "already_configured", "openai is already configured", "", api.ErrConflict,
			`gateflow: configure provider "openai": 409 already configured: openai is already configured`},
		{412, "precondition_failed", "provider openai changed since the ETag in If-Match", "", api.ErrPreconditionFailed,
			`gateflow: configure provider "openai": 412 precondition failed: provider openai changed since the ETag in If-Match`},
		{422, "invalid_credentials", `credentials.api_key must start with "sk-"`, "credentials.api_key", api.ErrInvalidCredentials,
			`gateflow: configure provider "openai": 422 invalid credentials: credentials.api_key must start with "sk-"`},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
				writeError(w, tc.status, tc.code, tc.msg, tc.field)
			})
			_, err := f.client().Configure(context.Background(), catalogue.OpenAI,
				map[string]sensitive.String{"api_key": sensitive.New("bad-key")}, nil)
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
				if ae.Service != "gateflow" {
					t.Errorf("Service = %q, want %q", ae.Service, "gateflow")
				}
				if ae.Code != tc.code {
					t.Errorf("Code = %q, want %q", ae.Code, tc.code)
				}
				if ae.Field != tc.field {
					t.Errorf("Field = %q, want %q", ae.Field, tc.field)
				}
			}
			if len(f.Requests()) != 1 {
				t.Errorf("%d calls", len(f.Requests()))
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	creds := map[string]sensitive.String{"api_key": sensitive.New("sk-x")}
	t.Run("configure is not retried after a drop", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { apitest.Drop(w) })
		_, err := f.client().Configure(ctx, catalogue.OpenAI, creds, nil)
		if !errors.Is(err, api.ErrOutcomeUnknown) || len(f.Requests()) != 1 {
			t.Fatalf("err %v after %d calls", err, len(f.Requests()))
		}
	})
	t.Run("configure is not retried after 504", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) { w.WriteHeader(504) })
		_, err := f.client().Configure(ctx, catalogue.OpenAI, creds, nil)
		if !errors.Is(err, api.ErrOutcomeUnknown) || !errors.Is(err, api.ErrUnavailable) || len(f.Requests()) != 1 {
			t.Fatalf("err %v after %d calls", err, len(f.Requests()))
		}
	})
	t.Run("configure is retried on 429 and 503", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
			switch n {
			case 1:
				w.Header().Set("Retry-After", "0")
				writeError(w, 429, "rate_limited", "", "")
			case 2:
				writeError(w, 503, "unavailable", "", "")
			default:
				apitest.WriteJSON(w, 200, gateflow.ConfigureResponse{ID: "openai"})
			}
		})
		c := f.client()
		if _, err := c.Configure(ctx, catalogue.OpenAI, creds, nil); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.Retries != 2 || s.Attempts != 3 {
			t.Errorf("stats %+v", s)
		}
	})
	idempotent := map[string]func(c *gateflow.Client) error{
		"get":         func(c *gateflow.Client) error { _, err := c.Get(ctx, "openai"); return err },
		"list":        func(c *gateflow.Client) error { _, err := c.List(ctx); return err },
		"patch":       func(c *gateflow.Client) error { _, err := c.UpdateSettings(ctx, "openai", nil); return err },
		"credentials": func(c *gateflow.Client) error { _, err := c.UpdateCredentials(ctx, "openai", creds); return err },
		"test":        func(c *gateflow.Client) error { _, err := c.Test(ctx, "openai"); return err },
		"disable":     func(c *gateflow.Client) error { _, err := c.Disable(ctx, "openai"); return err },
		"enable":      func(c *gateflow.Client) error { _, err := c.Enable(ctx, "openai"); return err },
		"delete":      func(c *gateflow.Client) error { return c.Delete(ctx, "openai") },
	}
	for name, call := range idempotent {
		t.Run(name+" is retried after a drop, 502 and 504", func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
				switch n {
				case 1:
					apitest.Drop(w)
				case 2:
					w.WriteHeader(502)
				case 3:
					w.WriteHeader(504)
				default:
					apitest.WriteJSON(w, 200, map[string]any{})
				}
			})
			if err := call(f.client()); err != nil || len(f.Requests()) != 4 {
				t.Fatalf("err %v after %d calls", err, len(f.Requests()))
			}
		})
	}
}

// Every write sends If-Match only when asked to, and hands back the tag
// the answer carries; Get reads the tag too.
// etagOf is the ETag field of a write's answer, whichever of the client's
// answer types it is.
func etagOf[T any](answer T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return reflect.Indirect(reflect.ValueOf(answer)).FieldByName("ETag").String(), nil
}

func TestConditionalWrites(t *testing.T) {
	ctx := context.Background()
	creds := map[string]sensitive.String{"api_key": sensitive.New("sk-x")}
	const sent, answered = `"t1"`, `"t2"`
	type write = func(c *gateflow.Client, opts ...gateflow.WriteOption) (string, error)
	writes := map[string]write{
		"configure": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.Configure(ctx, "openai", creds, nil, o...))
		},
		"patch": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.UpdateSettings(ctx, "openai", nil, o...))
		},
		"credentials": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.UpdateCredentials(ctx, "openai", creds, o...))
		},
		"disable": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.Disable(ctx, "openai", o...))
		},
		"enable": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.Enable(ctx, "openai", o...))
		},
		"delete": func(c *gateflow.Client, o ...gateflow.WriteOption) (string, error) {
			return etagOf(c.DeleteWithETag(ctx, "openai", o...))
		},
	}
	for name, call := range writes {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
				w.Header().Set("ETag", answered)
				apitest.WriteJSON(w, 200, map[string]any{})
			})
			c := f.client()
			tag, err := call(c, gateflow.IfMatch(sent))
			if err != nil || tag != answered {
				t.Fatalf("conditional: tag %q, err %v", tag, err)
			}
			if _, err := call(c); err != nil {
				t.Fatal(err)
			}
			if _, err := call(c, gateflow.IfMatch("")); err != nil {
				t.Fatal(err)
			}
			reqs := f.Requests()
			if got := reqs[0].Header.Values("If-Match"); len(got) != 1 || got[0] != sent {
				t.Errorf("If-Match %q, want %q", got, sent)
			}
			for _, r := range reqs[1:] {
				if got := r.Header.Values("If-Match"); len(got) != 0 {
					t.Errorf("unconditional write sent If-Match %q", got)
				}
			}
		})
	}
	t.Run("get", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
			w.Header().Set("ETag", answered)
			apitest.WriteJSON(w, 200, gateflow.Provider{ID: "openai"})
		})
		p, err := f.client().Get(ctx, "openai")
		if err != nil || p.ETag != answered {
			t.Fatalf("get: %+v, %v", p, err)
		}
	})
	// A conditional configure may be replayed: the replay of one that
	// landed answers 412 instead of configuring twice, and the error says
	// that the outcome is unknown, since the 412 may be the lost attempt's
	// own doing.
	t.Run("conditional configure is retried after a drop", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, n int) {
			if n == 1 {
				apitest.Drop(w)
				return
			}
			writeError(w, 412, "precondition_failed", "provider openai changed", "")
		})
		_, err := f.client().Configure(ctx, "openai", creds, nil, gateflow.IfMatch(sent))
		for _, target := range []error{api.ErrPreconditionFailed, api.ErrConflict, api.ErrOutcomeUnknown} {
			if !errors.Is(err, target) {
				t.Errorf("err %v is not %v", err, target)
			}
		}
		if n := len(f.Requests()); n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
		if t.Failed() {
			t.FailNow()
		}
		if got := f.Requests()[1].Header.Get("If-Match"); got != sent {
			t.Errorf("replay If-Match %q", got)
		}
	})
}

func TestCredentialsNeverLeak(t *testing.T) {
	const secret = "sk-CREDENTIAL-RECOGNISABLE-99"
	echo := func(r *http.Request, req apitest.Request) string {
		return req.Raw + " key=" + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	modes := map[string]func(w http.ResponseWriter, r *http.Request, req apitest.Request){
		"422 echo": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			writeError(w, 422, "invalid_credentials", echo(r, req), "credentials.api_key")
		},
		"garbage": func(w http.ResponseWriter, r *http.Request, req apitest.Request) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, echo(r, req))
		},
		"drop": func(w http.ResponseWriter, _ *http.Request, _ apitest.Request) { apitest.Drop(w) },
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, req apitest.Request, _ int) { mode(w, r, req) })
			c := f.client(api.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			creds := map[string]sensitive.String{"api_key": sensitive.New(secret)}
			_, err1 := c.Configure(context.Background(), catalogue.OpenAI, creds, nil)
			_, err2 := c.UpdateCredentials(context.Background(), catalogue.OpenAI, creds)
			if err1 == nil || err2 == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{err1.Error(), err2.Error(), fmt.Sprintf("%#v %+v", err1, err2), logs.String()} {
				for _, bad := range []string{secret, adminKey, "Bearer", "Authorization"} {
					if strings.Contains(s, bad) {
						t.Errorf("%q leaks in %s", bad, s)
					}
				}
			}
		})
	}
}

func TestUnencodableSettingsAreInvalidNotUnavailable(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ apitest.Request, _ int) {
		apitest.WriteJSON(w, 200, map[string]any{})
	})
	_, err := f.client().UpdateSettings(context.Background(), "openai", map[string]any{"x": make(chan int)})
	if !errors.Is(err, api.ErrInvalid) || errors.Is(err, api.ErrUnavailable) || len(f.Requests()) != 0 {
		t.Fatalf("err %v after %d calls", err, len(f.Requests()))
	}
	if !strings.HasPrefix(err.Error(), `gateflow: update settings of provider "openai": invalid request: encode request: json: unsupported type`) {
		t.Errorf("message %q", err)
	}
}

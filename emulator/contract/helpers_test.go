package contract

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Recognisable secrets. Every one of them contains secretMark, and no
// error message produced in these tests may contain it.
const (
	secretMark = "SEKRIT"

	glowToken   = "glow-tok-SEKRIT-4b1d"
	scopedToken = "glow-scoped-SEKRIT-9e2c"
	csToken     = "glow-cs-SEKRIT-5c5c"
	mathToken   = "glow-math-SEKRIT-3a7e"
	wrongToken  = "glow-wrong-SEKRIT-0000"
	adminKey    = "gw_admin_SEKRIT_a11ce"
	roAdminKey  = "gw_admin_SEKRIT_r0"
	wrongAdmin  = "gw_admin_SEKRIT_wrong"

	keyValue = "sk-ant-KEYVALUE-SEKRIT-77aa"

	actor       = "alice-contract"
	scopedActor = "bob-scoped"
	csActor     = "carol-cs"
	mathActor   = "dave-math"
)

// scopedDepts is the scope of scopedToken.
var scopedDepts = []string{"cs", "sales"}

// The errors every test produced, checked for secrets by TestMain.
var collected struct {
	sync.Mutex
	errs []string
}

func record(t testing.TB, err error) {
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s: %v | %+v", t.Name(), err, err)
	var ae *api.Error
	if errors.As(err, &ae) {
		msg += " | " + ae.Message + " | " + ae.Field + " | " + ae.Code
		if ae.Err != nil {
			msg += " | " + ae.Err.Error()
		}
	}
	collected.Lock()
	collected.errs = append(collected.errs, msg)
	collected.Unlock()
	if strings.Contains(msg, secretMark) {
		t.Errorf("an error message carries a secret: %s", msg)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	collected.Lock()
	defer collected.Unlock()
	for _, msg := range collected.errs {
		if strings.Contains(msg, secretMark) {
			fmt.Fprintf(os.Stderr, "secret in an error message: %s\n", msg)
			code = 1
		}
	}
	os.Exit(code)
}

// env is an emulator with clients for it.
type env struct {
	t   *testing.T
	srv *emulator.Server
	url string
	// glow speaks for actor, unscoped; gw is a read-write admin key.
	glow *glow.Client
	gw   *gateflow.Client
}

// fast are the options every client of these tests gets: short backoff, so
// that retries cost milliseconds.
func fast(extra ...api.Option) []api.Option {
	return append([]api.Option{
		api.WithRetryWait(time.Millisecond, 5*time.Millisecond),
		api.WithTimeout(10 * time.Second),
	}, extra...)
}

// withCreds adds the tests' tokens and admin keys to cfg.
func withCreds(cfg emulator.Config) emulator.Config {
	cfg.GlowTokens = []emulator.GlowToken{
		{Token: glowToken, ActorName: actor},
		{Token: scopedToken, ActorName: scopedActor, Departments: scopedDepts},
		{Token: csToken, ActorName: csActor, Departments: []string{"cs"}},
		{Token: mathToken, ActorName: mathActor, Departments: []string{"math"}},
	}
	cfg.GateflowAdminKeys = []emulator.AdminKey{
		{Key: adminKey},
		{Key: roAdminKey, ReadOnly: true},
	}
	return cfg
}

func start(t *testing.T, cfg emulator.Config, opts ...api.Option) *env {
	t.Helper()
	srv, url := emulatortest.Start(t, withCreds(cfg))
	e := &env{t: t, srv: srv, url: url}
	e.glow = e.glowAs(glowToken, opts...)
	e.gw = e.gateflowAs(adminKey, opts...)
	return e
}

func (e *env) glowAs(token string, opts ...api.Option) *glow.Client {
	e.t.Helper()
	c, err := glow.New(e.url, sensitive.New(token), fast(opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) gateflowAs(key string, opts ...api.Option) *gateflow.Client {
	e.t.Helper()
	c, err := gateflow.New(e.url, sensitive.New(key), fast(opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// ops is the emulator's count of calls of one operation.
func (e *env) ops(name string) int64 { return e.srv.Stats().Operations[name] }

// script replaces the emulator's fault script.
func (e *env) script(fs emulator.FaultScript) {
	e.t.Helper()
	if err := e.srv.ScriptFaults(fs); err != nil {
		e.t.Fatal(err)
	}
}

// must returns v, failing the test given to the function it returns if err
// is set: must(c.Call(ctx, …))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			record(t, err)
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		record(t, err)
		t.Fatalf("unexpected error: %v", err)
	}
}

func all[T any](t testing.TB, seq iter.Seq2[T, error]) []T {
	t.Helper()
	v, err := api.Collect(seq)
	return must(v, err)(t)
}

// wantErr asserts that err is an *api.Error matching sentinel, with the
// given status code, error code and field ("" skips a check of code or
// field; "-" asserts an empty field).
func wantErr(t testing.TB, err error, sentinel error, status int, code, field string) {
	t.Helper()
	_ = wantAPIError(t, err, sentinel, status, code, field)
}

// wantAPIError is wantErr for a test that looks further into the error.
func wantAPIError(t testing.TB, err error, sentinel error, status int, code, field string) *api.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", sentinel)
	}
	record(t, err)
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %T %v is not an *api.Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, %v) is false", err, sentinel)
	}
	if ae.StatusCode != status {
		t.Errorf("status %d, want %d: %v", ae.StatusCode, status, err)
	}
	if code != "" && ae.Code != code {
		t.Errorf("code %q, want %q: %v", ae.Code, code, err)
	}
	switch field {
	case "":
	case "-":
		if ae.Field != "" {
			t.Errorf("field %q, want none: %v", ae.Field, err)
		}
	default:
		if ae.Field != field {
			t.Errorf("field %q, want %q: %v", ae.Field, field, err)
		}
	}
	if ae.Message == "" && status != 0 {
		t.Errorf("error without a message: %v", err)
	}
	return ae
}

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

func ids(created []glow.Created) []string {
	out := make([]string, len(created))
	for i, c := range created {
		out[i] = c.ProviderID
	}
	return out
}

func endpointIDs(eps []glow.Endpoint) []string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.ID
	}
	return out
}

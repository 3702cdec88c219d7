package contract

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Every documented error code a client does not retry (4xx), through the
// clients, as the typed error; TestErrorCodesRetryable has 429 and 503.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	p := f.created[0].ProviderID

	t.Run("400 names the field", func(t *testing.T) {
		_, err := e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "fine"}, {Name: " "}, {Name: "also fine"}})
		ae := wantAPIError(t, err, api.ErrInvalid, 400, "invalid_field", "providers[1].name")
		if ae.Service != "glow" || ae.Operation != "create providers" {
			t.Errorf("subject: %+v", ae)
		}
		// All or nothing: the valid entries were not created.
		for _, sp := range all(t, e.glow.Search(ctx, glow.SearchRequest{Search: "fine"})) {
			t.Errorf("created despite the bad entry: %+v", sp)
		}
		_, err = e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, Patch: glow.Patch{DepartmentIDs: &[]string{"cs", "cs"}}})
		wantErr(t, err, api.ErrInvalid, 400, "invalid_field", "department_ids[1]")
		_, err = e.gw.Configure(ctx, catalogue.Mistral, map[string]sensitive.String{"api_key": sensitive.New("k-1")}, map[string]any{"colour": "blue"})
		wantErr(t, err, api.ErrInvalid, 400, "invalid_configuration", "settings.colour")
	})

	t.Run("401 wrong token", func(t *testing.T) {
		_, err := e.glowAs(wrongToken).GetProvider(ctx, p)
		wantErr(t, err, api.ErrUnauthorized, 401, "unauthorized", "-")
		_, err = e.gateflowAs(wrongAdmin).List(ctx)
		wantErr(t, err, api.ErrUnauthorized, 401, "unauthorized", "-")
		_, err = e.gateflowAs("not-an-admin-SEKRIT-key").List(ctx)
		wantErr(t, err, api.ErrUnauthorized, 401, "unauthorized", "-")
	})

	t.Run("403", func(t *testing.T) {
		scoped := e.glowAs(scopedToken)
		_, err := scoped.CreateProviders(ctx, []glow.ProviderInput{{Name: "mine", DepartmentIDs: []string{"cs"}}, {Name: "theirs", DepartmentIDs: []string{"cs", "hr"}}})
		wantErr(t, err, api.ErrForbidden, 403, "forbidden", "providers[1].department_ids")

		ro := e.gateflowAs(roAdminKey)
		if got := must(ro.List(ctx))(t); len(got) != 6 {
			t.Errorf("read-only list: %d providers", len(got))
		}
		_, err = ro.Configure(ctx, catalogue.Cohere, map[string]sensitive.String{"api_key": sensitive.New("k-SEKRIT")}, nil)
		wantErr(t, err, api.ErrForbidden, 403, "forbidden", "")
	})

	t.Run("404", func(t *testing.T) {
		_, err := e.glow.GetProvider(ctx, "no-such-provider")
		ae := wantAPIError(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
		if ae.ID != "no-such-provider" || !strings.Contains(ae.Error(), "no-such-provider") {
			t.Errorf("the error does not name its subject: %v", ae)
		}
		_, err = e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "dangling", KeyIDs: []string{f.keys[0].ID, "no-such-key"}}})
		wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "providers[0].key_ids[1]")
		_, err = e.gw.Get(ctx, "azure")
		wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
		// Calls that need a configured provider.
		_, err = e.gw.Test(ctx, catalogue.Cohere)
		wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	})

	t.Run("409 version conflict", func(t *testing.T) {
		c := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "versioned"}}))(t)[0]
		for range 3 {
			must(e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: c.ProviderID, Patch: glow.Patch{Description: ptr("bump")}}))(t)
		}
		_, err := e.glow.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: c.ProviderID, ExpectedVersion: ptr(int64(3)), Patch: glow.Patch{Description: ptr("late")}})
		ae := wantAPIError(t, err, api.ErrConflict, 409, api.CodeVersionConflict, "")
		if !strings.Contains(ae.Message, "expected version 3, server has 4") || !strings.Contains(err.Error(), "expected version 3, server has 4") {
			t.Errorf("message %q / error %q", ae.Message, err)
		}
		if ae.OutcomeUnknown || errors.Is(err, api.ErrOutcomeUnknown) {
			t.Errorf("a 409 is a known outcome: %v", err)
		}
	})

	t.Run("409 name conflict", func(t *testing.T) {
		_, err := e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "OpenAI Backup", DepartmentIDs: []string{"cs", "ops"}}})
		ae := wantAPIError(t, err, api.ErrConflict, 409, api.CodeNameConflict, "")
		if ae.Name != "OpenAI Backup" {
			t.Errorf("subject %q", ae.Name)
		}
		// Global names are unique among global providers only.
		_, err = e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "Global Fallback"}})
		wantErr(t, err, api.ErrConflict, 409, api.CodeNameConflict, "")
		must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "Global Fallback", DepartmentIDs: []string{"ops"}}}))(t)
		// Gateflow's conflict.
		must(e.gw.Configure(ctx, catalogue.Cohere, map[string]sensitive.String{"api_key": sensitive.New("co-SEKRIT")}, nil))(t)
		_, err = e.gw.Configure(ctx, catalogue.Cohere, map[string]sensitive.String{"api_key": sensitive.New("co-SEKRIT")}, nil)
		wantErr(t, err, api.ErrConflict, 409, api.CodeAlreadyConfigured, "")
	})

	t.Run("422 invalid credentials", func(t *testing.T) {
		_, err := e.gw.Configure(ctx, catalogue.OpenAI, map[string]sensitive.String{"api_key": sensitive.New("pk-SEKRIT-wrong-prefix")}, nil)
		wantErr(t, err, api.ErrInvalidCredentials, 422, api.CodeInvalidCredentials, "credentials.api_key")
		_, err = e.gw.Configure(ctx, catalogue.Mistral, map[string]sensitive.String{"api_key": sensitive.New("m-SEKRIT"), "organization_id": sensitive.New("org-SEKRIT-1")}, nil)
		wantErr(t, err, api.ErrInvalidCredentials, 422, api.CodeInvalidCredentials, "credentials.organization_id")
		must(e.gw.Configure(ctx, catalogue.Anthropic, map[string]sensitive.String{"api_key": sensitive.New(keyValue)}, nil))(t)
		_, err = e.gw.UpdateCredentials(ctx, catalogue.Anthropic, map[string]sensitive.String{"api_key": sensitive.New("sk-SEKRIT-not-ant")})
		wantErr(t, err, api.ErrInvalidCredentials, 422, api.CodeInvalidCredentials, "api_key")
	})
}

// TestErrorCodesRetryable is the answers a client may retry, 429 and 503:
// what the client retries by itself, and what it reports when it may not
// or gives up.
func TestErrorCodesRetryable(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	p := e.glowFixture().created[0].ProviderID

	t.Run("429 retried transparently", func(t *testing.T) {
		c := e.glowAs(glowToken)
		e.script(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"glow.provider.get"}})
		before := e.srv.Stats()
		d := must(c.GetProvider(ctx, p))(t)
		after := e.srv.Stats()
		if d.Provider.ID != p {
			t.Errorf("got %+v", d.Provider)
		}
		if n := after.Operations["glow.provider.get"] - before.Operations["glow.provider.get"]; n != 2 {
			t.Errorf("%d get calls, want 2", n)
		}
		if n := after.Faults.RateLimited - before.Faults.RateLimited; n != 1 {
			t.Errorf("%d rate limits, want 1", n)
		}
		if s := c.Stats(); s.Attempts != 2 || s.Retries != 1 {
			t.Errorf("client stats %+v", s)
		}
	})

	t.Run("429 without retries", func(t *testing.T) {
		c := e.glowAs(glowToken, api.WithRetryMax(0))
		e.script(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"glow.provider.search"}})
		_, err := api.Collect(c.Search(ctx, glow.SearchRequest{}))
		ae := wantAPIError(t, err, api.ErrRateLimited, 429, "rate_limited", "")
		if ae.RetryAfter != time.Second {
			t.Errorf("RetryAfter %v, want 1s", ae.RetryAfter)
		}
		g := e.gateflowAs(adminKey, api.WithRetryMax(0))
		e.script(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"gateflow.providers.list"}})
		_, err = g.List(ctx)
		wantErr(t, err, api.ErrRateLimited, 429, "rate_limited", "")
	})

	t.Run("429 Retry-After above the client's limit", func(t *testing.T) {
		c := e.glowAs(glowToken, api.WithRetryAfterMax(100*time.Millisecond))
		e.script(emulator.FaultScript{RateLimitNext: 1, OnlyOps: []string{"glow.provider.get"}})
		_, err := c.GetProvider(ctx, p)
		ae := wantAPIError(t, err, api.ErrRateLimited, 429, "rate_limited", "")
		if ae.RetryAfter != time.Second || c.Stats().Attempts != 1 {
			t.Errorf("RetryAfter %v, attempts %d", ae.RetryAfter, c.Stats().Attempts)
		}
	})

	t.Run("503", func(t *testing.T) {
		c := e.glowAs(glowToken, api.WithRetryMax(0))
		e.script(emulator.FaultScript{FailNext: 1})
		_, err := c.GetProvider(ctx, p)
		ae := wantAPIError(t, err, api.ErrUnavailable, 503, "unavailable", "")
		if ae.OutcomeUnknown {
			t.Errorf("a 503 is not processed, the outcome is known: %v", err)
		}
		// Retries exhausted: the last answer is reported.
		c = e.glowAs(glowToken, api.WithRetryMax(2))
		e.script(emulator.FaultScript{FailNext: 3, OnlyOps: []string{"glow.provider.create"}})
		_, err = c.CreateProviders(ctx, []glow.ProviderInput{{Name: "never"}})
		wantErr(t, err, api.ErrUnavailable, 503, "unavailable", "")
		if s := c.Stats(); s.Attempts != 3 || s.Retries != 2 {
			t.Errorf("client stats %+v", s)
		}
		g := e.gateflowAs(adminKey, api.WithRetryMax(0))
		e.script(emulator.FaultScript{FailNext: 1, Status: 504})
		_, err = g.Get(ctx, catalogue.OpenAI)
		wantErr(t, err, api.ErrUnavailable, 504, "unavailable", "")
	})
}

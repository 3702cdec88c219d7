package contract

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
)

// etagOf reads the provider's current tag.
func (e *env) etagOf(t *testing.T, id string) string {
	t.Helper()
	tag := must(e.gw.Get(ctx, id))(t).ETag
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		t.Fatalf("ETag %q is not a quoted string", tag)
	}
	return tag
}

// wantPrecondition asserts a 412 that names the provider.
func wantPrecondition(t *testing.T, err error, id string) {
	t.Helper()
	ae := wantAPIError(t, err, api.ErrPreconditionFailed, 412, api.CodePreconditionFailed, "-")
	if !strings.Contains(ae.Message, id) {
		t.Errorf("412 message %q does not name %s", ae.Message, id)
	}
	if !strings.Contains(err.Error(), "412") {
		t.Errorf("error text %q", err)
	}
}

// Every write answers the provider's new tag, which is what a GET then
// reads; reads leave it alone.
func TestGateflowETagFollowsEveryChange(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	id := catalogue.OpenAI
	c := validConfig[id]

	unconfigured := e.etagOf(t, id)
	if again := e.etagOf(t, id); again != unconfigured {
		t.Errorf("two GETs, two tags: %s, %s", unconfigured, again)
	}
	seen := map[string]string{unconfigured: "unconfigured"}
	step := func(name, answered string) string {
		t.Helper()
		got := e.etagOf(t, id)
		if answered != got {
			t.Errorf("%s answered ETag %s, GET reads %s", name, answered, got)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: tag %s is the tag of %s already", name, got, prev)
		}
		seen[got] = name
		return got
	}

	cr := must(e.gw.Configure(ctx, id, creds(c.creds), c.settings, gateflow.IfMatch(unconfigured)))(t)
	tag := step("configure", cr.ETag)
	must(e.gw.Test(ctx, id))(t)
	must(e.gw.List(ctx))(t)
	if got := e.etagOf(t, id); got != tag {
		t.Errorf("test and list changed the tag: %s → %s", tag, got)
	}
	up := must(e.gw.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 1000}, gateflow.IfMatch(tag)))(t)
	tag = step("update settings", up.ETag)
	rot := must(e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-rotated-SEKRIT"}), gateflow.IfMatch(tag)))(t)
	tag = step("rotate credentials", rot.ETag)
	// The same value again is still a rotation: the tag moves.
	rot = must(e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-rotated-SEKRIT"}), gateflow.IfMatch(tag)))(t)
	tag = step("rotate to the same value", rot.ETag)
	dis := must(e.gw.Disable(ctx, id, gateflow.IfMatch(tag)))(t)
	tag = step("disable", dis.ETag)
	// Disabling a disabled provider changes nothing, tag included.
	if again := must(e.gw.Disable(ctx, id, gateflow.IfMatch(tag)))(t); again.ETag != tag {
		t.Errorf("idempotent disable moved the tag: %s → %s", tag, again.ETag)
	}
	en := must(e.gw.Enable(ctx, id, gateflow.IfMatch(tag)))(t)
	tag = step("enable", en.ETag)
	del := must(e.gw.DeleteWithETag(ctx, id, gateflow.IfMatch(tag)))(t)
	if del.ID != id || del.ETag != e.etagOf(t, id) || del.ETag != unconfigured {
		t.Errorf("delete answered %+v; unconfigured tag %s, now %s", del, unconfigured, e.etagOf(t, id))
	}
	// Configured again from the tag the delete answered.
	must(e.gw.Configure(ctx, id, creds(c.creds), nil, gateflow.IfMatch(del.ETag)))(t)
	if g := must(e.gw.Get(ctx, id))(t); !g.Configured {
		t.Errorf("not configured again: %+v", g)
	}
	// "*" matches any configured provider and never an unconfigured one.
	must(e.gw.UpdateSettings(ctx, id, map[string]any{"max_retries": 1}, gateflow.IfMatch("*")))(t)
	_, err := e.gw.Configure(ctx, catalogue.Cohere, creds(validConfig[catalogue.Cohere].creds), nil, gateflow.IfMatch("*"))
	wantPrecondition(t, err, catalogue.Cohere)
	// If-Match compares strongly: a weak form of the current tag fails.
	_, err = e.gw.Disable(ctx, id, gateflow.IfMatch("W/"+e.etagOf(t, id)))
	wantPrecondition(t, err, id)
}

// A writer whose read is stale gets 412 and changes nothing; without
// If-Match, writes stay unconditional.
func TestGateflowLostUpdateRefused(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	id := catalogue.Anthropic
	c := validConfig[id]
	must(e.gw.Configure(ctx, id, creds(c.creds), c.settings))(t)

	mine := must(e.gw.Get(ctx, id))(t)
	other := e.gateflowAs(adminKey)
	must(other.UpdateSettings(ctx, id, map[string]any{"default_model": "theirs"}))(t)
	after := must(e.gw.Get(ctx, id))(t)

	_, err := e.gw.UpdateSettings(ctx, id, map[string]any{"default_model": "mine"}, gateflow.IfMatch(mine.ETag))
	wantPrecondition(t, err, id)
	if !errors.Is(err, api.ErrConflict) {
		t.Errorf("a 412 is not api.ErrConflict: %v", err)
	}
	_, err = e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "sk-ant-mine-SEKRIT"}), gateflow.IfMatch(mine.ETag))
	wantPrecondition(t, err, id)
	_, err = e.gw.Disable(ctx, id, gateflow.IfMatch(mine.ETag))
	wantPrecondition(t, err, id)
	wantPrecondition(t, e.gw.Delete(ctx, id, gateflow.IfMatch(mine.ETag)), id)
	// A bad body is reported as such, whatever the tag.
	_, err = e.gw.UpdateSettings(ctx, id, map[string]any{"region": "eu"}, gateflow.IfMatch(mine.ETag))
	wantErr(t, err, api.ErrInvalid, 400, "invalid_configuration", "settings.region")
	_, err = e.gw.UpdateCredentials(ctx, id, creds(map[string]string{"api_key": "no-prefix-SEKRIT"}), gateflow.IfMatch(mine.ETag))
	wantErr(t, err, api.ErrInvalidCredentials, 422, api.CodeInvalidCredentials, "api_key")
	// Configure with the stale tag of a configured provider: 412 comes
	// before already_configured, so a replayed configure reads as 412.
	_, err = e.gw.Configure(ctx, id, creds(c.creds), nil, gateflow.IfMatch(mine.ETag))
	wantPrecondition(t, err, id)

	now := must(e.gw.Get(ctx, id))(t)
	if now.ETag != after.ETag {
		t.Errorf("refused writes changed the provider: ETag = %q, was %q", now.ETag, after.ETag)
	}
	if now.Settings["default_model"] != "theirs" {
		t.Errorf("refused writes changed the provider: Settings[default_model] = %#v, want %q", now.Settings["default_model"], "theirs")
	}
	if now.Status != gateflow.StatusActive {
		t.Errorf("refused writes changed the provider: Status = %q, want %q", now.Status, gateflow.StatusActive)
	}
	if !now.CredentialsUpdatedAt.Equal(*after.CredentialsUpdatedAt) {
		t.Errorf("refused writes changed the provider: CredentialsUpdatedAt = %v, was %v", now.CredentialsUpdatedAt, *after.CredentialsUpdatedAt)
	}
	if !now.UpdatedAt.Equal(*after.UpdatedAt) {
		t.Errorf("refused writes changed the provider: UpdatedAt = %v, was %v", now.UpdatedAt, *after.UpdatedAt)
	}
	// Reading again and retrying with the fresh tag succeeds.
	must(e.gw.UpdateSettings(ctx, id, map[string]any{"default_model": "mine"}, gateflow.IfMatch(now.ETag)))(t)
	// Unknown and unconfigured providers answer 404 whatever If-Match says.
	_, err = e.gw.UpdateSettings(ctx, catalogue.Cohere, map[string]any{"timeout_ms": 1}, gateflow.IfMatch(now.ETag))
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
}

// Writers racing with the tag they all read: exactly one wins.
func TestGateflowConcurrentConditionalWrites(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	id := catalogue.Mistral
	must(e.gw.Configure(ctx, id, creds(validConfig[id].creds), nil))(t)
	tag := e.etagOf(t, id)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = e.gw.UpdateSettings(ctx, id, map[string]any{"max_retries": i}, gateflow.IfMatch(tag))
		})
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
			continue
		}
		wantPrecondition(t, err, id)
	}
	if winners != 1 {
		t.Errorf("%d writers won with the same tag, want 1", winners)
	}
}

// A conditional write whose answer is lost is replayed, and the replay of
// one that landed answers 412: the caller reads again and finds its write.
func TestGateflowConditionalReplay(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	id := catalogue.Cohere
	tag := e.etagOf(t, id)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.configure"}})
	_, err := e.gw.Configure(ctx, id, creds(validConfig[id].creds), nil, gateflow.IfMatch(tag))
	wantPrecondition(t, err, id)
	if n := e.ops("gateflow.providers.configure"); n != 2 {
		t.Errorf("%d configure calls, want 2 (one replay)", n)
	}
	if g := must(e.gw.Get(ctx, id))(t); !g.Configured {
		t.Errorf("the dropped configure did not land: %+v", g)
	}

	tag = e.etagOf(t, id)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.update"}})
	_, err = e.gw.UpdateSettings(ctx, id, map[string]any{"timeout_ms": 777}, gateflow.IfMatch(tag))
	wantPrecondition(t, err, id)
	if g := must(e.gw.Get(ctx, id))(t); g.Settings["timeout_ms"] != float64(777) {
		t.Errorf("the dropped update did not land: %+v", g.Settings)
	}
	// Unconditional, a lost configure stays unknown rather than replayed.
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.configure"}})
	_, err = e.gw.Configure(ctx, catalogue.Google, creds(validConfig[catalogue.Google].creds), nil)
	wantErr(t, err, api.ErrOutcomeUnknown, 0, "", "")
}

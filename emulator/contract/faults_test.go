package contract

import (
	"errors"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
)

// retryLog records the client's retry hook.
type retryLog struct {
	mu     sync.Mutex
	events []api.RetryEvent
}

func (l *retryLog) hook(ev api.RetryEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
}

func (l *retryLog) all() []api.RetryEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]api.RetryEvent(nil), l.events...)
}

func TestRetryScripted503(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	var log retryLog
	c := e.glowAs(glowToken, api.WithRetryHook(log.hook))

	e.script(emulator.FaultScript{FailNext: 1, OnlyOps: []string{"glow.provider.get"}})
	before := e.ops("glow.provider.get")
	d := must(c.GetProvider(ctx, f.created[0].ProviderID))(t)
	if d.Provider.ID != f.created[0].ProviderID {
		t.Errorf("got %+v", d.Provider)
	}
	if n := e.ops("glow.provider.get") - before; n != 2 {
		t.Errorf("%d get calls, want 2", n)
	}
	if s := e.srv.Stats().Faults; s.Failed != 1 {
		t.Errorf("faults %+v", s)
	}
	if s := c.Stats(); s.Attempts != 2 || s.Retries != 1 || s.OutcomeUnknown != 0 {
		t.Errorf("client stats %+v", s)
	}
	if ev := log.all(); len(ev) != 1 {
		t.Errorf("retry events: got %d, want 1: %+v", len(ev), ev)
	} else {
		if ev[0].StatusCode != 503 {
			t.Errorf("retry event StatusCode = %d, want 503", ev[0].StatusCode)
		}
		if ev[0].Retry != 1 {
			t.Errorf("retry event Retry = %d, want 1", ev[0].Retry)
		}
		if ev[0].Service != "glow" {
			t.Errorf("retry event Service = %q, want %q", ev[0].Service, "glow")
		}
	}

	// A 503 means "not processed", so even a create is retried, once.
	e.script(emulator.FaultScript{FailNext: 1, OnlyOps: []string{"glow.provider.create"}})
	before = e.ops("glow.provider.create")
	cr := must(c.CreateProviders(ctx, []glow.ProviderInput{{Name: "after a 503"}}))(t)
	if n := e.ops("glow.provider.create") - before; n != 2 || len(cr) != 1 {
		t.Errorf("%d create calls, want 2 (%+v)", n, cr)
	}
	if got := all(t, c.Search(ctx, glow.SearchRequest{Search: "after a 503"})); len(got) != 1 {
		t.Errorf("%d providers named after the retried create, want 1", len(got))
	}

	// A 502 on a create may have been passed on: not replayed, outcome
	// unknown.
	e.script(emulator.FaultScript{FailNext: 1, Status: 502, OnlyOps: []string{"glow.provider.create"}})
	before = e.ops("glow.provider.create")
	_, err := c.CreateProviders(ctx, []glow.ProviderInput{{Name: "after a 502"}})
	wantErr(t, err, api.ErrOutcomeUnknown, 502, "", "")
	if n := e.ops("glow.provider.create") - before; n != 1 {
		t.Errorf("%d create calls after a 502, want 1", n)
	}
	// The same 502 on a read is retried.
	e.script(emulator.FaultScript{FailNext: 2, Status: 502, OnlyOps: []string{"gateflow.providers.list"}})
	before = e.ops("gateflow.providers.list")
	must(e.gw.List(ctx))(t)
	if n := e.ops("gateflow.providers.list") - before; n != 3 {
		t.Errorf("%d list calls, want 3", n)
	}
}

func TestRetryScriptedDrop(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	f := e.glowFixture()
	c := e.glowAs(glowToken)

	// An idempotent call whose answer is lost is replayed.
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.search"}})
	before := e.ops("glow.provider.search")
	got := all(t, c.Search(ctx, glow.SearchRequest{}))
	if len(got) != 3 {
		t.Errorf("search after a drop: %d providers", len(got))
	}
	if n := e.ops("glow.provider.search") - before; n != 2 {
		t.Errorf("%d search calls, want 2", n)
	}
	if s := c.Stats(); s.Retries != 1 || s.OutcomeUnknown != 0 {
		t.Errorf("client stats %+v", s)
	}
	// Delete by id is idempotent too: the replay reports not_found for the
	// id the lost attempt deleted.
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.delete"}})
	res := must(c.DeleteProviders(ctx, []string{f.created[2].ProviderID}))(t)
	if len(res) != 1 || res[0].Success || res[0].Code != api.CodeNotFound {
		t.Errorf("replayed delete: %+v", res)
	}
	_, err := c.GetProvider(ctx, f.created[2].ProviderID)
	wantErr(t, err, api.ErrNotFound, 404, api.CodeNotFound, "")
	// Gateflow's merge is replayed.
	must(e.gw.Configure(ctx, catalogue.Mistral, creds(validConfig[catalogue.Mistral].creds), nil))(t)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.update"}})
	g := must(e.gw.UpdateSettings(ctx, catalogue.Mistral, map[string]any{"timeout_ms": 10}))(t)
	if g.Settings["timeout_ms"] != float64(10) || e.ops("gateflow.providers.update") != 2 {
		t.Errorf("replayed merge: %v, %d calls", g.Settings, e.ops("gateflow.providers.update"))
	}

	// A create whose answer is lost is not replayed: the caller learns the
	// outcome is unknown, and the emulator did create it.
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.create"}})
	before = e.ops("glow.provider.create")
	_, err = c.CreateProviders(ctx, []glow.ProviderInput{{Name: "lost answer", DepartmentIDs: []string{"cs"}}})
	ae := wantAPIError(t, err, api.ErrOutcomeUnknown, 0, "", "")
	if !ae.OutcomeUnknown || !errors.Is(err, api.ErrUnavailable) {
		t.Errorf("lost create: %+v", ae)
	}
	if n := e.ops("glow.provider.create") - before; n != 1 {
		t.Errorf("%d create calls, want 1 (no replay)", n)
	}
	if s := c.Stats(); s.OutcomeUnknown != 1 {
		t.Errorf("client stats %+v", s)
	}
	found := all(t, c.Search(ctx, glow.SearchRequest{Search: "lost answer"}))
	if len(found) != 1 || found[0].Version != 1 {
		t.Errorf("the processed create: %+v", found)
	}
	// Replaying by hand shows why the client must not: a name conflict.
	_, err = c.CreateProviders(ctx, []glow.ProviderInput{{Name: "lost answer", DepartmentIDs: []string{"cs"}}})
	wantErr(t, err, api.ErrConflict, 409, api.CodeNameConflict, "")

	// The same for a guarded update and a Gateflow configure.
	p := f.created[0].ProviderID
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.update"}})
	_, err = c.UpdateProvider(ctx, glow.UpdateRequest{ProviderID: p, ExpectedVersion: ptr(int64(1)), Patch: glow.Patch{Description: ptr("lost")}})
	wantErr(t, err, api.ErrOutcomeUnknown, 0, "", "")
	if pr := must(c.GetProvider(ctx, p))(t).Provider; pr.Version != 2 || pr.Description != "lost" || e.ops("glow.provider.update") != 1 {
		t.Errorf("lost update: %+v, %d calls", pr, e.ops("glow.provider.update"))
	}
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.configure"}})
	_, err = e.gw.Configure(ctx, catalogue.Cohere, creds(validConfig[catalogue.Cohere].creds), nil)
	wantErr(t, err, api.ErrOutcomeUnknown, 0, "", "")
	if g := must(e.gw.Get(ctx, catalogue.Cohere))(t); !g.Configured {
		t.Errorf("lost configure not processed: %+v", g)
	}
	if s := e.srv.Stats().Faults; s.Dropped != 6 {
		t.Errorf("faults %+v, want 6 drops", s)
	}
}

// Random faults at a fixed seed: every read rides them out.
func TestRandomFaults(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{FailRate: 0.3, FaultSeed: 7}, api.WithRetryMax(10), api.WithPageSize(2))
	f := e.glowFixture()
	must(e.gw.Configure(ctx, catalogue.Google, creds(validConfig[catalogue.Google].creds), validConfig[catalogue.Google].settings))(t)
	for i := range 20 {
		p := f.created[i%3].ProviderID
		if d := must(e.glow.GetProvider(ctx, p))(t); d.Provider.ID != p {
			t.Fatalf("get %d: %+v", i, d.Provider)
		}
		if got := all(t, e.glow.Search(ctx, glow.SearchRequest{})); len(got) != 3 {
			t.Fatalf("search %d: %d providers", i, len(got))
		}
		if got := must(e.gw.List(ctx))(t); len(got) != 6 {
			t.Fatalf("list %d: %d providers", i, len(got))
		}
		if g := must(e.gw.Get(ctx, catalogue.Google))(t); g.Settings["region"] != "europe-west4" {
			t.Fatalf("get %d: %+v", i, g)
		}
	}
	st := e.srv.Stats()
	if st.Faults.Failed == 0 {
		t.Errorf("no fault injected: %+v", st)
	}
	if r := e.glow.Stats().Retries + e.gw.Stats().Retries; r != st.Faults.Failed {
		t.Errorf("%d retries for %d faults", r, st.Faults.Failed)
	}
	t.Logf("%d faults ridden out", st.Faults.Failed)
}

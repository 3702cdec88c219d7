package crud_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const (
	applyToken   = "switchboard-token"
	applyActor   = "switchboard"
	inspectToken = "inspector-token"
)

type env struct {
	srv      *emulator.Server
	glow     *glow.Client // Switchboard's identity
	inspect  *glow.Client // the test's own identity, for decrypts
	gateflow *gateflow.Client
}

func start(t *testing.T) *env {
	t.Helper()
	srv, url := emulatortest.Start(t, emulator.Config{
		GlowTokens: []emulator.GlowToken{
			{Token: applyToken, ActorName: applyActor},
			{Token: inspectToken, ActorName: "inspector"},
		},
	})
	opts := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
	g, err := glow.New(url, sensitive.New(applyToken), opts...)
	if err != nil {
		t.Fatal(err)
	}
	in, err := glow.New(url, sensitive.New(inspectToken), opts...)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := gateflow.New(url, sensitive.New(emulatortest.AdminKey), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, glow: g, inspect: in, gateflow: gf}
}

func (e *env) ops(name string) int64 { return e.srv.Stats().Operations[name] }

func (e *env) fault(t *testing.T, fs emulator.FaultScript) {
	t.Helper()
	if err := e.srv.ScriptFaults(fs); err != nil {
		t.Fatal(err)
	}
}

func (e *env) providers(t *testing.T) []glow.Provider {
	t.Helper()
	ps, err := api.Collect(e.glow.Search(context.Background(), glow.SearchRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// decrypt reads a key's value as the test, never as Switchboard.
func (e *env) decrypt(t *testing.T, providerID, keyID string) string {
	t.Helper()
	d, err := e.inspect.Decrypt(context.Background(), providerID, keyID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Value.Reveal()
}

func vaultKey(label, path string, version int, value string) crud.Key {
	return crud.Key{Label: label, Source: secretref.Source{VaultPath: path, VaultKey: "api_key", Version: version}, Value: sensitive.New(value)}
}

func spec(name string) crud.ProviderSpec {
	return crud.ProviderSpec{
		Name: name, Description: "d", Departments: []string{"eng"},
		Endpoints: []string{"https://api.openai.com/v1"},
		Values:    map[string]string{"region": "eu"},
		Keys:      []crud.Key{vaultKey("primary", "secret/llm/openai", 3, "sk-value-3")},
	}
}

func TestCreate(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	a, err := g.Create(context.Background(), spec("openai"))
	if err != nil {
		t.Fatal(err)
	}
	p := a.Provider
	if len(p.EndpointIDs) != 1 {
		t.Errorf("provider EndpointIDs = %v, want 1", p.EndpointIDs)
	}
	if len(p.KeyIDs) != 1 {
		t.Errorf("provider KeyIDs = %v, want 1", p.KeyIDs)
	}
	if p.Values["region"] != "eu" {
		t.Errorf("provider Values[region] = %q, want %q", p.Values["region"], "eu")
	}
	if p.Version != 1 {
		t.Errorf("provider Version = %d, want 1", p.Version)
	}
	if t.Failed() {
		t.FailNow()
	}
	// Born with its endpoint and key, in one create: no draft, no publish.
	if n, d, pub := e.ops("glow.provider.create"), e.ops("glow.provider.draft"), e.ops("glow.provider.publish"); n != 1 || d != 0 || pub != 0 {
		t.Fatalf("create, draft, publish calls = %d, %d, %d; want 1, 0, 0", n, d, pub)
	}
	if got := e.decrypt(t, p.ID, a.Keys["primary"]); got != "sk-value-3" {
		t.Fatalf("key value = %q", got)
	}
	keys, _ := api.Collect(e.glow.ListKeys(context.Background()))
	if len(keys) != 1 || keys[0].Name != "primary (vault:secret/llm/openai#api_key@v3)" {
		t.Fatalf("keys = %+v", keys)
	}
	if n := e.srv.Stats().Decrypts; n != 1 { // the test's own
		t.Fatalf("decrypts = %d", n)
	}
	// A second provider on the same URL reuses the endpoint this run made.
	if _, err := g.Create(context.Background(), spec("openai-2")); err != nil {
		t.Fatal(err)
	}
	if n := e.ops("glow.endpoint.create"); n != 1 {
		t.Fatalf("endpoint creates = %d, want 1", n)
	}
}

func TestCreateLostAnswersMakeNoDuplicates(t *testing.T) {
	for _, op := range []string{"glow.provider.create", "glow.key.create", "glow.endpoint.create"} {
		t.Run(op, func(t *testing.T) {
			e := start(t)
			e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{op}})
			a, err := crud.NewGlow(e.glow, nil).Create(context.Background(), spec("openai"))
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Recovered) == 0 && op == "glow.provider.create" {
				t.Errorf("no recovery noted")
			}
			if ks, _ := api.Collect(e.glow.ListKeys(context.Background())); len(ks) != 1 {
				t.Errorf("keys = %+v: the key the lost call made must be used, not a second one", ks)
			}
			ps := e.providers(t)
			if len(ps) != 1 || len(ps[0].KeyIDs) != 1 || len(ps[0].EndpointIDs) != 1 {
				t.Fatalf("providers = %+v", ps)
			}
			if n := e.srv.Stats().Faults.Dropped; n != 1 {
				t.Fatalf("dropped = %d: the fault did not fire", n)
			}
			drafts, _ := api.Collect(e.glow.ListDrafts(context.Background()))
			if len(drafts) != 0 {
				t.Fatalf("open drafts left: %+v", drafts)
			}
			eps, _ := api.Collect(e.glow.ListEndpoints(context.Background()))
			if len(eps) != 1 {
				t.Fatalf("endpoints = %+v", eps)
			}
		})
	}
}

func TestCreateLostAnswerDoesNotAdoptAStranger(t *testing.T) {
	e := start(t)
	// Someone else's provider with the name already exists and has changed:
	// the create fails on the name and must not be taken for ours.
	if _, err := crud.NewGlow(e.inspect, nil).Create(context.Background(), spec("openai")); err != nil {
		t.Fatal(err)
	}
	e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.create"}})
	_, err := crud.NewGlow(e.glow, nil).Create(context.Background(), spec("openai"))
	if !errors.Is(err, crud.ErrConflict) {
		t.Fatalf("err = %v, want a conflict", err)
	}
	if ps := e.providers(t); len(ps) != 1 {
		t.Fatalf("providers = %d", len(ps))
	}
}

func TestUpdateConcurrentWritersConflict(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	a, err := g.Create(context.Background(), spec("openai"))
	if err != nil {
		t.Fatal(err)
	}
	v := a.Provider.Version
	descs := []string{"first", "second"}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = g.Update(context.Background(), crud.Update{ID: a.Provider.ID, Name: "openai", ExpectedVersion: v, Description: &descs[i]})
		})
	}
	wg.Wait()
	var won int
	for i, err := range errs {
		switch {
		case err == nil:
			won = i
		case errors.Is(err, crud.ErrConflict):
			if !strings.Contains(err.Error(), "nothing was overwritten") {
				t.Errorf("conflict message: %v", err)
			}
		default:
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errs = %v, want exactly one conflict", errs)
	}
	d, _ := e.glow.GetProvider(context.Background(), a.Provider.ID)
	if d.Provider.Description != descs[won] {
		t.Fatalf("description = %q, want the winner's %q", d.Provider.Description, descs[won])
	}
}

func TestUpdateLostAnswers(t *testing.T) {
	for _, op := range []string{"glow.provider.update"} {
		t.Run(op, func(t *testing.T) {
			e := start(t)
			g := crud.NewGlow(e.glow, nil)
			a, err := g.Create(context.Background(), spec("openai"))
			if err != nil {
				t.Fatal(err)
			}
			e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{op}})
			desc := "new"
			u, err := g.Update(context.Background(), crud.Update{ID: a.Provider.ID, ExpectedVersion: a.Provider.Version, Description: &desc})
			if err != nil {
				t.Fatal(err)
			}
			if u.Provider.Description != "new" || u.Provider.Version != a.Provider.Version+1 || len(u.Recovered) == 0 {
				t.Fatalf("provider = %+v, recovered %v", u.Provider, u.Recovered)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	a, err := g.Create(context.Background(), spec("openai"))
	if err != nil {
		t.Fatal(err)
	}
	old := a.Keys["primary"]
	keys := []crud.Key{vaultKey("primary", "secret/llm/openai", 4, "sk-value-4")}
	u, err := g.Update(context.Background(), crud.Update{ID: a.Provider.ID, ExpectedVersion: a.Provider.Version, Keys: &keys, PreviousKeyIDs: a.Provider.KeyIDs})
	if err != nil {
		t.Fatal(err)
	}
	nk := u.Keys["primary"]
	if nk == old || !slices.Equal(u.Provider.KeyIDs, []string{nk}) || !slices.Equal(u.DeletedKeys, []string{old}) {
		t.Fatalf("applied = %+v", u)
	}
	if got := e.decrypt(t, a.Provider.ID, nk); got != "sk-value-4" {
		t.Fatalf("value = %q", got)
	}
	ks, _ := api.Collect(e.glow.ListKeys(context.Background()))
	if len(ks) != 1 || ks[0].ID != nk {
		t.Fatalf("keys = %+v", ks)
	}
	for _, en := range e.srv.Audit() {
		if en.ActorName == applyActor {
			t.Fatalf("Switchboard decrypted: %+v", en)
		}
	}
}

func TestRotateRefusedKeepsOldKey(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	a, err := g.Create(context.Background(), spec("openai"))
	if err != nil {
		t.Fatal(err)
	}
	keys := []crud.Key{vaultKey("primary", "secret/llm/openai", 4, "sk-value-4")}
	_, err = g.Update(context.Background(), crud.Update{ID: a.Provider.ID, ExpectedVersion: a.Provider.Version - 1, Keys: &keys, PreviousKeyIDs: a.Provider.KeyIDs})
	if !errors.Is(err, crud.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	ks, _ := api.Collect(e.glow.ListKeys(context.Background()))
	if len(ks) != 1 || ks[0].ID != a.Keys["primary"] {
		t.Fatalf("keys = %+v: the old key must stay and the new one be discarded", ks)
	}
}

func TestDeleteProvidersOneCall(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	var ids, keyIDs []string
	for i := range 5 {
		a, err := g.Create(context.Background(), spec("p"+string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.Provider.ID)
		keyIDs = append(keyIDs, a.Provider.KeyIDs...)
	}
	res := g.DeleteProviders(context.Background(), append(ids, "missing"))
	for id, err := range res {
		if err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if n := e.ops("glow.provider.delete"); n != 1 {
		t.Fatalf("delete calls = %d", n)
	}
	deleted, inUse, err := g.DeleteKeys(context.Background(), keyIDs)
	if err != nil || len(deleted) != 5 || len(inUse) != 0 {
		t.Fatalf("keys: %v %v %v", deleted, inUse, err)
	}
	eps, _ := api.Collect(e.glow.ListEndpoints(context.Background()))
	deleted, _, err = g.DeleteEndpoints(context.Background(), []string{eps[0].ID})
	if err != nil || len(deleted) != 1 {
		t.Fatalf("endpoints: %v %v", deleted, err)
	}
}

func TestDeleteEndpointInUseIsFine(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	a, err := g.Create(context.Background(), spec("a"))
	if err != nil {
		t.Fatal(err)
	}
	deleted, inUse, err := g.DeleteEndpoints(context.Background(), a.Provider.EndpointIDs)
	if err != nil || len(deleted) != 0 || !slices.Equal(inUse, a.Provider.EndpointIDs) {
		t.Fatalf("%v %v %v", deleted, inUse, err)
	}
}

func TestBulkUpdate(t *testing.T) {
	e := start(t)
	g := crud.NewGlow(e.glow, nil)
	var items []crud.Guarded
	for _, n := range []string{"a", "b", "c"} {
		a, err := g.Create(context.Background(), spec(n))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, crud.Guarded{ID: a.Provider.ID, ExpectedVersion: a.Provider.Version})
	}
	items[2].ExpectedVersion-- // read before someone else's change
	e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.update"}})
	desc := "bulk"
	res := g.BulkUpdate(context.Background(), items, glow.Patch{Description: &desc})
	for _, it := range items[:2] {
		if r := res[it.ID]; r.Err != nil || r.Version != it.ExpectedVersion+1 {
			t.Errorf("%s: %+v", it.ID, r)
		}
	}
	if r := res[items[2].ID]; !errors.Is(r.Err, crud.ErrConflict) {
		t.Errorf("stale item: %+v", r)
	}
	if n := e.ops("glow.provider.update"); n != 2 {
		t.Fatalf("update calls = %d, want the lost one and its repeat", n)
	}
}

func TestGateflow(t *testing.T) {
	e := start(t)
	gw := &crud.Gateflow{Client: e.gateflow}
	ctx := context.Background()
	creds := map[string]sensitive.String{"api_key": sensitive.New("sk-abc")}
	p, err := gw.Create(ctx, crud.GateflowSpec{ProviderID: "openai", Settings: map[string]any{"timeout_ms": 3000, "default_model": "gpt"}, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != gateflow.StatusDisabled {
		t.Fatalf("status = %s, want disabled", p.Status)
	}
	if _, err := gw.Create(ctx, crud.GateflowSpec{ProviderID: "openai", Credentials: creds}); !errors.Is(err, crud.ErrConflict) {
		t.Fatalf("second configure: %v", err)
	}
	on := true
	want := map[string]any{"timeout_ms": 3000}
	p, err = gw.Update(ctx, crud.GateflowUpdate{ProviderID: "openai", LiveSettings: p.Settings, Settings: &want, Enabled: &on})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != gateflow.StatusActive || len(p.Settings) != 1 || p.Settings["timeout_ms"] != float64(3000) {
		t.Fatalf("provider = %+v", p)
	}
	if _, err := gw.Verify(ctx, "openai"); err != nil {
		t.Fatal(err)
	}
	if err := gw.Delete(ctx, "openai"); err != nil {
		t.Fatal(err)
	}
	if err := gw.Delete(ctx, "openai"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestGateflowCreateLostAnswer(t *testing.T) {
	e := start(t)
	gw := &crud.Gateflow{Client: e.gateflow}
	e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.configure"}})
	p, err := gw.Create(context.Background(), crud.GateflowSpec{ProviderID: "anthropic", Enabled: true,
		Settings: map[string]any{"timeout_ms": 1}, Credentials: map[string]sensitive.String{"api_key": sensitive.New("sk-ant-x")}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Configured || p.Status != gateflow.StatusActive {
		t.Fatalf("provider = %+v", p)
	}
	if n := e.ops("gateflow.providers.configure"); n != 1 {
		t.Fatalf("configure calls = %d", n)
	}
}

// Two appliers that planned from the same read race to change one Gateflow
// provider: exactly one succeeds, the other reports a conflict, and the
// live settings are the winner's. Before entity tags, both reported
// success and one change was silently overwritten.
func TestGateflowRacingUpdatesLoseNothing(t *testing.T) {
	e := start(t)
	gw := &crud.Gateflow{Client: e.gateflow}
	ctx := context.Background()
	creds := map[string]sensitive.String{"api_key": sensitive.New("sk-abc")}
	if _, err := gw.Create(ctx, crud.GateflowSpec{ProviderID: "openai", Enabled: true, Settings: map[string]any{"timeout_ms": 1000}, Credentials: creds}); err != nil {
		t.Fatal(err)
	}
	for round := range 8 {
		read, err := e.gateflow.Get(ctx, "openai")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := map[string]any{"timeout_ms": float64(round*10 + i + 2)}
				_, errs[i] = gw.Update(ctx, crud.GateflowUpdate{ProviderID: "openai", LiveSettings: read.Settings, Settings: &want,
					Guard: true, ExpectedUpdatedAt: read.UpdatedAt, ExpectedCredentialsUpdatedAt: read.CredentialsUpdatedAt})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: both appliers succeeded", round)
			case err == nil:
				won = i
			case !errors.Is(err, crud.ErrConflict):
				t.Fatalf("round %d: applier %d: %v, want a conflict", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: neither applier succeeded: %v", round, errs)
		}
		live, err := e.gateflow.Get(ctx, "openai")
		if err != nil {
			t.Fatal(err)
		}
		if got := live.Settings["timeout_ms"]; got != float64(round*10+won+2) {
			t.Fatalf("round %d: live timeout_ms %v, want the winner's %d", round, got, round*10+won+2)
		}
	}
}

// A settings write whose answer is lost is replayed, and the replay meets
// the first attempt's own change as a failed precondition: that is not a
// conflict when the provider shows the write.
func TestGateflowLostAnswerOfAConditionalWrite(t *testing.T) {
	e := start(t)
	gw := &crud.Gateflow{Client: e.gateflow}
	ctx := context.Background()
	creds := map[string]sensitive.String{"api_key": sensitive.New("sk-abc")}
	if _, err := gw.Create(ctx, crud.GateflowSpec{ProviderID: "cohere", Enabled: true, Settings: map[string]any{"timeout_ms": 10000}, Credentials: creds}); err != nil {
		t.Fatal(err)
	}
	read, err := e.gateflow.Get(ctx, "cohere")
	if err != nil {
		t.Fatal(err)
	}
	e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.update"}})
	want := map[string]any{"timeout_ms": 11000}
	p, err := gw.Update(ctx, crud.GateflowUpdate{ProviderID: "cohere", LiveSettings: read.Settings, Settings: &want,
		Guard: true, ExpectedUpdatedAt: read.UpdatedAt, ExpectedCredentialsUpdatedAt: read.CredentialsUpdatedAt})
	if err != nil {
		t.Fatalf("update after a lost answer: %v", err)
	}
	if p.Settings["timeout_ms"] != float64(11000) || e.ops("gateflow.providers.update") != 2 {
		t.Errorf("settings %v after %d updates", p.Settings, e.ops("gateflow.providers.update"))
	}
	// Someone else's write since the read is still a conflict, and
	// nothing of this update is written.
	read, _ = e.gateflow.Get(ctx, "cohere")
	if _, err := e.gateflow.UpdateSettings(ctx, "cohere", map[string]any{"timeout_ms": 12000}); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"timeout_ms": 13000}
	_, err = gw.Update(ctx, crud.GateflowUpdate{ProviderID: "cohere", LiveSettings: read.Settings, Settings: &want,
		Guard: true, ExpectedUpdatedAt: read.UpdatedAt, ExpectedCredentialsUpdatedAt: read.CredentialsUpdatedAt})
	if !errors.Is(err, crud.ErrConflict) {
		t.Fatalf("update over someone else's change: %v, want a conflict", err)
	}
	if live, _ := e.gateflow.Get(ctx, "cohere"); live.Settings["timeout_ms"] != float64(12000) {
		t.Errorf("live timeout_ms %v, want the other writer's 12000", live.Settings["timeout_ms"])
	}
}

func manySpecs(n int) []crud.ProviderSpec {
	specs := make([]crud.ProviderSpec, n)
	for i := range specs {
		name := fmt.Sprintf("p-%04d", i)
		specs[i] = crud.ProviderSpec{
			Name: name, Departments: []string{"eng"},
			Endpoints: []string{fmt.Sprintf("https://api%d.example.com/v1", i%3)},
			Values:    map[string]string{"tier": "gold"},
			Keys:      []crud.Key{vaultKey("primary", "secret/"+name, 1, "sk-"+name)},
			Marker:    &objects.OwnerMarker{Owner: "team", Address: objects.Address("glow_provider." + strings.ReplaceAll(name, "-", "_"))},
		}
	}
	return specs
}

// 1,200 creates cost three calls per 500 objects of each kind, not four
// per provider; an entry Glow refuses fails alone, and a lost answer of a
// whole chunk is resolved by the ownership markers without duplicates.
func TestCreateManyInBatches(t *testing.T) {
	e := start(t)
	// Someone else holds the name of entry 700.
	if _, err := crud.NewGlow(e.inspect, nil).Create(context.Background(), crud.ProviderSpec{Name: "p-0700", Departments: []string{"eng"}}); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Stats().Operations
	e.fault(t, emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.create"}})
	out := crud.NewOwnedGlow(e.glow, nil, "team").CreateMany(context.Background(), manySpecs(1200))
	for i, o := range out {
		switch {
		case i == 700:
			if !errors.Is(o.Err, api.ErrConflict) {
				t.Errorf("entry 700: %v, want its name conflict", o.Err)
			}
		case o.Err != nil:
			t.Fatalf("entry %d: %v", i, o.Err)
		case o.Applied.Provider.ID == "" || len(o.Applied.Provider.KeyIDs) != 1 || len(o.Applied.Provider.EndpointIDs) != 1:
			t.Fatalf("entry %d: %+v", i, o.Applied.Provider)
		}
	}
	after := e.srv.Stats().Operations
	calls := func(op string) int64 { return after[op] - before[op] }
	// Three chunks; the dropped one is resolved by a search and created
	// again in part; entry 700's chunk is sent again without it.
	if c := calls("glow.provider.create"); c > 6 {
		t.Errorf("provider create calls = %d", c)
	}
	if c := calls("glow.key.create"); c != 3 {
		t.Errorf("key create calls = %d, want 3", c)
	}
	if c := calls("glow.endpoint.create"); c != 1 {
		t.Errorf("endpoint create calls = %d, want 1", c)
	}
	ps := e.providers(t)
	if len(ps) != 1200 { // 1,199 made here and the stranger
		t.Fatalf("%d providers, want 1200", len(ps))
	}
	// Entry 700's key was discarded: no key is left attached to nothing.
	used := map[string]bool{}
	for _, p := range ps {
		for _, id := range p.KeyIDs {
			used[id] = true
		}
	}
	keys, _ := api.Collect(e.glow.ListKeys(context.Background()))
	for _, k := range keys {
		if !used[k.ID] {
			t.Errorf("key %s (%q) is attached to nothing", k.ID, k.Name)
		}
	}
}

// 600 rotations: two key creates, one guarded update per provider, two key
// deletes; no draft and no publish.
func TestUpdateManyRotations(t *testing.T) {
	e := start(t)
	g := crud.NewOwnedGlow(e.glow, nil, "team")
	g.Parallelism = 10
	specs := manySpecs(600)
	var us []crud.Update
	for i, o := range g.CreateMany(context.Background(), specs) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys := []crud.Key{vaultKey("primary", "secret/"+specs[i].Name, 2, "sk-v2-"+specs[i].Name)}
		us = append(us, crud.Update{ID: o.Applied.Provider.ID, Name: specs[i].Name, ExpectedVersion: o.Applied.Provider.Version,
			Keys: &keys, PreviousKeyIDs: o.Applied.Provider.KeyIDs})
	}
	before := e.srv.Stats().Operations
	for i, o := range g.UpdateMany(context.Background(), us) {
		if o.Err != nil || len(o.Applied.DeletedKeys) != 1 || o.Applied.Provider.Version != us[i].ExpectedVersion+1 {
			t.Fatalf("update %d: %v %+v", i, o.Err, o.Applied)
		}
	}
	after := e.srv.Stats().Operations
	for op, want := range map[string]int64{"glow.key.create": 2, "glow.provider.update": 600, "glow.key.delete": 2, "glow.provider.draft": 0, "glow.provider.publish": 0} {
		if got := after[op] - before[op]; got != want {
			t.Errorf("%s calls = %d, want %d", op, got, want)
		}
	}
	d, err := e.glow.GetProvider(context.Background(), us[599].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.decrypt(t, us[599].ID, d.Provider.KeyIDs[0]); got != "sk-v2-"+specs[599].Name {
		t.Errorf("rotated value %q", got)
	}
}

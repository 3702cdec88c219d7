package applier_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

func TestApplyLifecycle(t *testing.T) {
	e := newEnv(t)
	path, _ := e.put("openai", "sk-")
	gwPath, _ := e.put("gateflow", "sk-")
	desired := objects.Snapshot{
		Glow: []objects.GlowProvider{
			glowProvider("a", "alpha", map[string]secretref.Source{"primary": e.source(path)}),
			glowProvider("b", "beta", map[string]secretref.Source{"primary": e.source(path)}),
		},
		Gateflow: []objects.GateflowProvider{{
			Address: "gateflow_provider.openai", ProviderID: "openai", Configured: true, Enabled: true,
			Settings:    map[string]any{"timeout_ms": float64(3000)},
			Credentials: map[string]secretref.Source{"api_key": e.source(gwPath)},
		}},
	}

	// Create.
	p := e.plan(desired, diff.Options{})
	res, out, err := e.apply(p, applier.Options{Verify: true})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if res.Added != 3 || res.Changed != 0 || res.Destroyed != 0 {
		t.Fatalf("result = %+v", res)
	}
	wantProgress(t, out,
		`glow_provider\.a: Creating\.\.\.`,
		`glow_provider\.a: Creation complete after \d+s \[id=[^\]]+\]`,
		`gateflow_provider\.openai: Creation complete after \d+s \[id=openai\]`,
		`gateflow_provider\.openai: Verification complete`,
		`Apply complete! Resources: 3 added, 0 changed, 0 destroyed\.`)
	if n := e.ops("glow.endpoint.create"); n != 1 {
		t.Errorf("endpoint creates = %d, want 1 for a URL both providers use", n)
	}
	e.noChanges(desired, diff.Options{})

	// Update: two providers receive the same change, in one bulk call.
	for i := range desired.Glow {
		desired.Glow[i].Description = "changed"
	}
	desired.Gateflow[0].Settings = map[string]any{"default_model": "gpt-4o"}
	drafts := e.ops("glow.provider.draft")
	p = e.plan(desired, diff.Options{})
	res, out, err = e.apply(p, applier.Options{})
	if err != nil || res.Changed != 3 {
		t.Fatalf("apply: %v %+v\n%s", err, res, out)
	}
	wantProgress(t, out, `glow_provider\.b: Modifying\.\.\. \[id=[^\]]+\]`, `glow_provider\.b: Modifications complete after \d+s \[id=[^\]]+\]`)
	if n := e.ops("glow.provider.update"); n != 1 {
		t.Errorf("bulk update calls = %d, want 1", n)
	}
	if n := e.ops("glow.provider.draft"); n != drafts {
		t.Errorf("drafts staged for a bulk-able change: %d", n-drafts)
	}
	e.noChanges(desired, diff.Options{})

	// Rotate: a new Vault version reaches Glow without Switchboard reading
	// any key back, and the old keys are gone.
	_, newValue := e.put("openai", "sk-")
	for i := range desired.Glow {
		desired.Glow[i].Keys.Set(objects.KeyState{Label: "primary", Source: e.source(path)})
	}
	p = e.plan(desired, diff.Options{})
	if p.Summary.Rotate != 2 {
		t.Fatalf("plan rotates %d, want 2", p.Summary.Rotate)
	}
	res, out, err = e.apply(p, applier.Options{})
	if err != nil || res.Changed != 2 {
		t.Fatalf("apply: %v %+v\n%s", err, res, out)
	}
	e.everyProviderHolds(t, newValue)
	keys, _ := api.Collect(e.glow.ListKeys(context.Background()))
	if len(keys) != 2 || !strings.HasSuffix(keys[0].Name, "@v2 owner:"+testOwner+")") {
		t.Fatalf("keys after rotation = %+v", keys)
	}
	e.noChanges(desired, diff.Options{})

	// Destroy: one bulk delete, then the keys and the endpoint.
	p = e.plan(desired, diff.Options{Destroy: true})
	res, out, err = e.apply(p, applier.Options{})
	if err != nil || res.Destroyed != 3 {
		t.Fatalf("apply: %v %+v\n%s", err, res, out)
	}
	if n := e.ops("glow.provider.delete"); n != 1 {
		t.Errorf("provider delete calls = %d, want 1", n)
	}
	wantProgress(t, out, `glow_provider\.a: Destruction complete after \d+s`)
	keys, _ = api.Collect(e.glow.ListKeys(context.Background()))
	eps, _ := api.Collect(e.glow.ListEndpoints(context.Background()))
	if len(keys) != 0 || len(eps) != 0 || len(e.providers()) != 0 {
		t.Fatalf("left behind: keys %v, endpoints %v", keys, eps)
	}
	e.noChanges(desired, diff.Options{Destroy: true})

	if n := e.switchboardDecrypts(); n != 0 {
		t.Fatalf("Switchboard decrypted %d times", n)
	}
}

// wantProgress asserts that the apply's progress out has a whole line
// matching each of the regular expressions lines.
func wantProgress(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !regexp.MustCompile(`(?m)^` + l + `$`).MatchString(out) {
			t.Errorf("progress lacks %s:\n%s", l, out)
		}
	}
}

// everyProviderHolds asserts that each Glow provider has one key, whose
// value (read with the inspecting client, not Switchboard's) is want.
func (e *env) everyProviderHolds(t *testing.T, want string) {
	t.Helper()
	for _, pr := range e.providers() {
		if len(pr.KeyIDs) != 1 {
			t.Fatalf("%s keys = %v", pr.Name, pr.KeyIDs)
		}
		d, err := e.inspect.Decrypt(context.Background(), pr.ID, pr.KeyIDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if d.Value.Reveal() != want {
			t.Fatalf("%s holds another value than Vault's latest version", pr.Name)
		}
	}
}

func TestApplyManyDestroysOneCall(t *testing.T) {
	e := newEnv(t)
	var desired objects.Snapshot
	for i := range 30 {
		desired.Glow = append(desired.Glow, glowProvider(fmt.Sprintf("p%02d", i), fmt.Sprintf("p%02d", i), nil))
	}
	if _, out, err := e.apply(e.plan(desired, diff.Options{}), applier.Options{}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	before := e.srv.Stats().Operations
	res, out, err := e.apply(e.plan(desired, diff.Options{Destroy: true}), applier.Options{})
	if err != nil || res.Destroyed != 30 {
		t.Fatalf("%v %+v\n%s", err, res, out)
	}
	after := e.srv.Stats().Operations
	if n := after["glow.provider.delete"] - before["glow.provider.delete"]; n != 1 {
		t.Fatalf("delete calls = %d, want 1", n)
	}
	t.Logf("30 destroys: %d provider search, %d provider delete, %d endpoint list, %d endpoint delete",
		after["glow.provider.search"]-before["glow.provider.search"]-1, // one is the plan's
		after["glow.provider.delete"]-before["glow.provider.delete"],
		after["glow.endpoint.list"]-before["glow.endpoint.list"]-1,
		after["glow.endpoint.delete"]-before["glow.endpoint.delete"])
	e.noChanges(desired, diff.Options{Destroy: true})
}

func TestApplyCreateLostAnswerNoDuplicate(t *testing.T) {
	e := newEnv(t)
	path, _ := e.put("k", "sk-")
	desired := objects.Snapshot{Glow: []objects.GlowProvider{
		glowProvider("a", "alpha", map[string]secretref.Source{"primary": e.source(path)}),
	}}
	p := e.plan(desired, diff.Options{})
	e.fault(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.provider.create"}})
	res, out, err := e.apply(p, applier.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if e.srv.Stats().Faults.Dropped != 1 {
		t.Fatal("the fault did not fire")
	}
	if len(res.Addresses[0].Notes) == 0 {
		t.Errorf("the recovery is not reported: %+v", res.Addresses[0])
	}
	if ps := e.providers(); len(ps) != 1 {
		t.Fatalf("providers = %d", len(ps))
	}
	e.noChanges(desired, diff.Options{})
}

func TestApplyConcurrentAppliersOneConflict(t *testing.T) {
	e := newEnv(t)
	desired := objects.Snapshot{Glow: []objects.GlowProvider{glowProvider("a", "alpha", nil)}}
	if _, _, err := e.apply(e.plan(desired, diff.Options{}), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	type run struct {
		desired objects.Snapshot
		plan    *plan.Plan
		res     *applier.Result
		err     error
	}
	runs := make([]*run, 2)
	for i := range runs {
		d := objects.Snapshot{Glow: []objects.GlowProvider{glowProvider("a", "alpha", nil)}}
		d.Glow[0].Description = fmt.Sprintf("writer %d", i)
		runs[i] = &run{desired: d, plan: e.plan(d, diff.Options{})}
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() {
			r.res, r.err = applier.Apply(context.Background(), r.plan, e.deps(), applier.Options{})
		})
	}
	wg.Wait()
	var winner, loser *run
	for _, r := range runs {
		switch {
		case r.err == nil:
			winner = r
		case errors.Is(r.err, crud.ErrConflict), errors.Is(r.err, applier.ErrStale):
			loser = r
		default:
			t.Fatalf("unexpected error: %v", r.err)
		}
	}
	if winner == nil || loser == nil {
		t.Fatalf("errors = %v, %v: want one success and one refusal", runs[0].err, runs[1].err)
	}
	if got := e.providers()[0].Description; got != winner.desired.Glow[0].Description {
		t.Fatalf("description = %q, want the winner's", got)
	}
	// The loser's change is not lost: its re-plan still shows it.
	if p := e.plan(loser.desired, diff.Options{}); p.Summary.Change != 1 {
		t.Fatalf("the loser's re-plan = %+v", p.Summary)
	}
}

func TestApplyStalePlanRefused(t *testing.T) {
	e := newEnv(t)
	path, _ := e.put("k", "sk-")
	desired := objects.Snapshot{Glow: []objects.GlowProvider{
		glowProvider("a", "alpha", map[string]secretref.Source{"primary": e.source(path)}),
		glowProvider("b", "beta", nil),
	}}
	if _, _, err := e.apply(e.plan(desired, diff.Options{}), applier.Options{}); err != nil {
		t.Fatal(err)
	}

	// A Glow provider changed since the plan.
	desired.Glow[0].Description = "planned"
	desired.Glow[1].Description = "planned"
	p := e.plan(desired, diff.Options{})
	live := e.providers()
	v := live[0].Version
	other := "someone else"
	if _, err := e.glow.UpdateProvider(context.Background(), glowUpdate(live[0].ID, v, other)); err != nil {
		t.Fatal(err)
	}
	drafts, updates := e.ops("glow.provider.draft"), e.ops("glow.provider.update")
	_, _, err := e.apply(p, applier.Options{})
	var se *applier.StaleError
	if !errors.As(err, &se) || len(se.Objects) != 1 || !strings.Contains(err.Error(), "plan again") {
		t.Fatalf("err = %v", err)
	}
	if e.ops("glow.provider.draft") != drafts || e.ops("glow.provider.update") != updates+0 {
		t.Fatal("a stale plan changed something")
	}

	// A Vault version written after the plan.
	desired.Glow[0].Description = other
	desired.Glow[0].Keys.Set(objects.KeyState{Label: "primary", Source: secretref.Source{VaultPath: path, VaultKey: "api_key"}})
	desired.Glow[0].Keys.Set(objects.KeyState{Label: "secondary", Source: e.source(path)})
	p = e.plan(desired, diff.Options{})
	e.put("k", "sk-")
	err = applier.CheckStale(context.Background(), p, e.deps())
	if !errors.Is(err, applier.ErrStale) || !strings.Contains(err.Error(), "written after the plan") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyFailedBatchThenComplete(t *testing.T) {
	// No retries, so that one scripted 503 fails the batch's key create.
	e := newEnv(t, api.WithRetryMax(0))
	path, _ := e.put("k", "sk-")
	var desired objects.Snapshot
	for _, n := range []string{"a", "b", "c"} {
		desired.Glow = append(desired.Glow, glowProvider(n, n, map[string]secretref.Source{"primary": e.source(path)}))
	}
	p := e.plan(desired, diff.Options{})
	e.fault(emulator.FaultScript{FailNext: 1, OnlyOps: []string{"glow.key.create"}})
	res, out, err := e.apply(p, applier.Options{Parallelism: 1})
	if err == nil {
		t.Fatalf("apply succeeded:\n%s", out)
	}
	// The three creates share one key call: it failed before any provider
	// existed, so all three failed and nothing was left half made.
	for _, a := range res.Addresses {
		if a.Status != applier.StatusFailed {
			t.Errorf("%s: %s, want failed", a.Address, a.Status)
		}
	}
	if !strings.Contains(out, "glow_provider.a: Creation failed") || !strings.Contains(out, "creating keys") {
		t.Errorf("progress:\n%s", out)
	}
	if ps := e.providers(); len(ps) != 0 {
		t.Errorf("providers after the failed batch: %+v", ps)
	}

	// Planning and applying again completes it.
	p = e.plan(desired, diff.Options{})
	if p.Summary.Add != 3 {
		t.Fatalf("re-plan = %+v", p.Summary)
	}
	res, out, err = e.apply(p, applier.Options{})
	if err != nil || res.Added != 3 {
		t.Fatalf("%v %+v\n%s", err, res, out)
	}
	e.noChanges(desired, diff.Options{})
}

func TestApplyStopStartsNothing(t *testing.T) {
	e := newEnv(t)
	desired := objects.Snapshot{Glow: []objects.GlowProvider{glowProvider("a", "a", nil), glowProvider("b", "b", nil)}}
	p := e.plan(desired, diff.Options{})
	stop := make(chan struct{})
	close(stop)
	res, _, err := e.apply(p, applier.Options{Stop: stop})
	if err == nil || !res.Stopped || e.ops("glow.provider.create") != 0 {
		t.Fatalf("err = %v, res = %+v", err, res)
	}
}

func TestApplyMissingEnvSecret(t *testing.T) {
	e := newEnv(t)
	desired := objects.Snapshot{Glow: []objects.GlowProvider{
		glowProvider("a", "a", map[string]secretref.Source{"primary": {Env: "SWITCHBOARD_TEST_UNSET"}}),
	}}
	p := e.plan(desired, diff.Options{})
	deps := e.deps()
	deps.LookupEnv = func(string) (string, bool) { return "", false }
	_, err := applier.Apply(context.Background(), p, deps, applier.Options{})
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_TEST_UNSET is not set") {
		t.Fatalf("err = %v", err)
	}
	if n := e.ops("glow.provider.create"); n != 0 {
		t.Fatalf("created %d providers without their key", n)
	}
}

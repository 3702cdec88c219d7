package contract

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// token/self tells a client who its token speaks for and what it may see.
func TestGlowTokenSelf(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})

	me := must(e.glow.Self(ctx))(t)
	if me.ActorName != actor || me.Scoped || len(me.DepartmentIDs) != 0 {
		t.Errorf("unscoped token: %+v", me)
	}
	sc := must(e.glowAs(scopedToken).Self(ctx))(t)
	if sc.ActorName != scopedActor || !sc.Scoped || !slices.Equal(sc.DepartmentIDs, scopedDepts) {
		t.Errorf("scoped token: %+v, want %s in %v", sc, scopedActor, scopedDepts)
	}
	cs := must(e.glowAs(csToken).Self(ctx))(t)
	if cs.ActorName != csActor || !cs.Scoped || !slices.Equal(cs.DepartmentIDs, []string{"cs"}) {
		t.Errorf("cs token: %+v", cs)
	}
	if n := e.ops("glow.token.self"); n != 3 {
		t.Errorf("glow.token.self counted %d times, want 3", n)
	}
	_, err := e.glowAs(wrongToken).Self(ctx)
	wantErr(t, err, api.ErrUnauthorized, 401, "unauthorized", "-")

	// The answer is what the token can see: the scope it reports is the
	// scope search applies.
	f := e.glowFixture() // cs+sales, cs, global
	var seen []string
	for _, p := range all(t, e.glowAs(scopedToken).Search(ctx, glow.SearchRequest{})) {
		for _, d := range p.DepartmentIDs {
			if !slices.Contains(sc.DepartmentIDs, d) {
				t.Errorf("scoped search shows %s in %s, outside the reported scope", p.ID, d)
			}
		}
		seen = append(seen, p.ID)
	}
	if !sameSet(seen, []string{f.created[0].ProviderID, f.created[1].ProviderID}) {
		t.Errorf("scoped search %v", seen)
	}
}

// The scope is reported sorted and without repeats, however the token was
// configured.
func TestGlowTokenSelfSortsScope(t *testing.T) {
	t.Parallel()
	_, url := emulatortest.Start(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: "glow-mixed-SEKRIT", ActorName: "mixed", Departments: []string{"sales", "cs", "math", "cs"}},
	}})
	c, err := glow.New(url, sensitive.New("glow-mixed-SEKRIT"), fast()...)
	if err != nil {
		t.Fatal(err)
	}
	got := must(c.Self(ctx))(t)
	if got.ActorName != "mixed" || !got.Scoped || !slices.Equal(got.DepartmentIDs, []string{"cs", "math", "sales"}) {
		t.Errorf("self: %+v", got)
	}
}

// Self is a read: a lost answer is asked again.
func TestGlowTokenSelfRetried(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	e.script(emulator.FaultScript{DropNext: 1, FailNext: 1, Status: 502, OnlyOps: []string{"glow.token.self"}})
	if got := must(e.glow.Self(ctx))(t); got.ActorName != actor {
		t.Errorf("self after faults: %+v", got)
	}
	if n := e.ops("glow.token.self"); n != 3 {
		t.Errorf("%d calls, want 3 (two retries)", n)
	}
}

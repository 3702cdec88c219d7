package main

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
)

func marked(addr string) map[string]string {
	return objects.WithMarker(map[string]string{"tier": "gold"}, objects.OwnerMarker{Owner: soakOwner, Address: objects.Address(addr)})
}

func TestFindOrphans(t *testing.T) {
	src := secretref.Source{VaultPath: "secret/soak/p1", VaultKey: "api_key", Version: 2}
	v := glowView{
		Providers: []glow.Provider{{ID: "prv_1", KeyIDs: []string{"key_used"}, EndpointIDs: []string{"ep_used"}}},
		Keys: []glow.Key{
			{ID: "key_used", Name: secretref.OwnedKeyName("primary", src, soakOwner)},
			{ID: "key_orphan", Name: secretref.OwnedKeyName("primary", src, soakOwner)},
			{ID: "key_other_owner", Name: secretref.OwnedKeyName("primary", src, "someone-else")},
			{ID: "key_no_owner", Name: secretref.KeyName("primary", src)},
			{ID: "key_by_hand", Name: "primary"},
		},
		Endpoints: []glow.Endpoint{
			{ID: "ep_used", Name: objects.EndpointName(soakOwner)},
			{ID: "ep_orphan", Name: objects.EndpointName(soakOwner)},
			{ID: "ep_other", Name: objects.EndpointName("someone-else")},
			{ID: "ep_by_hand", Name: "my endpoint"},
		},
		Drafts: []glow.Draft{
			{DraftID: "dr_orphan", ProviderID: "prv_1", FormState: glow.FormState{Name: "P1", Values: marked("glow_provider.p1")}},
			{DraftID: "dr_unmarked", ProviderID: "prv_2", FormState: glow.FormState{Name: "P2", Values: map[string]string{"a": "b"}}},
		},
	}
	var got []string
	for _, o := range findOrphans(soakOwner, v) {
		got = append(got, o.Kind+" "+o.ID)
	}
	want := []string{"draft dr_orphan", "endpoint ep_orphan", "key key_orphan"}
	if !slices.Equal(got, want) {
		t.Errorf("orphans = %v, want %v", got, want)
	}
	k, e, d := countKinds(findOrphans(soakOwner, v))
	if k != 1 || e != 1 || d != 1 {
		t.Errorf("countKinds = %d, %d, %d", k, e, d)
	}
}

func TestOrphanDiff(t *testing.T) {
	a := orphan{Kind: "key", ID: "k1"}
	b := orphan{Kind: "draft", ID: "d1"}
	c := orphan{Kind: "key", ID: "k2"}
	if d := orphanDiff([]orphan{a, b}, []orphan{b, a}); len(d) != 0 {
		t.Errorf("same sets differ: %v", d)
	}
	d := orphanDiff([]orphan{a, b}, []orphan{b, c})
	if len(d) != 2 || !strings.Contains(d[0], "k1") || !strings.Contains(d[1], "k2") {
		t.Errorf("diff = %v", d)
	}
}

func TestMarkerViolations(t *testing.T) {
	src := secretref.Source{VaultPath: "secret/soak/p1", VaultKey: "api_key", Version: 1}
	good := glow.Provider{ID: "prv_1", Name: "P1", Values: marked("glow_provider.p1")}
	hand := &handMade{ID: "prv_h", Name: "Hand", Version: 3}
	handLive := glow.Provider{ID: "prv_h", Name: "Hand", Version: 3, Values: map[string]string{"made_by": "hand"}}
	keys := map[string][]string{"p1": {secretref.OwnedKeyName("primary", src, soakOwner)}}

	if v := markerViolations(soakOwner, map[string]glow.Provider{"p1": good}, keys, []glow.Provider{good, handLive}, hand); len(v) != 0 {
		t.Errorf("clean state: %v", v)
	}

	cases := map[string]struct {
		declared map[string]glow.Provider
		keys     map[string][]string
		all      []glow.Provider
		want     string
	}{
		"no marker": {
			declared: map[string]glow.Provider{"p1": {ID: "prv_1", Values: map[string]string{"tier": "gold"}}},
			all:      []glow.Provider{handLive}, want: "has no ownership marker",
		},
		"wrong address": {
			declared: map[string]glow.Provider{"p2": good},
			all:      []glow.Provider{good, handLive}, want: "carries the marker of",
		},
		"undestroyed": {
			declared: map[string]glow.Provider{},
			all:      []glow.Provider{good, handLive}, want: "which no block declares",
		},
		"key without owner": {
			declared: map[string]glow.Provider{"p1": good},
			keys:     map[string][]string{"p1": {secretref.KeyName("primary", src)}},
			all:      []glow.Provider{good, handLive}, want: "does not name owner",
		},
		"hand-made changed": {
			declared: map[string]glow.Provider{},
			all:      []glow.Provider{{ID: "prv_h", Name: "Hand", Version: 4}}, want: "hand-made provider prv_h was changed",
		},
		"hand-made gone": {
			declared: map[string]glow.Provider{}, want: "is gone",
		},
	}
	for name, c := range cases {
		v := markerViolations(soakOwner, c.declared, c.keys, c.all, hand)
		if len(v) != 1 || !strings.Contains(v[0], c.want) {
			t.Errorf("%s: violations %v, want one containing %q", name, v, c.want)
		}
	}
}

func TestTriggerReached(t *testing.T) {
	out := "glow_provider.p1: Modifying... [id=x]\nglow_provider.p2: Creating...\nglow_provider.p3: Creating...\n"
	base := emulator.Stats{Operations: map[string]int64{"glow.key.create": 5}}
	now := emulator.Stats{Operations: map[string]int64{"glow.key.create": 7}}
	for _, c := range []struct {
		t    trigger
		want bool
	}{
		{trigger{Line: "Creating...", N: 2}, true},
		{trigger{Line: "Creating...", N: 3}, false},
		{trigger{Line: "Modifying...", N: 1}, true},
		{trigger{Op: "glow.key.create", N: 2}, true},
		{trigger{Op: "glow.key.create", N: 3}, false},
		{trigger{Op: "glow.provider.draft", N: 1}, false},
	} {
		if got := c.t.reached(out, base, now); got != c.want {
			t.Errorf("%s: reached = %v, want %v", c.t, got, c.want)
		}
	}
}

func TestPickTrigger(t *testing.T) {
	s := &soak{rng: rand.New(rand.NewPCG(1, 2))}
	for range 200 {
		tr := s.pickTrigger(2, 0)
		if tr.N < 1 {
			t.Fatalf("%s: N < 1", tr)
		}
		if tr.Line == "Modifying..." {
			t.Fatalf("%s chosen for a round without rotations", tr)
		}
		if (tr.Line == "Creating..." || tr.Op == "glow.provider.create") && tr.N > 2 {
			t.Fatalf("%s: more than the round's 2 creates", tr)
		}
	}
}

func TestParsePlanJSON(t *testing.T) {
	out := `{"format_version":"1.0","resource_changes":[
	  {"address":"glow_provider.p1","change":{"actions":["no-op"]}},
	  {"address":"glow_provider.p2","change":{"actions":["update"]}}],
	 "switchboard":{"format_version":"2.0",
	  "orphans":[{"kind":"key","id":"k1","name":"primary (vault:secret/x#api_key@v1 owner:soak)"},{"kind":"draft","id":"d1"}],
	  "summary":{"add":0,"change":1,"destroy":0,"orphans":2}}}`
	changed, orphans, err := parsePlanJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"glow_provider.p2 update"}) || len(orphans) != 2 || orphans[1].Kind != "draft" {
		t.Errorf("changed %v, orphans %v", changed, orphans)
	}
	if _, _, err := parsePlanJSON(strings.Replace(out, `"orphans":2`, `"orphans":3`, 1)); err == nil {
		t.Error("a summary that disagrees with the list was accepted")
	}
}

func TestCountCleanups(t *testing.T) {
	out := "Plan: 0 to add, 1 to change, 0 to destroy, 3 to clean up.\n...\nPlan: 1 to add, 0 to change, 0 to destroy.\nPlan: 0 to add, 0 to change, 0 to destroy, 2 to clean up.\n"
	if n := countCleanups(out); n != 5 {
		t.Errorf("countCleanups = %d, want 5", n)
	}
}

func TestRoundKinds(t *testing.T) {
	o := options{rounds: 50, restartEvry: 12, conflictEvery: 10, gateflowRaceEvery: 5, interruptEvery: 3}
	kinds := map[string]int{}
	for r := 1; r <= o.rounds; r++ {
		k := o.roundKind(r)
		if k.restart && k.interrupt != "" {
			t.Errorf("round %d both restarts the emulator and interrupts the CLI", r)
		}
		if k.interrupt != "" {
			kinds[k.interrupt]++
		}
	}
	if kinds[sigKill] < 5 {
		t.Errorf("interrupt rounds by kind: %d %s rounds, want at least 5: %v", kinds[sigKill], sigKill, kinds)
	}
	if kinds[sigInt2] < 5 {
		t.Errorf("interrupt rounds by kind: %d %s rounds, want at least 5: %v", kinds[sigInt2], sigInt2, kinds)
	}
	if kinds[sigKill]-kinds[sigInt2] > 1 || kinds[sigInt2]-kinds[sigKill] > 1 {
		t.Errorf("interrupt rounds by kind: %d %s and %d %s differ by more than 1", kinds[sigKill], sigKill, kinds[sigInt2], sigInt2)
	}
	if o.roundKind(1).interrupt != "" {
		t.Error("round 1 (nothing to interrupt yet) is an interrupt round")
	}
}

func TestGateflowSettingsAndStages(t *testing.T) {
	g := &gfProv{ID: "cohere", Timeout: 12000, Retries: 2, Settings: true}
	live := map[string]any{"timeout_ms": 12000.0, "max_retries": 2.0, "default_model": "command-r-plus"}
	if !sameJSON(gateflowSettings(g), live) {
		t.Errorf("gateflowSettings = %v", gateflowSettings(g))
	}
	g.Settings = false
	if sameJSON(gateflowSettings(g), live) {
		t.Error("default_model must be absent without Settings")
	}
	var c raceCounts
	for _, out := range []string{
		"failed: gateflow provider cohere was changed by someone else since it was read (it was changed while this apply was writing it)",
		"failed: gateflow provider cohere was changed by someone else since it was read (updated_at is ...)",
		"Error: the plan is stale: 1 object(s) changed since it was made",
	} {
		c.conflictStage(out)
	}
	for _, s := range []struct {
		stage     string
		got, want int
	}{
		{"atIfMatch", c.atIfMatch, 1},
		{"atFreshRead", c.atFreshRead, 1},
		{"atPlanCheck", c.atPlanCheck, 1},
		{"atOther", c.atOther, 0},
	} {
		if s.got != s.want {
			t.Errorf("stages: %s = %d, want %d", s.stage, s.got, s.want)
		}
	}
}

func TestConfigHasOwnerAndNoPrune(t *testing.T) {
	m := &model{Glow: map[string]*glowProv{}, GF: map[string]*gfProv{}}
	h := m.hcl()
	if !strings.Contains(h, `owner = "`+soakOwner+`"`) || strings.Contains(h, "prune_departments") {
		t.Errorf("configuration:\n%s", h)
	}
}

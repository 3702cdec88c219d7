package diff

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

var (
	t0 = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	t1 = time.Date(2025, 2, 2, 0, 0, 0, 0, time.UTC)
)

func src(path string, version int, created time.Time) secretref.Source {
	return secretref.Source{VaultPath: path, VaultKey: "api_key", Version: version, CreatedTime: created}
}

func desired(addr, name string, deps ...string) objects.GlowProvider {
	return objects.GlowProvider{Address: objects.Address(addr), Name: name, Departments: objects.NewSet(deps...)}
}

// live is a provider made outside Switchboard: it carries no marker.
func live(id, name string, deps ...string) objects.GlowProvider {
	return objects.GlowProvider{ID: id, Name: name, Departments: objects.NewSet(deps...), Version: 1}
}

// owner is the owner identity of the configuration every test plans.
const owner = "team"

// owned is a provider this configuration created for addr.
func owned(id, addr, name string, deps ...string) objects.GlowProvider {
	l := live(id, name, deps...)
	l.Ownership = objects.Ownership{Marker: &objects.OwnerMarker{Owner: owner, Address: objects.Address(addr)}}
	return l
}

// markedKey is a live key that Switchboard made from s.
func markedKey(id, label string, s secretref.Source) objects.KeyState {
	name := secretref.KeyName(label, s)
	_, parsed, _ := secretref.ParseKeyName(name)
	return objects.KeyState{Label: label, Source: parsed, KeyID: id, Name: name, Marked: true}
}

func mustDiff(t *testing.T, d, l objects.Snapshot, opts Options) *plan.Plan {
	t.Helper()
	opts.Now = t0
	if opts.Owner == "" {
		opts.Owner = owner
	}
	p, err := Diff(d, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func actions(p *plan.Plan) map[string]plan.Action {
	m := map[string]plan.Action{}
	for _, c := range p.Changes {
		m[c.Address] = c.Action()
	}
	return m
}

func TestOrderIsNeverAChange(t *testing.T) {
	want := desired("glow_provider.a", "a", "d1", "d2", "d3")
	want.Departments = objects.Set{"d3", "d1", "d2"} // built by hand, unsorted
	want.Endpoints = objects.Set{"https://b", "https://a"}
	want.Values = map[string]string{"x": "1", "y": "2"}
	want.Keys = objects.Keys{{Label: "k1", Source: src("s/a", 1, t0)}, {Label: "k2", Source: src("s/b", 2, t0)}}
	got := owned("prv_1", "glow_provider.a", "a", "d2", "d3", "d1")
	got.Departments = objects.Set{"d2", "d3", "d1"}
	got.Endpoints = objects.Set{"https://a", "https://b"}
	got.Values = map[string]string{"y": "2", "x": "1"}
	got.Keys = objects.NewKeys(markedKey("key2", "k2", src("s/b", 2, t0)), markedKey("key1", "k1", src("s/a", 1, t0)))
	gw := objects.GateflowProvider{Address: "gateflow_provider.o", ProviderID: "openai", Configured: true, Enabled: true,
		Settings: map[string]any{"timeout_ms": float64(100), "default_model": "m"}}
	gwLive := objects.GateflowProvider{ProviderID: "openai", Configured: true, Enabled: true, CredentialsUpdatedAt: &t1,
		Settings: map[string]any{"default_model": "m", "timeout_ms": float64(100)}}

	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{want}, Gateflow: []objects.GateflowProvider{gw}},
		objects.Snapshot{Glow: []objects.GlowProvider{got}, Gateflow: []objects.GateflowProvider{gwLive}}, Options{})
	for _, c := range p.Changes {
		if c.Action() != plan.ActionNoOp {
			t.Errorf("%s: %v, fields %+v", c.Address, c.Actions, c.Fields)
		}
	}
	if p.HasChanges() {
		t.Errorf("summary %+v", p.Summary)
	}
}

func TestEmptyEqualsAbsent(t *testing.T) {
	want := desired("glow_provider.a", "a")
	got := owned("prv_1", "glow_provider.a", "a")
	got.Values, got.Endpoints = map[string]string{}, objects.Set{}
	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{want}}, objects.Snapshot{Glow: []objects.GlowProvider{got}}, Options{})
	if p.HasChanges() {
		t.Errorf("changes: %+v", p.Changes)
	}
}

func TestIdentity(t *testing.T) {
	byID := desired("glow_provider.pinned", "renamed", "d1")
	byID.ID = "prv_2"
	byMarker := desired("glow_provider.marked", "new-name", "d8")
	byName := desired("glow_provider.named", "shared-name", "d1", "d2")
	byName.Adopt = true
	global := desired("glow_provider.global", "global-name")
	global.Adopt = true
	liveSide := []objects.GlowProvider{
		live("prv_1", "shared-name", "d9"),                              // same name, other department: not a match
		live("prv_2", "old-name", "d1"),                                 // matched by id despite its name
		live("prv_3", "shared-name", "d2", "d5"),                        // shares d2: the match
		live("prv_4", "global-name"),                                    // global: matches the global desired
		live("prv_5", "global-name", "d1"),                              // has a department: not global
		owned("prv_6", "glow_provider.marked", "old-marked-name", "d7"), // its marker binds it, whatever its name
	}
	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{byID, byMarker, byName, global}}, objects.Snapshot{Glow: liveSide}, Options{})
	ids := map[string]string{}
	adopted := map[string]string{}
	for _, c := range p.Changes {
		ids[c.Address] = c.ID
		if c.Adopt != nil {
			adopted[c.Address] = c.Adopt.Reason
		}
	}
	want := map[string]string{"glow_provider.pinned": "prv_2", "glow_provider.marked": "prv_6", "glow_provider.named": "prv_3", "glow_provider.global": "prv_4"}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("matches (-want +got):\n%s", d)
	}
	wantAdopted := map[string]string{"glow_provider.pinned": "id", "glow_provider.named": "adopt", "glow_provider.global": "adopt"}
	if d := cmp.Diff(wantAdopted, adopted); d != "" {
		t.Errorf("adoptions (-want +got):\n%s", d)
	}
	if p.Summary.Adopt != 3 {
		t.Errorf("summary %+v", p.Summary)
	}
	var unmanaged []string
	for _, u := range p.Unmanaged {
		unmanaged = append(unmanaged, u.ID)
	}
	if d := cmp.Diff([]string{"prv_1", "prv_5"}, unmanaged); d != "" {
		t.Errorf("unmanaged (-want +got):\n%s", d)
	}
	// Renaming and moving a marked provider is an update in place: it keeps
	// its id, so models keep pointing at it.
	marked := p.Changes[slicesIndex(p.Changes, "glow_provider.marked")]
	if marked.Action() != plan.ActionUpdate || fieldNames(marked) != "name,departments" || marked.Marker != nil {
		t.Errorf("marked rename: %v, fields %s, marker %+v", marked.Actions, fieldNames(marked), marked.Marker)
	}
	pinned := p.Changes[slicesIndex(p.Changes, "glow_provider.pinned")]
	if got := fieldNames(pinned); got != "name" {
		t.Errorf("pinned adoption: fields %s, want name", got)
	}
	if pinned.Marker == nil {
		t.Errorf("pinned adoption: marker = nil, want one")
	} else {
		if pinned.Marker.Address != "glow_provider.pinned" {
			t.Errorf("pinned adoption: marker address = %q, want %q", pinned.Marker.Address, "glow_provider.pinned")
		}
		if pinned.Marker.Owner != owner {
			t.Errorf("pinned adoption: marker owner = %q, want %q", pinned.Marker.Owner, owner)
		}
	}
}

func fieldNames(c plan.Change) string {
	var names []string
	for _, f := range c.Fields {
		names = append(names, f.Field)
	}
	return strings.Join(names, ",")
}

func slicesIndex(cs []plan.Change, addr string) int {
	for i, c := range cs {
		if c.Address == addr {
			return i
		}
	}
	return -1
}

func TestIdentityErrors(t *testing.T) {
	pinned := desired("glow_provider.gone", "x")
	pinned.ID = "prv_404"
	_, err := Diff(objects.Snapshot{Glow: []objects.GlowProvider{
		desired("glow_provider.ambiguous", "dup", "d1", "d2"),
		pinned,
		desired("glow_provider.first", "same", "d7"),
		desired("glow_provider.second", "same", "d7", "d8"),
	}}, objects.Snapshot{Glow: []objects.GlowProvider{
		live("prv_a", "dup", "d1"), live("prv_b", "dup", "d2"), owned("prv_c", "glow_provider.old", "same", "d7"),
	}}, Options{Owner: owner})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`glow_provider.ambiguous: name "dup" matches 2 live Glow providers in its departments (prv_a, prv_b)`,
		"glow_provider.gone: Glow has no provider with id prv_404",
		"glow_provider.first and glow_provider.second both match live Glow provider prv_c",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestGlowKeyRotation(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Keys = objects.NewKeys(
		objects.KeyState{Label: "same", Source: src("s/same", 2, t0)},
		objects.KeyState{Label: "newver", Source: src("s/v", 5, t0)},
		objects.KeyState{Label: "newpath", Source: src("s/new", 1, t0)},
		objects.KeyState{Label: "manual", Source: src("s/m", 1, t0)},
		objects.KeyState{Label: "kv1", Source: secretref.Source{VaultPath: "kv/a", VaultKey: "api_key"}},
		objects.KeyState{Label: "env", Source: secretref.Source{Env: "TOKEN"}},
		objects.KeyState{Label: "added", Source: src("s/add", 1, t0)},
	)
	got := owned("prv_1", "glow_provider.a", "a")
	got.Keys = objects.NewKeys(
		markedKey("k1", "same", src("s/same", 2, t0)),
		markedKey("k2", "newver", src("s/v", 4, t0)),
		markedKey("k3", "newpath", src("s/old", 1, t0)),
		objects.KeyState{Label: "manual", KeyID: "k4", Name: "manual"},
		markedKey("k5", "kv1", secretref.Source{VaultPath: "kv/a", VaultKey: "api_key"}),
		markedKey("k6", "env", secretref.Source{Env: "TOKEN"}),
		markedKey("k7", "dropped", src("s/d", 1, t0)),
	)
	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{want}}, objects.Snapshot{Glow: []objects.GlowProvider{got}}, Options{})
	c := p.Changes[0]
	rotated := map[string]string{}
	for _, r := range c.Rotations {
		rotated[r.Name] = r.Reason
	}
	if len(rotated) != 3 {
		t.Errorf("%d rotations, want 3 (newver, newpath, manual): %v", len(rotated), rotated)
	}
	if want := "Vault version of s/v#api_key changes from 4 to 5"; rotated["newver"] != want {
		t.Errorf("rotation of newver: %q, want %q", rotated["newver"], want)
	}
	for name, want := range map[string]string{
		"newpath": "vault:s/old#api_key@v1 to vault:s/new#api_key@v1",
		"manual":  "no origin marker",
	} {
		if !strings.Contains(rotated[name], want) {
			t.Errorf("rotation of %s: %q, want it to contain %q", name, rotated[name], want)
		}
	}
	if !c.Drift || len(c.Warnings) != 1 {
		t.Errorf("unmarked key: drift %v, warnings %+v", c.Drift, c.Warnings)
	}
	entries := map[string]plan.Action{}
	for _, e := range c.Fields[len(c.Fields)-1].Entries {
		entries[e.Key] = e.Action
	}
	if entries["added"] != plan.ActionCreate || entries["dropped"] != plan.ActionDelete || len(entries) != 5 {
		t.Errorf("key entries: %v", entries)
	}
	if p.Summary.Rotate != 1 || p.Summary.Change != 1 {
		t.Errorf("summary %+v", p.Summary)
	}

	// --rotate forces the unchanged ones too, except that nothing else moves.
	p = mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{want}}, objects.Snapshot{Glow: []objects.GlowProvider{got}},
		Options{Rotate: []objects.Address{"glow_provider.a"}})
	if n := len(p.Changes[0].Rotations); n != 6 {
		t.Errorf("forced rotation: %d rotations, want 6", n)
	}
}

// A key the Terraform provider wrote has a known origin: taking it over
// from the CLI is a rotation to the configured secret, not drift.
func TestTerraformKeyRotatesWithoutDrift(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Keys = objects.Keys{{Label: "primary", Source: src("s/a", 1, t0)}}
	got := owned("prv_1", "glow_provider.a", "a")
	got.Keys = objects.Keys{markedKey("k1", "primary", secretref.Source{TerraformVersion: 3})}
	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{want}}, objects.Snapshot{Glow: []objects.GlowProvider{got}}, Options{})
	c := p.Changes[0]
	if len(c.Rotations) != 1 {
		t.Fatalf("rotations %+v, want 1", c.Rotations)
	}
	if !strings.Contains(c.Rotations[0].Reason, "terraform:v3") {
		t.Fatalf("rotation reason %q, want it to mention terraform:v3", c.Rotations[0].Reason)
	}
	if c.Drift {
		t.Fatalf("drift = true, want false")
	}
	if len(c.Warnings) != 0 {
		t.Fatalf("warnings %+v, want none", c.Warnings)
	}
	before := c.Values().Before["keys"].(map[string]any)["primary"].(map[string]any)
	if before["terraform_version"] != float64(3) || before["origin"] != nil {
		t.Errorf("before reference: %v", before)
	}
}

func TestGateflowRotation(t *testing.T) {
	want := objects.GateflowProvider{Address: "gateflow_provider.o", ProviderID: "openai", Configured: true, Enabled: true,
		Credentials: map[string]secretref.Source{"api_key": src("s/o", 2, t0), "organization_id": {Env: "ORG"}}}
	at := func(ts time.Time) objects.GateflowProvider {
		return objects.GateflowProvider{ProviderID: "openai", Configured: true, Enabled: true, CredentialsUpdatedAt: &ts}
	}
	for _, tc := range []struct {
		name   string
		live   objects.GateflowProvider
		rotate bool
	}{
		{"vault version older than last set", at(t1), false},
		{"vault version newer than last set", at(t0.Add(-time.Hour)), true},
		{"same instant", at(t0), false},
		{"no credentials_updated_at", objects.GateflowProvider{ProviderID: "openai", Configured: true, Enabled: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustDiff(t, objects.Snapshot{Gateflow: []objects.GateflowProvider{want}}, objects.Snapshot{Gateflow: []objects.GateflowProvider{tc.live}}, Options{})
			rs := p.Changes[0].Rotations
			if tc.rotate != (len(rs) > 0) {
				t.Fatalf("rotations %+v", rs)
			}
			if tc.rotate && len(rs) != 2 {
				t.Errorf("Gateflow replaces all credentials: want both sent, got %+v", rs)
			}
		})
	}
}

func TestGateflowCreateUpdateDelete(t *testing.T) {
	want := []objects.GateflowProvider{
		{Address: "gateflow_provider.o", ProviderID: "openai", Configured: true, Enabled: true, Settings: map[string]any{"timeout_ms": 5.0}},
		{Address: "gateflow_provider.a", ProviderID: "anthropic", Configured: true},
	}
	liveSide := []objects.GateflowProvider{
		{ProviderID: "openai", Configured: true, Enabled: true, Settings: map[string]any{"timeout_ms": 6.0}},
		{ProviderID: "anthropic"},
		{ProviderID: "cohere", Configured: true},
		{ProviderID: "mistral"},
	}
	p := mustDiff(t, objects.Snapshot{Gateflow: want}, objects.Snapshot{Gateflow: liveSide}, Options{PruneGateflow: true})
	got := actions(p)
	wantActions := map[string]plan.Action{
		"gateflow_provider.o": plan.ActionUpdate, "gateflow_provider.a": plan.ActionCreate,
		`undeclared.gateflow_provider["cohere"]`: plan.ActionDelete,
	}
	if d := cmp.Diff(wantActions, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	_, err := Diff(objects.Snapshot{Gateflow: []objects.GateflowProvider{{Address: "gateflow_provider.x", ProviderID: "nope"}}}, objects.Snapshot{}, Options{})
	if err == nil || !strings.Contains(err.Error(), `Gateflow has no provider "nope"`) {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestPruneNeedsAllDepartments(t *testing.T) {
	liveSide := []objects.GlowProvider{
		live("prv_in", "a", "d1"),
		live("prv_both", "b", "d1", "d2"),
		live("prv_mixed", "c", "d1", "d9"),
		live("prv_global", "d"),
	}
	p := mustDiff(t, objects.Snapshot{}, objects.Snapshot{Glow: liveSide}, Options{PruneDepartments: []string{"d2", "d1"}})
	got := actions(p)
	want := map[string]plan.Action{`undeclared.glow_provider["prv_in"]`: plan.ActionDelete, `undeclared.glow_provider["prv_both"]`: plan.ActionDelete}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(p.Unmanaged) != 2 {
		t.Errorf("unmanaged %+v", p.Unmanaged)
	}
}

func TestPreventDestroyAndTargets(t *testing.T) {
	a := desired("glow_provider.a", "a")
	a.PreventDestroy = true
	b := desired(`glow_provider.b["x"]`, "b")
	liveSide := objects.Snapshot{Glow: []objects.GlowProvider{owned("prv_a", "glow_provider.a", "a"), owned("prv_b", `glow_provider.b["x"]`, "b")}}
	_, err := Diff(objects.Snapshot{Glow: []objects.GlowProvider{a, b}}, liveSide, Options{Destroy: true, Owner: owner})
	if err == nil || !strings.Contains(err.Error(), "glow_provider.a has lifecycle.prevent_destroy set") {
		t.Fatalf("err = %v", err)
	}
	// Targeting away from the protected object lets the plan through.
	p := mustDiff(t, objects.Snapshot{Glow: []objects.GlowProvider{a, b}}, liveSide, Options{Destroy: true, Targets: []objects.Address{"glow_provider.b"}})
	if d := cmp.Diff(map[string]plan.Action{`glow_provider.b["x"]`: plan.ActionDelete}, actions(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(p.Warnings) == 0 || p.Warnings[0] != TargetingWarning {
		t.Errorf("warnings %+v", p.Warnings)
	}
}

func TestDriftNeedsBaseline(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Description = "new"
	got := owned("prv_a", "glow_provider.a", "a")
	d := objects.Snapshot{Glow: []objects.GlowProvider{want}}
	l := objects.Snapshot{Glow: []objects.GlowProvider{got}}

	p := mustDiff(t, d, l, Options{})
	if p.Changes[0].Drift || p.DriftBaseline {
		t.Error("drift without a baseline")
	}
	same := p.Digests()
	p = mustDiff(t, d, l, Options{Baseline: same})
	if !p.Changes[0].Drift || !p.DriftBaseline {
		t.Error("unchanged configuration: no drift reported")
	}
	p = mustDiff(t, d, l, Options{Baseline: map[string]string{"glow_provider.a": "sha256:other"}})
	if p.Changes[0].Drift {
		t.Error("changed configuration reported as drift")
	}
	// A new Vault version is a rotation, not a configuration change.
	d.Glow[0].Keys = objects.Keys{{Label: "k", Source: src("s/a", 1, t0)}}
	before := mustDiff(t, d, l, Options{}).Changes[0].DesiredDigest
	d.Glow[0].Keys.Set(objects.KeyState{Label: "k", Source: src("s/a", 2, t1)})
	if after := mustDiff(t, d, l, Options{}).Changes[0].DesiredDigest; before != after {
		t.Error("a new Vault version moved the digest")
	}
}

func TestInUseWarning(t *testing.T) {
	l := live("prv_a", "a", "d1")
	l.ModelUsageCount, l.ModelIDs = 2, objects.NewSet("m2", "m1")
	p := mustDiff(t, objects.Snapshot{}, objects.Snapshot{Glow: []objects.GlowProvider{l}}, Options{PruneDepartments: []string{"d1"}})
	c := p.Changes[0]
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Detail, "m1, m2") || c.ModelUsageCount != 2 {
		t.Errorf("warnings %+v", c.Warnings)
	}

	// With the model search's answer in the snapshot, the models are named.
	live := objects.Snapshot{Glow: []objects.GlowProvider{l}, GlowModels: []objects.LiveModel{{ID: "m1", Name: "gpt-chat", ProviderID: "prv_a"}}}
	c = mustDiff(t, objects.Snapshot{}, live, Options{PruneDepartments: []string{"d1"}}).Changes[0]
	if want := []plan.Model{{ID: "m1", Name: "gpt-chat"}, {ID: "m2"}}; !reflect.DeepEqual(c.InUseByModels, want) {
		t.Errorf("in_use_by_models %+v, want %+v", c.InUseByModels, want)
	}
	if !strings.Contains(c.Warnings[0].Detail, `"gpt-chat" (m1), m2`) {
		t.Errorf("detail %q does not name the model", c.Warnings[0].Detail)
	}
}

// synthetic builds n desired providers and their live counterparts; every
// tenth differs, every hundredth has a new key version.
func synthetic(n int) (objects.Snapshot, objects.Snapshot) {
	var d, l objects.Snapshot
	for i := range n {
		dep := fmt.Sprintf("dep_%d", i%50)
		w := objects.GlowProvider{
			Address: objects.Address(fmt.Sprintf("glow_provider.p%d", i)), Name: fmt.Sprintf("provider-%d", i),
			Description: "synthetic", Departments: objects.NewSet(dep, "dep_all"),
			Endpoints: objects.NewSet(fmt.Sprintf("https://e%d.example.com", i%20)),
			Values:    map[string]string{"team": "t", "idx": fmt.Sprint(i)},
			Keys:      objects.Keys{{Label: "primary", Source: src(fmt.Sprintf("secret/p%d", i), 2, t0)}},
		}
		g := w
		g.Address, g.ID, g.Version = "", fmt.Sprintf("prv_%06d", i), 3
		g.Ownership = objects.Ownership{Marker: &objects.OwnerMarker{Owner: owner, Address: w.Address}}
		g.Keys = objects.Keys{markedKey("k", "primary", src(fmt.Sprintf("secret/p%d", i), 2, t0))}
		if i%10 == 0 {
			g.Description = "edited"
		}
		if i%100 == 0 {
			w.Keys = objects.Keys{{Label: "primary", Source: src(fmt.Sprintf("secret/p%d", i), 3, t1)}}
		}
		d.Glow = append(d.Glow, w)
		l.Glow = append(l.Glow, g)
	}
	return d, l
}

func TestSynthetic(t *testing.T) {
	d, l := synthetic(1000)
	p := mustDiff(t, d, l, Options{})
	if p.Summary.Change != 100 || p.Summary.Rotate != 10 || len(p.Changes) != 1000 {
		t.Errorf("summary %+v", p.Summary)
	}
}

func BenchmarkDiff10000(b *testing.B) {
	d, l := synthetic(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Diff(d, l, Options{Now: t0, Owner: owner}); err != nil {
			b.Fatal(err)
		}
	}
}

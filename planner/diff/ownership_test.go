package diff

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/secretref"
)

func glowSnap(ps ...objects.GlowProvider) objects.Snapshot { return objects.Snapshot{Glow: ps} }

func diffErr(t *testing.T, d, l objects.Snapshot, opts Options) string {
	t.Helper()
	if opts.Owner == "" {
		opts.Owner = owner
	}
	_, err := Diff(d, l, opts)
	if err == nil {
		t.Fatal("the plan succeeded; want an error")
	}
	return err.Error()
}

// Changing a marked provider's name and departments is an update in
// place: the id and the models that use it stay.
func TestRenameIsAnUpdateInPlace(t *testing.T) {
	want := desired("glow_provider.a", "B", "math")
	got := owned("prv_1", "glow_provider.a", "A", "cs")
	p := mustDiff(t, glowSnap(want), glowSnap(got), Options{})
	c := p.Changes[0]
	if c.Action() != plan.ActionUpdate || c.ID != "prv_1" || fieldNames(c) != "name,departments" {
		t.Fatalf("%v id %s fields %s", c.Actions, c.ID, fieldNames(c))
	}
	if f := c.Fields[0]; f.Before != "A" || f.After != "B" {
		t.Errorf("name change %v -> %v", f.Before, f.After)
	}
	if p.Summary != (plan.Summary{Change: 1}) {
		t.Errorf("summary %+v", p.Summary)
	}
}

// Renaming the block label keeps the object: its marker names the old
// address, which the configuration no longer declares.
func TestBlockLabelRenameMoves(t *testing.T) {
	want := desired("glow_provider.renamed", "A", "cs")
	got := owned("prv_1", "glow_provider.original", "A", "cs")
	p := mustDiff(t, glowSnap(want), glowSnap(got), Options{})
	if len(p.Changes) != 1 {
		t.Fatalf("changes %+v", p.Changes)
	}
	c := p.Changes[0]
	if c.Address != "glow_provider.renamed" {
		t.Errorf("Address = %q, want %q", c.Address, "glow_provider.renamed")
	}
	if c.Action() != plan.ActionUpdate {
		t.Errorf("Action() = %v, want %v", c.Action(), plan.ActionUpdate)
	}
	if c.PreviousAddress != "glow_provider.original" {
		t.Errorf("PreviousAddress = %q, want %q", c.PreviousAddress, "glow_provider.original")
	}
	if c.ID != "prv_1" {
		t.Errorf("ID = %q, want %q", c.ID, "prv_1")
	}
	if c.Marker == nil || c.Marker.Address != "glow_provider.renamed" {
		t.Errorf("marker %+v: the move must rewrite it", c.Marker)
	}
}

func TestNoSilentAdoption(t *testing.T) {
	want := desired("glow_provider.a", "OpenAI", "cs")
	hand := live("prv_hand", "OpenAI", "cs", "math")
	msg := diffErr(t, glowSnap(want), glowSnap(hand), Options{})
	for _, s := range []string{"glow_provider.a", "prv_hand", `"OpenAI"`, "departments cs, math", "switchboard import", `id = "prv_hand"`, "adopt = true"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}

	// adopt = true makes it an adoption, listing every field it changes.
	want.Adopt = true
	hand.Values = map[string]string{"x": "1"}
	hand.Description = "made by hand"
	p := mustDiff(t, glowSnap(want), glowSnap(hand), Options{})
	c := p.Changes[0]
	if c.Adopt == nil || c.Adopt.Reason != "adopt" || c.Action() != plan.ActionUpdate {
		t.Fatalf("adopt %+v actions %v", c.Adopt, c.Actions)
	}
	if got := fieldNames(c); got != "description,departments,values" {
		t.Errorf("fields %s", got)
	}
	if c.Marker == nil || c.Marker.Owner != owner {
		t.Errorf("marker %+v", c.Marker)
	}
	if p.Summary.Adopt != 1 || p.Summary.Change != 1 {
		t.Errorf("summary %+v", p.Summary)
	}
}

func TestOtherOwnersObjectsAreNeverTouched(t *testing.T) {
	theirs := live("prv_t", "OpenAI", "cs")
	theirs.Ownership = objects.Ownership{Marker: &objects.OwnerMarker{Owner: "other-team", Address: "glow_provider.x"}}
	msg := diffErr(t, glowSnap(desired("glow_provider.a", "OpenAI", "cs")), glowSnap(theirs), Options{})
	if !strings.Contains(msg, `configuration "other-team"`) || !strings.Contains(msg, "adopt = true") {
		t.Errorf("error: %s", msg)
	}
	// Not declared here: unmanaged, never destroyed, even in its departments
	// when the configuration prunes them.
	p := mustDiff(t, objects.Snapshot{}, glowSnap(theirs), Options{PruneDepartments: []string{"cs"}})
	if len(p.Changes) != 0 || len(p.Unmanaged) != 1 || p.Unmanaged[0].Owner != "other-team" {
		t.Errorf("changes %+v unmanaged %+v", p.Changes, p.Unmanaged)
	}
	// A marker that is not ours and not valid is never adopted by name.
	broken := live("prv_b", "OpenAI", "cs")
	broken.Ownership = objects.Ownership{Invalid: "ownership marker is not valid"}
	if msg := diffErr(t, glowSnap(desired("glow_provider.a", "OpenAI", "cs")), glowSnap(broken), Options{}); !strings.Contains(msg, "unknown owner") {
		t.Errorf("invalid marker: %s", msg)
	}
}

func TestRemovedBlocksAreDestroyed(t *testing.T) {
	kept := owned("prv_k", "glow_provider.kept", "kept", "cs")
	gone := owned("prv_g", `glow_provider.gone["x"]`, "gone", "cs", "math")
	hand := live("prv_h", "hand", "cs")
	p := mustDiff(t, glowSnap(desired("glow_provider.kept", "kept", "cs")), glowSnap(kept, gone, hand), Options{})
	want := map[string]plan.Action{"glow_provider.kept": plan.ActionNoOp, `glow_provider.gone["x"]`: plan.ActionDelete}
	if d := cmp.Diff(want, actions(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	c := p.Changes[slicesIndex(p.Changes, `glow_provider.gone["x"]`)]
	if c.ActionReason != plan.ReasonRemoved || c.ProviderName != "gone" || strings.Join(c.Departments, ",") != "cs,math" {
		t.Errorf("reason %q name %q departments %v", c.ActionReason, c.ProviderName, c.Departments)
	}
	if len(p.Unmanaged) != 1 || p.Unmanaged[0].ID != "prv_h" {
		t.Errorf("unmanaged %+v: a provider made by hand is never destroyed", p.Unmanaged)
	}

	// --target selects the destroy of one removed address.
	p = mustDiff(t, glowSnap(), glowSnap(kept, gone), Options{Targets: []objects.Address{`glow_provider.gone["x"]`}})
	if d := cmp.Diff(map[string]plan.Action{`glow_provider.gone["x"]`: plan.ActionDelete}, actions(p)); d != "" {
		t.Errorf("targeted (-want +got):\n%s", d)
	}

	// prevent_destroy survives the removal of its block.
	gone.Ownership.Marker.PreventDestroy = true
	msg := diffErr(t, glowSnap(desired("glow_provider.kept", "kept", "cs")), glowSnap(kept, gone), Options{})
	if !strings.Contains(msg, `glow_provider.gone["x"]`) || !strings.Contains(msg, "prevent_destroy") {
		t.Errorf("error: %s", msg)
	}
}

func TestPreventDestroyIsRecordedInTheMarker(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.PreventDestroy = true
	p := mustDiff(t, glowSnap(want), glowSnap(owned("prv_1", "glow_provider.a", "a")), Options{})
	c := p.Changes[0]
	if fieldNames(c) != "prevent_destroy" || c.Marker == nil || !c.Marker.PreventDestroy {
		t.Errorf("fields %s marker %+v", fieldNames(c), c.Marker)
	}
	// And a create records it from the start.
	p = mustDiff(t, glowSnap(want), glowSnap(), Options{})
	if m := p.Changes[0].Marker; m == nil || !m.PreventDestroy || m.Address != "glow_provider.a" {
		t.Errorf("create marker %+v", m)
	}
}

// Glow replaces values whole: a values write must carry the marker, or it
// would erase it.
func TestValuesWriteCarriesTheMarker(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Values = map[string]string{"x": "2"}
	got := owned("prv_1", "glow_provider.a", "a")
	got.Values = map[string]string{"x": "1"}
	c := mustDiff(t, glowSnap(want), glowSnap(got), Options{}).Changes[0]
	if c.Marker == nil || c.Marker.Address != "glow_provider.a" {
		t.Errorf("marker %+v", c.Marker)
	}
	// A description change does not write values, so not the marker.
	want.Values = got.Values
	want.Description = "new"
	if c := mustDiff(t, glowSnap(want), glowSnap(got), Options{}).Changes[0]; c.Marker != nil {
		t.Errorf("marker %+v on a description change", c.Marker)
	}
}

func TestPruneDepartmentsClaimUnmarkedProviders(t *testing.T) {
	hand := live("prv_h", "OpenAI", "cs")
	p := mustDiff(t, glowSnap(desired("glow_provider.a", "OpenAI", "cs")), glowSnap(hand), Options{PruneDepartments: []string{"cs"}})
	if c := p.Changes[0]; c.Adopt == nil || c.Adopt.Reason != "prune_departments" {
		t.Errorf("adopt %+v", c.Adopt)
	}
}

func TestScopedTokenCannotPlanCreatesItCannotSee(t *testing.T) {
	scope := &objects.TokenScope{Known: true, Scoped: true, Departments: objects.NewSet("cs")}
	msg := diffErr(t, glowSnap(desired("glow_provider.m", "Math", "cs", "math"), desired("glow_provider.g", "Global")), glowSnap(), Options{Scope: scope})
	for _, s := range []string{"glow_provider.m", "glow_provider.g", "scoped to departments cs", "departments cs, math", "no departments"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	if p := mustDiff(t, glowSnap(desired("glow_provider.c", "CS", "cs")), glowSnap(), Options{Scope: scope}); p.Summary.Add != 1 {
		t.Errorf("in scope: %+v", p.Summary)
	}
	p := mustDiff(t, glowSnap(desired("glow_provider.c", "CS", "cs")), glowSnap(), Options{Scope: &objects.TokenScope{}})
	if len(p.Warnings) != 1 || p.Warnings[0] != ScopeUnknownWarning {
		t.Errorf("unknown scope: warnings %+v", p.Warnings)
	}
}

func TestOrphans(t *testing.T) {
	src := secretref.Source{VaultPath: "secret/a", VaultKey: "k", Version: 1}
	ours := secretref.OwnedKeyName("primary", src, owner)
	attached := owned("prv_1", "glow_provider.a", "a")
	attached.Keys = objects.Keys{{Label: "primary", KeyID: "key_used", Name: ours, Source: src, Marked: true, Owner: owner}}
	attached.EndpointIDs = objects.NewSet("ep_used")
	l := glowSnap(attached)
	l.GlowKeys = []objects.LiveKey{
		{ID: "key_used", Name: ours},
		{ID: "key_orphan", Name: ours},
		{ID: "key_theirs", Name: secretref.OwnedKeyName("primary", src, "other")},
		{ID: "key_old", Name: secretref.KeyName("primary", src)},
		{ID: "key_hand", Name: "made by hand"},
	}
	l.GlowEndpoints = []objects.LiveEndpoint{
		{ID: "ep_used", URL: "https://a", Name: objects.EndpointName(owner)},
		{ID: "ep_orphan", URL: "https://b", Name: objects.EndpointName(owner)},
		{ID: "ep_hand", URL: "https://c"},
	}
	l.GlowDrafts = []objects.LiveDraft{
		{ID: "dr_ours", ProviderID: "prv_1", Ownership: attached.Ownership},
		{ID: "dr_hand", ProviderID: "prv_9"},
	}
	p := mustDiff(t, glowSnap(desired("glow_provider.a", "a")), l, Options{})
	var got []string
	for _, o := range p.Orphans {
		got = append(got, o.Kind+":"+o.ID)
	}
	if d := cmp.Diff([]string{"draft:dr_ours", "endpoint:ep_orphan", "key:key_orphan"}, got); d != "" {
		t.Errorf("orphans (-want +got):\n%s", d)
	}
	if !p.HasChanges() || p.Summary.Orphans != 3 {
		t.Errorf("summary %+v", p.Summary)
	}
	if p := mustDiff(t, glowSnap(desired("glow_provider.a", "a")), l, Options{Targets: []objects.Address{"glow_provider.a"}}); len(p.Orphans) != 0 {
		t.Errorf("a targeted plan collects nothing: %+v", p.Orphans)
	}
}

// A rotation caused by a new Vault version is never drift, even with a
// baseline that shows the configuration unchanged.
func TestRotationIsNeverDrift(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Keys = objects.Keys{{Label: "k", Source: src("s/a", 2, t1)}}
	got := owned("prv_1", "glow_provider.a", "a")
	got.Keys = objects.Keys{markedKey("key1", "k", src("s/a", 1, t0))}
	d, l := glowSnap(want), glowSnap(got)
	baseline := mustDiff(t, d, l, Options{}).Digests()
	c := mustDiff(t, d, l, Options{Baseline: baseline}).Changes[0]
	if len(c.Rotations) != 1 || c.Drift {
		t.Errorf("rotations %d drift %v %v", len(c.Rotations), c.Drift, c.DriftReasons)
	}
}

// A value Glow holds as a number or a boolean is shown as it is, and the
// configuration's string replaces it; the values write carries the marker.
func TestNonStringValuesAreShownAsTheyAre(t *testing.T) {
	want := desired("glow_provider.a", "a")
	want.Values = map[string]string{"timeout_s": "30"}
	got := owned("prv_1", "glow_provider.a", "a")
	got.OtherValues = map[string]json.RawMessage{"timeout_s": json.RawMessage(`30`), "beta": json.RawMessage(`true`)}
	c := mustDiff(t, glowSnap(want), glowSnap(got), Options{}).Changes[0]
	if fieldNames(c) != "values" || c.Marker == nil {
		t.Fatalf("fields %s marker %+v", fieldNames(c), c.Marker)
	}
	entries := map[string]plan.EntryChange{}
	for _, e := range c.Fields[0].Entries {
		entries[e.Key] = e
	}
	if e := entries["timeout_s"]; e.Action != plan.ActionUpdate || e.Before != float64(30) || e.After != "30" {
		t.Errorf("timeout_s: %+v", e)
	}
	if e := entries["beta"]; e.Action != plan.ActionDelete || e.Before != true {
		t.Errorf("beta: %+v", e)
	}
}

package objects

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/secretref"
)

func TestOwnerMarker(t *testing.T) {
	m := OwnerMarker{Owner: "platform-team", Address: `glow_provider.x["a\"b"]`, PreventDestroy: true}
	values, own := SplitMarker(WithMarker(map[string]string{"tier": "gold"}, m))
	if own.Marker == nil {
		t.Fatalf("ownership %+v: Marker = nil, want %+v", own, m)
	}
	if *own.Marker != m {
		t.Fatalf("Marker = %+v, want %+v", *own.Marker, m)
	}
	if len(values) != 1 {
		t.Fatalf("values %v: %d values, want 1", values, len(values))
	}
	if values["tier"] != "gold" {
		t.Fatalf("values[tier] = %q, want %q", values["tier"], "gold")
	}
	for _, bad := range []string{"", "{}", `{"owner":"a b","address":"x"}`, `{"owner":"a","address":"x","extra":1}`, `{"owner":"a","address":"x"} {}`, strings.Repeat("x", 5000)} {
		_, own := SplitMarker(map[string]string{MarkerKey: bad})
		if own.Invalid == "" {
			t.Errorf("marker %.40q: Invalid is empty, want a reason", bad)
		}
		if own.Marker != nil {
			t.Errorf("marker %.40q: Marker = %+v, want nil", bad, *own.Marker)
		}
		if own.Unmarked() {
			t.Errorf("marker %.40q: Unmarked() = true, want false", bad)
		}
		if own.OwnedBy("a") {
			t.Errorf("marker %.40q: OwnedBy(a) = true, want false", bad)
		}
	}
	if _, own := SplitMarker(map[string]string{"x": "1"}); !own.Unmarked() {
		t.Errorf("no marker: %+v", own)
	}
	if EndpointOwner(EndpointName("team")) != "team" || EndpointOwner("switchboard") != "" || EndpointOwner("") != "" {
		t.Error("endpoint owner")
	}
}

func TestAddress(t *testing.T) {
	a := Address(`glow_provider.claude["prod.eu"]`)
	if a.Type() != "glow_provider" || a.Name() != `claude["prod.eu"]` || a.Resource() != "glow_provider.claude" {
		t.Errorf("type %q name %q resource %q", a.Type(), a.Name(), a.Resource())
	}
	for target, want := range map[Address]bool{
		"glow_provider.claude": true, `glow_provider.claude["prod.eu"]`: true,
		`glow_provider.claude["dev"]`: false, "glow_provider.clau": false, "glow_provider": false,
	} {
		if got := a.Matches(target); got != want {
			t.Errorf("Matches(%s) = %v, want %v", target, got, want)
		}
	}
	u := UndeclaredAddress(TypeGlowProvider, "prv_1")
	if u.Type() != TypeGlowProvider || !u.Matches("undeclared.glow_provider") {
		t.Errorf("undeclared %s: type %q", u, u.Type())
	}
}

func TestGlowFromLive(t *testing.T) {
	p := glow.Provider{
		ID: "prv_1", Name: "openai", DepartmentIDs: []string{"d2", "d1", "d2"},
		EndpointIDs: []string{"e2", "e1"}, KeyIDs: []string{"k3", "k1", "k2", "k4"},
		Values: map[string]string{}, Version: 4, ModelUsageCount: 1, ModelIDs: []string{"m1"},
	}
	urls := map[string]string{"e1": "https://a", "e2": "https://b"}
	keys := map[string]glow.Key{
		"k1": {ID: "k1", Name: "primary (vault:secret/x#api_key@v2)"},
		"k2": {ID: "k2", Name: "primary"},
		"k3": {ID: "k3", Name: "manual"},
		"k4": {ID: "k4", Name: "fallback (terraform:v5)"},
	}
	got, err := GlowFromLive(p, urls, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := GlowProvider{
		ID: "prv_1", Name: "openai", Departments: Set{"d1", "d2"}, Endpoints: Set{"https://a", "https://b"},
		Keys: Keys{
			{Label: "fallback", Source: secretref.Source{TerraformVersion: 5}, KeyID: "k4", Name: "fallback (terraform:v5)", Marked: true},
			{Label: "manual", KeyID: "k3", Name: "manual"},
			{Label: "primary", Source: secretref.Source{VaultPath: "secret/x", VaultKey: "api_key", Version: 2}, KeyID: "k1", Name: "primary (vault:secret/x#api_key@v2)", Marked: true},
			{Label: "primary [k2]", KeyID: "k2", Name: "primary"},
		},
		EndpointIDs: Set{"e1", "e2"}, ModelUsageCount: 1, ModelIDs: Set{"m1"}, Version: 4,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := GlowFromLive(p, map[string]string{"e1": "https://a"}, keys); err == nil || !strings.Contains(err.Error(), "endpoint e2") {
		t.Errorf("missing endpoint: err = %v", err)
	}
	if _, err := GlowFromLive(p, urls, map[string]glow.Key{}); err == nil || !strings.Contains(err.Error(), "key k1") {
		t.Errorf("missing key: err = %v", err)
	}
}

func TestGateflowFromLive(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := GateflowFromLive(gateflow.Provider{
		ID: "openai", Status: gateflow.StatusDisabled, Configured: true, CredentialsUpdatedAt: &at,
		Settings: map[string]any{"timeout_ms": float64(3000), "base_url": "https://x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled {
		t.Errorf("Enabled = true, want false")
	}
	if !got.Configured {
		t.Errorf("Configured = false, want true")
	}
	if got.CredentialsUpdatedAt.Compare(at) != 0 {
		t.Errorf("CredentialsUpdatedAt = %v, want %v", got.CredentialsUpdatedAt, at)
	}
	if got.Settings["timeout_ms"] != float64(3000) {
		t.Errorf("Settings[timeout_ms] = %#v, want float64(3000)", got.Settings["timeout_ms"])
	}
	if _, err := GateflowFromLive(gateflow.Provider{ID: "openai", Settings: map[string]any{"x": []any{1}}}); err == nil {
		t.Error("nested setting accepted")
	}
}

func TestNormalizeSettings(t *testing.T) {
	got, err := NormalizeSettings(map[string]any{"a": 3, "b": int64(4), "c": "x", "d": true, "e": float32(1.5)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": 3.0, "b": 4.0, "c": "x", "d": true, "e": 1.5}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestModuleAddresses(t *testing.T) {
	a := Address(`module.team["c.s[1]"].module.keys.glow_provider.openai["k.x"]`)
	for _, c := range []struct{ part, got, want string }{
		{"module", a.Module(), `module.team["c.s[1]"].module.keys`},
		{"type", a.Type(), "glow_provider"},
		{"name", a.Name(), `openai["k.x"]`},
		{"resource", string(a.Resource()), `module.team["c.s[1]"].module.keys.glow_provider.openai`},
	} {
		if c.got != c.want {
			t.Errorf("%s of %s = %q, want %q", c.part, a, c.got, c.want)
		}
	}
	for target, want := range map[Address]bool{
		`module.team`:                                  true,
		`module.team["c.s[1]"]`:                        true,
		`module.team["cs"]`:                            false,
		`module.team["c.s[1]"].module.keys`:            true,
		`module.team.module.keys`:                      true,
		`module.keys`:                                  false,
		`module.team.module.keys.glow_provider.openai`: true,
		`module.team.glow_provider.openai`:             false,
		`glow_provider.openai`:                         false,
		`module.team["c.s[1]"].module.keys.glow_provider.openai["other"]`: false,
	} {
		if got := a.Matches(target); got != want {
			t.Errorf("%s matches %s: %v, want %v", a, target, got, want)
		}
	}
	if !Address(`glow_provider.x["a"]`).Matches(`glow_provider.x`) || Address(`module.m.glow_provider.x`).Matches(`glow_provider.x`) {
		t.Error("root addresses")
	}
}

func TestOwnerIdentityInMarkersAndNames(t *testing.T) {
	m := NewOwnerMarker("platform/staging", "module.team[\"cs\"].glow_provider.openai", false)
	if m.Owner != "platform" || m.Environment != "staging" || m.Identity() != "platform/staging" {
		t.Fatalf("marker %+v", m)
	}
	got, err := ParseOwnerMarker(m.Encode())
	if err != nil || got != m {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	old, err := ParseOwnerMarker(`{"owner":"platform","address":"glow_provider.x"}`)
	if err != nil || old.Identity() != "platform" || (Ownership{Marker: &old}).OwnedBy("platform/staging") {
		t.Errorf("a marker without environment: %+v %v", old, err)
	}
	if _, err := ParseOwnerMarker(`{"owner":"platform","environment":"a/b","address":"glow_provider.x"}`); err == nil {
		t.Error("an environment with '/' was accepted")
	}
	if (Ownership{Marker: &m}).OwnedBy("platform") {
		t.Error("staging's marker is owned by the environment \"\"")
	}
	name := secretref.OwnedKeyName("primary", secretref.Source{VaultPath: "secret/x", VaultKey: "k", Version: 2}, "platform/staging")
	if _, _, owner, ok := secretref.ParseOwnedKeyName(name); !ok || owner != "platform/staging" {
		t.Errorf("key name %q gives owner %q", name, owner)
	}
	if _, _, owner, ok := secretref.ParseOwnedKeyName("primary (vault:secret/x#k@v2 owner:platform)"); !ok || owner != "platform" {
		t.Errorf("an old key name gives owner %q", owner)
	}
	if EndpointOwner(EndpointName("platform/prod")) != "platform/prod" || EndpointOwner("switchboard (owner:platform)") != "platform" {
		t.Error("endpoint names")
	}
	if DescribeOwner("platform/prod") != `configuration "platform" in environment "prod"` {
		t.Error(DescribeOwner("platform/prod"))
	}
}

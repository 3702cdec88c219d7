package state

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
)

func TestKeyNameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		label string
		src   SecretSource
		name  string
	}{
		{"primary", SecretSource{VaultPath: "secret/llm/openai", VaultKey: "api_key", Version: 3}, "primary (vault:secret/llm/openai#api_key@v3)"},
		{"primary", SecretSource{VaultPath: "kv1/llm/openai", VaultKey: "api_key"}, "primary (vault:kv1/llm/openai#api_key)"},
		{"fallback", SecretSource{Env: "OPENAI_KEY"}, "fallback (env:OPENAI_KEY)"},
		{"odd (label)", SecretSource{VaultPath: "secret/a#b@c(d)", VaultKey: "k%1", Version: 12}, "odd (label) (vault:secret/a%23b%40c%28d%29#k%251@v12)"},
		{"primary", SecretSource{TerraformVersion: 1}, "primary (terraform:v1)"},
		{"primary", SecretSource{TerraformVersion: 20240501}, "primary (terraform:v20240501)"},
		{"max", SecretSource{TerraformVersion: math.MaxInt64}, "max (terraform:v9223372036854775807)"},
		{"a (terraform:v1)", SecretSource{TerraformVersion: 2}, "a (terraform:v1) (terraform:v2)"},
		{"multi\nline", SecretSource{TerraformVersion: 7}, "multi\nline (terraform:v7)"},
	} {
		got := KeyName(tc.label, tc.src)
		if got != tc.name {
			t.Errorf("KeyName(%q, %+v) = %q, want %q", tc.label, tc.src, got, tc.name)
		}
		label, src, ok := ParseKeyName(got)
		if !ok || label != tc.label || src != tc.src {
			t.Errorf("ParseKeyName(%q) = %q, %+v, %v; want %q, %+v, true", got, label, src, ok, tc.label, tc.src)
		}
	}
}

func TestOwnedKeyNameRoundTrip(t *testing.T) {
	src := SecretSource{VaultPath: "secret/my path", VaultKey: "api_key", Version: 3}
	name := OwnedKeyName("primary", src, "platform-team")
	if name != "primary (vault:secret/my%20path#api_key@v3 owner:platform-team)" {
		t.Errorf("name %q", name)
	}
	label, got, owner, ok := ParseOwnedKeyName(name)
	if !ok || label != "primary" || got != src || owner != "platform-team" {
		t.Errorf("ParseOwnedKeyName(%q) = %q, %+v, %q, %v", name, label, got, owner, ok)
	}
	// Names written before owners existed still parse, without an owner.
	if _, _, owner, ok := ParseOwnedKeyName("primary (vault:secret/x#api_key@v2)"); !ok || owner != "" {
		t.Errorf("old name: owner %q ok %v", owner, ok)
	}
	for _, bad := range []string{"x (vault:a#b owner:)", "x (vault:a#b owner:a b)", "x (vault:a#b owner:" + strings.Repeat("o", 65) + ")"} {
		if _, _, _, ok := ParseOwnedKeyName(bad); ok {
			t.Errorf("ParseOwnedKeyName(%q) accepted", bad)
		}
	}
}

func TestOwnerMarker(t *testing.T) {
	m := OwnerMarker{Owner: "platform-team", Address: `glow_provider.x["a\"b"]`, PreventDestroy: true}
	values, own := SplitMarker(WithMarker(map[string]string{"tier": "gold"}, m))
	if own.Marker == nil || *own.Marker != m || len(values) != 1 || values["tier"] != "gold" {
		t.Fatalf("values %v ownership %+v", values, own)
	}
	for _, bad := range []string{"", "{}", `{"owner":"a b","address":"x"}`, `{"owner":"a","address":"x","extra":1}`, `{"owner":"a","address":"x"} {}`, strings.Repeat("x", 5000)} {
		_, own := SplitMarker(map[string]string{MarkerKey: bad})
		if own.Invalid == "" || own.Marker != nil || own.Unmarked() || own.OwnedBy("a") {
			t.Errorf("marker %.40q: ownership %+v", bad, own)
		}
	}
	if _, own := SplitMarker(map[string]string{"x": "1"}); !own.Unmarked() {
		t.Errorf("no marker: %+v", own)
	}
	if EndpointOwner(EndpointName("team")) != "team" || EndpointOwner("switchboard") != "" || EndpointOwner("") != "" {
		t.Error("endpoint owner")
	}
}

func TestParseKeyNameWithoutMarker(t *testing.T) {
	for _, name := range []string{
		"primary", "primary (made by hand)", "(vault:a#b@v1)", "x (vault:a#b@v0)", "x (vault:#b@v1)",
		"x (vault:a#@v1)", "x (vault:a#b@v1) ", "x (vault:a%2#b)", "x (env:)", "x (vault:a#b@v01)",
		"(terraform:v1)", "x (terraform:v0)", "x (terraform:v-1)", "x (terraform:v01)", "x (terraform:)",
		"x (terraform:1)", "x (terraform:v1) ", "x (terraform:v1x)", "x (Terraform:v1)",
		"x (terraform:v9223372036854775808)", "x (terraform:v12345678901234567890)",
	} {
		label, src, ok := ParseKeyName(name)
		if ok || label != name || !src.IsZero() {
			t.Errorf("ParseKeyName(%q) = %q, %+v, %v; want no marker", name, label, src, ok)
		}
	}
}

func TestTerraformSource(t *testing.T) {
	tf := SecretSource{TerraformVersion: 3}
	if tf.IsZero() {
		t.Error("terraform source is zero")
	}
	if got := tf.String(); got != "terraform:v3" {
		t.Errorf("String() = %q", got)
	}
	if !tf.SameOrigin(SecretSource{TerraformVersion: 3}) {
		t.Error("terraform:v3 differs from itself")
	}
	for _, o := range []SecretSource{
		{TerraformVersion: 4},
		{},
		{VaultPath: "secret/x", VaultKey: "api_key", Version: 3},
		{Env: "KEY"},
	} {
		if tf.SameOrigin(o) || o.SameOrigin(tf) {
			t.Errorf("terraform:v3 has the same origin as %s", o)
		}
	}
	b, err := json.Marshal(tf)
	if err != nil || string(b) != `{"terraform_version":3}` {
		t.Errorf("json %s, %v", b, err)
	}
	b, err = json.Marshal(SecretSource{Env: "KEY"})
	if err != nil || string(b) != `{"env":"KEY"}` {
		t.Errorf("json %s, %v", b, err)
	}
}

func FuzzKeyName(f *testing.F) {
	f.Add("primary", "secret/llm/openai", "api_key", 3, "", int64(0))
	f.Add("a (b)", "p#q", "k@", 0, "", int64(0))
	f.Add("x", "", "", 0, "ENV", int64(0))
	f.Add("primary", "", "", 0, "", int64(1))
	f.Add("a (terraform:v1)", "", "", 0, "", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, label, path, key string, version int, env string, tfVersion int64) {
		src := SecretSource{VaultPath: path, VaultKey: key, Version: version, Env: env}
		switch {
		case env != "":
			src = SecretSource{Env: env}
		case tfVersion != 0:
			if tfVersion < 0 {
				return
			}
			src = SecretSource{TerraformVersion: tfVersion}
		}
		if label == "" || version < 0 || version > 999_999_999 || (env == "" && tfVersion == 0 && (path == "" || key == "")) {
			return
		}
		l, s, ok := ParseKeyName(KeyName(label, src))
		if !ok || l != label || s != src {
			t.Fatalf("round trip of %q %+v gave %q %+v %v", label, src, l, s, ok)
		}
	})
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
		Keys: map[string]KeyState{
			"primary":      {Source: SecretSource{VaultPath: "secret/x", VaultKey: "api_key", Version: 2}, KeyID: "k1", Name: "primary (vault:secret/x#api_key@v2)", Marked: true},
			"primary [k2]": {KeyID: "k2", Name: "primary"},
			"manual":       {KeyID: "k3", Name: "manual"},
			"fallback":     {Source: SecretSource{TerraformVersion: 5}, KeyID: "k4", Name: "fallback (terraform:v5)", Marked: true},
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
	if got.Enabled || !got.Configured || got.CredentialsUpdatedAt.Compare(at) != 0 || got.Settings["timeout_ms"] != float64(3000) {
		t.Errorf("got %+v", got)
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

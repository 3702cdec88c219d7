package secretref

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestKeyNameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		label string
		src   Source
		name  string
	}{
		{"primary", Source{VaultPath: "secret/llm/openai", VaultKey: "api_key", Version: 3}, "primary (vault:secret/llm/openai#api_key@v3)"},
		{"primary", Source{VaultPath: "kv1/llm/openai", VaultKey: "api_key"}, "primary (vault:kv1/llm/openai#api_key)"},
		{"fallback", Source{Env: "OPENAI_KEY"}, "fallback (env:OPENAI_KEY)"},
		{"odd (label)", Source{VaultPath: "secret/a#b@c(d)", VaultKey: "k%1", Version: 12}, "odd (label) (vault:secret/a%23b%40c%28d%29#k%251@v12)"},
		{"primary", Source{TerraformVersion: 1}, "primary (terraform:v1)"},
		{"primary", Source{TerraformVersion: 20240501}, "primary (terraform:v20240501)"},
		{"max", Source{TerraformVersion: math.MaxInt64}, "max (terraform:v9223372036854775807)"},
		{"a (terraform:v1)", Source{TerraformVersion: 2}, "a (terraform:v1) (terraform:v2)"},
		{"multi\nline", Source{TerraformVersion: 7}, "multi\nline (terraform:v7)"},
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
	src := Source{VaultPath: "secret/my path", VaultKey: "api_key", Version: 3}
	name := OwnedKeyName("primary", src, "platform-team")
	if name != "primary (vault:secret/my%20path#api_key@v3 owner:platform-team)" {
		t.Errorf("name %q", name)
	}
	label, got, owner, ok := ParseOwnedKeyName(name)
	if !ok {
		t.Fatalf("ParseOwnedKeyName(%q) does not parse its own output", name)
	}
	if label != "primary" {
		t.Errorf("ParseOwnedKeyName(%q): label %q, want %q", name, label, "primary")
	}
	if got != src {
		t.Errorf("ParseOwnedKeyName(%q): source %+v, want %+v", name, got, src)
	}
	if owner != "platform-team" {
		t.Errorf("ParseOwnedKeyName(%q): owner %q, want %q", name, owner, "platform-team")
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
	tf := Source{TerraformVersion: 3}
	if tf.IsZero() {
		t.Error("terraform source is zero")
	}
	if got := tf.String(); got != "terraform:v3" {
		t.Errorf("String() = %q", got)
	}
	if !tf.SameOrigin(Source{TerraformVersion: 3}) {
		t.Error("terraform:v3 differs from itself")
	}
	for _, o := range []Source{
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
	b, err = json.Marshal(Source{Env: "KEY"})
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
		src := Source{VaultPath: path, VaultKey: key, Version: version, Env: env}
		switch {
		case env != "":
			src = Source{Env: env}
		case tfVersion != 0:
			if tfVersion < 0 {
				return
			}
			src = Source{TerraformVersion: tfVersion}
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

// markerPattern is the grammar of a marked key name, as a regexp: the
// reference ParseOwnedKeyName is held to.
var markerPattern = regexp.MustCompile(`(?s)^(.*) \((vault:([^#()@ ]*)#([^#()@ ]*)(?:@v([1-9][0-9]{0,8}))?|env:([^#()@ ]+)|terraform:v([1-9][0-9]{0,18}))(?: owner:(` + IdentityPattern + `))?\)$`)

// parseByPattern is ParseOwnedKeyName as markerPattern reads a name.
func parseByPattern(name string) (string, Source, string, bool) {
	m := markerPattern.FindStringSubmatch(name)
	if m == nil || m[1] == "" {
		return name, Source{}, "", false
	}
	fail := func() (string, Source, string, bool) { return name, Source{}, "", false }
	switch {
	case m[6] != "":
		env, err := unescape(m[6])
		if err != nil {
			return fail()
		}
		return m[1], Source{Env: env}, m[8], true
	case m[7] != "":
		v, err := strconv.ParseInt(m[7], 10, 64)
		if err != nil {
			return fail()
		}
		return m[1], Source{TerraformVersion: v}, m[8], true
	}
	path, err1 := unescape(m[3])
	key, err2 := unescape(m[4])
	if err1 != nil || err2 != nil || path == "" || key == "" {
		return fail()
	}
	src := Source{VaultPath: path, VaultKey: key}
	if m[5] != "" {
		src.Version, _ = strconv.Atoi(m[5])
	}
	return m[1], src, m[8], true
}

func TestParseOwnedKeyNameFollowsTheGrammar(t *testing.T) {
	for _, name := range keyNameSeeds {
		checkAgainstPattern(t, name)
	}
}

func FuzzParseOwnedKeyName(f *testing.F) {
	for _, name := range keyNameSeeds {
		f.Add(name)
	}
	f.Fuzz(checkAgainstPattern)
}

func checkAgainstPattern(t *testing.T, name string) {
	l, s, o, ok := ParseOwnedKeyName(name)
	wl, ws, wo, wok := parseByPattern(name)
	if l != wl || s != ws || o != wo || ok != wok {
		t.Fatalf("ParseOwnedKeyName(%q) = %q %+v %q %v; the grammar says %q %+v %q %v", name, l, s, o, ok, wl, ws, wo, wok)
	}
}

// keyNameSeeds are names at the edges of the grammar, accepted and not.
var keyNameSeeds = []string{
	"primary (vault:secret/llm/openai#api_key@v3)",
	"primary (vault:secret/llm/openai#api_key@v3 owner:team/prod)",
	"primary (vault:secret/llm/openai#api_key owner:team)",
	"primary (vault:kv1/x#k)",
	"a (b) (vault:p%23q#k%40@v1)",
	"x (env:OPENAI_KEY)",
	"x (env:)",
	"x (env:A B)",
	"x (terraform:v1)",
	"x (terraform:v9223372036854775807)",
	"x (terraform:v9223372036854775808)",
	"x (terraform:v01)",
	"x (vault:p#k@v0)",
	"x (vault:p#k@v1234567890)",
	"x (vault:p#k@v123456789)",
	"x (vault:#k)",
	"x (vault:p#)",
	"x (vault:p#k#j)",
	"x (vault:p#k@w1)",
	"x (vault:p#k@v1@v2)",
	"x (vault:p%2#k)",
	"x (vault:p%zz#k)",
	"x (vault:p#k owner:)",
	"x (vault:p#k owner:a/b/c)",
	"x (vault:p#k owner:" + strings.Repeat("a", 64) + ")",
	"x (vault:p#k owner:" + strings.Repeat("a", 65) + ")",
	"x (vault:p#k  owner:a)",
	"x (vault:p#k owner:a )",
	"x (vault:p#k)x",
	" (vault:p#k)",
	"(vault:p#k)",
	"x(vault:p#k)",
	"x (vault:p#k))",
	"x ((vault:p#k)",
	"line\nbreak (env:A)",
	"bad \xff utf8 (vault:p\xff#k)",
	"",
	")",
	"x (",
	"x ()",
}

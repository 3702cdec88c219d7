package planfile

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/sensitive"
)

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://Glow.Example.com/":        "https://glow.example.com",
		"https://glow.example.com:443":     "https://glow.example.com",
		"http://127.0.0.1:80/api/":         "http://127.0.0.1/api",
		"http://127.0.0.1:8080":            "http://127.0.0.1:8080",
		"https://glow.example.com/a/../b":  "https://glow.example.com/b",
		"https://u:p@glow.example.com?x#y": "https://glow.example.com",
	} {
		if got := NormalizeURL(in); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBindingDifferences(t *testing.T) {
	salt := "5a17"
	recorded := Binding{
		Glow:     &ServiceBinding{URL: "https://staging.glow", ScopeKnown: true, Scoped: true, Scope: []string{"cs"}},
		Gateflow: &ServiceBinding{URL: "https://staging.gateflow"},
		Vault:    &VaultBinding{Address: "https://vault", Namespace: "team"},
		Owner:    "platform",
		Salt:     salt,
		Variables: []Variable{
			{Name: "env", Plain: `{"value":"staging","type":"string"}`},
			{Name: "api_base", Sensitive: true, Digest: Digest(salt, sensitive.New("https://internal"))},
			{Name: "token", Sensitive: true, CredentialOnly: true},
		},
	}
	same := func(name, digest string) bool { return digest == Digest(salt, sensitive.New("https://internal")) }
	if d := recorded.Differences(recorded, same); len(d) != 0 {
		t.Fatalf("a binding differs from itself: %v", d)
	}
	prod := recorded
	prod.Glow = &ServiceBinding{URL: "https://prod.glow", ScopeKnown: true, Scoped: true, Scope: []string{"cs"}}
	prod.Vault = &VaultBinding{Address: "https://vault", Namespace: "prod"}
	prod.Variables = []Variable{{Name: "env", Plain: `{"value":"prod","type":"string"}`}, {Name: "api_base", Sensitive: true}, {Name: "token", Sensitive: true, CredentialOnly: true}}
	got := strings.Join(recorded.Differences(prod, func(string, string) bool { return false }), "\n")
	for _, want := range []string{
		"this plan was made against Glow https://staging.glow; this apply points at https://prod.glow",
		`this plan was made in Vault namespace "team"; this apply uses namespace "prod"`,
		`this plan was made with var.env = "staging"; this apply sets "prod"`,
		"another value of var.api_base (sensitive: only its digest is recorded)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("differences lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "var.token") {
		t.Errorf("a credential-only variable was compared:\n%s", got)
	}
	wider := recorded
	wider.Glow = &ServiceBinding{URL: "https://staging.glow", ScopeKnown: true}
	if got := strings.Join(recorded.Differences(wider, same), "\n"); !strings.Contains(got, "sees departments cs; this apply's token sees every department") {
		t.Errorf("scope: %s", got)
	}
}

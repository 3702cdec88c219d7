package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// diagAtText is a diagnostic pinned to the first occurrence of at in the
// file's source: its line and column, so that a test need not count.
type diagAtText struct {
	summary string
	detail  string // a part of the detail
	at      string // where the subject starts: the text found there
	nth     int    // which occurrence of at (0: the first)
}

// checkDiagsAt asserts that diags are exactly want, in order, each starting
// where its text is in src (the one file, main.hcl).
func checkDiagsAt(t *testing.T, src string, diags hcl.Diagnostics, want ...diagAtText) {
	t.Helper()
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(want), describeDiags(diags))
	}
	for i, w := range want {
		d := diags[i]
		line, col := positionOf(t, src, w.at, w.nth)
		if d.Subject == nil {
			t.Errorf("diagnostic %d (%s) has no subject", i, d.Summary)
			continue
		}
		if d.Summary != w.summary {
			t.Errorf("diagnostic %d: summary %q, want %q", i, d.Summary, w.summary)
		}
		if !strings.Contains(d.Detail, w.detail) {
			t.Errorf("diagnostic %d (%s): detail %q does not contain %q", i, d.Summary, d.Detail, w.detail)
		}
		if file := filepath.Base(d.Subject.Filename); file != "main.hcl" {
			t.Errorf("diagnostic %d (%s): in file %q, want main.hcl", i, d.Summary, file)
		}
		s := d.Subject.Start
		if s.Line != line {
			t.Errorf("diagnostic %d (%s): at line %d, want %d (where %q is)", i, d.Summary, s.Line, line, w.at)
		}
		if s.Column != col {
			t.Errorf("diagnostic %d (%s): at column %d, want %d (where %q is)", i, d.Summary, s.Column, col, w.at)
		}
	}
}

func positionOf(t *testing.T, src, text string, nth int) (line, col int) {
	t.Helper()
	off := -1
	for n := 0; n <= nth; n++ {
		i := strings.Index(src[off+1:], text)
		if i < 0 {
			t.Fatalf("%q (occurrence %d) is not in the source", text, nth)
		}
		off += 1 + i
	}
	line = 1 + strings.Count(src[:off], "\n")
	return line, off - strings.LastIndex(src[:off], "\n")
}

func loadSource(t *testing.T, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	return Load(writeDir(t, map[string]string{"main.hcl": src}), LoadOptions{Env: noEnv})
}

// TestGateflowSettings: an unknown setting, and settings of the wrong type
// (a quoted number, a fraction where an integer is required, a negative
// count, a number where a string is required), each at its key or value.
func TestGateflowSettings(t *testing.T) {
	src := `gateflow_provider "openai" {
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
  settings = {
    temperature   = 0.2
    timeout_ms    = "30000"
    max_retries   = 1.5
    default_model = 5
    project_id    = "proj-1"
    base_url      = true
  }
}
gateflow_provider "anthropic" {
  credentials = { api_key = vault("secret/llm/anthropic", "api_key") }
  settings    = { max_retries = -1, region = "eu", api_key = "x", timeout_ms = 1e20 }
}
gateflow_provider "elevenlabs" {
  credentials = { api_key = vault("secret/llm/elevenlabs", "api_key") }
  settings    = { default_voice = "rachel", organization_id = "org-1", timeout_ms = "fast" }
}
`
	_, diags := loadSource(t, src)
	const unsupported, invalid = "Unsupported Gateflow setting", "Invalid Gateflow setting"
	checkDiagsAt(t, src, diags,
		diagAtText{unsupported, `Gateflow provider "openai" has no setting "temperature"; its settings are "base_url", "default_model", "max_retries", "organization_id", "project_id" and "timeout_ms".`, "temperature", 0},
		diagAtText{invalid, `The Gateflow setting "timeout_ms" must be a non-negative integer, and this is the string "30000". Write the number without quotes: timeout_ms = 30000.`, `"30000"`, 0},
		diagAtText{invalid, `"max_retries" must be a non-negative integer, and this is the number 1.5.`, "1.5", 0},
		diagAtText{invalid, `"default_model" must be a string, and this is the number 5.`, "5\n    project_id", 0},
		diagAtText{invalid, `"base_url" must be a string, and this is the bool true.`, "true", 0},
		diagAtText{invalid, `"max_retries" must be a non-negative integer, and this is the number -1.`, "-1,", 0},
		diagAtText{unsupported, `Gateflow provider "anthropic" has no setting "region"; its settings are "base_url", "default_model", "max_retries" and "timeout_ms".`, "region", 0},
		diagAtText{unsupported, `has no setting "api_key"; its settings are "base_url", "default_model", "max_retries" and "timeout_ms". "api_key" is a credential: put it in credentials, read from Vault.`, `api_key = "x"`, 0},
		diagAtText{invalid, `"timeout_ms" must be a non-negative integer, and this is the number 1e+20.`, "1e20", 0},
		diagAtText{unsupported, `Gateflow provider "elevenlabs" has no setting "organization_id"; its settings are "base_url", "default_model", "default_voice", "max_retries" and "timeout_ms".`, "organization_id", 0},
		diagAtText{invalid, `must be a non-negative integer, and this is the string "fast".`, `"fast"`, 0},
	)
	for _, d := range diags {
		if strings.Contains(d.Detail, `"fast"`) && strings.Contains(d.Detail, "without quotes") {
			t.Errorf("a word is not a number to unquote: %s", d.Detail)
		}
	}
}

// TestGateflowCredentials: an unknown credential name, a missing required
// one, a null or empty credentials object and no credentials at all, each
// at its place.
func TestGateflowCredentials(t *testing.T) {
	src := `gateflow_provider "openai" {
  credentials = {
    api_key         = vault("secret/llm/openai", "api_key")
    organization_id = vault("secret/llm/openai", "org")
    project_id      = vault("secret/llm/openai", "project")
  }
}
gateflow_provider "anthropic" {
  credentials = { organization_id = vault("secret/llm/anthropic", "org") }
}
gateflow_provider "mistral" {
  settings = { default_model = "mistral-large-latest" }
}
gateflow_provider "google" {
  credentials = null
}
gateflow_provider "cohere" {
  credentials = {}
}
`
	_, diags := loadSource(t, src)
	checkDiagsAt(t, src, diags,
		diagAtText{"Unsupported Gateflow credential", `Gateflow provider "openai" has no credential "project_id"; its credentials are "api_key" and "organization_id". "project_id" is a setting: put it in settings.`, "project_id", 0},
		diagAtText{"Missing Gateflow credential", `Gateflow provider "anthropic" requires the credential "api_key", and these credentials have none. Add it, read from Vault when the configuration is applied: api_key = vault("secret/llm/anthropic", "api_key").`, "{ organization_id", 0},
		diagAtText{"Unsupported Gateflow credential", `Gateflow provider "anthropic" has no credential "organization_id"; its only credential is "api_key".`, "organization_id", 1},
		diagAtText{"Missing Gateflow credentials", `The credentials of this gateflow_provider are not set. A gateflow_provider must set them: Gateflow configures a provider only together with its credentials, so apply could not create it. For example, credentials = { api_key = vault("secret/llm/mistral", "api_key") } reads the key from Vault`, `{
  settings`, 0},
		diagAtText{"Missing Gateflow credentials", `The credentials of this gateflow_provider are null. A gateflow_provider must set them`, "null", 0},
		diagAtText{"Missing Gateflow credential", `Gateflow provider "cohere" requires the credential "api_key"`, "{}", 0},
	)
}

// TestGateflowSecretUnderWrongName: a credential written in the file is
// reported as such even under a name Gateflow does not know, and the
// required api_key written in the file is not also reported missing.
func TestGateflowSecretUnderWrongName(t *testing.T) {
	src := `gateflow_provider "mistral" {
  credentials = { api_key = "literal-key-1234", secret = "literal-secret-5678" }
}
`
	_, diags := loadSource(t, src)
	checkDiagsAt(t, src, diags,
		diagAtText{"Secret written in the configuration", `credential "api_key"`, `"literal-key-1234"`, 0},
		diagAtText{"Unsupported Gateflow credential", `Gateflow provider "mistral" has no credential "secret"; its only credential is "api_key".`, "secret =", 0},
		diagAtText{"Secret written in the configuration", `credential "secret"`, `"literal-secret-5678"`, 0},
	)
}

// TestGateflowForEach: the checks hold for every instance, and a problem
// the instances share is reported once; one that depends on the provider
// is reported per provider.
func TestGateflowForEach(t *testing.T) {
	src := `locals {
  vendors = { openai = "gpt-5.2", anthropic = "claude-sonnet-4-5-20250929", google = 3 }
}
gateflow_provider "vendor" {
  for_each    = local.vendors
  provider_id = each.key
  settings    = { default_model = each.value, temperature = 0.2, timeout_ms = "30" }
}
gateflow_provider "keyed" {
  for_each    = toset(["mistral", "cohere"])
  provider_id = each.key
  credentials = { api_key = vault("secret/llm/${each.key}", "api_key"), region = vault("secret/llm/${each.key}", "region") }
}
`
	_, diags := loadSource(t, src)
	// The three instances are anthropic, google, openai: each.value is
	// a number only for google.
	checkDiagsAt(t, src, diags,
		diagAtText{"Missing Gateflow credentials", `For example, credentials = { api_key = vault("secret/llm/${each.key}", "api_key") }`, `{
  for_each    = local`, 0},
		diagAtText{"Invalid Gateflow setting", `"default_model" must be a string, and this is the number 3.`, "each.value,", 0},
		diagAtText{"Unsupported Gateflow setting", `Gateflow provider "anthropic" has no setting "temperature"`, "temperature", 0},
		diagAtText{"Unsupported Gateflow setting", `Gateflow provider "google" has no setting "temperature"; its settings are "base_url", "default_model", "max_retries", "region" and "timeout_ms".`, "temperature", 0},
		diagAtText{"Unsupported Gateflow setting", `Gateflow provider "openai" has no setting "temperature"`, "temperature", 0},
		diagAtText{"Invalid Gateflow setting", `"timeout_ms" must be a non-negative integer, and this is the string "30".`, `"30"`, 0},
		diagAtText{"Unsupported Gateflow credential", `Gateflow provider "cohere" has no credential "region"`, "region =", 0},
		diagAtText{"Unsupported Gateflow credential", `Gateflow provider "mistral" has no credential "region"`, "region =", 0},
	)
}

// TestGateflowValid: what the catalogue accepts loads, with the values
// Gateflow will be sent; an unsupported provider ID is refused as before
// and not checked against any entry.
func TestGateflowValid(t *testing.T) {
	cfg, diags := loadSource(t, `gateflow_provider "openai" {
  credentials = {
    api_key         = vault("secret/llm/openai", "api_key")
    organization_id = vault("secret/llm/openai", "org")
  }
  settings = {
    default_model   = "gpt-5.2"
    timeout_ms      = 30000
    max_retries     = 3.0
    base_url        = "https://api.openai.com/v1"
    organization_id = "org-1"
    project_id      = null
  }
}
gateflow_provider "voices" {
  provider_id = "elevenlabs"
  credentials = { api_key = env("ELEVEN_KEY") }
  settings    = { default_voice = "rachel", timeout_ms = 0 }
}
`)
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Fatalf("%s", describeDiags(diags))
		}
	}
	want := []map[string]any{
		{"default_model": "gpt-5.2", "timeout_ms": int64(30000), "max_retries": int64(3), "base_url": "https://api.openai.com/v1", "organization_id": "org-1"},
		{"default_voice": "rachel", "timeout_ms": int64(0)},
	}
	if len(cfg.GateflowProviders) != 2 {
		t.Fatalf("providers: %+v", cfg.GateflowProviders)
	}
	for i, p := range cfg.GateflowProviders {
		if !reflect.DeepEqual(p.Settings, want[i]) {
			t.Errorf("%s settings = %#v, want %#v", p.Address, p.Settings, want[i])
		}
	}
	if len(cfg.GateflowProviders[0].Credentials) != 2 {
		t.Errorf("credentials: %v", cfg.GateflowProviders[0].Credentials)
	}

	src := `gateflow_provider "azure" {
  settings = { temperature = 0.2 }
}
`
	_, diags = loadSource(t, src)
	checkDiagsAt(t, src, diags, diagAtText{"Unsupported Gateflow provider", `Gateflow has no provider "azure"`, `"azure"`, 0})
}

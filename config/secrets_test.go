package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// The secret values below appear nowhere in the configuration files: they
// come from the environment, --var and a var file, as they would in use.
const (
	envKeySecret   = "sk-env-SECRET-1f3a9c"
	tokenSecret    = "glow-token-SECRET-77b2"
	adminSecret    = "gw_admin_SECRET-d41d8"
	varFileSecret  = "var-file-SECRET-0e0e"
	patternSecret  = "(unclosed-SECRET-regex"
	sensitiveValue = "sensitive-var-SECRET-9a9a"
)

var allSecrets = []string{envKeySecret, tokenSecret, adminSecret, varFileSecret, patternSecret, sensitiveValue}

func secretEnv() func(string) (string, bool) {
	return envOf(map[string]string{
		"OPENAI_KEY":           envKeySecret,
		"GLOW_TOKEN":           tokenSecret,
		"ADMIN":                adminSecret,
		"PATTERN":              patternSecret,
		"SWITCHBOARD_VAR_note": sensitiveValue,
	})
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range allSecrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains the secret %q:\n%s", what, sec, s)
		}
	}
}

// checkOutputs renders diagnostics every way a command does and checks
// that no secret is in any of them.
func checkOutputs(t *testing.T, cfg *Config, diags hcl.Diagnostics) {
	t.Helper()
	assertNoSecret(t, "shown diagnostics", shownText(t, diags))
	assertNoSecret(t, "diagnostics", fmt.Sprint(diags))
	if cfg != nil {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%t"} {
			assertNoSecret(t, "config "+verb, fmt.Sprintf(verb, cfg))
			assertNoSecret(t, "config "+verb, fmt.Sprintf(verb, *cfg))
			for _, p := range cfg.GlowProviders {
				assertNoSecret(t, "provider "+verb, fmt.Sprintf(verb, p))
			}
			for _, p := range cfg.GateflowProviders {
				assertNoSecret(t, "provider "+verb, fmt.Sprintf(verb, p))
			}
			if cfg.Glow != nil {
				assertNoSecret(t, "glow "+verb, fmt.Sprintf(verb, *cfg.Glow))
			}
			if cfg.Gateflow != nil {
				assertNoSecret(t, "gateflow "+verb, fmt.Sprintf(verb, *cfg.Gateflow))
			}
		}
	}
}

func TestSecretsNeverInOutput(t *testing.T) {
	valid := writeDir(t, map[string]string{
		"main.hcl": `
variable "admin" {
  type      = string
  sensitive = true
}
variable "note" {
  type      = string
  sensitive = true
}
glow {}
gateflow {
  admin_key = var.admin
}
glow_provider "a" {
  name = "A"
  key "env" {
    value = env("OPENAI_KEY")
  }
  key "vault" {
    value = vault("secret/llm/openai", "api_key")
  }
}
gateflow_provider "openai" {
  credentials = { api_key = env("OPENAI_KEY") }
}
`,
		"secret.vars": "admin = \"" + varFileSecret + "\"\n",
	})
	opts := LoadOptions{Env: secretEnv(), VarFiles: []string{filepath.Join(valid, "secret.vars")}}
	cfg, diags := Load(valid, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %s", diags)
	}
	// The values are there, for the command that sends them.
	if cfg.Glow.Token.Literal.Reveal() != tokenSecret || cfg.Gateflow.AdminKey.Literal.Reveal() != varFileSecret ||
		cfg.GlowProviders[0].Keys[0].Value.Literal.Reveal() != envKeySecret {
		t.Fatal("secrets were not loaded")
	}
	checkOutputs(t, cfg, diags)

	// Every way a configuration can misuse a secret, each of which puts
	// the value (or the line holding it) near a message.
	invalid := writeDir(t, map[string]string{
		"main.hcl": `
variable "admin" {
  type      = string
  sensitive = true
  validation {
    condition     = length(var.admin) < 5
    error_message = "Too long: ${var.admin}."
  }
}
variable "note" {
  type      = number
  sensitive = true
}
locals {
  leaked = env("OPENAI_KEY")
}
glow_provider "a" {
  name        = "${local.leaked}"
  description = tonumber(env("OPENAI_KEY"))
  departments = [regex(env("PATTERN"), "x")]
  endpoints   = [env("GLOW_TOKEN")]
  values      = { k = nonsensitive(env("OPENAI_KEY")) == 1 ? "a" : env("OPENAI_KEY") }
  key "k" {
    value = "sk-literal-SECRET-in-file"
  }
}
glow_provider "b" {
  for_each = toset([env("OPENAI_KEY")])
  name     = each.key
}
gateflow_provider "openai" {
  credentials = { api_key = upper(env("OPENAI_KEY")) }
  settings    = { model = jsondecode(env("OPENAI_KEY")) }
}
`,
		"secret.vars": "admin = \"" + varFileSecret + "\"\nnote = \"" + sensitiveValue + "\"\n",
	})
	opts.VarFiles = []string{filepath.Join(invalid, "secret.vars")}
	cfg, diags = Load(invalid, opts)
	if !diags.HasErrors() || cfg != nil {
		t.Fatalf("want errors, got %v", diags)
	}
	if len(diags) < 6 {
		t.Errorf("expected every misuse reported, got %d:\n%s", len(diags), diags)
	}
	checkOutputs(t, nil, diags)
	// The literal key is in the file; the diagnostic about it must not
	// show that line.
	if text := shownText(t, diags); strings.Contains(text, "sk-literal-SECRET-in-file") {
		t.Errorf("the literal secret's line is shown:\n%s", text)
	}
}

func TestSecretFormatting(t *testing.T) {
	ref := &secretref.VaultRef{Path: "secret/a", Key: "k", Version: 2}
	for _, s := range []Secret{
		{Ref: ref, Source: "vault"},
		{Literal: sensitive.New(envKeySecret), Source: "env:OPENAI_KEY"},
		{Literal: sensitive.New(envKeySecret)},
		{},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			assertNoSecret(t, verb, fmt.Sprintf(verb, s))
			assertNoSecret(t, verb, fmt.Sprintf(verb, Key{Name: "k", Value: s}))
		}
		b, _ := s.MarshalText()
		assertNoSecret(t, "MarshalText", string(b))
	}
	if got := fmt.Sprint(Secret{Ref: ref}); got != `vault("secret/a", "k", 2)` {
		t.Errorf("a reference prints as the call: %s", got)
	}
}

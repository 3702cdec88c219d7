package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/sensitive"
)

const (
	glowTokenCred  = "glow-token-CRED-5e5e"
	adminKeyCred   = "gw-admin-CRED-6f6f"
	vaultTokenCred = "hvs.vault-CRED-7a7a"
	givenCred      = "given-CRED-8b8b"
)

func credentialEnv() func(string) (string, bool) {
	return envOf(map[string]string{
		"GLOW_TOKEN":         glowTokenCred,
		"GATEFLOW_ADMIN_KEY": adminKeyCred,
		"VAULT_TOKEN":        vaultTokenCred,
		"COPY":               givenCred,
		"GLOW_URL":           "https://glow.example.edu",
	})
}

const credentialNoteText = "nonsensitive() cannot make a credential of this run printable"

func TestNonsensitiveKeepsCredentials(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
glow {
  url = nonsensitive(env("GLOW_URL"))
}
glow_provider "a" {
  name        = "A"
  description = nonsensitive(env("GLOW_TOKEN"))
  values      = { a = nonsensitive(env("VAULT_TOKEN")), b = nonsensitive(env("GLOW_URL")) }
}
glow_provider "b" {
  name        = nonsensitive("Bearer ${env("GATEFLOW_ADMIN_KEY")}")
  departments = nonsensitive([env("COPY"), "cs"])
}
glow_provider "c" {
  for_each = nonsensitive(toset([env("GLOW_TOKEN"), "x"]))
  name     = each.key
}
glow_provider "d" {
  name   = "D"
  values = nonsensitive({ nested = { deep = env("VAULT_TOKEN") } }).nested
}
`})
	opts := LoadOptions{Env: credentialEnv(), Credentials: []sensitive.String{sensitive.New(givenCred)}}
	cfg, diags := Load(dir, opts)
	const s = "Sensitive value in a non-secret argument"
	checkDiags(t, diags,
		diagAt{s, credentialNoteText, "main.hcl", 7},
		diagAt{s, credentialNoteText, "main.hcl", 8},
		diagAt{s, credentialNoteText, "main.hcl", 11},
		diagAt{s, credentialNoteText, "main.hcl", 12},
		diagAt{"Invalid for_each argument", credentialNoteText, "main.hcl", 15},
		diagAt{s, credentialNoteText, "main.hcl", 20},
	)
	if cfg != nil {
		t.Fatal("a config despite errors")
	}
	for _, d := range diags {
		for _, c := range []string{glowTokenCred, adminKeyCred, vaultTokenCred, givenCred} {
			if strings.Contains(d.Summary+d.Detail, c) {
				t.Errorf("diagnostic shows a credential: %s", d.Detail)
			}
		}
	}

	// The same values are printable when they are not the run's
	// credentials: COPY's value is one only when Credentials lists it, and
	// a token shorter than 8 bytes is not taken as one.
	cfg = mustLoad(t, dir, LoadOptions{Env: envOf(map[string]string{"GLOW_TOKEN": "short", "COPY": givenCred, "GLOW_URL": "https://glow.example.edu"})})
	if cfg.GlowProviders[0].Description != "short" || cfg.Glow.URL != "https://glow.example.edu" {
		t.Errorf("nonsensitive() of values that are not credentials: %+v", cfg)
	}
}

func TestCredentialsCutFromDiagnostics(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
variable "label" {
  type = string
  validation {
    condition     = var.label == "ok"
    error_message = "The label ${var.label} is not ok."
  }
}
`})
	// A non-sensitive variable that happens to hold a credential: only the
	// credential list says so.
	_, diags := Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"label": givenCred}, Credentials: []sensitive.String{sensitive.New(givenCred)}})
	checkDiags(t, diags, diagAt{"Invalid value for variable", "The label (sensitive value) is not ok.", "main.hcl", 2})
	if text := shownText(t, diags); strings.Contains(text+fmt.Sprint(diags), givenCred) {
		t.Errorf("a credential is shown:\n%s", text)
	}

	_, diags = Load(dir, LoadOptions{Env: envOf(map[string]string{"VAULT_TOKEN": vaultTokenCred}), Vars: map[string]string{"label": vaultTokenCred}})
	checkDiags(t, diags, diagAt{"Invalid value for variable", "The label (sensitive value) is not ok.", "main.hcl", 2})
}

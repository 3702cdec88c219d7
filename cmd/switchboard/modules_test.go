package main

// End-to-end tests of local modules and environments (docs/modules.md,
// docs/environments.md): the real CLI against the emulator and a real Vault.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash paths relative to the returned directory).
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const teamModule = `variable "team" {
  type = string
  validation {
    condition     = length(var.team) <= 8
    error_message = "A team name has at most 8 characters."
  }
}

variable "key_path" {
  type    = string
  default = "secret/llm/openai"
}

glow_provider "openai" {
  name        = "OpenAI ${var.team}"
  departments = [var.team]

  key "primary" {
    value = vault(var.key_path, "api_key")
  }
}

module "mistral" {
  source = "../mistral"
  team   = var.team
}

output "provider_name" {
  value = "OpenAI ${var.team}"
}
`

const mistralModule = `variable "team" {
  type = string
}

glow_provider "mistral" {
  name        = "Mistral ${var.team}"
  departments = [var.team]
}
`

func moduleConfig(extra string) map[string]string {
	return map[string]string{
		"main.hcl": `glow {
  owner = "platform"
}

vault {}

module "team" {
  source   = "./modules/team"
  for_each = toset(["cs", "math"])
  team     = each.key
}

glow_provider "shared" {
  name = "Shared (after ${module.team["cs"].provider_name})"
}
` + extra,
		"modules/team/main.hcl":    teamModule,
		"modules/mistral/main.hcl": mistralModule,
	}
}

func TestModulesPlanApplyAndTarget(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-module-0001"})
	dir := writeTree(t, moduleConfig(""))
	code, out := planText(t, dir)
	t.Log(out)
	for _, want := range []string{
		`# module.team["cs"].glow_provider.openai will be created`,
		`# module.team["math"].module.mistral.glow_provider.mistral will be created`,
		`# glow_provider.shared will be created`,
		`name        = "Shared (after OpenAI cs)"`,
		"Plan: 5 to add, 0 to change, 0 to destroy.",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	_ = json.Valid
}

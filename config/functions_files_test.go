package config

import (
	"strings"
	"testing"
)

// TestTemplateFileInAConfiguration renders templates and reads YAML the
// way a configuration uses them: paths relative to the configuration
// directory (or under path.module), file()'s refusals, the files kept in
// Config.Files so that a saved plan replays them from memory.
func TestTemplateFileInAConfiguration(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "team" {
  default = "ml"
}
locals {
  models = yamldecode(file("models.yaml")).models
}
glow_provider "a" {
  name        = "A"
  description = templatefile("${path.module}/prompts/system.tftpl", { team = var.team, models = local.models })
  values = {
    one    = one([for m in local.models : m.name if m.default])
    tokens = sum([for m in local.models : m.max_tokens])
    stamp  = sha256(file("prompts/system.tftpl"))
    bad    = lookup({ a = "x" }, "missing", null) == null ? "null default" : "?"
    cleaned = replace("gpt-4o-2024-08-06", "/-\\d{4}-\\d{2}-\\d{2}$/", "")
  }
}
`,
		"models.yaml":          "models:\n  - name: gpt-4o\n    max_tokens: 4096\n    default: true\n  - name: o1\n    max_tokens: 1000\n    default: false\n",
		"prompts/system.tftpl": "Team ${team}.\n%{ for m in models ~}\n* ${m.name}\n%{ endfor ~}\n",
	})
	cfg := mustLoad(t, dir, LoadOptions{})
	p := cfg.GlowProviders[0]
	if p.Description != "Team ml.\n* gpt-4o\n* o1\n" {
		t.Errorf("description = %q", p.Description)
	}
	for _, c := range []struct{ key, want string }{
		{"one", "gpt-4o"},
		{"tokens", "5096"},
		{"bad", "null default"},
		{"cleaned", "gpt-4o"},
	} {
		if got := p.Values[c.key]; got != c.want {
			t.Errorf("values[%q] = %q, want %q", c.key, got, c.want)
		}
	}
	if got := p.Values["stamp"]; len(got) != 64 {
		t.Errorf("values[\"stamp\"] = %q (%d chars), want 64 chars", got, len(got))
	}
	var names []string
	for _, f := range cfg.Files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "main.hcl,models.yaml,prompts/system.tftpl" {
		t.Errorf("Config.Files = %s", got)
	}
	// Replayed from the files a plan embeds, with the directory gone.
	replayed := mustLoad(t, dir, LoadOptions{FS: MemFS(cfg.Files)})
	if replayed.GlowProviders[0].Description != p.Description {
		t.Errorf("replayed description = %q", replayed.GlowProviders[0].Description)
	}
}

func TestTemplateFileRefusals(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "key" {
  sensitive = true
  default   = "sk-very-secret-value"
}
glow_provider "abs" {
  name        = "A"
  description = templatefile("/proc/self/environ", {})
}
glow_provider "up" {
  name        = "B"
  description = templatefile("../outside.tftpl", {})
}
glow_provider "missing_var" {
  name        = "C"
  description = templatefile("t.tftpl", {})
}
glow_provider "recursive" {
  name        = "D"
  description = templatefile("r.tftpl", {})
}
glow_provider "sensitive" {
  name        = "E"
  description = templatefile("t.tftpl", { who = var.key })
}
glow_provider "large" {
  name        = "F"
  description = filebase64("big.bin")
}
`,
		"t.tftpl":          "for ${who}\n",
		"r.tftpl":          `${templatefile("t.tftpl", { who = "x" })}`,
		"../outside.tftpl": "x",
		"big.bin":          strings.Repeat("\x00", MaxFileFunctionSize+1),
	})
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	text := describeDiags(diags)
	for _, want := range []string{
		`"/proc/self/environ" is an absolute path`,
		`"../outside.tftpl" leads out of the configuration directory`,
		`vars map does not contain key "who", referenced at t.tftpl:1,7`,
		`cannot call templatefile from inside a template that templatefile renders`,
		`"big.bin" is larger than 1 MiB`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no diagnostic says %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "sk-very-secret-value") {
		t.Errorf("a diagnostic shows the sensitive value:\n%s", text)
	}
	// A template rendered from a sensitive variable is sensitive: it may
	// not be a description, which plans print.
	if !strings.Contains(text, "main.hcl:24,17-59: Sensitive value in a non-secret argument") {
		t.Errorf("the sensitive template result was accepted:\n%s", text)
	}
}

// TestFilesetForEachReplays: a provider per YAML file, the Terraform way,
// and the saved plan's files list the same providers again.
func TestFilesetForEachReplays(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
glow_provider "from_file" {
  for_each    = fileset("${path.module}/providers", "*.{yaml,yml}")
  name        = yamldecode(file("providers/${each.key}")).name
  departments = yamldecode(file("providers/${each.key}")).departments
}
`,
		"providers/openai.yaml":  "name: OpenAI\ndepartments: [cs]\n",
		"providers/mistral.yml":  "name: Mistral\ndepartments: [math]\n",
		"providers/README.md":    "not a provider",
		"providers/old/x.yaml":   "name: not listed, in a subdirectory\n",
		"providers/.hidden.yaml": "name: Hidden\ndepartments: [cs]\n",
	})
	cfg := mustLoad(t, dir, LoadOptions{})
	var got []string
	for _, p := range cfg.GlowProviders {
		got = append(got, p.Address.String()+"="+p.Name)
	}
	want := `glow_provider.from_file[".hidden.yaml"]=Hidden glow_provider.from_file["mistral.yml"]=Mistral glow_provider.from_file["openai.yaml"]=OpenAI`
	if strings.Join(got, " ") != want {
		t.Errorf("providers: %s\nwant %s", strings.Join(got, " "), want)
	}
	replayed := mustLoad(t, dir, LoadOptions{FS: MemFS(cfg.Files)})
	if len(replayed.GlowProviders) != 3 || replayed.GlowProviders[2].Name != "OpenAI" {
		t.Errorf("replayed: %+v", replayed.GlowProviders)
	}
}

package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/switchboard-hq/switchboard/sensitive"
)

func TestVariablesRecorded(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "region" {
  default = "us"
}
variable "departments" {
  type = set(string)
}
variable "limits" {
  type    = object({ timeout = number, retries = optional(number, 3) })
  default = { timeout = 0.1 }
}
variable "token" {
  type      = string
  sensitive = true
}
variable "from_file" {
  type = map(string)
}
variable "nothing" {
  type    = string
  default = null
}
glow_provider "a" {
  name        = "A ${var.region}"
  departments = var.departments
}
`,
		"x.vars": "from_file = { k = \"v\" }\n",
	})
	cfg := mustLoad(t, dir, LoadOptions{
		Env:      envOf(map[string]string{"SWITCHBOARD_VAR_departments": `["math", "cs"]`}),
		Vars:     map[string]string{"token": "tok-SECRET-value"},
		VarFiles: []string{filepath.Join(dir, "x.vars")},
	})
	got := cfg.Variables
	want := []Variable{
		{Name: "region", Value: `{"value":"us","type":"string"}`, Source: "default", CredentialOnly: false},
		{Name: "departments", Value: `{"value":["cs","math"],"type":["set","string"]}`, Source: "env"},
		{Name: "limits", Value: `{"value":{"retries":3,"timeout":0.1},"type":["object",{"retries":"number","timeout":"number"}]}`, Source: "default", CredentialOnly: true},
		{Name: "token", Sensitive: true, Secret: sensitive.New(`{"value":"tok-SECRET-value","type":"string"}`), Source: "var", CredentialOnly: true},
		{Name: "from_file", Value: `{"value":{"k":"v"},"type":["map","string"]}`, Source: "var-file", CredentialOnly: true},
		{Name: "nothing", Value: `{"value":null,"type":"string"}`, Source: "default", CredentialOnly: true},
	}
	if len(got) != len(want) {
		t.Fatalf("variables: %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		for _, c := range []struct {
			field     string
			got, want any
		}{
			{"Name", g.Name, w.Name},
			{"Value", g.Value, w.Value},
			{"Source", g.Source, w.Source},
			{"Sensitive", g.Sensitive, w.Sensitive},
			{"CredentialOnly", g.CredentialOnly, w.CredentialOnly},
		} {
			if c.got != c.want {
				t.Errorf("variable %d (%s): %s = %#v, want %#v", i, w.Name, c.field, c.got, c.want)
			}
		}
		if !g.Secret.Equal(w.Secret) {
			t.Errorf("variable %d (%s): Secret = %s, want %s", i, w.Name, g.Secret.Reveal(), w.Secret.Reveal())
		}
	}
}

func TestPlannedVarsPrecedence(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "region" {
  default = "from-default"
}
glow_provider "a" {
  name = var.region
}
`,
		"f.vars": `region = "from-file"`,
	})
	planned := map[string]string{"region": `{"value":"from-plan","type":"string"}`}
	env := envOf(map[string]string{"SWITCHBOARD_VAR_region": "from-env"})
	file := []string{filepath.Join(dir, "f.vars")}
	cases := []struct {
		opts       LoadOptions
		want, from string
	}{
		{LoadOptions{}, "from-default", "default"},
		{LoadOptions{PlannedVars: planned}, "from-plan", "planned"},
		{LoadOptions{PlannedVars: planned, Env: env}, "from-env", "env"},
		{LoadOptions{PlannedVars: planned, Env: env, VarFiles: file}, "from-file", "var-file"},
		{LoadOptions{PlannedVars: planned, Env: env, VarFiles: file, Vars: map[string]string{"region": "from-flag"}}, "from-flag", "var"},
	}
	for _, c := range cases {
		cfg := mustLoad(t, dir, c.opts)
		if got := cfg.GlowProviders[0].Name; got != c.want || cfg.Variables[0].Source != c.from {
			t.Errorf("%s: name %q from %q, want %q from %q", c.from, got, cfg.Variables[0].Source, c.want, c.from)
		}
	}
}

func TestPlannedVarsErrors(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
variable "n" {
  type = number
}
`})
	_, diags := Load(dir, LoadOptions{Env: noEnv, PlannedVars: map[string]string{
		"n":    `{"value":1,"type":"number"}`,
		"gone": `{"value":"x","type":"string"}`,
	}})
	checkDiags(t, diags, diagAt{"Value for undeclared variable", `The saved plan holds a value for a variable named "gone"`, "", 0})

	for raw, detail := range map[string]string{
		`"1"`:                              `it is not a JSON object with "value" and "type"`,
		`{"value":1}`:                      `it needs both "value" and "type"`,
		`{"value":1,"type":"numbr"}`:       "its type is not a type",
		`{"value":"one","type":"number"}`:  "its value is not a number",
		`{"value":"one","type":"string"}`:  "a number is required",
		`{"value":[1],"type":["list",1]}`:  "its type is not a type",
		`{"value":{},"type":["map",true]}`: "its type is not a type",
	} {
		_, diags := Load(dir, LoadOptions{Env: noEnv, PlannedVars: map[string]string{"n": raw}})
		summary := "Invalid planned value for variable"
		if detail == "a number is required" {
			summary = "Invalid value for input variable"
		}
		checkDiags(t, diags, diagAt{summary, detail, "", 0})
	}
}

func TestCredentialOnly(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
variable "glow_token" {
  type      = string
  sensitive = true
  validation {
    condition     = strlen(var.glow_token) > 4
    error_message = "Too short."
  }
}
variable "admin" {
  type      = string
  sensitive = true
}
variable "shown" {
  type      = string
  sensitive = true
}
variable "env_name" {
  type    = string
  default = "OPENAI_KEY"
}
variable "checked" {
  type    = string
  default = "x"
}
variable "other" {
  type    = string
  default = "y"
  validation {
    condition     = var.checked != var.other
    error_message = "Must differ."
  }
}
variable "keys" {
  type    = set(string)
  default = ["a"]
}
variable "probe" {
  type    = string
  default = "z"
}
variable "unused" {
  type    = string
  default = "u"
}
locals {
  admin_copy = var.admin
}
glow {
  token = var.glow_token
}
gateflow {
  admin_key = var.admin
}
glow_provider "a" {
  name        = "A"
  description = nonsensitive(var.shown)
  values      = { has = can(regex("q", var.probe)) ? "yes" : "no" }
  key "k" {
    value = env(var.env_name)
  }
}
glow_provider "b" {
  for_each = var.keys
  name     = each.key
}
`})
	cfg := mustLoad(t, dir, LoadOptions{Vars: map[string]string{"glow_token": "glow-tok", "admin": "adm-key", "shown": "shown"}})
	want := map[string]bool{
		"glow_token": true,  // the token and its own validation only
		"admin":      false, // also in a local
		"shown":      false, // in a description
		"env_name":   false, // names the variable env() reads
		"checked":    false, // in another variable's validation
		"other":      true,  // in its own validation only
		"keys":       false, // a for_each
		"probe":      false, // decides a value through can()
		"unused":     true,
	}
	got := map[string]bool{}
	for _, v := range cfg.Variables {
		got[v.Name] = v.CredentialOnly
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CredentialOnly:\n got %v\nwant %v", got, want)
	}
}

// TestReloadFromMemory is what a saved plan relies on: the files Load read
// and the values it recorded give the same Config from memory, with no
// access to the directory.
func TestReloadFromMemory(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "departments" {
  type = list(string)
}
variable "limits" {
  type    = object({ timeout = number, retries = optional(number, 3), tags = optional(set(string)) })
  default = { timeout = 12.5 }
}
variable "anything" {
  default = [1, "two", { three = 3.000000000000000000001 }]
}
variable "token" {
  type      = string
  sensitive = true
}
variable "region" {
  type = string
}
glow {
  token = var.token
  owner = "platform-team"
}
glow_provider "a" {
  for_each    = toset(var.departments)
  name        = "A ${each.key} ${var.region}"
  description = file("prompts/${each.key}.txt")
  departments = [each.key]
  values = {
    timeout  = var.limits.timeout
    retries  = var.limits.retries
    anything = jsonencode(var.anything)
    json     = jsonencode(jsondecode(file("values.json")))
  }
  key "primary" {
    value = vault("secret/llm/${each.key}", "api_key")
  }
}
`,
		"more.hcl.json":  `{"gateflow_provider": {"openai": {"credentials": {"api_key": "${vault(\"secret/llm/openai\", \"api_key\")}"}, "settings": {"timeout_ms": 30000}}}}`,
		"prompts/cs.txt": "CS prompt",
		"prompts/ee.txt": "EE prompt",
		"values.json":    `{"b": [1, 2], "a": null}`,
		"unread.txt":     "not read",
		"region.tfvars":  `region = "eu"`,
	})
	env := envOf(map[string]string{"SWITCHBOARD_VAR_token": "glow-tok-SECRET", "GATEFLOW_ADMIN_KEY": "gw-admin-SECRET"})
	opts := LoadOptions{Env: env, Vars: map[string]string{"departments": `["cs", "ee"]`}, VarFiles: []string{filepath.Join(dir, "region.tfvars")}}
	disk := mustLoad(t, dir, opts)

	planned := map[string]string{}
	for _, v := range disk.Variables {
		if !v.Sensitive {
			planned[v.Name] = v.Value
		}
	}
	files := append([]SourceFile(nil), disk.Files...)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	mem := mustLoad(t, dir, LoadOptions{Env: env, FS: MemFS(files), PlannedVars: planned})

	if mem.Checksum != disk.Checksum {
		t.Errorf("checksum %s, from disk %s", mem.Checksum, disk.Checksum)
	}
	for i, v := range mem.Variables {
		if !v.Sensitive && v.Source != "planned" {
			t.Errorf("var.%s comes from %s", v.Name, v.Source)
		}
		// Only where the values came from differs.
		mem.Variables[i].Source = disk.Variables[i].Source
	}
	if !reflect.DeepEqual(mem, disk) {
		t.Errorf("from memory:\n%+v\nfrom disk:\n%+v", mem, disk)
	}
	if len(disk.GlowProviders) != 2 || disk.GlowProviders[1].Description != "EE prompt" || disk.Glow.Owner != "platform-team" {
		t.Errorf("the configuration was not what the test means: %+v", disk)
	}
}

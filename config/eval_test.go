package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/internal/expect"
)

// writeDir writes files into a new temporary directory and returns it.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func mustLoad(t *testing.T, dir string, opts LoadOptions) *Config {
	t.Helper()
	if opts.Env == nil {
		opts.Env = noEnv
	}
	cfg, diags := Load(dir, opts)
	if diags.HasErrors() {
		for _, d := range diags {
			t.Errorf("%v: %s: %.300s", d.Subject, d.Summary, d.Detail)
		}
		t.FailNow()
	}
	return cfg
}

func TestLoadDesiredState(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
glow {
  url               = "http://127.0.0.1:8080"
  token             = env("GLOW_TOKEN")
  prune_departments = ["cs"]
}
gateflow {
  url       = "http://127.0.0.1:8081"
  admin_key = vault("secret/gateflow", "admin_key")
  prune     = true
}
vault {
  address = "http://127.0.0.1:8200"
}
variable "region" {
  type    = string
  default = "us"
}
locals {
  departments = ["cs", "math"]
}
glow_provider "openai_prod" {
  id          = "prov-123"
  name        = "OpenAI Production"
  description = "Production OpenAI API for TA training simulations"
  departments = local.departments
  endpoints   = ["https://api.openai.com/v1"]
  values      = { region = var.region, timeout_s = 30 }
  key "primary" {
    value = vault("secret/llm/openai", "api_key", 4)
  }
  lifecycle {
    prevent_destroy = true
  }
}
gateflow_provider "openai" {
  enabled     = false
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
  settings    = { organization_id = "org-123", timeout_ms = 30000, max_retries = 2.0, default_model = "gpt-5.2", base_url = null }
}
`})
	cfg := mustLoad(t, dir, LoadOptions{Env: envOf(map[string]string{"GLOW_TOKEN": "glow-token-value"})})

	expect.Fields(t, "service blocks",
		expect.Eq("glow url", cfg.Glow.URL, "http://127.0.0.1:8080"),
		expect.Eq("glow token", cfg.Glow.Token.Literal.Reveal(), "glow-token-value"),
		expect.Eq("glow token source", cfg.Glow.Token.Source, "env:GLOW_TOKEN"),
		expect.Eq("prune_departments", cfg.Glow.PruneDepartments, []string{"cs"}),
		expect.Eq("gateflow admin_key is a vault reference", cfg.Gateflow.AdminKey.Ref != nil, true),
		expect.Eq("gateflow prune", cfg.Gateflow.Prune, true),
		expect.Eq("vault block set", cfg.Vault != nil, true))
	if ref := cfg.Gateflow.AdminKey.Ref; ref != nil {
		expect.Fields(t, "gateflow admin_key", expect.Eq("Path", ref.Path, "secret/gateflow"), expect.Eq("Key", ref.Key, "admin_key"))
	}
	if cfg.Vault != nil && cfg.Vault.Address != "http://127.0.0.1:8200" {
		t.Errorf("vault settings: %+v", cfg.Vault)
	}
	if len(cfg.GlowProviders) != 1 {
		t.Fatalf("glow providers: %+v", cfg.GlowProviders)
	}
	p := cfg.GlowProviders[0]
	expect.Fields(t, "glow provider",
		expect.Eq("address", p.Address.String(), "glow_provider.openai_prod"),
		expect.Eq("ID", p.ID, "prov-123"),
		expect.Eq("Name", p.Name, "OpenAI Production"),
		expect.Eq("Departments", p.Departments, []string{"cs", "math"}),
		expect.Eq("Endpoints", p.Endpoints, []string{"https://api.openai.com/v1"}),
		expect.Eq("Values", p.Values, map[string]string{"region": "us", "timeout_s": "30"}),
		expect.Eq("PreventDestroy", p.PreventDestroy, true))
	if len(p.Keys) != 1 || p.Keys[0].Name != "primary" || p.Keys[0].Value.Ref == nil {
		t.Fatalf("keys: %+v", p.Keys)
	}
	ref := *p.Keys[0].Value.Ref
	expect.Fields(t, "vault ref",
		expect.Eq("Path", ref.Path, "secret/llm/openai"),
		expect.Eq("Key", ref.Key, "api_key"),
		expect.Eq("Version", ref.Version, 4),
		expect.Eq("start line:column", [2]int{ref.Range.Start.Line, ref.Range.Start.Column}, [2]int{30, 13}))
	if len(cfg.GateflowProviders) != 1 {
		t.Fatalf("gateflow providers: %+v", cfg.GateflowProviders)
	}
	g := cfg.GateflowProviders[0]
	expect.Fields(t, "gateflow provider",
		expect.Eq("ProviderID", g.ProviderID, "openai"),
		expect.Eq("Enabled", g.Enabled, false),
		expect.Eq("Settings", g.Settings, map[string]any{"organization_id": "org-123", "timeout_ms": int64(30000), "max_retries": int64(2), "default_model": "gpt-5.2"}),
		expect.Eq("api_key credential is a vault reference", g.Credentials["api_key"].Ref != nil, true),
		expect.Eq("declaration line", g.DeclRange.Start.Line, 36))
}

func TestVariablePrecedence(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "region" {
  default = "from-default"
}
glow_provider "a" {
  name = var.region
}
`,
		"one.vars.hcl.txt": `region = "from-file-1"`,
		"two.vars":         `region = "from-file-2"`,
	})
	one, two := filepath.Join(dir, "one.vars.hcl.txt"), filepath.Join(dir, "two.vars")
	env := envOf(map[string]string{"SWITCHBOARD_VAR_region": "from-env"})
	cases := []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"default", LoadOptions{}, "from-default"},
		{"env over default", LoadOptions{Env: env}, "from-env"},
		{"var file over env", LoadOptions{Env: env, VarFiles: []string{one}}, "from-file-1"},
		{"later var file wins", LoadOptions{Env: env, VarFiles: []string{one, two}}, "from-file-2"},
		{"--var over everything", LoadOptions{Env: env, VarFiles: []string{one, two}, Vars: map[string]string{"region": "from-flag"}}, "from-flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mustLoad(t, dir, c.opts)
			if got := cfg.GlowProviders[0].Name; got != c.want {
				t.Errorf("name = %q, want %q", got, c.want)
			}
		})
	}
}

func TestVariableTypesAndValidation(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
variable "departments" {
  type = list(string)
}
variable "limits" {
  type    = object({ timeout = number, retries = optional(number, 3) })
  default = { timeout = 30 }
}
variable "region" {
  type = string
  validation {
    condition     = contains(["us", "eu"], var.region)
    error_message = "Region must be us or eu, not ${var.region}."
  }
}
glow_provider "a" {
  name        = "A ${var.region}"
  departments = var.departments
  values      = { timeout = var.limits.timeout, retries = var.limits.retries }
}
`})
	cfg := mustLoad(t, dir, LoadOptions{Vars: map[string]string{"departments": `["cs", "math"]`, "region": "eu"}})
	p := cfg.GlowProviders[0]
	if p.Name != "A eu" || !reflect.DeepEqual(p.Departments, []string{"cs", "math"}) || !reflect.DeepEqual(p.Values, map[string]string{"timeout": "30", "retries": "3"}) {
		t.Errorf("provider: %+v", p)
	}

	_, diags := Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"departments": `["cs"]`, "region": "mars"}})
	if len(diags) != 1 || diags[0].Summary != "Invalid value for variable" || !strings.HasPrefix(diags[0].Detail, "Region must be us or eu, not mars.") {
		t.Fatalf("validation: %s", diags)
	}
	if diags[0].Subject == nil || diags[0].Subject.Start.Line != 9 {
		t.Errorf("a value from --var is reported at the declaration: %v", diags[0].Subject)
	}

	_, diags = Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"departments": `"cs"`, "region": "us"}})
	if len(diags) != 1 || diags[0].Summary != "Invalid value for input variable" {
		t.Fatalf("type: %s", diags)
	}

	_, diags = Load(dir, LoadOptions{Env: noEnv})
	if len(diags) != 1 {
		t.Fatalf("missing: %d diagnostics, want 1: %s", len(diags), diags)
	}
	if want := "No value for required variables"; diags[0].Summary != want {
		t.Errorf("missing: summary %q, want %q", diags[0].Summary, want)
	}
	for _, want := range []string{`"departments" and "region"`, "SWITCHBOARD_VAR_region"} {
		if !strings.Contains(diags[0].Detail, want) {
			t.Errorf("missing: detail %q does not contain %q", diags[0].Detail, want)
		}
	}

	_, diags = Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"departments": `[]`, "region": "us", "nope": "x"}})
	if len(diags) != 1 || diags[0].Summary != "Value for undeclared variable" || diags[0].Severity != hcl.DiagError {
		t.Fatalf("undeclared --var: %s", diags)
	}

	varFile := filepath.Join(t.TempDir(), "x.hcl")
	if err := os.WriteFile(varFile, []byte("region = \"us\"\nnope = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags = Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"departments": `[]`}, VarFiles: []string{varFile}})
	if cfg == nil || len(diags) != 1 {
		t.Fatalf("undeclared in var file: cfg nil = %t, want 1 diagnostic: %s", cfg == nil, diags)
	}
	if diags[0].Severity != hcl.DiagWarning {
		t.Errorf("undeclared in var file: Severity = %v, want a warning: %s", diags[0].Severity, diags)
	}
	if diags[0].Subject.Start.Line != 2 {
		t.Errorf("undeclared in var file: line = %d, want 2: %s", diags[0].Subject.Start.Line, diags)
	}
}

func TestLocalsAndFunctions(t *testing.T) {
	dir := writeDir(t, map[string]string{
		// Locals refer to each other across files and out of order.
		"a.hcl": `
locals {
  upper_name = upper(local.base)
  merged     = merge(local.values, { extra = "yes" })
}
`,
		"b.hcl": `
locals {
  base   = format("%s-%s", "open", "ai")
  values = jsondecode(file("values.json"))
  depts  = distinct(sort(concat(split(",", "math,cs"), ["cs"])))
}
glow_provider "a" {
  name        = local.upper_name
  description = join(" ", [trimspace(" x "), replace("a-b", "-", "+"), regex("[0-9]+", "v42"), lookup(local.values, "missing", "dflt"), coalesce("", "c")])
  departments = [for d in local.depts : trimspace(d)]
  values = merge(local.merged, {
    n        = length(flatten([[1], [2, 3]]))
    keys     = join(",", keys(local.values))
    vals     = join(",", values(local.values))
    has      = contains(local.depts, "cs")
    tried    = try(local.values.nope, "fallback")
    can      = can(local.values.nope)
    json     = jsonencode({ a = 1 })
    set      = length(toset(["a", "a"]))
    list     = tolist(toset(["b", "a"]))[0]
    map      = tomap({ k = "v" })["k"]
    all      = alltrue([true, startswith("abc", "a"), endswith("abc", "c"), strcontains("abc", "b")])
    path     = path.module == "${path.root}"
  })
}
`,
		"values.json": `{"timeout": "30", "region": "us"}`,
	})
	cfg := mustLoad(t, dir, LoadOptions{})
	p := cfg.GlowProviders[0]
	if p.Name != "OPEN-AI" {
		t.Errorf("name = %q", p.Name)
	}
	if p.Description != "x a+b 42 dflt c" {
		t.Errorf("description = %q", p.Description)
	}
	if !reflect.DeepEqual(p.Departments, []string{"cs", "math"}) {
		t.Errorf("departments = %q", p.Departments)
	}
	want := map[string]string{
		"timeout": "30", "region": "us", "extra": "yes", "n": "3", "keys": "region,timeout", "vals": "us,30",
		"has": "true", "tried": "fallback", "can": "false", "json": `{"a":1}`, "set": "1", "list": "a", "map": "v",
		"all": "true", "path": "true",
	}
	if !reflect.DeepEqual(p.Values, want) {
		t.Errorf("values:\n got %v\nwant %v", p.Values, want)
	}
}

func TestForEachAddresses(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
locals {
  models = { openai = "gpt-5.2", anthropic = "claude-sonnet-4-5" }
}
glow_provider "per_department" {
  for_each    = toset(["math", "cs", "a\"b"])
  name        = "Anthropic ${upper(each.key)}"
  departments = [each.value]
  key "primary" {
    value = vault("secret/llm/${each.key}", "api_key")
  }
}
gateflow_provider "vendor" {
  for_each    = local.models
  provider_id = each.key
  credentials = { api_key = vault("secret/llm/${each.key}", "api_key") }
  settings    = { default_model = each.value }
}
glow_provider "none" {
  for_each = toset([])
  name     = "never"
}
`})
	cfg := mustLoad(t, dir, LoadOptions{})
	var got []string
	for _, p := range cfg.GlowProviders {
		got = append(got, p.Address.String()+" "+p.Name+" "+p.Keys[0].Value.Ref.Path)
	}
	want := []string{
		`glow_provider.per_department["a\"b"] Anthropic A"B secret/llm/a"b`,
		`glow_provider.per_department["cs"] Anthropic CS secret/llm/cs`,
		`glow_provider.per_department["math"] Anthropic MATH secret/llm/math`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("glow:\n got %q\nwant %q", got, want)
	}
	got = nil
	for _, p := range cfg.GateflowProviders {
		got = append(got, p.Address.String()+" "+p.ProviderID+" "+p.Settings["default_model"].(string))
	}
	want = []string{
		`gateflow_provider.vendor["anthropic"] anthropic claude-sonnet-4-5`,
		`gateflow_provider.vendor["openai"] openai gpt-5.2`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gateflow:\n got %q\nwant %q", got, want)
	}
	for _, p := range cfg.GlowProviders {
		back, err := ParseAddress(p.Address.String())
		if err != nil || back != p.Address {
			t.Errorf("ParseAddress(%s) = %+v, %v", p.Address, back, err)
		}
	}
	if a, err := ParseAddress("glow_provider.x"); err != nil || a.HasKey || a.Block() != a {
		t.Errorf("ParseAddress without key: %+v %v", a, err)
	}
	for _, bad := range []string{"x.y", "glow_provider", `glow_provider.x[1]`, `glow_provider.x["a"].b`, "glow_provider.x[", ""} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) succeeded", bad)
		}
	}
}

func TestForEachUnknown(t *testing.T) {
	_, diags := forEachInstances(cty.UnknownVal(cty.Set(cty.String)), nil, hcl.Range{Filename: "x.hcl"})
	if len(diags) != 1 || diags[0].Summary != "Invalid for_each argument" || !strings.Contains(diags[0].Detail, "not known") {
		t.Fatalf("diags: %s", diags)
	}
	insts, diags := forEachInstances(cty.MapVal(map[string]cty.Value{"b": cty.True, "a": cty.False}), nil, hcl.Range{})
	if diags.HasErrors() || len(insts) != 2 || insts[0].key != "a" {
		t.Fatalf("map: %+v %s", insts, diags)
	}
}

func TestJSONSyntax(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl.json": `{
  "variable": {"dept": {"default": "cs"}},
  "glow_provider": {
    "json": {
      "name": "From ${upper(var.dept)}",
      "departments": ["${var.dept}"],
      "endpoints": ["https://api.openai.com/v1"],
      "key": {"primary": {"value": "${vault(\"secret/llm/openai\", \"api_key\")}"}}
    }
  }
}`,
		"other.hcl": `gateflow_provider "mistral" { credentials = { api_key = vault("secret/llm/mistral", "api_key") } }`,
	})
	cfg := mustLoad(t, dir, LoadOptions{})
	if len(cfg.GlowProviders) != 1 || len(cfg.GateflowProviders) != 1 {
		t.Fatalf("providers: %+v", cfg)
	}
	p := cfg.GlowProviders[0]
	if p.Name != "From CS" {
		t.Errorf("provider Name = %q, want %q", p.Name, "From CS")
	}
	if p.Departments[0] != "cs" {
		t.Errorf("provider Departments[0] = %q, want %q", p.Departments[0], "cs")
	}
	if ref := p.Keys[0].Value.Ref; ref == nil {
		t.Errorf("provider key: Ref = nil, want a vault reference: %+v", p.Keys[0])
	} else if ref.Key != "api_key" {
		t.Errorf("provider key: Ref.Key = %q, want %q", ref.Key, "api_key")
	}
	if !strings.HasSuffix(p.DeclRange.Filename, "main.hcl.json") {
		t.Errorf("decl range: %v", p.DeclRange)
	}
}

func TestChecksum(t *testing.T) {
	files := map[string]string{"a.hcl": "glow_provider \"a\" { name = \"A\" }\n", "b.hcl": "glow_provider \"b\" { name = \"B\" }\n"}
	sum := func(files map[string]string) string { return mustLoad(t, writeDir(t, files), LoadOptions{}).Checksum }
	first := sum(files)
	if len(first) != 64 || sum(files) != first {
		t.Fatalf("checksum not stable: %s", first)
	}
	// Ignored files do not count; every config file does, by name and
	// content.
	if sum(map[string]string{"a.hcl": files["a.hcl"], "b.hcl": files["b.hcl"], "notes.txt": "x", ".hidden.hcl": "x"}) != first {
		t.Error("files that are not configuration changed the checksum")
	}
	if sum(map[string]string{"a.hcl": files["a.hcl"], "c.hcl": files["b.hcl"]}) == first {
		t.Error("renaming a file kept the checksum")
	}
	if sum(map[string]string{"a.hcl": files["a.hcl"] + files["b.hcl"], "b.hcl": ""}) == first {
		t.Error("moving text between files kept the checksum")
	}
	if sum(map[string]string{"a.hcl": files["a.hcl"], "b.hcl": files["b.hcl"] + "\n"}) == first {
		t.Error("changing a file kept the checksum")
	}
}

func TestEnvDefaultsAndSecretSources(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": `
variable "token" {
  type      = string
  sensitive = true
}
locals {
  openai = vault("secret/llm/openai", "api_key")
}
gateflow {
  admin_key = var.token
}
vault {
  address = nonsensitive(env("MY_VAULT"))
}
glow_provider "a" {
  name = "A"
  key "from_env" {
    value = env("OPENAI_KEY")
  }
  key "from_local" {
    value = local.openai
  }
}
gateflow_provider "openai" {
  credentials = { api_key = "${vault("secret/llm/openai", "api_key")}" }
}
`})
	env := envOf(map[string]string{
		"GLOW_INSTANCE_URL": "https://glow.example.edu",
		"GLOW_TOKEN":        "glow-tok",
		"GATEFLOW_URL":      "https://api.gateflow.ai",
		"MY_VAULT":          "http://127.0.0.1:8200",
		"OPENAI_KEY":        "sk-env-key",
	})
	cfg := mustLoad(t, dir, LoadOptions{Env: env, Vars: map[string]string{"token": "gw_admin_flag"}})
	if cfg.Glow == nil {
		t.Errorf("glow from env: Glow = nil, want a block")
	} else {
		if cfg.Glow.URL != "https://glow.example.edu" {
			t.Errorf("glow from env: URL = %q, want %q", cfg.Glow.URL, "https://glow.example.edu")
		}
		if got := cfg.Glow.Token.Literal.Reveal(); got != "glow-tok" {
			t.Errorf("glow from env: token = %q, want %q", got, "glow-tok")
		}
		if cfg.Glow.DeclRange != (hcl.Range{}) {
			t.Errorf("glow from env: DeclRange = %v, want none", cfg.Glow.DeclRange)
		}
	}
	if cfg.Gateflow.URL != "https://api.gateflow.ai" || cfg.Gateflow.AdminKey.Literal.Reveal() != "gw_admin_flag" || cfg.Gateflow.AdminKey.Source != "var.token" {
		t.Errorf("gateflow: %+v", cfg.Gateflow)
	}
	if cfg.Vault.Address != "http://127.0.0.1:8200" {
		t.Errorf("vault: %+v", cfg.Vault)
	}
	keys := cfg.GlowProviders[0].Keys
	if keys[0].Value.Literal.Reveal() != "sk-env-key" || keys[0].Value.Source != "env:OPENAI_KEY" || keys[0].Value.Ref != nil {
		t.Errorf("env key: %+v", keys[0])
	}
	// A reference reaching a key through a local is reported where the
	// vault() call is written.
	if r := keys[1].Value.Ref; r == nil || r.Range.Start.Line != 7 || r.Range.Start.Column != 12 {
		t.Errorf("local key: %+v", keys[1].Value.Ref)
	}
	if c := cfg.GateflowProviders[0].Credentials["api_key"]; c.Ref == nil || c.Ref.Range.Start.Line != 25 {
		t.Errorf("\"${vault(...)}\" is the reference itself: %+v", c)
	}
}

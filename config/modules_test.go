package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTargetRoundTrips(t *testing.T) {
	for _, s := range []string{
		`glow_provider.x`,
		`glow_provider.x["a.b"]`,
		`module.team`,
		`module.team["cs"]`,
		`module.team["c\"s"].glow_provider.openai`,
		`module.team["cs"].module.keys.gateflow_provider.openai["k"]`,
		`module.a.module.b`,
	} {
		tgt, err := ParseTarget(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if got := tgt.String(); got != s {
			t.Errorf("%s: round trip gives %s", s, got)
		}
	}
	a, err := ParseAddress(`module.team["cs"].module.keys.glow_provider.x["k"]`)
	if err != nil {
		t.Errorf("ParseAddress: %v", err)
	} else {
		for _, c := range []struct{ field, got, want string }{
			{"Module", a.Module, `module.team["cs"].module.keys`},
			{"Name", a.Name, "x"},
			{"Key", a.Key, "k"},
			{"Block()", a.Block().String(), `module.team["cs"].module.keys.glow_provider.x`},
		} {
			if c.got != c.want {
				t.Errorf("ParseAddress: %s = %q, want %q", c.field, c.got, c.want)
			}
		}
	}
	for _, bad := range []string{`module`, `module.team`, `module.team[1].glow_provider.x`, `modul.team.glow_provider.x`, `module.team.other.x`} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
	if got := ModuleTargets(`module.a["x"].module.b`); strings.Join(got, " ") != `module.a module.a["x"] module.a["x"].module.b` {
		t.Errorf("ModuleTargets: %q", got)
	}
}

// A configuration calling a module beside it under a switchboard.root
// names its files relative to the root, and loads again from them alone;
// the checksum covers the module.
func TestModulesBesideTheConfigurationUnderARoot(t *testing.T) {
	root := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("environments/staging/main.hcl", `glow {
  url         = "https://glow.example.com"
  owner       = "platform"
  environment = "staging"
}
module "team" {
  source   = "../../modules/team"
  for_each = { cs = "Computer science" }
  team     = each.key
  title    = each.value
}
`)
	write("modules/team/main.hcl", `variable "team" { type = string }
variable "title" { type = string }
glow_provider "openai" {
  name        = "OpenAI ${var.title}"
  departments = [var.team]
}
`)
	dir := filepath.Join(root, "environments", "staging")
	if _, diags := Load(dir, LoadOptions{Env: noEnv}); !diags.HasErrors() || !strings.Contains(diags.Error(), RootMarkerFile) {
		t.Fatalf("without %s: %v", RootMarkerFile, diags)
	}
	write(RootMarkerFile, "")
	cfg, diags := Load(dir, LoadOptions{Env: noEnv})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if cfg.Prefix != "environments/staging" || cfg.Glow.Environment != "staging" || len(cfg.GlowProviders) != 1 {
		t.Fatalf("config: %+v", cfg)
	}
	p := cfg.GlowProviders[0]
	if p.Address.String() != `module.team["cs"].glow_provider.openai` || p.Name != "OpenAI Computer science" || p.DeclRange.Filename != filepath.Join(root, "modules", "team", "main.hcl") {
		t.Errorf("provider: %s %q at %s", p.Address, p.Name, p.DeclRange.Filename)
	}
	var names []string
	for _, f := range cfg.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "environments/staging/main.hcl modules/team/main.hcl" {
		t.Errorf("files: %v", names)
	}
	again, diags := Load(dir, LoadOptions{Env: noEnv, FS: MemFS(cfg.Files), Prefix: cfg.Prefix})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if again.Checksum != cfg.Checksum || again.GlowProviders[0].Address != p.Address || again.GlowProviders[0].DeclRange.Filename != p.DeclRange.Filename {
		t.Errorf("reloaded from the files: %+v", again.GlowProviders)
	}
	write("modules/team/main.hcl", strings.Replace(string(cfg.Files[1].Content), "OpenAI", "OpenAI!", 1))
	changed, diags := Load(dir, LoadOptions{Env: noEnv})
	if diags.HasErrors() || changed.Checksum == cfg.Checksum {
		t.Errorf("a module change keeps the checksum: %v", diags)
	}
}

func TestEnvironmentSetting(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("glow {\n  url = \"https://g.example.com\"\n  environment = \"a/b\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Invalid environment") || !strings.Contains(diags.Error(), "main.hcl:3") {
		t.Errorf("invalid environment: %v", diags)
	}
}

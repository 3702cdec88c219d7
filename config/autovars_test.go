package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestAutoVarFilesAndPrecedence: switchboard.sbvars and *.auto.sbvars are
// read from the configuration directory, between the environment and
// --var-file, and a variable set in more than one place gets a warning
// naming every place and the one that won.
func TestAutoVarFilesAndPrecedence(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `
variable "region" {
  default = "from-default"
}
variable "team" {
  default = "from-default"
}
variable "token" {
  sensitive = true
}
glow_provider "a" {
  name        = "${var.region}/${var.team}"
}
`,
		"switchboard.sbvars":  "region = \"from-sbvars\"\nteam = \"from-sbvars\"\n",
		"a.auto.sbvars":       "region = \"from-a-auto\"\ntoken = \"tok-from-auto-file\"\n",
		"b.auto.sbvars.json":  `{"region": "from-b-auto"}`,
		"envs/prod.sbvars":    `region = "from-var-file"`,
		"notes.sbvars":        `region = "never read: not auto"`,
		".hidden.auto.sbvars": `region = "never read: hidden"`,
	})
	env := envOf(map[string]string{"SWITCHBOARD_VAR_region": "from-env", "SWITCHBOARD_VAR_team": "from-env"})
	varFile := filepath.Join(dir, "envs", "prod.sbvars")
	for _, c := range []struct {
		name       string
		opts       LoadOptions
		want       string
		regionNote string // the warning about var.region, "" for none
	}{
		{"auto files only", LoadOptions{}, "from-b-auto/from-sbvars",
			"var.region is set by switchboard.sbvars, a.auto.sbvars and b.auto.sbvars.json; the value from b.auto.sbvars.json is used."},
		{"auto files over the environment", LoadOptions{Env: env}, "from-b-auto/from-sbvars",
			"var.region is set by SWITCHBOARD_VAR_region, switchboard.sbvars, a.auto.sbvars and b.auto.sbvars.json; the value from b.auto.sbvars.json is used."},
		{"--var-file over auto files", LoadOptions{Env: env, VarFiles: []string{varFile}}, "from-var-file/from-sbvars",
			"the value from --var-file " + varFile + " is used."},
		{"--var over everything", LoadOptions{Env: env, VarFiles: []string{varFile}, Vars: map[string]string{"region": "from-flag"}}, "from-flag/from-sbvars",
			"; the value from --var is used."},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			if opts.Env == nil {
				opts.Env = noEnv
			}
			cfg, diags := Load(dir, opts)
			if diags.HasErrors() {
				t.Fatal(describeDiags(diags))
			}
			if got := cfg.GlowProviders[0].Name; got != c.want {
				t.Errorf("name = %q, want %q", got, c.want)
			}
			var notes []string
			for _, d := range diags {
				if d.Severity == hcl.DiagWarning && d.Summary == "Variable set in more than one place" {
					notes = append(notes, d.Detail)
				}
			}
			all := strings.Join(notes, "\n")
			if !strings.Contains(all, c.regionNote) {
				t.Errorf("warnings:\n%s\nwant one containing %q", all, c.regionNote)
			}
			// var.team is set twice only with the environment.
			if teamNoted := strings.Contains(all, "var.team is set by SWITCHBOARD_VAR_team and switchboard.sbvars; the value from switchboard.sbvars is used."); teamNoted != (c.opts.Env != nil) {
				t.Errorf("warnings:\n%s\nabout var.team: %v, want %v", all, teamNoted, c.opts.Env != nil)
			}
			if strings.Contains(all, "tok-from-auto-file") {
				t.Errorf("a warning shows a sensitive value:\n%s", all)
			}
			for _, f := range cfg.Files {
				if strings.Contains(f.Name, "sbvars") {
					t.Errorf("Config.Files holds the variable file %s: a plan file would embed its values", f.Name)
				}
			}
			for _, v := range cfg.Variables {
				if v.Name == "token" && (v.Secret.Reveal() == "" || v.Value != "") {
					t.Errorf("var.token from a.auto.sbvars: %+v", v)
				}
			}
		})
	}

	// A saved plan's files hold no variable file, and no file of the
	// directory is read: the plan recorded the values.
	cfg := mustLoad(t, dir, LoadOptions{})
	planned := map[string]string{}
	for _, v := range cfg.Variables {
		if !v.Sensitive {
			planned[v.Name] = v.Value
		}
	}
	replayed, diags := Load(dir, LoadOptions{Env: envOf(map[string]string{"SWITCHBOARD_VAR_token": "tok-from-auto-file"}), FS: MemFS(cfg.Files), PlannedVars: planned})
	if diags.HasErrors() {
		t.Fatal(describeDiags(diags))
	}
	if replayed.GlowProviders[0].Name != "from-b-auto/from-sbvars" || len(diags) != 0 {
		t.Errorf("replayed: %q, diagnostics:\n%s", replayed.GlowProviders[0].Name, describeDiags(diags))
	}
}

// TestVarFileNamedHCLHint: a variable file named *.hcl in the directory is
// read as configuration, and the error says what to name it instead.
func TestVarFileNamedHCLHint(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": "variable \"region\" {}\nglow_provider \"a\" {\n  name = var.region\n}\n",
		"prod.hcl": "region = \"eu\"\n",
	})
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	text := describeDiags(diags)
	if !strings.Contains(text, "prod.hcl:1,1-7: Unsupported argument") ||
		!strings.Contains(text, "prod.hcl has only arguments, so it looks like a variable file") ||
		!strings.Contains(text, "Name it prod.sbvars and pass --var-file prod.sbvars, or name it prod.auto.sbvars to have it read automatically.") {
		t.Errorf("diagnostics:\n%s", text)
	}
	// Renamed as the hint says, it works.
	dir = writeDir(t, map[string]string{
		"main.hcl":           "variable \"region\" {}\nglow_provider \"a\" {\n  name = var.region\n}\n",
		"prod.auto.sbvars":   "region = \"eu\"\n",
		"other/unrelated.md": "x",
	})
	if cfg := mustLoad(t, dir, LoadOptions{}); cfg.GlowProviders[0].Name != "eu" {
		t.Errorf("name = %q", cfg.GlowProviders[0].Name)
	}
}

package main

// End-to-end tests of local modules and environments (docs/modules.md,
// docs/environments.md): the real CLI against the emulator and a real Vault.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
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
	for _, want := range []string{
		`# module.team["cs"].glow_provider.openai will be created`,
		`# module.team["math"].module.mistral.glow_provider.mistral will be created`,
		`# glow_provider.shared will be created`,
		`+ name = "Shared (after OpenAI cs)"`,
		"Plan: 5 to add, 0 to change, 0 to destroy.",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	js := checkNestedModuleJSON(t, dir)

	applyOK(t, "5 added, 0 changed, 0 destroyed", dir)
	noChanges(t, dir)

	// The markers record the full address.
	if got := markerAddresses(t, w)["Mistral cs"]; got != `module.team["cs"].module.mistral.glow_provider.mistral` {
		t.Errorf("marker address %q", got)
	}

	// A change in every instance; a target on one module instance plans
	// only the changes inside it, nested modules included.
	edit(t, filepath.Join(dir, "modules/mistral/main.hcl"), `departments = [var.team]`, `departments = [var.team]
  description = "Mistral for ${var.team}"`)
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--target", `module.team["cs"]`, dir)
	out += errOut
	if code != 0 {
		t.Errorf("--target module.team[\"cs\"]: exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		`# module.team["cs"].module.mistral.glow_provider.mistral will be updated in-place`,
		"Plan: 0 to add, 1 to change, 0 to destroy.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--target module.team[\"cs\"]: the plan does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `module.team["math"]`) {
		t.Errorf("--target module.team[\"cs\"]: the plan shows module.team[\"math\"]:\n%s", out)
	}
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", "--target", `module.team.module.mistral.glow_provider.mistral`, dir)
	out += errOut
	if code != 0 || !strings.Contains(out, "Plan: 0 to add, 2 to change, 0 to destroy.") {
		t.Errorf("--target a resource in every instance:\n%s", out)
	}
	applyOK(t, "0 added, 1 changed, 0 destroyed", "--target", `module.team["cs"].module.mistral.glow_provider.mistral`, dir)
	applyOK(t, "0 added, 1 changed, 0 destroyed", "--target", `module.team`, dir)
	noChanges(t, dir)

	// Completion offers the module targets.
	_, comp, _ := runSwitchboard(t, "__complete", "plan", "--target", "module.team[", dir)
	_ = comp
	_, comp, _ = runSwitchboard(t, "__complete", "plan", dir, "--target", "module.")
	for _, want := range []string{`module.team["cs"]`, `module.team`, `module.team["math"].module.mistral`} {
		if !strings.Contains(comp, want+"\n") {
			t.Errorf("completion lacks %q:\n%s", want, comp)
		}
	}

	// Removing a module instance destroys what it owned, and only that.
	edit(t, filepath.Join(dir, "main.hcl"), `toset(["cs", "math"])`, `toset(["cs"])`)
	code, out = planText(t, dir)
	if code != 0 || !strings.Contains(out, `# module.team["math"].glow_provider.openai will be destroyed`) || !strings.Contains(out, "Plan: 0 to add, 0 to change, 2 to destroy.") {
		t.Errorf("removed module instance:\n%s", out)
	}
	w.assertNoSecret(t, out, js)
}

// A block moved from the root module into a module keeps its provider: the

// checkNestedModuleJSON checks plan --json of moduleConfig: a nested
// module's provider carries its module address, name and declaration, a
// root provider none. It returns the JSON.
func checkNestedModuleJSON(t *testing.T, dir string) string {
	t.Helper()
	code, js, errOut := runSwitchboard(t, "plan", "--json", dir)
	var doc struct {
		ResourceChanges []struct {
			Address       string `json:"address"`
			ModuleAddress string `json:"module_address"`
			Name          string `json:"name"`
			Switchboard   struct {
				DeclaredAt string `json:"declared_at"`
			} `json:"switchboard"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &doc); code != 0 || err != nil {
		t.Fatalf("plan --json: exit %d %v\n%s%s", code, err, js, errOut)
	}
	found := false
	for _, rc := range doc.ResourceChanges {
		if rc.Address == `module.team["math"].module.mistral.glow_provider.mistral` {
			found = true
			if rc.ModuleAddress != `module.team["math"].module.mistral` || rc.Name != "mistral" || rc.Switchboard.DeclaredAt != "modules/mistral/main.hcl:5" {
				t.Errorf("JSON change of a nested module's provider: %+v", rc)
			}
		}
		if rc.Address == "glow_provider.shared" && rc.ModuleAddress != "" {
			t.Errorf("root provider has module_address %q", rc.ModuleAddress)
		}
	}
	if !found {
		t.Errorf("JSON plan lacks the nested module's provider:\n%s", js)
	}
	return js
}

// markerAddresses is each Glow provider's ownership marker address, by
// provider name.
func markerAddresses(t *testing.T, w *world) map[string]string {
	t.Helper()
	markers := map[string]string{}
	ps, err := api.Collect(glowClient(t, w).Search(t.Context(), glow.SearchRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		_, own := objects.SplitMarker(p.Values)
		if own.Marker == nil {
			t.Fatalf("provider %s has no marker", p.Name)
		}
		markers[p.Name] = string(own.Marker.Address)
	}
	return markers
}

// marker's address changes in place, as a renamed block's does.
func TestModuleMoveIsAnUpdateInPlace(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-module-0002"})
	dir := writeTree(t, map[string]string{
		"main.hcl": `glow {}
glow_provider "openai" {
  name        = "OpenAI cs"
  departments = ["cs"]
}
`,
		"modules/team/main.hcl": `variable "team" { type = string }
glow_provider "openai" {
  name        = "OpenAI ${var.team}"
  departments = [var.team]
}
`,
	})
	applyOK(t, "1 added", dir)
	before := onlyProvider(t, glowClient(t, w))
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`glow {}
module "team" {
  source   = "./modules/team"
  for_each = toset(["cs"])
  team     = each.key
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := planText(t, dir)
	if code != 0 || !strings.Contains(out, `# module.team["cs"].glow_provider.openai (moved from glow_provider.openai) will be updated in-place`) ||
		!strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") {
		t.Fatalf("move into a module:\n%s", out)
	}
	applyOK(t, "0 added, 1 changed, 0 destroyed", dir)
	after := onlyProvider(t, glowClient(t, w))
	_, own := objects.SplitMarker(after.Values)
	if after.ID != before.ID || own.Marker == nil || own.Marker.Address != `module.team["cs"].glow_provider.openai` {
		t.Errorf("after the move: id %s (was %s), marker %+v", after.ID, before.ID, own.Marker)
	}
	noChanges(t, dir)
}

// moduleDiagnostic is a configuration validate must refuse, and what its
// diagnostics must say.
type moduleDiagnostic struct {
	name  string
	files map[string]string
	wants []string
}

// moduleDiagnostics is one case per way a module call or a module can be
// wrong.
var moduleDiagnostics = []moduleDiagnostic{{
	name: "validation inside a module",
	files: map[string]string{
		"main.hcl":                 "module \"team\" {\n  source   = \"./modules/team\"\n  for_each = toset([\"cs\", \"linguistics\"])\n  team     = each.key\n}\n",
		"modules/team/main.hcl":    teamModule,
		"modules/mistral/main.hcl": mistralModule,
	},
	wants: []string{"Invalid value for variable", "A team name has at most 8 characters.", "main.hcl:4", `In module.team["linguistics"] (called at `, "main.hcl:1,1)"},
}, {
	name: "error on a line of a module file",
	files: map[string]string{
		"main.hcl":              "module \"team\" {\n  source = \"./modules/team\"\n}\n",
		"modules/team/main.hcl": "glow_provider \"x\" {\n  name = \"X\"\n  departments = \"cs\"\n}\n",
	},
	wants: []string{"Incorrect attribute value type", filepath.Join("modules", "team", "main.hcl") + ":3", "In module.team (called at "},
}, {
	name: "settings in a module",
	files: map[string]string{
		"main.hcl":              "module \"team\" {\n  source = \"./modules/team\"\n}\n",
		"modules/team/main.hcl": "glow {\n  owner = \"x\"\n}\n",
	},
	wants: []string{"glow block in a module", "settings belong to the root configuration", filepath.Join("modules", "team", "main.hcl") + ":1"},
}, {
	name: "git source",
	files: map[string]string{
		"main.hcl": "module \"team\" {\n  source = \"git::https://example.com/modules.git\"\n}\n",
	},
	wants: []string{"Unsupported module source", "a forced source type", "only local module sources", "main.hcl:2"},
}, {
	name:  "registry source",
	files: map[string]string{"main.hcl": "module \"team\" {\n  source = \"acme/team/switchboard\"\n}\n"},
	wants: []string{"Unsupported module source", "a registry address"},
}, {
	name:  "absolute source",
	files: map[string]string{"main.hcl": "module \"team\" {\n  source = \"/etc/modules\"\n}\n"},
	wants: []string{"Unsupported module source", "an absolute path"},
}, {
	name:  "URL source",
	files: map[string]string{"main.hcl": "module \"team\" {\n  source = \"https://example.com/m.zip\"\n}\n"},
	wants: []string{"Unsupported module source", "a URL"},
}, {
	name:  "source out of the directory",
	files: map[string]string{"cfg/main.hcl": "module \"team\" {\n  source = \"../modules/team\"\n}\n", "modules/team/main.hcl": mistralModule},
	wants: []string{"Module source outside the configuration", "switchboard.root"},
}, {
	name: "cycle",
	files: map[string]string{
		"main.hcl":           "module \"a\" {\n  source = \"./modules/a\"\n}\n",
		"modules/a/main.hcl": "module \"b\" {\n  source = \"../b\"\n}\n",
		"modules/b/main.hcl": "module \"a\" {\n  source = \"../a\"\n}\n",
	},
	wants: []string{"Module cycle", "form a cycle", "In module.a.module.b (called at "},
}, {
	name:  "count",
	files: map[string]string{"main.hcl": "module \"team\" {\n  source = \"./m\"\n  count  = 2\n}\n", "m/main.hcl": "glow_provider \"x\" {\n  name = \"X\"\n}\n"},
	wants: []string{"count is not supported in a module call", "for_each only"},
}, {
	name:  "undeclared argument and missing variable",
	files: map[string]string{"main.hcl": "module \"team\" {\n  source = \"./m\"\n  teem   = \"cs\"\n}\n", "m/main.hcl": mistralModule},
	wants: []string{"Unsupported argument", `declares no variable "teem"`, "Missing required argument", `The argument "team" is required`},
}, {
	name: "one Gateflow provider in two module instances",
	files: map[string]string{
		"main.hcl":   "module \"team\" {\n  source   = \"./m\"\n  for_each = toset([\"a\", \"b\"])\n}\n",
		"m/main.hcl": "gateflow_provider \"openai\" {\n  credentials = { api_key = vault(\"secret/x\", \"k\") }\n}\n",
	},
	wants: []string{"Duplicate Gateflow provider", `module.team["b"].gateflow_provider.openai configures the Gateflow provider "openai", which module.team["a"].gateflow_provider.openai`},
}, {
	name: "module output in a local",
	files: map[string]string{
		"main.hcl":   "module \"team\" {\n  source = \"./m\"\n}\nlocals {\n  n = module.team.name\n}\n",
		"m/main.hcl": "output \"name\" {\n  value = \"x\"\n}\n",
	},
	wants: []string{"Module output used too early", "main.hcl:5"},
}, {
	name:  "undeclared module",
	files: map[string]string{"main.hcl": "glow_provider \"x\" {\n  name = module.nope.name\n}\n"},
	wants: []string{"Reference to undeclared module", `"nope"`},
}}

func TestModuleDiagnostics(t *testing.T) {
	for _, tc := range moduleDiagnostics {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			if strings.HasPrefix(tc.name, "source out") {
				dir = filepath.Join(dir, "cfg")
			}
			code, out, errOut := runSwitchboard(t, "validate", "--no-color", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
			}
			for _, want := range tc.wants {
				if !strings.Contains(errOut, want) {
					t.Errorf("lacks %q:\n%s", want, errOut)
				}
			}
		})
	}
}

// A saved plan embeds the module files and applies from them; a module
// file changed in the plan file is refused before any call.
func TestModulesSavedPlan(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-module-0003"})
	dir := writeTree(t, moduleConfig(""))
	file := savePlan(t, dir)
	code, shown, errOut := runSwitchboard(t, "show", "--no-color", file)
	if code != 0 || !strings.Contains(shown, `# module.team["cs"].module.mistral.glow_provider.mistral will be created`) {
		t.Fatalf("show: exit %d\n%s%s", code, shown, errOut)
	}
	tampered := editPlanFile(t, file, func(payload map[string]any) {
		for _, f := range payload["configuration"].(map[string]any)["files"].([]any) {
			f := f.(map[string]any)
			if f["name"] == "modules/mistral/main.hcl" {
				f["text"] = strings.Replace(f["text"].(string), `"Mistral ${var.team}"`, `"Evil ${var.team}"`, 1)
			}
		}
	})
	refused(t, []*world{w}, []string{"apply", "--no-color", tampered}, "does not follow from its own configuration", "module.team[\"cs\"].module.mistral.glow_provider.mistral")
	// The configuration directory is not read: apply works from the file.
	if err := os.RemoveAll(filepath.Join(dir, "modules")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runSwitchboard(t, "apply", "--no-color", file)
	if code != 0 || !strings.Contains(out, "5 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply FILE: exit %d\n%s%s", code, out, errOut)
	}
}

func envConfig(env, extra string) string {
	owner := "  owner       = \"platform\"\n"
	if env != "" {
		owner += "  environment = \"" + env + "\"\n"
	}
	label := env
	if label == "" {
		label = "legacy"
	}
	return "glow {\n" + owner + "  prune_departments = [\"cs\"]\n}\n\nvault {}\n\n" +
		"glow_provider \"openai\" {\n  name        = \"OpenAI " + label + "\"\n  departments = [\"cs\"]\n  endpoints   = [\"https://" + label + ".example.com/v1\"]\n\n  key \"primary\" {\n    value = vault(\"secret/llm/openai\", \"api_key\")\n  }\n}\n" + extra
}

// Two environments of one owner on one Glow (pointed at the same instance
// by mistake) never prune, adopt or destroy each other's providers, keys
// or endpoints; a marker written before environments existed is the
// environment "" and is left alone too.
func TestEnvironmentsOnOneEmulatorNeverTouchEachOther(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-env-0001"})
	legacy := writeTree(t, map[string]string{"main.hcl": envConfig("", "")})
	staging := writeTree(t, map[string]string{"main.hcl": envConfig("staging", "")})
	prod := writeTree(t, map[string]string{"main.hcl": envConfig("prod", "")})

	applyOK(t, "1 added, 0 changed, 0 destroyed", legacy)
	applyOK(t, "1 added, 0 changed, 0 destroyed", staging)
	code, out := planText(t, prod)
	if code != 0 || !strings.Contains(out, "Plan: 1 to add, 0 to change, 0 to destroy.") || strings.Contains(out, "adopt") {
		t.Fatalf("prod's plan after staging's apply:\n%s", out)
	}
	applyOK(t, "1 added, 0 changed, 0 destroyed", prod)
	noChanges(t, staging)
	noChanges(t, prod)
	noChanges(t, legacy)

	code, js, _ := runSwitchboard(t, "plan", "--json", staging)
	if code != 0 || !strings.Contains(js, `"owner":"platform/staging"`) && !strings.Contains(js, `"owner": "platform/staging"`) {
		t.Errorf("staging's JSON plan does not name its owner identity:\n%s", js)
	}

	c := glowClient(t, w)
	ps, err := api.Collect(c.Search(t.Context(), glow.SearchRequest{}))
	if err != nil || len(ps) != 3 {
		t.Fatalf("providers: %v %v", ps, err)
	}
	for _, p := range ps {
		_, own := objects.SplitMarker(p.Values)
		want := map[string]string{"OpenAI staging": "staging", "OpenAI prod": "prod", "OpenAI legacy": ""}[p.Name]
		if own.Marker == nil || own.Marker.Owner != "platform" || own.Marker.Environment != want {
			t.Errorf("%s: marker %+v, want environment %q", p.Name, own.Marker, want)
		}
		if want == "" && strings.Contains(p.Values[objects.MarkerKey], "environment") {
			t.Errorf("a marker without environment records one: %s", p.Values[objects.MarkerKey])
		}
	}
	keys, err := api.Collect(c.ListKeys(t.Context()))
	if err != nil || len(keys) != 3 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	owners := map[string]bool{}
	for _, k := range keys {
		_, _, owner, ok := secretref.ParseOwnedKeyName(k.Name)
		if !ok {
			t.Errorf("key %q has no marker", k.Name)
		}
		owners[owner] = true
	}
	if !owners["platform"] || !owners["platform/staging"] || !owners["platform/prod"] {
		t.Errorf("key owners: %v", owners)
	}

	// A block of prod named like staging's provider is not an adoption:
	// the plan refuses, naming the other environment.
	stolen := writeTree(t, map[string]string{"main.hcl": envConfig("prod", "glow_provider \"stolen\" {\n  name        = \"OpenAI staging\"\n  departments = [\"cs\"]\n}\n")})
	code, out = planText(t, stolen)
	if code == 0 || !strings.Contains(out, `configuration "platform" in environment "staging"`) {
		t.Errorf("prod naming staging's provider: exit %d\n%s", code, out)
	}

	// Destroying staging removes staging's provider, key and endpoint only.
	before := len(ps)
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--destroy", staging)
	if code != 0 || !strings.Contains(out, "Plan: 0 to add, 0 to change, 1 to destroy.") || strings.Contains(out, "OpenAI prod\" -> null") {
		t.Fatalf("destroy plan of staging:\n%s%s", out, errOut)
	}
	applyOK(t, "0 added, 0 changed, 1 destroyed", "--destroy", staging)
	ps, err = api.Collect(c.Search(t.Context(), glow.SearchRequest{}))
	if err != nil || len(ps) != before-1 {
		t.Fatalf("providers after destroying staging: %v %v", ps, err)
	}
	eps, err := api.Collect(c.ListEndpoints(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range eps {
		names = append(names, e.Name)
	}
	if strings.Contains(strings.Join(names, ","), "platform/staging") || !strings.Contains(strings.Join(names, ","), "switchboard (owner:platform/prod)") {
		t.Errorf("endpoints after destroying staging: %v", names)
	}
	noChanges(t, prod)
	noChanges(t, legacy)
}

// import --owner --environment writes into an environment's directory: the
// glow block names both, the providers of that environment (and unowned
// ones) are imported, those of another environment are not.
func TestImportIntoAnEnvironment(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-env-0002"})
	staging := writeTree(t, map[string]string{"main.hcl": envConfig("staging", "")})
	prod := writeTree(t, map[string]string{"main.hcl": envConfig("prod", "")})
	applyOK(t, "1 added", staging)
	applyOK(t, "1 added", prod)

	out := filepath.Join(t.TempDir(), "environments", "staging")
	code, stdout, errOut := runSwitchboard(t, "import", "--glow", "--owner", "platform", "--environment", "staging", "-o", out)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, errOut)
	}
	main, _ := os.ReadFile(filepath.Join(out, "main.hcl"))
	glowHCL, _ := os.ReadFile(filepath.Join(out, "glow.hcl"))
	if !strings.Contains(string(main), "glow {\n  owner       = \"platform\"\n  environment = \"staging\"\n}") {
		t.Errorf("main.hcl:\n%s", main)
	}
	if !strings.Contains(string(glowHCL), `"OpenAI staging"`) || strings.Contains(string(glowHCL), `"OpenAI prod"`) {
		t.Errorf("glow.hcl:\n%s", glowHCL)
	}
	if !strings.Contains(stdout+errOut, `in environment "prod"`) {
		t.Errorf("import does not say why prod's provider was left out:\n%s%s", stdout, errOut)
	}
	code, plan := planText(t, out)
	if code != 0 || !strings.Contains(plan, "0 to add") || !strings.Contains(plan, "0 to destroy") {
		t.Errorf("plan of the imported environment:\n%s", plan)
	}
	if code, out, errOut := runSwitchboard(t, "import", "--glow", "--environment", "bad/env", "-o", t.TempDir()); code == 0 || !strings.Contains(out+errOut, "--environment") {
		t.Errorf("import --environment bad/env: exit %d\n%s%s", code, out, errOut)
	}
	noChanges(t, prod)
}

// A plan of an environment embeds the shared module from above its
// directory (named relative to switchboard.root), applies from the file
// alone, and a change to that module inside the file is refused.
func TestEnvironmentPlanFileEmbedsSharedModules(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/staging/llm/openai", map[string]string{"api_key": "sk-env-0003"})
	root := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples", "environments"), root)
	for k, v := range map[string]string{"glow_url": w.url, "gateflow_url": w.url, "vault_addr": os.Getenv("VAULT_ADDR")} {
		t.Setenv("SWITCHBOARD_VAR_"+k, v)
	}
	dir := filepath.Join(root, "environments", "staging")
	file := savePlan(t, dir)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pf struct {
		Payload struct {
			Configuration struct {
				Prefix string `json:"prefix"`
				Files  []struct {
					Name string `json:"name"`
				} `json:"files"`
			} `json:"configuration"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(b, &pf); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range pf.Payload.Configuration.Files {
		names = append(names, f.Name)
	}
	if pf.Payload.Configuration.Prefix != "environments/staging" || strings.Join(names, " ") != "environments/staging/main.hcl modules/team/main.hcl" {
		t.Errorf("embedded configuration: prefix %q, files %v", pf.Payload.Configuration.Prefix, names)
	}
	tampered := editPlanFile(t, file, func(payload map[string]any) {
		for _, f := range payload["configuration"].(map[string]any)["files"].([]any) {
			if f := f.(map[string]any); f["name"] == "modules/team/main.hcl" {
				f["text"] = strings.Replace(f["text"].(string), `departments = [var.team]`, `departments = [var.team, "admin"]`, 1)
			}
		}
	})
	refused(t, []*world{w}, []string{"apply", "--no-color", tampered}, "does not follow from its own configuration")
	if err := os.RemoveAll(filepath.Join(root, "modules")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runSwitchboard(t, "apply", "--no-color", file)
	if code != 0 || !strings.Contains(out, "2 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply FILE: exit %d\n%s%s", code, out, errOut)
	}
}

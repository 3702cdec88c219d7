package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/render"
)

// The values of the seeded keys and credentials: none may appear in any
// output or generated file.
const (
	// Key values share no 8 bytes with the key ids: the output cuts every
	// 8-byte piece of a value the run decrypted.
	valHandShared = "sk-import-shared-by-two-0001"
	valHandSolo   = "sk-import-just-one-0002"
	valHandWeird  = "sk-import-odd-label-0003"
	valMarked     = "sk-ant-import-marked-0004"
	valPinnedV1   = "sk-import-pinned-v1-0005"
	valPinnedV2   = "sk-import-pinned-v2-0006"
	valEnv        = "sk-import-env-0007"
	valGwOpenAI   = "sk-import-gateflow-0008"
	valGwAnthro   = "sk-ant-import-gateflow-0009"
)

// A name and a key label that need HCL escaping: quotes, a template
// sequence, a directive, a backslash and a newline.
const (
	weirdName  = "Team \"Ops\" ${prod} %{if} \\ 100%\nsecond line"
	weirdLabel = "ops \"key\" ${x}"
)

// unmarkedKeys are the seeded Glow keys made outside Switchboard, by id.
var unmarkedKeys = []string{"k-hand-shared", "k-hand-solo", "k-hand-weird"}

// seedImportWorld fills the emulator with an installation to import: Glow
// providers across departments (one global), two pairs of colliding names,
// a name starting with a digit, a name needing escaping, a model, keys made
// by hand (one shared by two providers) and keys Switchboard made (from
// Vault at the current version, from Vault at an older version, from an
// environment variable); Gateflow providers enabled and disabled.
func seedImportWorld(t *testing.T, w *world) {
	t.Helper()
	w.putSecret(t, "secret/llm/anthropic", map[string]string{"api_key": valMarked})
	w.putSecret(t, "secret/llm/legacy", map[string]string{"api_key": valPinnedV1})
	w.putSecret(t, "secret/llm/legacy", map[string]string{"api_key": valPinnedV2})
	t.Setenv("IMPORT_FALLBACK_KEY", valEnv)
	w.planted = append(w.planted, valHandShared, valHandSolo, valHandWeird, valEnv, valGwOpenAI, valGwAnthro)

	seed := emulator.Seed{
		Endpoints: []emulator.SeedEndpoint{
			{ID: "ep-openai", Name: "OpenAI", URL: "https://api.openai.com/v1"},
			{ID: "ep-anthropic", Name: "Anthropic", URL: "https://api.anthropic.com/v1"},
			{ID: "ep-mistral", Name: "Mistral", URL: "https://api.mistral.ai/v1"},
		},
		Keys: []emulator.SeedKey{
			{ID: "k-hand-shared", Name: "OpenAI prod key", Value: valHandShared},
			{ID: "k-hand-solo", Name: "primary", Value: valHandSolo},
			{ID: "k-hand-weird", Name: weirdLabel, Value: valHandWeird},
			{ID: "k-marked", Name: "primary (vault:secret/llm/anthropic#api_key@v1)", Value: valMarked},
			{ID: "k-pinned", Name: "primary (vault:secret/llm/legacy#api_key@v1)", Value: valPinnedV1},
			{ID: "k-env", Name: "fallback (env:IMPORT_FALLBACK_KEY)", Value: valEnv},
		},
		Providers: []emulator.SeedProvider{
			{ID: "p-01", Name: "OpenAI Production", Description: "Production OpenAI", DepartmentIDs: []string{"cs", "math"},
				Endpoints: []string{"ep-openai"}, Keys: []string{"k-hand-shared"}, Values: map[string]string{"temperature": "0.2", "max-tokens": "1000"}},
			{ID: "p-02", Name: "OpenAI Production", DepartmentIDs: []string{"physics"},
				Endpoints: []string{"ep-openai"}, Keys: []string{"k-hand-shared"}},
			{ID: "p-03", Name: "Anthropic Claude", Description: "office hours", DepartmentIDs: []string{"cs"},
				Endpoints: []string{"ep-anthropic"}, Keys: []string{"k-marked", "k-env"}},
			{ID: "p-04", Name: "Legacy", Description: "global, pinned to an old version", Keys: []string{"k-pinned"}},
			{ID: "p-05", Name: weirdName, Description: "line one\nline two", DepartmentIDs: []string{"ops"}, Keys: []string{"k-hand-weird"}},
			{ID: "p-06", Name: "2024 Experiments", DepartmentIDs: []string{"math"}},
			{ID: "p-07", Name: "openai production", DepartmentIDs: []string{"bio"}, Endpoints: []string{"ep-openai", "ep-mistral"}},
			{ID: "p-08", Name: "Mistral", DepartmentIDs: []string{"cs"}, Endpoints: []string{"ep-mistral"}, Keys: []string{"k-hand-solo"}},
		},
		Models: []emulator.SeedModel{{ID: "m-gpt5", Name: "gpt-5", Provider: "p-01"}},
		Gateflow: []emulator.SeedGateflow{
			{Provider: "openai", Credentials: map[string]string{"api_key": valGwOpenAI}, Settings: map[string]any{"default_model": "gpt-5.2", "timeout_ms": json.Number("30000")}},
			{Provider: "anthropic", Credentials: map[string]string{"api_key": valGwAnthro}, Settings: map[string]any{"max_retries": json.Number("2")}, Disabled: true},
		},
	}
	if err := w.emu.LoadSeed(seed); err != nil {
		t.Fatal(err)
	}
}

// The Vault paths import names for secrets of unknown origin.
const (
	pathShared = "secret/switchboard/glow_provider.openai_production/openai_prod_key"
	pathSolo   = "secret/switchboard/glow_provider.mistral/primary"
	pathWeird  = "secret/switchboard/glow_provider.team_ops_prod_if_100_second_line/ops_key_x"
	pathGwOAI  = "secret/switchboard/gateflow_provider.openai/api_key"
	pathGwAnt  = "secret/switchboard/gateflow_provider.anthropic/api_key"
)

// readDir returns every file of dir, by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	code, out, errOut := runSwitchboard(t, args...)
	if code != 0 {
		t.Fatalf("switchboard %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// checkGenerated runs validate and fmt --check on dir, as CI would.
func checkGenerated(t *testing.T, dir string) {
	t.Helper()
	runOK(t, "validate", "--no-color", dir)
	runOK(t, "fmt", "--check", dir)
}

func planJSON(t *testing.T, dir string) (int, *plan.Plan, string) {
	t.Helper()
	code, out, errOut := runSwitchboard(t, "plan", "--format", "json", "--detailed-exitcode", dir)
	if code == 1 {
		return code, nil, out + errOut
	}
	var doc render.JSONPlan
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	// The parts of the plan model the import tests read.
	p := &plan.Plan{Unmanaged: doc.Switchboard.Unmanaged, Orphans: doc.Switchboard.Orphans, Summary: doc.Switchboard.Summary}
	for _, rc := range doc.ResourceChanges {
		p.Changes = append(p.Changes, plan.Change{Address: rc.Address, Type: rc.Type, Name: rc.Name, Actions: rc.Change.Actions,
			Fields: rc.Switchboard.Fields, Rotations: rc.Switchboard.Rotations, Adopt: rc.Switchboard.Adopt})
	}
	return code, p, out + errOut
}

// onlyRotations fails unless every change of p is a rotation of a secret,
// and returns the rotated secrets as "ADDRESS NAME".
func onlyRotations(t *testing.T, p *plan.Plan) []string {
	t.Helper()
	var rotated []string
	for _, c := range p.Changes {
		if c.Action() == plan.ActionNoOp {
			continue
		}
		if c.Action() != plan.ActionUpdate {
			t.Errorf("%s: %s, want only rotations", c.Address, c.Action())
		}
		for _, f := range c.Fields {
			for _, e := range f.Entries {
				if !e.Rotate || e.Action != plan.ActionUpdate {
					t.Errorf("%s: %s %q is %s, want a rotation", c.Address, f.Field, e.Key, e.Action)
				}
			}
			if len(f.Entries) == 0 {
				t.Errorf("%s: field %s changes, want only rotations", c.Address, f.Field)
			}
		}
		for _, r := range c.Rotations {
			rotated = append(rotated, c.Address+" "+r.Name)
		}
	}
	slices.Sort(rotated)
	return rotated
}

func TestImportRoundTrip(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := filepath.Join(t.TempDir(), "imported")
	out, errOut := runOK(t, "import", "-o", dir)
	outputs := []string{out, errOut}

	files := readDir(t, dir)
	if len(files) != 3 {
		t.Fatalf("files %v, want main.hcl, glow.hcl and gateflow.hcl", slices.Sorted(maps.Keys(files)))
	}
	checkImportedHCL(t, files)
	for _, p := range []string{pathShared, pathSolo, pathWeird, pathGwOAI, pathGwAnt} {
		if !strings.Contains(out, "\n  "+p+"\n") {
			t.Errorf("import does not list %s as a secret to create:\n%s", p, out)
		}
	}
	if strings.Contains(out, "secret/llm/") {
		t.Errorf("import lists a secret that exists:\n%s", out)
	}
	checkGenerated(t, dir)

	// Plan stops at the secrets still to create, naming each of them.
	code, _, msg := planJSON(t, dir)
	outputs = append(outputs, msg)
	if code != 1 {
		t.Fatalf("plan before the secrets exist: exit %d, want 1\n%s", code, msg)
	}
	for _, p := range []string{pathShared, pathSolo, pathWeird, pathGwOAI, pathGwAnt} {
		if !strings.Contains(msg, p) {
			t.Errorf("plan does not name the missing secret %s:\n%s", p, msg)
		}
	}
	if strings.Contains(msg, "secret/llm/") {
		t.Errorf("plan complains about a secret that exists:\n%s", msg)
	}

	// Once they exist, the only changes are the rotations nobody can avoid:
	// keys made outside Switchboard (origin unknown) and Gateflow
	// credentials (Gateflow cannot show what it holds).
	for path, v := range map[string]string{pathShared: valHandShared, pathSolo: valHandSolo, pathWeird: valHandWeird, pathGwOAI: valGwOpenAI, pathGwAnt: valGwAnthro} {
		w.putSecret(t, path, map[string]string{"value": v})
	}
	code, p, msg := planJSON(t, dir)
	outputs = append(outputs, msg)
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2\n%s", code, msg)
	}
	want := []string{
		"gateflow_provider.anthropic api_key",
		"gateflow_provider.openai api_key",
		"glow_provider.mistral primary",
		"glow_provider.openai_production OpenAI prod key",
		"glow_provider.openai_production_2 OpenAI prod key",
		"glow_provider.team_ops_prod_if_100_second_line " + weirdLabel,
	}
	if got := onlyRotations(t, p); !slices.Equal(got, want) {
		t.Errorf("rotations:\n%q\nwant\n%q", got, want)
	}
	if len(p.Unmanaged) != 0 {
		t.Errorf("unmanaged after a full import: %+v", p.Unmanaged)
	}

	for _, f := range files {
		outputs = append(outputs, f)
	}
	w.assertNoSecret(t, outputs...)
	if n := w.decrypts(); n != 0 {
		t.Errorf("%d decrypts without --migrate-keys-to-vault", n)
	}
}

// checkImportedHCL checks what import wrote for seedImportWorld's world:
// the addresses, escaping and references of glow.hcl, the service blocks
// of main.hcl and the Gateflow providers of gateflow.hcl.
func checkImportedHCL(t *testing.T, files map[string]string) {
	t.Helper()
	glowHCL := files["glow.hcl"]
	for _, want := range []string{
		// Addresses: collisions in id order, a digit prefixed, escaping.
		`glow_provider "openai_production" {` + "\n  id          = \"p-01\"",
		`glow_provider "openai_production_2" {` + "\n  id          = \"p-02\"",
		`glow_provider "openai_production_3" {` + "\n  id          = \"p-07\"",
		`glow_provider "provider_2024_experiments" {`,
		`glow_provider "team_ops_prod_if_100_second_line" {`,
		`name        = "Team \"Ops\" $${prod} %%{if} \\ 100%\nsecond line"`,
		`key "ops \"key\" $${x}" {`,
		// Marked keys: the recorded reference; pinned only where Vault
		// has moved past the version Glow holds.
		`value = vault("secret/llm/anthropic", "api_key")` + "\n",
		`value = vault("secret/llm/legacy", "api_key", 1)`,
		`value = env("IMPORT_FALLBACK_KEY")`,
		// A shared key of unknown origin: one path for both providers.
		`value = vault("` + pathShared + `", "value")`,
		`max-tokens  = "1000"`,
		"used by 1 model: m-gpt5",
	} {
		if !strings.Contains(glowHCL, want) {
			t.Errorf("glow.hcl lacks %q", want)
		}
	}
	if n := strings.Count(glowHCL, pathShared); n != 4 {
		// Twice per provider: the reference and the comment.
		t.Errorf("the shared key's path appears %d times, want 4 (two providers)", n)
	}
	if !strings.HasSuffix(files["main.hcl"], "\nglow {}\n\ngateflow {}\n\nvault {}\n") {
		t.Errorf("main.hcl:\n%s", files["main.hcl"])
	}
	gw := files["gateflow.hcl"]
	for _, want := range []string{
		`gateflow_provider "anthropic" {` + "\n  enabled = false",
		`gateflow_provider "openai" {` + "\n  enabled = true",
		`timeout_ms    = 30000`,
		`api_key = vault("` + pathGwOAI + `", "value")`,
	} {
		if !strings.Contains(gw, want) {
			t.Errorf("gateflow.hcl lacks %q:\n%s", want, gw)
		}
	}
}

func TestImportMigrateKeysToVault(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	out, errOut := runOK(t, "import", "--glow", "--migrate-keys-to-vault", "--yes", "-o", dir)
	for _, want := range []string{"audit log", "decrypt it once", "never overwritten", "3 Glow keys of unknown origin on 4 providers"} {
		if !strings.Contains(out, want) {
			t.Errorf("the migration's announcement lacks %q:\n%s", want, out)
		}
	}
	checkGenerated(t, dir)
	adoptsThenConverges(t, dir)

	// Exactly one decrypt per key of unknown origin, shared or not, and
	// none of the keys Switchboard made.
	perKey := map[string]int{}
	for _, e := range w.emu.Audit() {
		perKey[e.KeyID]++
	}
	for _, id := range unmarkedKeys {
		if perKey[id] != 1 {
			t.Errorf("key %s decrypted %d times, want 1", id, perKey[id])
		}
	}
	if n := len(w.emu.Audit()); n != len(unmarkedKeys) {
		t.Errorf("%d decrypts, want %d: %+v", n, len(unmarkedKeys), w.emu.Audit())
	}

	// The values are in Vault, and only there.
	for path, want := range map[string]string{pathShared: valHandShared, pathSolo: valHandSolo, pathWeird: valHandWeird} {
		mount, rest, _ := strings.Cut(path, "/")
		s, err := w.vault.KVv2(mount).Get(t.Context(), rest)
		if err != nil || s.Data["value"] != want || s.VersionMetadata.Version != 1 {
			t.Errorf("%s: %v, want the key's value at version 1", path, err)
		}
	}
	outputs := []string{out, errOut}
	for _, f := range readDir(t, dir) {
		outputs = append(outputs, f)
	}
	w.assertNoSecret(t, outputs...)

	// Running it again finds nothing left to migrate and decrypts nothing.
	out, _ = runOK(t, "import", "--glow", "--migrate-keys-to-vault", "--yes", "--force", "-o", dir)
	if !strings.Contains(out, "nothing to migrate") || len(w.emu.Audit()) != len(unmarkedKeys) {
		t.Errorf("second migration: %d decrypts\n%s", len(w.emu.Audit()), out)
	}
	noChanges(t, dir)
}

// Gateflow credentials cannot be migrated: import says so, plan names
// them, and once stored they are sent once and the plan is then empty.
func TestImportMigrateWithGateflow(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	out, _ := runOK(t, "import", "--migrate-keys-to-vault", "--yes", "-o", dir)
	if !strings.Contains(out, "Gateflow never returns credentials, so 2 credentials cannot be migrated") {
		t.Errorf("import does not say Gateflow credentials cannot be migrated:\n%s", out)
	}
	code, _, msg := planJSON(t, dir)
	if code != 1 {
		t.Errorf("plan: exit %d, want 1", code)
	}
	for _, p := range []string{pathGwOAI, pathGwAnt} {
		if !strings.Contains(msg, p) {
			t.Errorf("plan: message does not name the Gateflow secret %s", p)
		}
	}
	if strings.Contains(msg, "glow_provider") {
		t.Errorf("plan: message names a glow_provider, want only the Gateflow secrets")
	}
	if t.Failed() {
		t.Fatalf("plan: want exit 1 naming only the Gateflow secrets\n%s", msg)
	}
	w.putSecret(t, pathGwOAI, map[string]string{"value": valGwOpenAI})
	w.putSecret(t, pathGwAnt, map[string]string{"value": valGwAnthro})
	code, p, msg := planJSON(t, dir)
	want := []string{"gateflow_provider.anthropic api_key", "gateflow_provider.openai api_key"}
	if code != 2 || !slices.Equal(onlyRotations(t, p), want) {
		t.Fatalf("plan: exit %d, want only %v\n%s", code, want, msg)
	}
	runOK(t, "apply", "--auto-approve", dir)
	noChanges(t, dir)
	if len(w.emu.Audit()) != len(unmarkedKeys) {
		t.Errorf("%d decrypts, want %d", len(w.emu.Audit()), len(unmarkedKeys))
	}
}

func TestImportMigrateNeedsConfirmation(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	code, out, errOut := runSwitchboard(t, "import", "--migrate-keys-to-vault", "-o", dir)
	if code != 1 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("exit %d, want 1 asking for --yes\n%s%s", code, out, errOut)
	}
	if n := w.decrypts(); n != 0 {
		t.Errorf("%d decrypts without confirmation", n)
	}
	if files := readDir(t, dir); len(files) != 0 {
		t.Errorf("files written without confirmation: %v", slices.Sorted(maps.Keys(files)))
	}
}

func TestImportRefusesToOverwriteWithoutForce(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	dir := t.TempDir()
	runOK(t, "import", "--gateflow", "-o", dir)
	before := readDir(t, dir)

	code, _, errOut := runSwitchboard(t, "import", "-o", dir)
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("second import: exit %d, want 1 pointing to --force\n%s", code, errOut)
	}
	if after := readDir(t, dir); !maps.Equal(before, after) {
		t.Errorf("a refused import changed the files")
	}

	// --force replaces import's own files (and removes gateflow.hcl when
	// Gateflow is not imported), and warns about a file of the user's.
	if err := os.WriteFile(filepath.Join(dir, "extra.hcl"), []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := runOK(t, "import", "--glow", "--force", "-o", dir)
	if !strings.Contains(out, "extra.hcl") {
		t.Errorf("--force does not warn about extra.hcl:\n%s", out)
	}
	after := readDir(t, dir)
	if _, ok := after["gateflow.hcl"]; ok {
		t.Errorf("gateflow.hcl left behind by an import of Glow only")
	}
	if after["extra.hcl"] != "# mine\n" || !strings.Contains(after["glow.hcl"], `id          = "p-08"`) {
		t.Errorf("--force: files %v", slices.Sorted(maps.Keys(after)))
	}
}

func TestImportFilters(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	for _, tc := range []struct {
		args []string
		ids  []string
	}{
		{[]string{"--department", "math"}, []string{"p-01", "p-06"}},
		{[]string{"--department", "physics", "--department", "bio"}, []string{"p-02", "p-07"}},
		{[]string{"--name-filter", "OPENAI"}, []string{"p-01", "p-02", "p-07"}},
		{[]string{"--name-filter", "office hours"}, []string{"p-03"}},
		{[]string{"--department", "cs", "--name-filter", "mistral"}, []string{"p-08"}},
	} {
		dir := t.TempDir()
		out, _ := runOK(t, append([]string{"import", "--glow", "-o", dir}, tc.args...)...)
		glowHCL := readDir(t, dir)["glow.hcl"]
		var got []string
		for _, line := range strings.Split(glowHCL, "\n") {
			if id, ok := strings.CutPrefix(strings.TrimSpace(line), `id          = "`); ok {
				got = append(got, strings.TrimSuffix(id, `"`))
			}
		}
		if !slices.Equal(got, tc.ids) {
			t.Errorf("%v: imported %v, want %v\n%s", tc.args, got, tc.ids, out)
		}
		if _, ok := readDir(t, dir)["gateflow.hcl"]; ok {
			t.Errorf("%v: --glow wrote gateflow.hcl", tc.args)
		}
	}
	if code, _, errOut := runSwitchboard(t, "import", "--gateflow", "--department", "cs", "-o", t.TempDir()); code != 1 || !strings.Contains(errOut, "--glow") {
		t.Errorf("--department with --gateflow only: exit %d %s", code, errOut)
	}
}

// A scoped Glow token imports what it can see; keys stay unread.
func TestImportNeedsNoVault(t *testing.T) {
	emu, url := emulatortest.Start(t, emulator.Config{})
	if err := emu.LoadSeed(emulator.Seed{Providers: []emulator.SeedProvider{{ID: "p-1", Name: "Solo"}}}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GLOW_INSTANCE_URL", url)
	t.Setenv("GLOW_TOKEN", emulatortest.GlowToken)
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	runOK(t, "import", "--glow", "-o", dir)
	files := readDir(t, dir)
	if strings.Contains(files["main.hcl"], "vault {") || !strings.Contains(files["glow.hcl"], `name = "Solo"`) {
		t.Errorf("files:\n%s\n%s", files["main.hcl"], files["glow.hcl"])
	}
	checkGenerated(t, dir)
}

// A secret already at a key's path is never overwritten: holding the same
// value (an interrupted earlier run) it is used; holding another, the key
// is left alone and import says why.
func TestImportMigrateNeverOverwrites(t *testing.T) {
	w := newWorld(t)
	seedImportWorld(t, w)
	w.putSecret(t, pathShared, map[string]string{"value": valHandShared})
	w.putSecret(t, pathSolo, map[string]string{"value": "sk-someone-elses-0010"})
	dir := t.TempDir()
	code, out, errOut := runSwitchboard(t, "import", "--glow", "--migrate-keys-to-vault", "--yes", "-o", dir)
	if code != 1 || !strings.Contains(errOut, pathSolo+" already holds another secret") {
		t.Fatalf("exit %d, want 1 refusing to overwrite %s\n%s%s", code, pathSolo, out, errOut)
	}
	mount, rest, _ := strings.Cut(pathSolo, "/")
	if s, err := w.vault.KVv2(mount).Get(t.Context(), rest); err != nil || s.Data["value"] != "sk-someone-elses-0010" || s.VersionMetadata.Version != 1 {
		t.Errorf("the existing secret changed: %v", err)
	}
	// The providers done before the failure are migrated, the shared key
	// with the version already in Vault; the files were written.
	if !strings.Contains(out, "stored Glow key k-hand-shared in Vault at "+pathShared+" (version 1)") {
		t.Errorf("the matching secret was not reused:\n%s", out)
	}
	if _, ok := readDir(t, dir)["glow.hcl"]; !ok {
		t.Errorf("no configuration written after a partial migration")
	}
	w.assertNoSecret(t, out, errOut)

	// Once the user moves the other secret away, running again resumes:
	// only the key that was left is decrypted again.
	if err := w.vault.KVv2(mount).DeleteMetadata(t.Context(), rest); err != nil {
		t.Fatal(err)
	}
	before := len(w.emu.Audit())
	runOK(t, "import", "--glow", "--migrate-keys-to-vault", "--yes", "--force", "-o", dir)
	if n := len(w.emu.Audit()) - before; n != 1 {
		t.Errorf("resuming decrypted %d keys, want 1", n)
	}
	adoptsThenConverges(t, dir)
}

// adoptsThenConverges checks the first plan of an imported configuration:
// it adopts every imported provider (the ids are pinned) and changes
// nothing else, no key rotation included; once applied, the plan is empty.
func adoptsThenConverges(t *testing.T, dir string) {
	t.Helper()
	code, js, errOut := runSwitchboard(t, "plan", "--format", "json", "--detailed-exitcode", dir)
	if code != 2 {
		t.Fatalf("first plan of the imported configuration: exit %d, want 2 (adoptions)\n%s%s", code, js, errOut)
	}
	var doc struct {
		Changes []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
			Switchboard struct {
				Adopt     *json.RawMessage  `json:"adopt"`
				Fields    []json.RawMessage `json:"fields"`
				Rotations []json.RawMessage `json:"rotations"`
			} `json:"switchboard"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	for _, rc := range doc.Changes {
		if rc.Change.Actions[0] == "no-op" {
			continue
		}
		if c := rc.Switchboard; c.Adopt == nil || len(c.Fields) != 0 || len(c.Rotations) != 0 {
			t.Errorf("%s: %v, adopt %v, %d fields, %d rotations: want an adoption and nothing else", rc.Address, rc.Change.Actions, c.Adopt != nil, len(c.Fields), len(c.Rotations))
		}
	}
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", "--no-color", dir); code != 0 {
		t.Fatalf("apply of the adoptions: exit %d\n%s%s", code, out, errOut)
	}
	noChanges(t, dir)
}

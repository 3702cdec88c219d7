package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/secretref"
)

// prefetchRecord is what a LoadOptions.Prefetch saw.
type prefetchRecord struct {
	starts   int
	settings *secretref.VaultSettings
	refs     []string
}

func (r *prefetchRecord) option(o *LoadOptions) {
	o.Prefetch = func(s *secretref.VaultSettings) func(secretref.VaultRef) {
		r.starts++
		r.settings = s
		return func(ref secretref.VaultRef) { r.refs = append(r.refs, ref.String()) }
	}
}

// secretRefs are the vault() references of cfg's keys and credentials.
func secretRefs(cfg *Config) []string {
	var refs []string
	for _, p := range cfg.GlowProviders {
		for _, k := range p.Keys {
			if k.Value.Ref != nil {
				refs = append(refs, k.Value.Ref.String())
			}
		}
	}
	for _, p := range cfg.GateflowProviders {
		for _, c := range p.Credentials {
			if c.Ref != nil {
				refs = append(refs, c.Ref.String())
			}
		}
	}
	return refs
}

// A load with a prefetch gives the Config and the diagnostics of one
// without, and tells the prefetch, once, the Vault Config.Vault names and
// every reference of a key or credential, in modules too: every fixture
// and example, and a generated configuration whose vault block reads a
// variable.
func TestLoadTellsThePrefetchEveryReference(t *testing.T) {
	// The environments' providers are a module's.
	environments := globDirs(t, "../examples/environments/environments/*")
	dirs := append(globDirs(t, "testdata/fixtures/*", "../examples/*"), environments...)
	generated := filepath.Join(t.TempDir(), "generated")
	if err := os.MkdirAll(generated, 0o755); err != nil {
		t.Fatal(err)
	}
	vault := "variable \"vault_par\" {\n  default = 7\n}\n\nvault {\n  address     = \"https://vault.example:8200\"\n  parallelism = var.vault_par\n}\n"
	if err := os.WriteFile(filepath.Join(generated, "a.hcl"), []byte(generatedConfig(40, vault)), 0o644); err != nil {
		t.Fatal(err)
	}
	told, inModules := 0, 0
	for _, dir := range append(dirs, generated) {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		opts := LoadOptions{Env: noEnv}
		if slices.Contains(environments, dir) {
			opts.Vars = map[string]string{"glow_url": "https://glow.example", "gateflow_url": "https://gateflow.example", "vault_addr": "https://vault.example:8200"}
		}
		want, wantDiags := Load(dir, opts)
		var rec prefetchRecord
		rec.option(&opts)
		got, gotDiags := Load(dir, opts)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the Config differs from a load without a prefetch", dir)
		}
		if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
			t.Errorf("%s: diagnostics\n%v\nwant\n%v", dir, gotDiags, wantDiags)
		}
		if rec.starts > 1 {
			t.Errorf("%s: Prefetch called %d times", dir, rec.starts)
		}
		if want == nil {
			continue
		}
		refs := secretRefs(want)
		if len(refs) == 0 {
			if rec.starts != 0 {
				t.Errorf("%s: Prefetch called for a configuration without vault()", dir)
			}
			continue
		}
		told++
		for _, p := range want.GlowProviders {
			if p.Address.Module != "" {
				inModules++
				break
			}
		}
		if !reflect.DeepEqual(rec.settings, want.Vault) {
			t.Errorf("%s: Prefetch got the settings %+v, Config.Vault is %+v", dir, rec.settings, want.Vault)
		}
		slices.Sort(refs)
		slices.Sort(rec.refs)
		if !slices.Equal(rec.refs, refs) {
			t.Errorf("%s: the prefetch was told\n%v\nthe Config's references are\n%v", dir, rec.refs, refs)
		}
	}
	if told < 3 || inModules == 0 {
		t.Errorf("%d configurations had references, %d in modules: the test checks too little", told, inModules)
	}
}

// A vault block with an error starts no prefetch: its settings are not
// the ones the configuration would have.
func TestNoPrefetchOfABrokenVaultBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(generatedConfig(3, "vault {\n  parallelism = 0\n}\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var rec prefetchRecord
	opts := LoadOptions{Env: noEnv}
	rec.option(&opts)
	cfg, diags := Load(dir, opts)
	if cfg != nil || !diags.HasErrors() {
		t.Fatalf("the load succeeded: %v", diags)
	}
	if rec.starts != 0 || len(rec.refs) != 0 {
		t.Errorf("Prefetch was called %d times, with %d references", rec.starts, len(rec.refs))
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
)

// configStyle is how the generated configuration declares its Glow
// providers. Both are what users write, and they load through different
// paths (many small blocks vs. one large object expanded by for_each), so
// either can be the slow one.
type configStyle string

const (
	styleBlocks  configStyle = "blocks"   // one glow_provider block per provider, a file per department
	styleForEach configStyle = "for_each" // one block with for_each over a map in locals
)

// worldSpec describes a generated world: live state (a seed), matching
// configuration and the Vault secrets both refer to.
type worldSpec struct {
	N           int
	Departments int
	Style       configStyle
	// Prefix namespaces this world's Vault paths, so that several worlds
	// share one Vault without seeing each other's versions.
	Prefix string
	// Team, when set, adds the value team = Team to every provider in the
	// configuration only: the same values change for all of them. Such a
	// world has a single tier, so that every provider's values (and the
	// patch) are identical: before ownership markers this was one shared
	// bulk patch. Each provider's values now also hold its own marker,
	// which Glow's whole-values replace must carry, so each is one guarded
	// update of its own.
	Team string
	// Description, when set, replaces every provider's description in the
	// configuration only: the same description for all of them, a patch
	// that one bulk update can carry (no values written, no marker).
	Description string
	// Distinct, when set, gives every provider a description of its own in
	// the configuration only: N different patches, which no Glow call
	// carries together, so one guarded update per provider.
	Distinct bool
	// Rotate, when set, puts one more version of every Glow provider's
	// secret in Vault than its live key's name records: the plan rotates
	// every key (a new key, an update swapping it in, the old one deleted).
	Rotate bool
}

// distinctSuffix is what a Distinct world's configuration appends to each
// provider's own description.
const distinctSuffix = " (revised)"

func (s worldSpec) tier(i int) string {
	if s.Team != "" {
		return "standard"
	}
	return []string{"standard", "premium", "batch"}[i%3]
}

// benchOwner is the owner identity of the generated configurations: they
// set no glow { owner }, so it is the default.
const benchOwner = config.DefaultOwner

// address is the block address a provider has in the configuration of
// style, which its ownership marker records.
func (s worldSpec) address(p provider) string {
	a := config.Address{Type: config.GlowProviderType, Name: p.Key}
	if s.Style == styleForEach {
		a = config.Address{Type: config.GlowProviderType, Name: "bench", Key: p.Key, HasKey: true}
	}
	return a.String()
}

// vendors spread the providers over a few endpoint hosts. Endpoints are
// shared by URL (the applier reuses an endpoint with the same URL), so a
// Switchboard-made world has one endpoint per department and vendor, not
// one per provider.
var vendors = []string{"openai", "anthropic", "mistral", "google", "cohere"}

// gateflowSeed is one configured Gateflow provider per catalogue entry:
// Gateflow's catalogue is fixed, so a world never has more than these.
var gateflowSeed = []struct {
	id, model string
	enabled   bool
}{
	{catalogue.OpenAI, "gpt-5.2", true},
	{catalogue.Anthropic, "claude-sonnet-4-5-20250929", true},
	{catalogue.Google, "gemini-3-pro", true},
	{catalogue.Mistral, "mistral-large-latest", true},
	{catalogue.Cohere, "command-r-plus", true},
	{catalogue.ElevenLabs, "eleven_multilingual_v2", false},
}

// secret is one Vault secret of a world; Versions writes make its current
// version equal Versions.
type secret struct {
	Path     string
	Value    string
	Versions int
}

type provider struct {
	Key, Name, Description, Department, Endpoint, Tier string
	Secret                                             secret
}

// world is a generated world on disk.
type world struct {
	Spec      worldSpec
	ConfigDir string
	SeedFile  string
	Secrets   []secret
	Endpoints int // distinct Glow endpoints (live)
	Keys      int // Glow keys (live)
	Gateflow  int // configured Gateflow providers
	// Live is the live Glow providers; URLs the distinct endpoint URLs the
	// configuration uses (the endpoints a create makes).
	Live, URLs int
}

func (s worldSpec) providers() []provider {
	out := make([]provider, s.N)
	for i := range s.N {
		dept := fmt.Sprintf("dept-%02d", i%s.Departments)
		vendor := vendors[(i/s.Departments)%len(vendors)]
		key := fmt.Sprintf("p%05d", i)
		versions := 1
		// Some secrets have been rotated, so that the plan has to match a
		// version other than 1 recorded in the key name.
		if i%10 == 3 {
			versions = 2
		}
		out[i] = provider{
			Key:         key,
			Name:        fmt.Sprintf("Bench %s %05d", vendor, i),
			Description: fmt.Sprintf("Benchmark provider %s for %s", key, dept),
			Department:  dept,
			Endpoint:    fmt.Sprintf("https://%s.%s.example.net/v1", dept, vendor),
			Tier:        s.tier(i),
			Secret: secret{
				Path:     fmt.Sprintf("secret/%s/%s", s.Prefix, key),
				Value:    fmt.Sprintf("sk-ant-bench-%s-%05d", s.Prefix, i),
				Versions: versions,
			},
		}
	}
	return out
}

func gateflowSecret(prefix, id string) secret {
	return secret{Path: fmt.Sprintf("secret/%s/gateflow/%s", prefix, id), Value: "sk-ant-bench-gateflow-" + id, Versions: 1}
}

// writeWorld generates the seed file and configuration directory of spec
// under dir. withLive=false leaves the seed without Glow providers, for
// scenarios that start from nothing (apply creates).
//
// The live Glow providers are seeded as Switchboard's apply of the
// configuration leaves them (docs/ownership.md): each carries its
// ownership marker (owner, block address) in the reserved values entry,
// keys are named with the owner, and endpoints with the owner's endpoint
// name. Without the marker a plan refuses every block as a name match it
// did not make, so an unchanged world plans empty only with it.
func writeWorld(dir string, spec worldSpec, withLive bool) (*world, error) {
	w := &world{Spec: spec, ConfigDir: filepath.Join(dir, "config"), SeedFile: filepath.Join(dir, "seed.json")}
	if err := os.MkdirAll(w.ConfigDir, 0o755); err != nil {
		return nil, err
	}
	ps := spec.providers()

	var seed emulator.Seed
	endpoints := map[string]bool{}
	urls := map[string]bool{}
	for _, p := range ps {
		urls[p.Endpoint] = true
		sec := p.Secret
		if spec.Rotate {
			sec.Versions++
		}
		w.Secrets = append(w.Secrets, sec)
		if !withLive {
			continue
		}
		if !endpoints[p.Endpoint] {
			endpoints[p.Endpoint] = true
			seed.Endpoints = append(seed.Endpoints, emulator.SeedEndpoint{ID: "ep-" + strings.TrimPrefix(p.Endpoint, "https://"),
				Name: objects.EndpointName(benchOwner), URL: p.Endpoint})
		}
		keyName := secretref.OwnedKeyName("primary", secretref.Source{VaultPath: p.Secret.Path, VaultKey: "api_key", Version: p.Secret.Versions}, benchOwner)
		seed.Keys = append(seed.Keys, emulator.SeedKey{ID: "key-" + p.Key, Name: keyName, Value: p.Secret.Value})
		marker := objects.OwnerMarker{Owner: benchOwner, Address: objects.Address(spec.address(p))}
		seed.Providers = append(seed.Providers, emulator.SeedProvider{
			ID:            "prov-" + p.Key,
			Name:          p.Name,
			Description:   p.Description,
			DepartmentIDs: []string{p.Department},
			Endpoints:     []string{"ep-" + strings.TrimPrefix(p.Endpoint, "https://")},
			Keys:          []string{"key-" + p.Key},
			Values:        map[string]string{"tier": p.Tier, "timeout_s": "30", objects.MarkerKey: marker.Encode()},
		})
	}
	for _, g := range gateflowSeed {
		s := gateflowSecret(spec.Prefix, g.id)
		w.Secrets = append(w.Secrets, s)
		seed.Gateflow = append(seed.Gateflow, emulator.SeedGateflow{
			Provider:    g.id,
			Credentials: map[string]string{"api_key": s.Value},
			Settings:    map[string]any{"default_model": g.model, "timeout_ms": 30000},
			Disabled:    !g.enabled,
		})
	}
	w.Endpoints, w.Keys, w.Gateflow = len(seed.Endpoints), len(seed.Keys), len(seed.Gateflow)
	w.Live, w.URLs = len(seed.Providers), len(urls)
	if err := writeJSON(w.SeedFile, seed); err != nil {
		return nil, err
	}
	if err := writeConfig(w.ConfigDir, spec, ps); err != nil {
		return nil, err
	}
	return w, nil
}

func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := json.NewEncoder(bw).Encode(v); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := bw.Flush(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// writeConfig writes the configuration matching the seed exactly, so that
// its plan has no changes. The vault() calls carry no version: the plan
// must find the current version in Vault's metadata and match it with the
// version the key name records.
func writeConfig(dir string, spec worldSpec, ps []provider) error {
	team := ""
	if spec.Team != "" {
		team = fmt.Sprintf(", team = %q", spec.Team)
	}
	var main strings.Builder
	main.WriteString("glow {}\n\ngateflow {}\n\nvault {}\n")
	for _, g := range gateflowSeed {
		fmt.Fprintf(&main, `
gateflow_provider %q {
  enabled     = %t
  credentials = { api_key = vault(%q, "api_key") }
  settings    = { default_model = %q, timeout_ms = 30000 }
}
`, g.id, g.enabled, gateflowSecret(spec.Prefix, g.id).Path, g.model)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(main.String()), 0o644); err != nil {
		return err
	}

	files := map[string]*strings.Builder{}
	if spec.Style == styleForEach {
		desc := `"Benchmark provider ${each.key} for ${each.value.department}"`
		switch {
		case spec.Description != "":
			desc = fmt.Sprintf("%q", spec.Description)
		case spec.Distinct:
			desc = `"Benchmark provider ${each.key} for ${each.value.department}` + distinctSuffix + `"`
		}
		var b strings.Builder
		fmt.Fprintf(&b, `glow_provider "bench" {
  for_each    = local.providers
  name        = each.value.name
  description = %s
  departments = [each.value.department]
  endpoints   = [each.value.endpoint]
  values      = { tier = each.value.tier, timeout_s = "30"%s }

  key "primary" {
    value = vault("secret/%s/${each.key}", "api_key")
  }
}

locals {
  providers = {
`, desc, team, spec.Prefix)
		for _, p := range ps {
			fmt.Fprintf(&b, "    %s = { name = %q, department = %q, endpoint = %q, tier = %q }\n", p.Key, p.Name, p.Department, p.Endpoint, p.Tier)
		}
		b.WriteString("  }\n}\n")
		files["providers.hcl"] = &b
	} else {
		for _, p := range ps {
			name := p.Department + ".hcl"
			b := files[name]
			if b == nil {
				b = &strings.Builder{}
				files[name] = b
			}
			desc := p.Description
			switch {
			case spec.Description != "":
				desc = spec.Description
			case spec.Distinct:
				desc += distinctSuffix
			}
			fmt.Fprintf(b, `glow_provider %q {
  name        = %q
  description = %q
  departments = [%q]
  endpoints   = [%q]
  values      = { tier = %q, timeout_s = "30"%s }

  key "primary" {
    value = vault(%q, "api_key")
  }
}

`, p.Key, p.Name, desc, p.Department, p.Endpoint, p.Tier, team, p.Secret.Path)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(files[n].String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
)

// TestWorldSeedIsSwitchboards checks that a seeded world is what
// Switchboard's apply of its configuration leaves: every live provider
// carries this configuration's owner marker under the address of a block
// that declares it, its key is named with the owner, and the configuration
// itself loads. A world without them plans as name conflicts, not as no
// changes.
func TestWorldSeedIsSwitchboards(t *testing.T) {
	for _, style := range []configStyle{styleBlocks, styleForEach} {
		t.Run(string(style), func(t *testing.T) {
			spec := worldSpec{N: 60, Departments: 7, Style: style, Prefix: "bench/test"}
			w, err := writeWorld(t.TempDir(), spec, true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, diags := config.Load(w.ConfigDir, config.LoadOptions{Env: func(string) (string, bool) { return "", false }})
			if diags.HasErrors() {
				t.Fatalf("the generated configuration does not load: %s", diags.Error())
			}
			if cfg.Glow.Owner != benchOwner {
				t.Fatalf("owner %q, want %q", cfg.Glow.Owner, benchOwner)
			}
			byAddr := map[string]config.GlowProvider{}
			for _, p := range cfg.GlowProviders {
				byAddr[p.Address.String()] = p
			}
			raw, err := os.ReadFile(w.SeedFile)
			if err != nil {
				t.Fatal(err)
			}
			var seed emulator.Seed
			if err := json.Unmarshal(raw, &seed); err != nil {
				t.Fatal(err)
			}
			if len(seed.Providers) != spec.N || len(byAddr) != spec.N {
				t.Fatalf("%d seeded providers, %d blocks; want %d of each", len(seed.Providers), len(byAddr), spec.N)
			}
			keys := map[string]string{}
			for _, k := range seed.Keys {
				keys[k.ID] = k.Name
			}
			seen := map[string]bool{}
			for _, sp := range seed.Providers {
				values, own := objects.SplitMarker(sp.Values)
				if !own.OwnedBy(benchOwner) {
					t.Fatalf("%s: not owned by %q: %s", sp.ID, benchOwner, own.Describe())
				}
				addr := string(own.Marker.Address)
				p, ok := byAddr[addr]
				if !ok || seen[addr] {
					t.Fatalf("%s: marker address %q is not a block of its own (declared %t)", sp.ID, addr, ok)
				}
				seen[addr] = true
				if p.Name != sp.Name || len(values) != len(p.Values) {
					t.Errorf("%s: block %s is %q with values %v, the seed %q with %v", sp.ID, addr, p.Name, p.Values, sp.Name, values)
				}
				if name := keys[sp.Keys[0]]; !strings.HasSuffix(name, " owner:"+benchOwner+")") {
					t.Errorf("%s: key name %q does not record the owner %q", sp.ID, name, benchOwner)
				} else if _, _, ok := secretref.ParseKeyName(name); !ok {
					t.Errorf("%s: key name %q has no origin marker", sp.ID, name)
				}
			}
			for _, e := range seed.Endpoints {
				if objects.EndpointOwner(e.Name) != benchOwner {
					t.Errorf("endpoint %s is named %q, not as %q's", e.ID, e.Name, benchOwner)
				}
			}
		})
	}
}

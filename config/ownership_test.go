package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestGlowOwner(t *testing.T) {
	cfg := mustLoad(t, writeDir(t, map[string]string{"main.hcl": `
glow {
  owner = "platform-team_2.x"
}
`}), LoadOptions{})
	if cfg.Glow.Owner != "platform-team_2.x" || !cfg.Glow.OwnerSet {
		t.Errorf("owner: %+v", cfg.Glow)
	}
	for _, src := range []string{"glow {}\n", "glow_provider \"a\" { name = \"A\" }\n", "glow {\n  owner = null\n}\n"} {
		cfg := mustLoad(t, writeDir(t, map[string]string{"main.hcl": src}), LoadOptions{})
		if cfg.Glow.Owner != DefaultOwner || cfg.Glow.OwnerSet {
			t.Errorf("%q: owner %q set=%v", src, cfg.Glow.Owner, cfg.Glow.OwnerSet)
		}
	}
	for _, bad := range []string{`""`, `"platform team"`, `"équipe"`, `"a/b"`, `"` + strings.Repeat("x", 65) + `"`} {
		_, diags := Load(writeDir(t, map[string]string{"main.hcl": "glow {\n  owner = " + bad + "\n}\n"}), LoadOptions{Env: noEnv})
		checkDiags(t, diags, diagAt{"Invalid owner", "is not 1 to 64 characters of ASCII letters, digits", "main.hcl", 2})
	}
	if cfg := mustLoad(t, writeDir(t, map[string]string{"main.hcl": "glow {\n  owner = \"" + strings.Repeat("x", 64) + "\"\n}\n"}), LoadOptions{}); !cfg.Glow.OwnerSet {
		t.Error("an owner of 64 characters was refused")
	}
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": "glow {\n  owner = env(\"TEAM\")\n}\n"}), LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Sensitive value in a non-secret argument", `The value of "owner"`, "main.hcl", 2})
}

func TestGlowProviderAdopt(t *testing.T) {
	cfg := mustLoad(t, writeDir(t, map[string]string{"main.hcl": `
glow_provider "adopted" {
  name  = "A"
  adopt = true
}
glow_provider "plain" {
  name = "B"
}
glow_provider "explicit" {
  name  = "C"
  adopt = false
}
`}), LoadOptions{})
	a, b, c := cfg.GlowProviders[0], cfg.GlowProviders[1], cfg.GlowProviders[2]
	if !a.Adopt || a.AdoptRange.Start.Line != 4 || a.AdoptRange.Start.Column != 3 {
		t.Errorf("adopt = true: %v %v", a.Adopt, a.AdoptRange)
	}
	if b.Adopt || b.AdoptRange != (hcl.Range{}) {
		t.Errorf("no adopt: %v %v", b.Adopt, b.AdoptRange)
	}
	if c.Adopt || c.AdoptRange.Start.Line != 11 {
		t.Errorf("adopt = false: %v %v", c.Adopt, c.AdoptRange)
	}
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": "glow_provider \"a\" {\n  name  = \"A\"\n  adopt = \"yes\"\n}\n"}), LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Incorrect attribute value type", `Inappropriate value for attribute "adopt"`, "main.hcl", 3})
}

func TestReservedValueKeys(t *testing.T) {
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": `
glow_provider "a" {
  name = "A"
  values = {
    ok                  = "1"
    "switchboard.owner" = "me"
  }
}
glow_provider "b" {
  name   = "B"
  values = merge({ ok = "1" }, { "switchboard.x" = "2", "switchboard.y" = "3" })
}
glow_provider "c" {
  name   = "C"
  values = { "switchboardish" = "fine", "Switchboard.case" = "fine" }
}
`}), LoadOptions{Env: noEnv})
	const s = "Reserved value key"
	checkDiags(t, diags,
		diagAt{s, `The key "switchboard.owner" of "values" starts with "switchboard.", which is reserved`, "main.hcl", 6},
		diagAt{s, `"switchboard.x"`, "main.hcl", 11},
		diagAt{s, `"switchboard.y"`, "main.hcl", 11},
	)
	if col := diags[0].Subject.Start.Column; col != 5 {
		t.Errorf("the diagnostic is at the key, column 5, not %d", col)
	}
}

func TestDuplicateProviderDetail(t *testing.T) {
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": "glow_provider \"a\" { name = \"A\" }\nglow_provider \"a\" { name = \"B\" }\n"}), LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{"Duplicate glow_provider block", "its address (glow_provider.a) identifies it in plans and in the ownership marker", "main.hcl", 2})
}

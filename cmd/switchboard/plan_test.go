package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/emulator"
)

func TestPlanOfANewWorldInEveryFormat(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-plan-secret-1"})
	dir := copyExample(t, "basic")

	code, text, errOut := runSwitchboard(t, "plan", "--no-color", "--detailed-exitcode", dir)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (changes)\n%s%s", code, text, errOut)
	}
	for _, want := range []string{
		"# glow_provider.openai_prod will be created",
		"# gateflow_provider.openai will be created",
		`"primary" = (sensitive value)`,
		"Plan: 2 to add, 0 to change, 0 to destroy.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text plan lacks %q:\n%s", want, text)
		}
	}

	_, js, _ := runSwitchboard(t, "plan", "--format", "json", dir)
	var doc struct {
		FormatVersion string `json:"format_version"`
		Changes       []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("json plan: %v\n%s", err, js)
	}
	got := map[string]string{}
	for _, c := range doc.Changes {
		got[c.Address] = strings.Join(c.Change.Actions, ",")
	}
	if doc.FormatVersion == "" || got["glow_provider.openai_prod"] != "create" || got["gateflow_provider.openai"] != "create" {
		t.Errorf("json plan: version %q, actions %v", doc.FormatVersion, got)
	}

	_, md, _ := runSwitchboard(t, "plan", "--format", "markdown", dir)
	if !strings.Contains(md, "<details>") || !strings.Contains(md, "**Plan: 2 to add, 0 to change, 0 to destroy.**") {
		t.Errorf("markdown plan:\n%s", md)
	}

	planFile := filepath.Join(t.TempDir(), "tfplan")
	if code, _, errOut := runSwitchboard(t, "plan", "--no-color", "--out", planFile, dir); code != 0 {
		t.Fatalf("plan --out: exit %d: %s", code, errOut)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	_, shown, _ := runSwitchboard(t, "show", "--no-color", planFile)
	header, body, _ := strings.Cut(shown, "\n\n")
	if body != text {
		t.Errorf("show differs from plan:\n--- plan\n%s\n--- show\n%s", text, body)
	}
	for _, want := range []string{"is bound to:", "Glow:     " + w.url, "Gateflow: " + w.url, "Vault:    http://", `Owner:    "default"`} {
		if !strings.Contains(header, want) {
			t.Errorf("show's header lacks %q:\n%s", want, header)
		}
	}

	w.assertNoSecret(t, text, errOut, js, md, string(saved), shown)
	if n := w.decrypts(); n != 0 {
		t.Errorf("plan made %d decrypt calls, want 0", n)
	}
}

func TestPlanNeedsOnlyVaultMetadata(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-plan-secret-2"})
	// The policy docs/ci.md tells users to give their plan jobs.
	policy, err := os.ReadFile("../../examples/github-actions/vault-policies/plan.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.vault.Sys().PutPolicy("plan-only", string(policy)); err != nil {
		t.Fatal(err)
	}
	tok, err := w.vault.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"plan-only"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_TOKEN", tok.Auth.ClientToken)

	code, out, errOut := runSwitchboard(t, "plan", "--no-color", copyExample(t, "basic"))
	if code != 0 || !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("plan with a metadata-only token: exit %d\n%s%s", code, out, errOut)
	}
}

func TestPlanReadsGlowInPagesWithoutGets(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-plan-secret-3"})
	var seed emulator.Seed
	const n = 1234
	for i := range n {
		seed.Providers = append(seed.Providers, emulator.SeedProvider{
			Name: fmt.Sprintf("Unmanaged %04d", i), DepartmentIDs: []string{"history"},
		})
	}
	if err := w.emu.LoadSeed(seed); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", copyExample(t, "basic"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	ops := w.emu.Stats().Operations
	// The client asks for pages of 500: ⌈1234/500⌉ = 3 searches, one list
	// of endpoints and of keys, and no per-provider get.
	if ops["glow.provider.search"] != 3 || ops["glow.provider.get"] != 0 {
		t.Errorf("reads: %d searches, %d gets; want 3 and 0", ops["glow.provider.search"], ops["glow.provider.get"])
	}
}

func TestPlanRefusesAnUnknownTarget(t *testing.T) {
	newWorld(t)
	code, _, errOut := runSwitchboard(t, "plan", "--target", "glow_provider.[", copyExample(t, "basic"))
	if code != 1 || !strings.Contains(errOut, "--target") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

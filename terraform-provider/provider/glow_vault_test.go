package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// vaultProviderBlock configures Glow and a Vault; the token comes from
// VAULT_TOKEN, as with the Vault CLI.
func (e *testEnv) vaultProviderBlock(addr string) string {
	return fmt.Sprintf(`
provider "switchboard" {
  glow_url   = %q
  glow_token = %q
  vault = {
    address = %q
  }
}
`, e.url, emulatortest.GlowToken, addr)
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// vaultToken makes a token with a policy of its own.
func vaultToken(t *testing.T, root *vaultapi.Client, name, policy string) string {
	t.Helper()
	if err := root.Sys().PutPolicy(name, policy); err != nil {
		t.Fatal(err)
	}
	tok, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Auth.ClientToken
}

// A key referencing Vault: the plan needs only metadata (a token that can't
// read values plans), a new version in Vault plans a rotation, the apply
// reads the value once and rotates, and no value is ever in the state or
// the logs.
func TestAccGlowProviderVault(t *testing.T) {
	addr, rootToken := vaulttest.Start(t)
	root := vaulttest.Client(t, addr, rootToken)
	ctx := context.Background()
	suffix := randomSuffix()
	path := "secret/tf-" + suffix + "/openai"
	v1, v2, v3, v4 := "sk-vault-one-"+suffix, "sk-vault-two-"+suffix, "sk-vault-three-"+suffix, "sk-vault-four-"+suffix
	put := func(v string) {
		if _, err := root.KVv2("secret").Put(ctx, "tf-"+suffix+"/openai", map[string]any{"api_key": v}); err != nil {
			t.Fatal(err)
		}
	}
	put(v1)
	planToken := vaultToken(t, root, "tf-plan-"+suffix, `path "secret/metadata/*" { capabilities = ["read"] }`)
	applyToken := vaultToken(t, root, "tf-apply-"+suffix, `
path "secret/metadata/*" { capabilities = ["read"] }
path "secret/data/*" { capabilities = ["read"] }
`)

	logPath := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	e := newTestEnv(t)
	res := fmt.Sprintf(`
resource "switchboard_glow_provider" "test" {
  name      = "OpenAI Production"
  endpoints = ["https://api.openai.com/v1"]
  keys = {
    primary = {
      vault = { path = %q, key = "api_key" }
    }
  }
}
`, path)
	// The token is the environment's, so the configuration (which the test
	// harness logs) holds none; the provider reads VAULT_TOKEN when
	// Terraform configures it, at every step.
	t.Setenv("VAULT_TOKEN", applyToken)
	use := func(token string) func() {
		return func() {
			if err := os.Setenv("VAULT_TOKEN", token); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := e.vaultProviderBlock(addr) + res
	primary := tfjsonpath.New("keys").AtMapKey("primary")

	var providerID, keyV1 string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				PreConfig: use(applyToken),
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault").AtMapKey("version"), knownvalue.Null()),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkGlowKey(v1, &keyV1),
					checkNoSecret(v1, v2),
					func(s *terraform.State) (err error) {
						providerID, err = stateAttr(s, glowAddr, "id")
						keys, _ := api.Collect(e.glow.ListKeys(ctx))
						want := "primary (vault:" + path + "#api_key@v1)"
						if len(keys) != 1 || keys[0].Name != want {
							return fmt.Errorf("glow keys %+v, want one named %q", keys, want)
						}
						return err
					},
				),
			},
			{
				// A plan with a token that may read metadata only.
				PreConfig: use(planToken),
				Config:    cfg,
				PlanOnly:  true,
			},
			{
				PreConfig: func() { put(v2) },
				// The new version shows in a metadata-only plan.
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: use(applyToken),
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault_version"), knownvalue.Int64Exact(2)),
						plancheck.ExpectUnknownValue(glowAddr, primary.AtMapKey("key_id")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault_version"), knownvalue.Int64Exact(2)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(glowAddr, "id", &providerID),
					e.checkGlowKey(v2, nil),
					checkNoSecret(v1, v2),
					func(*terraform.State) error {
						keys, err := api.Collect(e.glow.ListKeys(ctx))
						if err != nil {
							return err
						}
						for _, k := range keys {
							if k.ID == keyV1 {
								return errors.New("the rotated key was not deleted")
							}
						}
						return nil
					},
				),
			},
			{
				// The metadata-only token plans nothing after the rotation.
				PreConfig: use(planToken),
				Config:    cfg,
				PlanOnly:  true,
			},
			{
				// A version written between plan and apply: Terraform's
				// final plan at apply time reads version 4 where the plan
				// said 3, and refuses before any call instead of applying
				// something the plan did not show.
				PreConfig: func() {
					use(applyToken)()
					put(v3)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault_version"), knownvalue.Int64Exact(3)),
						planCheckFunc(func() { put(v4) }),
					},
				},
				ExpectError: regexp.MustCompile(`(?s)Provider produced inconsistent final plan.*switchboard_glow_provider.test.*\.keys`),
			},
			{
				// Nothing was sent: Glow still holds version 2, and the next
				// plan rotates to 4.
				PreConfig: func() {
					keys, err := api.Collect(e.glow.ListKeys(ctx))
					if err != nil || len(keys) != 1 || !strings.HasSuffix(keys[0].Name, "@v2)") {
						t.Errorf("Glow keys after the refused apply: %+v (%v)", keys, err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(glowAddr, primary.AtMapKey("vault_version"), knownvalue.Int64Exact(4))},
				},
				Check: e.checkGlowKey(v4, nil),
			},
			{
				// Import and generate a configuration: it references Vault
				// and plans nothing, with the metadata-only token.
				Config:          e.vaultProviderBlock(addr),
				ResourceName:    glowAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "OpenAI Production",
				GenerateConfig:  true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("switchboard_glow_provider.generated", plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue("switchboard_glow_provider.generated", primary.AtMapKey("vault").AtMapKey("path"), knownvalue.StringExact(path)),
					},
				},
			},
		},
	})

	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "switchboard_glow_provider") || !strings.Contains(string(log), "configured switchboard provider") {
		t.Fatalf("TF_LOG=TRACE wrote %d bytes to %s without both Terraform's and the provider's lines; the check below would prove nothing", len(log), logPath)
	}
	for _, secret := range []string{v1, v2, v3, v4, planToken, applyToken} {
		if strings.Contains(string(log), secret) {
			t.Errorf("the Terraform log contains a secret (%.12s…)", secret)
		}
	}
}

// The walkthrough's example (examples/terraform/vault) with the real
// terraform CLI, a real Vault and the emulator: apply, nothing to plan, a
// new version in Vault plans a rotation of the Glow key, apply rotates it.
func TestAccGlowProviderVaultExample(t *testing.T) {
	addr, rootToken := vaulttest.StartIsolated(t)
	root := vaulttest.Client(t, addr, rootToken)
	ctx := context.Background()
	if _, err := root.KVv2("secret").Put(ctx, "llm/openai", map[string]any{"api_key": "sk-walkthrough-1"}); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "terraform", "vault", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	tf := newTerraformCLI(t, dir)
	// The provider runs in this process, so it reads this environment.
	for k, v := range map[string]string{
		"GLOW_INSTANCE_URL": e.url, "GLOW_TOKEN": emulatortest.GlowToken,
		"GATEFLOW_URL": e.url, "GATEFLOW_ADMIN_KEY": emulatortest.AdminKey,
		"VAULT_ADDR": addr, "VAULT_TOKEN": rootToken,
	} {
		t.Setenv(k, v)
	}
	tf.env = append(tf.env, "TF_VAR_openai_api_key=sk-walkthrough-gateflow")
	tf.run([]int{0}, "init", "-backend=false")
	tf.run([]int{0}, "apply", "-auto-approve")
	tf.run([]int{0}, "plan", "-detailed-exitcode")
	if _, err := root.KVv2("secret").Put(ctx, "llm/openai", map[string]any{"api_key": "sk-walkthrough-2"}); err != nil {
		t.Fatal(err)
	}
	_, out := tf.run([]int{2}, "plan", "-detailed-exitcode")
	if !regexp.MustCompile(`vault_version\s+= 1 -> 2`).MatchString(out) || !strings.Contains(out, "1 to change") {
		t.Errorf("plan after writing version 2:\n%s", out)
	}
	tf.run([]int{0}, "apply", "-auto-approve")
	tf.run([]int{0}, "plan", "-detailed-exitcode")
	st, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st), `"vault_version": 2`) || strings.Contains(string(st), "sk-walkthrough") {
		t.Errorf("the state file lacks vault_version 2 or holds a secret:\n%s", st)
	}
	ps := e.providersNamed(t, "OpenAI Production")
	if len(ps) != 1 || len(ps[0].KeyIDs) != 1 {
		t.Fatalf("Glow providers: %+v", ps)
	}
	dec, err := e.glow.Decrypt(ctx, ps[0].ID, ps[0].KeyIDs[0])
	if err != nil || dec.Value.Reveal() != "sk-walkthrough-2" {
		t.Errorf("Glow's key after the rotation is not version 2 (%v)", err)
	}
	tf.run([]int{0}, "destroy", "-auto-approve")
}

// planCheckFunc runs f between plan and apply.
type planCheckFunc func()

func (f planCheckFunc) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	f()
}

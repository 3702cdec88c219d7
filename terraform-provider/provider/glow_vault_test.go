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
	s := newVaultRotation(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: s.e.factories(),
		Steps: []resource.TestStep{
			s.applyVersion1(),
			// A plan with a token that may read metadata only.
			{PreConfig: s.use(s.planToken), Config: s.cfg, PlanOnly: true},
			// The new version shows in a metadata-only plan.
			{PreConfig: func() { s.put(s.values[1]) }, Config: s.cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
			s.applyRotationToVersion2(),
			// The metadata-only token plans nothing after the rotation.
			{PreConfig: s.use(s.planToken), Config: s.cfg, PlanOnly: true},
			s.refuseAVersionWrittenBetweenPlanAndApply(),
			s.rotateToVersion4(),
			s.importGeneratesAVaultReference(),
		},
	})
	s.logHoldsNoSecret(t)
}

// vaultRotation is TestAccGlowProviderVault's world: a Vault with a KV v2
// secret, a metadata-only token and one that may read values, the
// emulator, and a configuration whose one key references the secret.
type vaultRotation struct {
	t                     *testing.T
	e                     *testEnv
	root                  *vaultapi.Client
	addr, path            string    // Vault's address and the key's vault path
	values                [4]string // the secret's versions 1 to 4
	planToken, applyToken string
	logPath               string // Terraform's and the provider's TRACE log
	cfg                   string
	primary               tfjsonpath.Path // the key's attribute path
	providerID, keyV1     string          // read by applyVersion1
}

// newVaultRotation writes version 1 of the secret and sets VAULT_TOKEN to
// the apply token: the token is the environment's, so the configuration
// (which the test harness logs) holds none; the provider reads VAULT_TOKEN
// when Terraform configures it, at every step.
func newVaultRotation(t *testing.T) *vaultRotation {
	addr, rootToken := vaulttest.Start(t)
	suffix := randomSuffix()
	s := &vaultRotation{t: t, root: vaulttest.Client(t, addr, rootToken), addr: addr, path: "secret/tf-" + suffix + "/openai"}
	for i, n := range []string{"one", "two", "three", "four"} {
		s.values[i] = "sk-vault-" + n + "-" + suffix
	}
	s.put(s.values[0])
	s.planToken = vaultToken(t, s.root, "tf-plan-"+suffix, `path "secret/metadata/*" { capabilities = ["read"] }`)
	s.applyToken = vaultToken(t, s.root, "tf-apply-"+suffix, `
path "secret/metadata/*" { capabilities = ["read"] }
path "secret/data/*" { capabilities = ["read"] }
`)

	s.logPath = filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", s.logPath)

	s.e = newTestEnv(t)
	s.cfg = s.e.vaultProviderBlock(addr) + fmt.Sprintf(`
resource "switchboard_glow_provider" "test" {
  name      = "OpenAI Production"
  endpoints = ["https://api.openai.com/v1"]
  keys = {
    primary = {
      vault = { path = %q, key = "api_key" }
    }
  }
}
`, s.path)
	t.Setenv("VAULT_TOKEN", s.applyToken)
	s.primary = tfjsonpath.New("keys").AtMapKey("primary")
	return s
}

// put writes the next version of the secret.
func (s *vaultRotation) put(v string) {
	if _, err := s.root.KVv2("secret").Put(context.Background(), strings.TrimPrefix(s.path, "secret/"), map[string]any{"api_key": v}); err != nil {
		s.t.Fatal(err)
	}
}

// use is a PreConfig that gives the provider token.
func (s *vaultRotation) use(token string) func() {
	return func() {
		if err := os.Setenv("VAULT_TOKEN", token); err != nil {
			s.t.Fatal(err)
		}
	}
}

// applyVersion1 creates the provider with version 1's value and a key
// named for its origin.
func (s *vaultRotation) applyVersion1() resource.TestStep {
	return resource.TestStep{
		PreConfig: s.use(s.applyToken),
		Config:    s.cfg,
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault_version"), knownvalue.Int64Exact(1)),
			statecheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault").AtMapKey("version"), knownvalue.Null()),
		},
		Check: resource.ComposeAggregateTestCheckFunc(
			s.e.checkGlowKey(s.values[0], &s.keyV1),
			checkNoSecret(s.values[0], s.values[1]),
			func(st *terraform.State) (err error) {
				s.providerID, err = stateAttr(st, glowAddr, "id")
				keys, _ := api.Collect(s.e.glow.ListKeys(context.Background()))
				want := "primary (vault:" + s.path + "#api_key@v1)"
				if len(keys) != 1 || keys[0].Name != want {
					return fmt.Errorf("glow keys %+v, want one named %q", keys, want)
				}
				return err
			},
		),
	}
}

// applyRotationToVersion2 rotates the key in place: same provider, a new
// key with version 2's value, the old key deleted.
func (s *vaultRotation) applyRotationToVersion2() resource.TestStep {
	return resource.TestStep{
		PreConfig: s.use(s.applyToken),
		Config:    s.cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault_version"), knownvalue.Int64Exact(2)),
				plancheck.ExpectUnknownValue(glowAddr, s.primary.AtMapKey("key_id")),
			},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault_version"), knownvalue.Int64Exact(2)),
		},
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttrPtr(glowAddr, "id", &s.providerID),
			s.e.checkGlowKey(s.values[1], nil),
			checkNoSecret(s.values[0], s.values[1]),
			func(*terraform.State) error {
				keys, err := api.Collect(s.e.glow.ListKeys(context.Background()))
				if err != nil {
					return err
				}
				for _, k := range keys {
					if k.ID == s.keyV1 {
						return errors.New("the rotated key was not deleted")
					}
				}
				return nil
			},
		),
	}
}

// refuseAVersionWrittenBetweenPlanAndApply: Terraform's final plan at apply
// time reads version 4 where the plan said 3, and refuses before any call
// instead of applying something the plan did not show.
func (s *vaultRotation) refuseAVersionWrittenBetweenPlanAndApply() resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			s.use(s.applyToken)()
			s.put(s.values[2])
		},
		Config: s.cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault_version"), knownvalue.Int64Exact(3)),
				planCheckFunc(func() { s.put(s.values[3]) }),
			},
		},
		ExpectError: regexp.MustCompile(`(?s)Provider produced inconsistent final plan.*switchboard_glow_provider.test.*\.keys`),
	}
}

// rotateToVersion4: nothing was sent by the refused apply, so Glow still
// holds version 2, and the next plan rotates to 4.
func (s *vaultRotation) rotateToVersion4() resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			keys, err := api.Collect(s.e.glow.ListKeys(context.Background()))
			if err != nil || len(keys) != 1 || !strings.HasSuffix(keys[0].Name, "@v2)") {
				s.t.Errorf("Glow keys after the refused apply: %+v (%v)", keys, err)
			}
		},
		Config: s.cfg,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(glowAddr, s.primary.AtMapKey("vault_version"), knownvalue.Int64Exact(4))},
		},
		Check: s.e.checkGlowKey(s.values[3], nil),
	}
}

// importGeneratesAVaultReference: import and generate a configuration; it
// references Vault and plans nothing, with the metadata-only token.
func (s *vaultRotation) importGeneratesAVaultReference() resource.TestStep {
	return resource.TestStep{
		Config:          s.e.vaultProviderBlock(s.addr),
		ResourceName:    glowAddr,
		ImportState:     true,
		ImportStateKind: resource.ImportBlockWithID,
		ImportStateId:   "OpenAI Production",
		GenerateConfig:  true,
		ImportPlanChecks: resource.ImportPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("switchboard_glow_provider.generated", plancheck.ResourceActionNoop),
				plancheck.ExpectKnownValue("switchboard_glow_provider.generated", s.primary.AtMapKey("vault").AtMapKey("path"), knownvalue.StringExact(s.path)),
			},
		},
	}
}

// logHoldsNoSecret checks the TRACE log, once it is shown to hold both
// Terraform's and the provider's lines, for every value and token.
func (s *vaultRotation) logHoldsNoSecret(t *testing.T) {
	log, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "switchboard_glow_provider") || !strings.Contains(string(log), "configured switchboard provider") {
		t.Fatalf("TF_LOG=TRACE wrote %d bytes to %s without both Terraform's and the provider's lines; the check below would prove nothing", len(log), s.logPath)
	}
	for _, secret := range append(s.values[:], s.planToken, s.applyToken) {
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

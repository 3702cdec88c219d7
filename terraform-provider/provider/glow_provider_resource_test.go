package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
)

const glowAddr = "switchboard_glow_provider.test"

type glowParams struct {
	description string
	departments []string
	endpoints   []string
	values      map[string]string
	keyValue    string
	keyVersion  int
}

func (e *testEnv) glowConfig(p glowParams) string {
	var vals []string
	for k, v := range p.values {
		vals = append(vals, fmt.Sprintf("    %s = %q", k, v))
	}
	slices.Sort(vals)
	return e.providerBlock() + fmt.Sprintf(`
resource "switchboard_glow_provider" "test" {
  name        = "OpenAI Production"
  description = %q
  departments = %s
  endpoints   = %s
  values = {
%s
  }

  keys = {
    primary = {
      value_wo         = %q
      value_wo_version = %d
    }
  }
}
`, p.description, hclList(p.departments), hclList(p.endpoints), strings.Join(vals, "\n"), p.keyValue, p.keyVersion)
}

func hclList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// stateID reads the provider id from the state for checks between steps.
func stateAttr(s *terraform.State, addr, attr string) (string, error) {
	rs, ok := s.RootModule().Resources[addr]
	if !ok {
		return "", fmt.Errorf("%s not in state", addr)
	}
	return rs.Primary.Attributes[attr], nil
}

// checkGlowKey decrypts the provider's key through the API, as a workload
// would, and compares it with the value given to Terraform.
func (e *testEnv) checkGlowKey(want string, keyID *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := stateAttr(s, glowAddr, "id")
		if err != nil {
			return err
		}
		kid, _ := stateAttr(s, glowAddr, "keys.primary.key_id")
		d, err := e.glow.GetProvider(context.Background(), id)
		if err != nil {
			return err
		}
		if len(d.Keys.Current) != 1 || d.Keys.Current[0].ID != kid {
			return fmt.Errorf("glow keys %+v, state key_id %s", d.Keys.Current, kid)
		}
		dec, err := e.glow.Decrypt(context.Background(), id, kid)
		if err != nil {
			return err
		}
		if dec.Value.Reveal() != want {
			return errors.New("the key's value in Glow is not the value given to Terraform")
		}
		if keyID != nil {
			*keyID = kid
		}
		return nil
	}
}

func TestAccGlowProviderResource(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	base := glowParams{
		description: "first",
		departments: []string{"research"},
		endpoints:   []string{"https://api.openai.com/v1"},
		values:      map[string]string{"region": "us"},
		keyValue:    "sk-glow-secret-one",
		keyVersion:  1,
	}
	updated := base
	updated.description = "second"
	updated.departments = []string{"research", "support"}
	updated.endpoints = []string{"https://api.openai.com/v1", "https://eu.api.openai.com/v1"}
	updated.values = map[string]string{"region": "eu", "tier": "enterprise"}
	rotated := updated
	rotated.keyValue = "sk-glow-secret-two"
	rotated.keyVersion = 2
	secrets := []string{base.keyValue, rotated.keyValue}

	var providerID, keyV1, keyV2 string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy: func(s *terraform.State) error {
			if _, err := e.glow.GetProvider(ctx, providerID); !errors.Is(err, api.ErrNotFound) {
				return fmt.Errorf("provider %s still exists after destroy (%v)", providerID, err)
			}
			keys, err := api.Collect(e.glow.ListKeys(ctx))
			if err != nil {
				return err
			}
			if len(keys) != 0 {
				return fmt.Errorf("keys left after destroy: %v", keys)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: e.glowConfig(base),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrSet(glowAddr, "id"),
					resource.TestCheckResourceAttr(glowAddr, "name", "OpenAI Production"),
					resource.TestCheckResourceAttr(glowAddr, "description", "first"),
					resource.TestCheckTypeSetElemAttr(glowAddr, "departments.*", "research"),
					resource.TestCheckTypeSetElemAttr(glowAddr, "endpoints.*", "https://api.openai.com/v1"),
					resource.TestCheckResourceAttr(glowAddr, "values.region", "us"),
					resource.TestCheckResourceAttr(glowAddr, "keys.%", "1"),
					resource.TestCheckResourceAttr(glowAddr, "keys.primary.value_wo_version", "1"),
					resource.TestCheckNoResourceAttr(glowAddr, "keys.primary.value_wo"),
					resource.TestCheckResourceAttr(glowAddr, "model_usage_count", "0"),
					checkNoSecret(secrets...),
					e.checkGlowKey(base.keyValue, &keyV1),
					func(s *terraform.State) error {
						var err error
						providerID, err = stateAttr(s, glowAddr, "id")
						keys, _ := api.Collect(e.glow.ListKeys(ctx))
						if len(keys) != 1 || keys[0].Name != "primary (terraform:v1)" {
							return fmt.Errorf("glow keys %+v, want one named %q", keys, "primary (terraform:v1)")
						}
						return err
					},
				),
			},
			{
				// In place: the same provider and the same key.
				Config: e.glowConfig(updated),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(glowAddr, "id", &providerID),
					resource.TestCheckResourceAttrPtr(glowAddr, "keys.primary.key_id", &keyV1),
					resource.TestCheckResourceAttr(glowAddr, "description", "second"),
					resource.TestCheckResourceAttr(glowAddr, "departments.#", "2"),
					resource.TestCheckResourceAttr(glowAddr, "endpoints.#", "2"),
					resource.TestCheckResourceAttr(glowAddr, "values.%", "2"),
					resource.TestCheckResourceAttr(glowAddr, "values.region", "eu"),
					e.checkGlowKey(base.keyValue, nil),
				),
			},
			{
				// Rotation: a new key with the new value, the old one deleted.
				Config: e.glowConfig(rotated),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(glowAddr, "id", &providerID),
					resource.TestCheckResourceAttr(glowAddr, "keys.primary.value_wo_version", "2"),
					checkNoSecret(secrets...),
					e.checkGlowKey(rotated.keyValue, &keyV2),
					func(*terraform.State) error {
						if keyV2 == keyV1 {
							return errors.New("rotation kept the old key")
						}
						keys, err := api.Collect(e.glow.ListKeys(ctx))
						if err != nil {
							return err
						}
						if len(keys) != 1 || keys[0].ID != keyV2 || keys[0].Name != "primary (terraform:v2)" {
							return fmt.Errorf("glow keys after rotation: %+v", keys)
						}
						return nil
					},
				),
			},
			{
				ResourceName:      glowAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// The value is write-only: null in both states, never read.
				ImportStateVerifyIgnore: []string{"keys.primary.value_wo"},
			},
			{
				// Drift: a change made in Glow shows in the plan and is undone.
				PreConfig: func() {
					d, err := e.glow.GetProvider(ctx, providerID)
					if err != nil {
						t.Fatal(err)
					}
					desc := "changed by hand"
					if _, err := e.glow.UpdateProvider(ctx, glow.UpdateRequest{
						ProviderID: providerID, ExpectedVersion: &d.Provider.Version,
						Patch: glow.Patch{Description: &desc},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.glowConfig(rotated),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr(glowAddr, "description", "second"),
			},
			{
				// Deleted outside Terraform: planned for creation again.
				PreConfig: func() {
					if _, err := e.glow.DeleteProviders(ctx, []string{providerID}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.glow.DeleteKeys(ctx, []string{keyV2}); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.glowConfig(rotated),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionCreate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(s *terraform.State) error {
						id, err := stateAttr(s, glowAddr, "id")
						if id == providerID {
							return errors.New("the provider was not created again")
						}
						providerID = id
						return err
					},
					e.checkGlowKey(rotated.keyValue, nil),
					checkNoSecret(secrets...),
				),
			},
		},
	})
}

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
	s := newGlowLifecycle(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: s.e.factories(),
		CheckDestroy:             s.checkDestroyed,
		Steps: []resource.TestStep{
			s.create(),
			s.updateInPlace(),
			s.rotateKey(),
			{
				ResourceName:      glowAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// The value is write-only: null in both states, never read.
				ImportStateVerifyIgnore: []string{"keys.primary.value_wo"},
			},
			s.undoDrift(),
			s.createAgainAfterOutsideDelete(),
		},
	})
}

// glowLifecycle is TestAccGlowProviderResource's world: the emulator, the
// three configurations it applies in turn, and the ids the steps read.
type glowLifecycle struct {
	t                      *testing.T
	e                      *testEnv
	base, updated, rotated glowParams
	secrets                []string // the key values, never in the state
	providerID, keyV1      string
	keyV2                  string
}

func newGlowLifecycle(t *testing.T) *glowLifecycle {
	s := &glowLifecycle{t: t, e: newTestEnv(t)}
	s.base = glowParams{
		description: "first",
		departments: []string{"research"},
		endpoints:   []string{"https://api.openai.com/v1"},
		values:      map[string]string{"region": "us"},
		keyValue:    "sk-glow-secret-one",
		keyVersion:  1,
	}
	s.updated = s.base
	s.updated.description = "second"
	s.updated.departments = []string{"research", "support"}
	s.updated.endpoints = []string{"https://api.openai.com/v1", "https://eu.api.openai.com/v1"}
	s.updated.values = map[string]string{"region": "eu", "tier": "enterprise"}
	s.rotated = s.updated
	s.rotated.keyValue = "sk-glow-secret-two"
	s.rotated.keyVersion = 2
	s.secrets = []string{s.base.keyValue, s.rotated.keyValue}
	return s
}

// checkDestroyed: destroy leaves neither the provider nor a key.
func (s *glowLifecycle) checkDestroyed(*terraform.State) error {
	ctx := context.Background()
	if _, err := s.e.glow.GetProvider(ctx, s.providerID); !errors.Is(err, api.ErrNotFound) {
		return fmt.Errorf("provider %s still exists after destroy (%v)", s.providerID, err)
	}
	keys, err := api.Collect(s.e.glow.ListKeys(ctx))
	if err != nil {
		return err
	}
	if len(keys) != 0 {
		return fmt.Errorf("keys left after destroy: %v", keys)
	}
	return nil
}

// create applies base: every attribute in the state, the key in Glow named
// for its write-only version.
func (s *glowLifecycle) create() resource.TestStep {
	return resource.TestStep{
		Config: s.e.glowConfig(s.base),
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
			checkNoSecret(s.secrets...),
			s.e.checkGlowKey(s.base.keyValue, &s.keyV1),
			func(st *terraform.State) error {
				var err error
				s.providerID, err = stateAttr(st, glowAddr, "id")
				keys, _ := api.Collect(s.e.glow.ListKeys(context.Background()))
				if len(keys) != 1 || keys[0].Name != "primary (terraform:v1)" {
					return fmt.Errorf("glow keys %+v, want one named %q", keys, "primary (terraform:v1)")
				}
				return err
			},
		),
	}
}

// updateInPlace applies updated: the same provider and the same key.
func (s *glowLifecycle) updateInPlace() resource.TestStep {
	return resource.TestStep{
		Config: s.e.glowConfig(s.updated),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate)},
		},
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttrPtr(glowAddr, "id", &s.providerID),
			resource.TestCheckResourceAttrPtr(glowAddr, "keys.primary.key_id", &s.keyV1),
			resource.TestCheckResourceAttr(glowAddr, "description", "second"),
			resource.TestCheckResourceAttr(glowAddr, "departments.#", "2"),
			resource.TestCheckResourceAttr(glowAddr, "endpoints.#", "2"),
			resource.TestCheckResourceAttr(glowAddr, "values.%", "2"),
			resource.TestCheckResourceAttr(glowAddr, "values.region", "eu"),
			s.e.checkGlowKey(s.base.keyValue, nil),
		),
	}
}

// rotateKey applies rotated: a new key with the new value, the old one
// deleted.
func (s *glowLifecycle) rotateKey() resource.TestStep {
	return resource.TestStep{
		Config: s.e.glowConfig(s.rotated),
		Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttrPtr(glowAddr, "id", &s.providerID),
			resource.TestCheckResourceAttr(glowAddr, "keys.primary.value_wo_version", "2"),
			checkNoSecret(s.secrets...),
			s.e.checkGlowKey(s.rotated.keyValue, &s.keyV2),
			func(*terraform.State) error {
				if s.keyV2 == s.keyV1 {
					return errors.New("rotation kept the old key")
				}
				keys, err := api.Collect(s.e.glow.ListKeys(context.Background()))
				if err != nil {
					return err
				}
				if len(keys) != 1 || keys[0].ID != s.keyV2 || keys[0].Name != "primary (terraform:v2)" {
					return fmt.Errorf("glow keys after rotation: %+v", keys)
				}
				return nil
			},
		),
	}
}

// undoDrift: a change made in Glow shows in the plan and is undone.
func (s *glowLifecycle) undoDrift() resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			ctx := context.Background()
			d, err := s.e.glow.GetProvider(ctx, s.providerID)
			if err != nil {
				s.t.Fatal(err)
			}
			desc := "changed by hand"
			if _, err := s.e.glow.UpdateProvider(ctx, glow.UpdateRequest{
				ProviderID: s.providerID, ExpectedVersion: &d.Provider.Version,
				Patch: glow.Patch{Description: &desc},
			}); err != nil {
				s.t.Fatal(err)
			}
		},
		Config: s.e.glowConfig(s.rotated),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionUpdate)},
		},
		Check: resource.TestCheckResourceAttr(glowAddr, "description", "second"),
	}
}

// createAgainAfterOutsideDelete: deleted outside Terraform, the provider is
// planned for creation again.
func (s *glowLifecycle) createAgainAfterOutsideDelete() resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			ctx := context.Background()
			if _, err := s.e.glow.DeleteProviders(ctx, []string{s.providerID}); err != nil {
				s.t.Fatal(err)
			}
			if _, err := s.e.glow.DeleteKeys(ctx, []string{s.keyV2}); err != nil {
				s.t.Fatal(err)
			}
		},
		Config: s.e.glowConfig(s.rotated),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(glowAddr, plancheck.ResourceActionCreate)},
		},
		Check: resource.ComposeAggregateTestCheckFunc(
			func(st *terraform.State) error {
				id, err := stateAttr(st, glowAddr, "id")
				if id == s.providerID {
					return errors.New("the provider was not created again")
				}
				s.providerID = id
				return err
			},
			s.e.checkGlowKey(s.rotated.keyValue, nil),
			checkNoSecret(s.secrets...),
		),
	}
}

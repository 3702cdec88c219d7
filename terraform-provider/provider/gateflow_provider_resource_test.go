package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const gateflowAddr = "switchboard_gateflow_provider.test"

func (e *testEnv) gateflowConfig(id string, enabled bool, settings, apiKey string, version int) string {
	return e.providerBlock() + fmt.Sprintf(`
resource "switchboard_gateflow_provider" "test" {
  provider_id = %q
  enabled     = %t
  settings    = %s

  credentials_wo = {
    api_key = %q
  }
  credentials_wo_version = %d
}
`, id, enabled, settings, apiKey, version)
}

func TestAccGateflowProviderResource(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	const key1, key2 = "sk-gateflow-secret-one", "sk-gateflow-secret-two"
	var credsAt string

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkOpenAIUnconfigured,
		Steps: []resource.TestStep{
			{
				Config: e.gateflowConfig("openai", true, `{ default_model = "gpt-4o", timeout_ms = "30000" }`, key1, 1),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(gateflowAddr, "id", "openai"),
					resource.TestCheckResourceAttr(gateflowAddr, "name", "OpenAI"),
					resource.TestCheckResourceAttr(gateflowAddr, "status", "active"),
					resource.TestCheckResourceAttr(gateflowAddr, "health_status", "healthy"),
					resource.TestCheckResourceAttr(gateflowAddr, "settings.timeout_ms", "30000"),
					resource.TestCheckResourceAttrSet(gateflowAddr, "configured_at"),
					resource.TestCheckNoResourceAttr(gateflowAddr, "credentials_wo"),
					checkNoSecret(key1, key2),
					e.checkTimeoutIsANumber(&credsAt),
				),
			},
			{
				// In place: settings replaced (timeout_ms removed), disabled.
				Config: e.gateflowConfig("openai", false, `{ default_model = "gpt-4o-mini", max_retries = "3" }`, key1, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(gateflowAddr, "status", "disabled"),
					resource.TestCheckResourceAttr(gateflowAddr, "settings.%", "2"),
					resource.TestCheckNoResourceAttr(gateflowAddr, "settings.timeout_ms"),
					resource.TestCheckResourceAttrPtr(gateflowAddr, "credentials_updated_at", &credsAt),
				),
			},
			{
				// Rotation through credentials_wo_version.
				Config: e.gateflowConfig("openai", false, `{ default_model = "gpt-4o-mini", max_retries = "3" }`, key2, 2),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkNoSecret(key1, key2),
					func(s *terraform.State) error {
						at, err := stateAttr(s, gateflowAddr, "credentials_updated_at")
						if at == credsAt {
							return errors.New("credentials_updated_at did not move: the credentials were not sent")
						}
						return err
					},
				),
			},
			{
				ResourceName:      gateflowAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// Gateflow can't say which version of the credentials it
				// holds, so an import leaves it null.
				ImportStateVerifyIgnore: []string{"credentials_wo_version"},
			},
			{
				// Drift: a setting added and the provider enabled by hand.
				PreConfig: func() {
					if _, err := e.gateflow.UpdateSettings(ctx, "openai", map[string]any{"base_url": "https://proxy.example"}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.gateflow.Enable(ctx, "openai"); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.gateflowConfig("openai", false, `{ default_model = "gpt-4o-mini", max_retries = "3" }`, key2, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(gateflowAddr, "status", "disabled"),
					resource.TestCheckNoResourceAttr(gateflowAddr, "settings.base_url"),
				),
			},
			{
				// Deleted outside Terraform: configured again.
				PreConfig: func() {
					if err := e.gateflow.Delete(ctx, "openai"); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.gateflowConfig("openai", false, `{ default_model = "gpt-4o-mini", max_retries = "3" }`, key2, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionCreate)},
				},
				Check: resource.TestCheckResourceAttr(gateflowAddr, "status", "disabled"),
			},
		},
	})
}

// checkOpenAIUnconfigured is the CheckDestroy of a Gateflow provider test:
// destroy leaves openai unconfigured.
func (e *testEnv) checkOpenAIUnconfigured(*terraform.State) error {
	p, err := e.gateflow.Get(context.Background(), catalogue.OpenAI)
	if err != nil {
		return err
	}
	if p.Configured {
		return errors.New("openai is still configured after destroy")
	}
	return nil
}

// checkTimeoutIsANumber checks that the timeout_ms setting, a string in
// the configuration, reached Gateflow as the number 30000, and reads
// credentials_updated_at from the state into credsAt.
func (e *testEnv) checkTimeoutIsANumber(credsAt *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		var err error
		*credsAt, err = stateAttr(s, gateflowAddr, "credentials_updated_at")
		p, gerr := e.gateflow.Get(context.Background(), "openai")
		if gerr != nil {
			return gerr
		}
		if p.Settings["timeout_ms"] != float64(30000) {
			return fmt.Errorf("timeout_ms in Gateflow is %#v, want the number 30000", p.Settings["timeout_ms"])
		}
		return err
	}
}

func TestAccGateflowProviderResourceErrors(t *testing.T) {
	e := newTestEnv(t)
	// Configured by someone else before Terraform gets to it.
	if _, err := e.gateflow.Configure(context.Background(), "mistral",
		map[string]sensitive.String{"api_key": sensitive.New("m-1")}, nil); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				// anthropic keys start with sk-ant-: Gateflow answers 422
				// naming credentials.api_key, and the diagnostic points there.
				Config:      e.gateflowConfig("anthropic", true, `{}`, "sk-not-anthropic", 1),
				ExpectError: regexp.MustCompile(`(?s)Configuring Gateflow provider anthropic.*api_key = .*invalid credentials`),
			},
			{
				Config:      e.gateflowConfig("mistral", true, `{}`, "m-2", 1),
				ExpectError: regexp.MustCompile(`(?s)already configured in Gateflow.*terraform import`),
			},
			{
				Config:      e.gateflowConfig("nope", true, `{}`, "x", 1),
				ExpectError: regexp.MustCompile(`(?s)provider_id.*value must be one of`),
			},
			{
				Config:      e.gateflowConfig("openai", true, `{ timeout_ms = "soon" }`, "sk-1", 1),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid setting.*timeout_ms = "soon".*non-negative integer`),
			},
		},
	})
}

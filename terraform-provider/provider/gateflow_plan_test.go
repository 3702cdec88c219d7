package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// gateflowWrites counts the calls to e's emulator that could change a
// Gateflow provider.
func (e *testEnv) gateflowWrites() int64 {
	var n int64
	for op, c := range e.server.Stats().Operations {
		if strings.HasPrefix(op, "gateflow.") && !strings.HasSuffix(op, ".get") && !strings.HasSuffix(op, ".list") {
			n += c
		}
	}
	return n
}

// wrapped compiles a pattern whose spaces match the line breaks Terraform
// wraps diagnostics with.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// gateflowRaw is a switchboard_gateflow_provider with the body as given.
func (e *testEnv) gateflowRaw(body string) string {
	return e.providerBlock() + `
resource "switchboard_gateflow_provider" "test" {
` + body + `
}
`
}

// TestAccGateflowProviderPlanTimeValidation: what Gateflow would refuse, or
// read back differently, is refused at plan time with the fix named, and
// nothing reaches Gateflow.
func TestAccGateflowProviderPlanTimeValidation(t *testing.T) {
	e := newTestEnv(t)
	step := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: e.gateflowRaw(body), PlanOnly: true, ExpectError: wrapped(want)}
	}
	unknownID := func(body, want string) resource.TestStep {
		return resource.TestStep{
			Config: e.gateflowRaw(`provider_id = terraform_data.id.output
  credentials_wo = { api_key = "sk-1" }
  `+body) + `
resource "terraform_data" "id" {
  input = "openai"
}
`,
			PlanOnly:    true,
			ExpectError: wrapped(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			step(`provider_id = "openai"
  credentials_wo = { organization_id = "org-1" }`,
				`(?s)Missing credential.*openai needs credentials_wo.api_key`),
			step(`provider_id = "openai"
  credentials_wo = { api_key = "" }`,
				`(?s)Missing credential.*openai needs credentials_wo.api_key`),
			step(`provider_id = "anthropic"
  credentials_wo = { api_key = "sk-ant-1", organization_id = "org-1" }`,
				`(?s)Unknown credential.*anthropic does not accept the credential "organization_id".*Accepted credentials: api_key`),
			step(`provider_id = "anthropic"
  settings       = { temperature = "0.2" }
  credentials_wo = { api_key = "sk-ant-1" }`,
				`(?s)Unknown Gateflow setting.*anthropic does not accept the setting "temperature".*Accepted settings: base_url, default_model, max_retries, timeout_ms`),
			// A setting of another provider.
			step(`provider_id = "openai"
  settings       = { region = "eu" }
  credentials_wo = { api_key = "sk-1" }`,
				`(?s)Unknown Gateflow setting.*openai does not accept the setting "region"`),
			step(`provider_id = "openai"
  settings       = { timeout_ms = "030000" }
  credentials_wo = { api_key = "sk-1" }`,
				`(?s)Invalid setting.*Write timeout_ms as "30000", not "030000"`),
			step(`provider_id = "mistral"
  settings       = { max_retries = "+3" }
  credentials_wo = { api_key = "m-1" }`,
				`(?s)Invalid setting.*Write max_retries as "3", not "\+3"`),
			step(`provider_id = "mistral"
  settings       = { max_retries = "-1" }
  credentials_wo = { api_key = "m-1" }`,
				`(?s)Invalid setting.*max_retries must be a non-negative integer, got "-1"`),
			// A provider_id known only at apply: the settings no provider
			// accepts, and the numbers, are still checked.
			unknownID(`settings       = { temperature = "0.2" }`,
				`(?s)Unknown Gateflow setting.*No Gateflow provider accepts the setting "temperature"`),
			unknownID(`settings       = { timeout_ms = "+100" }`,
				`(?s)Invalid setting.*Write timeout_ms as "100", not "\+100"`),
		},
	})
	if n := e.gateflowWrites(); n != 0 {
		t.Errorf("%d Gateflow writes for configurations refused at plan", n)
	}
	for _, id := range catalogue.ProviderIDs {
		if p, err := e.gateflow.Get(context.Background(), id); err != nil || p.Configured {
			t.Errorf("%s: configured %v, err %v", id, p != nil && p.Configured, err)
		}
	}
}

// TestAccGateflowProviderPlanNoise: an update plans status and
// health_status as the values they will have, and only credentials Terraform
// sends make credentials_updated_at unknown; credentials replaced outside
// Terraform are sent again by the next plan.
func TestAccGateflowProviderPlanNoise(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	const key = "sk-plan-noise-configured-key"
	cfg := func(enabled bool, model string) string {
		return e.gateflowConfig("openai", enabled, fmt.Sprintf(`{ default_model = %q }`, model), key, 1)
	}
	var rotatedAt time.Time
	known := func(attr string, v knownvalue.Check) plancheck.PlanCheck {
		return plancheck.ExpectKnownValue(gateflowAddr, tfjsonpath.New(attr), v)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			{
				Config: cfg(true, "gpt-5"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{known("status", knownvalue.StringExact("active"))},
				},
			},
			{
				// A settings change: nothing else goes unknown.
				Config: cfg(true, "gpt-5-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate),
						known("status", knownvalue.StringExact("active")),
						known("health_status", knownvalue.StringExact("healthy")),
						known("credentials_updated_at", knownvalue.NotNull()),
						known("configured_at", knownvalue.NotNull()),
					},
				},
			},
			{
				// Disabling: status is planned as what it becomes.
				Config: cfg(false, "gpt-5-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate),
						known("status", knownvalue.StringExact("disabled")),
						known("health_status", knownvalue.StringExact("healthy")),
						known("credentials_updated_at", knownvalue.NotNull()),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gateflowAddr, tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
				},
			},
			{
				// Someone replaces the credentials in Gateflow: the plan
				// sends the configured ones again.
				PreConfig: func() {
					r, err := e.gateflow.UpdateCredentials(ctx, catalogue.OpenAI, map[string]sensitive.String{"api_key": sensitive.New("sk-rotated-by-hand")})
					if err != nil {
						t.Fatal(err)
					}
					rotatedAt = r.CredentialsUpdatedAt
				},
				Config: cfg(false, "gpt-5-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(gateflowAddr, tfjsonpath.New("credentials_updated_at")),
						known("status", knownvalue.StringExact("disabled")),
					},
				},
				Check: credentialsSentAfter(&rotatedAt),
			},
			{
				// Once sent, nothing is flagged any more.
				Config: cfg(false, "gpt-5-mini"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A timeouts block changes no API object.
				Config: strings.Replace(cfg(false, "gpt-5-mini"), "credentials_wo_version", "timeouts {\n    create = \"2m\"\n    update = \"90s\"\n  }\n  credentials_wo_version", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gateflowAddr, plancheck.ResourceActionUpdate),
						known("status", knownvalue.StringExact("disabled")),
						known("health_status", knownvalue.StringExact("healthy")),
						known("credentials_updated_at", knownvalue.NotNull()),
					},
				},
			},
		},
	})
}

// credentialsSentAfter checks that the state's credentials_updated_at is
// after *rotatedAt (read when the check runs): Terraform sent its
// credentials after someone else's.
func credentialsSentAfter(rotatedAt *time.Time) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		at, err := stateAttr(s, gateflowAddr, "credentials_updated_at")
		if err != nil {
			return err
		}
		sent, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return err
		}
		if !sent.After(*rotatedAt) {
			return fmt.Errorf("credentials_updated_at %s is not after the rotation by hand at %s: Terraform did not send its credentials", sent, *rotatedAt)
		}
		return nil
	}
}

// TestAccGateflowProviderTimeouts: an operation that cannot finish within
// its timeouts block fails at once, saying what to raise, instead of waiting
// for a rate limit past its deadline.
func TestAccGateflowProviderTimeouts(t *testing.T) {
	e := newTestEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				// Every configure is rate limited with Retry-After: 1,
				// longer than the create may take.
				if err := e.server.ScriptFaults(emulator.FaultScript{RateLimitNext: 1000, OnlyOps: []string{"gateflow.providers.configure"}}); err != nil {
					t.Fatal(err)
				}
			},
			Config: e.gateflowRaw(`provider_id = "cohere"
  credentials_wo = { api_key = "c-1" }
  timeouts {
    create = "500ms"
  }`),
			ExpectError: wrapped(`(?s)Configuring Gateflow provider cohere.*429 rate limited.*timeouts`),
		}},
	})
	if err := e.server.ScriptFaults(emulator.FaultScript{}); err != nil {
		t.Fatal(err)
	}
	if got := e.server.Stats().Operations["gateflow.providers.configure"]; got != 1 {
		t.Errorf("%d configure calls, want 1: the retry could not end within the timeout", got)
	}
	if p, err := e.gateflow.Get(context.Background(), catalogue.Cohere); err != nil || p.Configured {
		t.Errorf("cohere: %+v, %v", p, err)
	}
}

// TestAccGateflowProviderShortCredentialIsNotShredded: Gateflow's message
// about a one-letter credential is shown as Gateflow wrote it; scrubbing
// that letter out of every word ("api_(sensitive value)ey") would say
// nothing and protect nothing.
func TestAccGateflowProviderShortCredentialIsNotShredded(t *testing.T) {
	e := newTestEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{{
			Config: e.gateflowRaw(`provider_id = "openai"
  credentials_wo = { api_key = "k" }`),
			ExpectError: wrapped(`(?s)Configuring Gateflow provider openai.*invalid credentials: an OpenAI api_key starts with "sk-"`),
		}},
	})
}

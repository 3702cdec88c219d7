package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccDataSources(t *testing.T) {
	e := newTestEnv(t)
	config := e.glowConfig(glowParams{
		description: "read me",
		departments: []string{"research"},
		endpoints:   []string{"https://api.openai.com/v1"},
		values:      map[string]string{"region": "us"},
		keyValue:    "sk-data-source-secret",
		keyVersion:  3,
	}) + `
data "switchboard_glow_provider" "by_id" {
  id = switchboard_glow_provider.test.id
}

data "switchboard_glow_provider" "by_name" {
  name       = "OpenAI Production"
  depends_on = [switchboard_glow_provider.test]
}

data "switchboard_gateflow_providers" "all" {}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		Steps: []resource.TestStep{
			// The failing steps come first: the last step's configuration is
			// the one destroyed at the end.
			{
				Config:      e.providerBlock() + `data "switchboard_glow_provider" "x" { name = "nobody" }`,
				ExpectError: regexp.MustCompile(`No Glow provider the token can see is named "nobody"`),
			},
			{
				Config:      e.providerBlock() + `data "switchboard_glow_provider" "x" {}`,
				ExpectError: regexp.MustCompile(`Exactly one of these attributes must be configured`),
			},
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPair("data.switchboard_glow_provider.by_id", "id", glowAddr, "id"),
					resource.TestCheckResourceAttrPair("data.switchboard_glow_provider.by_name", "id", glowAddr, "id"),
					resource.TestCheckResourceAttr("data.switchboard_glow_provider.by_name", "description", "read me"),
					resource.TestCheckResourceAttr("data.switchboard_glow_provider.by_id", "keys.0.name", "primary"),
					resource.TestCheckResourceAttr("data.switchboard_glow_provider.by_id", "keys.0.glow_name", "primary (terraform:v3)"),
					resource.TestCheckResourceAttr("data.switchboard_glow_provider.by_id", "keys.0.value_wo_version", "3"),
					resource.TestCheckNoResourceAttr("data.switchboard_glow_provider.by_id", "keys.0.vault_path"),
					// The ownership marker the create wrote is not a value.
					resource.TestCheckNoResourceAttr("data.switchboard_glow_provider.by_id", "values.switchboard.owner"),
					resource.TestCheckResourceAttrPair("data.switchboard_glow_provider.by_id", "values.%", glowAddr, "values.%"),
					resource.TestCheckResourceAttrPair("data.switchboard_glow_provider.by_id", "keys.0.key_id", glowAddr, "keys.primary.key_id"),
					resource.TestCheckResourceAttr("data.switchboard_gateflow_providers.all", "providers.#", "6"),
					resource.TestCheckResourceAttr("data.switchboard_gateflow_providers.all", "providers.0.id", "openai"),
					resource.TestCheckResourceAttr("data.switchboard_gateflow_providers.all", "providers.0.status", "inactive"),
					checkNoSecret("sk-data-source-secret"),
				),
			},
		},
	})
}

# A provider per department with for_each, plus one shared by all of them.
# Set the departments with --var 'departments=["cs","math"]', a --var-file,
# or SWITCHBOARD_VAR_departments.
glow {
  prune_departments = tolist(var.departments)
}

gateflow {}

locals {
  anthropic_endpoint = "https://api.anthropic.com"
  mistral_endpoint   = "https://api.mistral.ai/v1"
  common_values      = { timeout_s = "60", retries = "2" }
}

glow_provider "anthropic" {
  for_each    = var.departments
  name        = "Anthropic ${upper(each.key)}"
  description = "Claude for the ${each.key} department"
  departments = [each.value]
  endpoints   = [local.anthropic_endpoint]
  values      = merge(local.common_values, { department = each.key })

  key "primary" {
    value = vault("secret/llm/anthropic/${each.key}", "api_key")
  }
}

glow_provider "mistral_shared" {
  name        = "Mistral (shared)"
  description = "One Mistral provider for every department"
  departments = sort(tolist(var.departments))
  endpoints   = [local.mistral_endpoint]
  values      = local.common_values

  key "primary" {
    value = vault("secret/llm/mistral", "api_key", 3)
  }
}

# With for_each, the Gateflow provider ID comes from provider_id (the label
# then only names the block).
gateflow_provider "vendor" {
  for_each    = var.default_models
  provider_id = each.key
  credentials = { api_key = vault("secret/llm/${each.key}", "api_key") }
  settings    = { default_model = each.value, max_retries = 2 }
}

data "switchboard_glow_provider" "openai" {
  name = "OpenAI Production"
}

output "openai_endpoints" {
  value = data.switchboard_glow_provider.openai.endpoints
}

gateflow_provider "openai" {
}
gateflow_provider "second" {
  provider_id = "openai"
}

gateflow_provider "openia" {
}
gateflow_provider "x" {
  provider_id = "azure"
}

data "switchboard_gateflow_providers" "all" {}

output "unconfigured" {
  value = [for p in data.switchboard_gateflow_providers.all.providers : p.id if !p.configured]
}

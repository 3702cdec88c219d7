# Switchboard apply: read the values it writes into Glow and Gateflow, at the
# versions the reviewed plan recorded.
path "secret/data/llm/*" {
  capabilities = ["read"]
}

path "secret/metadata/llm/*" {
  capabilities = ["read"]
}

path "sys/internal/ui/mounts/secret/*" {
  capabilities = ["read"]
}

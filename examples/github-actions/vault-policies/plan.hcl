# Switchboard plan: Vault metadata only. A plan shows that a key has a new
# version from its metadata (version, created_time); it never reads a value.
path "secret/metadata/llm/*" {
  capabilities = ["read"]
}

# How the Vault CLI, and Switchboard, find the KV mount and its version.
path "sys/internal/ui/mounts/secret/*" {
  capabilities = ["read"]
}

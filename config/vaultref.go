package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// VaultRef is where a vault(path, key[, version]) call points. Evaluating a
// configuration never contacts Vault: the call yields a value that carries a
// VaultRef (as a cty mark) and is marked sensitive, and the secrets package
// resolves it only when a later step asks.
type VaultRef struct {
	// Path is what a user types after `vault kv get`: "secret/llm/openai".
	Path string
	// Key is the field within the secret: "api_key".
	Key string
	// Version pins a KV v2 version; 0 means the latest.
	Version int
	// Range is where the vault() call is written, for diagnostics.
	Range hcl.Range
}

// String names the reference the way a user wrote it, with its position. It
// holds no secret, so it is safe in any message.
func (r VaultRef) String() string {
	call := fmt.Sprintf("vault(%q, %q)", r.Path, r.Key)
	if r.Version > 0 {
		call = fmt.Sprintf("vault(%q, %q, %d)", r.Path, r.Key, r.Version)
	}
	if r.Range.Filename == "" {
		return call
	}
	return fmt.Sprintf("%s at %s:%d,%d", call, r.Range.Filename, r.Range.Start.Line, r.Range.Start.Column)
}

// Package secretref says where a secret lives, never what it is: a
// reference to a Vault secret as a configuration writes it (VaultRef), the
// origin a desired or live key records (Source), and the codec of the Glow
// key names that carry that origin. It is a leaf: config, secrets, the
// planner's objects, crud and the Terraform provider all share these types
// instead of each keeping its own.
package secretref

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
	call := VaultCall(r.Path, r.Key, r.Version)
	if r.Range.Filename == "" {
		return call
	}
	return fmt.Sprintf("%s at %s:%d,%d", call, r.Range.Filename, r.Range.Start.Line, r.Range.Start.Column)
}

// VaultCall is the vault() call that reads path and key (at version, when
// it is above 0), as configuration and import write it.
func VaultCall(path, key string, version int) string {
	if version > 0 {
		return fmt.Sprintf("vault(%q, %q, %d)", path, key, version)
	}
	return fmt.Sprintf("vault(%q, %q)", path, key)
}

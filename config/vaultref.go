package config

import "github.com/switchboard-hq/switchboard/secretref"

// The config package's names for the secretref types the vault block and
// vault() produce, until the package's own uses name secretref.
type (
	VaultRef      = secretref.VaultRef
	VaultSettings = secretref.VaultSettings
	VaultAuth     = secretref.VaultAuth
)

// Vault auth methods, as secretref names them.
const (
	VaultAuthAppRole               = secretref.VaultAuthAppRole
	VaultAuthJWT                   = secretref.VaultAuthJWT
	VaultAuthKubernetes            = secretref.VaultAuthKubernetes
	DefaultServiceAccountTokenFile = secretref.DefaultServiceAccountTokenFile
)

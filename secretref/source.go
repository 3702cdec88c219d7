package secretref

import (
	"strconv"
	"time"
)

// Source says where a secret comes from, never what it is. Exactly
// one of VaultPath, Env or TerraformVersion is set.
type Source struct {
	// VaultPath and VaultKey are what `vault kv get -field=KEY PATH` reads.
	VaultPath string `json:"vault_path,omitempty"`
	VaultKey  string `json:"vault_key,omitempty"`
	// Version is the KV v2 version the value was (live) or will be (desired)
	// read from. 0 means unversioned: a KV v1 mount, or an env() secret.
	Version int `json:"version,omitempty"`
	// CreatedTime is when Vault created that version (KV v2 metadata).
	// It is known for desired secrets only; Gateflow rotation compares it
	// with credentials_updated_at.
	CreatedTime time.Time `json:"created_time,omitzero"`
	// Env names an environment variable for env() secrets.
	Env string `json:"env,omitempty"`
	// TerraformVersion is set for a key written by
	// terraform-provider-switchboard from a write-only argument, whose name
	// ends in `(terraform:vN)`; N is value_wo_version, at least 1. Only live
	// keys have it: the CLI cannot read such a value, so no desired source
	// does, and a desired source always differs from it (a rotation).
	TerraformVersion int64 `json:"terraform_version,omitempty"`
}

// IsZero reports whether no source is known (a Glow key made by hand).
func (s Source) IsZero() bool {
	return s.VaultPath == "" && s.Env == "" && s.TerraformVersion == 0
}

// SameOrigin reports whether both name the same secret and version,
// ignoring CreatedTime, which only desired sources carry.
func (s Source) SameOrigin(o Source) bool {
	return s.VaultPath == o.VaultPath && s.VaultKey == o.VaultKey && s.Version == o.Version && s.Env == o.Env &&
		s.TerraformVersion == o.TerraformVersion
}

// String names the source the way plans show it: `vault:PATH#KEY@v3`,
// `env:NAME` or `terraform:v3`. It holds no secret.
func (s Source) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.VaultPath != "":
		r := "vault:" + s.VaultPath + "#" + s.VaultKey
		if s.Version > 0 {
			r += "@v" + strconv.Itoa(s.Version)
		}
		return r
	case s.TerraformVersion > 0:
		return "terraform:v" + strconv.FormatInt(s.TerraformVersion, 10)
	default:
		return "unknown origin"
	}
}

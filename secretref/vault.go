package secretref

import "github.com/hashicorp/hcl/v2"

// VaultSettings is the vault block. No token appears in it: the secrets
// package logs in as Auth says, or takes VAULT_TOKEN, the token helper's
// token (~/.vault-token by default), or none behind a Vault Agent.
type VaultSettings struct {
	// Address is Vault's: address, else VAULT_ADDR.
	Address string
	// AgentAddress is a Vault Agent (or Vault Proxy) in API proxy mode that
	// adds the token itself: agent_address, else VAULT_AGENT_ADDR. When
	// set, requests go there, and no token is needed.
	AgentAddress string
	// Auth is the auth_login_* block; nil when there is none.
	Auth *VaultAuth
	// Parallelism bounds the Vault requests in flight (parallelism; 0
	// when unset: the caller's default). It is Vault's own, not the
	// APIs' --parallelism: reading metadata is cheap for Vault, and a
	// plan of 10,000 secrets is bounded by its round trips.
	Parallelism int
	DeclRange   hcl.Range
}

// Vault auth methods, the Method of a VaultAuth.
const (
	VaultAuthAppRole    = "approle"
	VaultAuthJWT        = "jwt"
	VaultAuthKubernetes = "kubernetes"
)

// DefaultServiceAccountTokenFile is where Kubernetes mounts a pod's service
// account token, and so auth_login_kubernetes's default token_file.
const DefaultServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// VaultAuth is the vault block's auth_login_approle, auth_login_jwt or
// auth_login_kubernetes block: how Switchboard gets its Vault token by
// logging in. It holds no secret: the secret half of a login (AppRole's
// secret_id, the JWT, the service account token) is named by where it is,
// an environment variable or a file, and read only when logging in.
type VaultAuth struct {
	// Method is VaultAuthAppRole, VaultAuthJWT or VaultAuthKubernetes.
	Method string
	// Mount is the auth method's path without "auth/": the method's name
	// unless the block sets mount.
	Mount string
	// Role is the role to log in as (jwt, kubernetes).
	Role string
	// RoleID is AppRole's role_id. It is an identifier, not a credential,
	// but it is never printed either.
	RoleID string
	// SecretEnv and SecretFile name where the secret half of the login is:
	// at most one is set (AppRole: secret_id_env, secret_id_file; JWT:
	// jwt_env, jwt_file; Kubernetes: token_env, token_file).
	SecretEnv, SecretFile string
	// GitHubAudience, for jwt, asks GitHub Actions for an ID token with
	// this audience (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, which a job
	// with `permissions: id-token: write` has) instead of reading one.
	GitHubAudience string
	// DeclRange is the block's header, for messages.
	DeclRange hcl.Range
}

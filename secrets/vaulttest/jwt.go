package vaulttest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// JWTIssuer signs JWTs for Vault's jwt auth method, standing in for an
// OIDC issuer such as GitHub Actions: Vault is given its public key
// (jwt_validation_pubkeys) instead of discovering it.
type JWTIssuer struct {
	key *rsa.PrivateKey
	// PublicKeyPEM is the key Vault verifies with.
	PublicKeyPEM string
}

// NewJWTIssuer makes an issuer with a fresh RSA key.
func NewJWTIssuer(t testing.TB) *JWTIssuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &JWTIssuer{key: k, PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// Sign returns an RS256 JWT with claims.
func (k *JWTIssuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// GitHubClaims are the claims of a GitHub Actions ID token of the
// repository ORG/REPO (the placeholders docs/ci.md's role files bind), for
// a run on ref, in environment when it is not empty, for audience aud.
func GitHubClaims(ref, environment, aud string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss":              "https://token.actions.githubusercontent.com",
		"aud":              aud,
		"sub":              "repo:ORG/REPO:ref:" + ref,
		"repository":       "ORG/REPO",
		"repository_owner": "ORG",
		"ref":              ref,
		"iat":              now.Unix(),
		"nbf":              now.Add(-time.Minute).Unix(),
		"exp":              now.Add(10 * time.Minute).Unix(),
	}
	if environment != "" {
		c["environment"] = environment
		c["sub"] = "repo:ORG/REPO:environment:" + environment
	}
	return c
}

// GitHubAudience is the audience docs/ci.md's roles bind.
const GitHubAudience = "https://github.com/ORG"

// SetupGitHubJWT configures Vault as docs/ci.md does, from the same files
// in examples/github-actions/vault-policies: jwt auth enabled at mount,
// its config, the switchboard-plan and switchboard-apply policies and
// roles. The one difference: the issuer's key is k's (jwt_validation_pubkeys)
// instead of discovered from GitHub.
func SetupGitHubJWT(t testing.TB, root *vaultapi.Client, mount string, k *JWTIssuer) {
	t.Helper()
	dir, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "examples", "github-actions", "vault-policies")
	if err := root.Sys().EnableAuthWithOptions(mount, &vaultapi.EnableAuthOptions{Type: "jwt"}); err != nil {
		t.Fatalf("enabling jwt auth: %v", err)
	}
	var cfg map[string]any
	readJSON(t, filepath.Join(dir, "jwt-config.json"), &cfg)
	delete(cfg, "oidc_discovery_url")
	cfg["jwt_validation_pubkeys"] = []string{k.PublicKeyPEM}
	if _, err := root.Logical().Write("auth/"+mount+"/config", cfg); err != nil {
		t.Fatalf("auth/%s/config: %v", mount, err)
	}
	for _, name := range []string{"plan", "apply"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".hcl"))
		if err != nil {
			t.Fatal(err)
		}
		if err := root.Sys().PutPolicy("switchboard-"+name, string(b)); err != nil {
			t.Fatal(err)
		}
		var role map[string]any
		readJSON(t, filepath.Join(dir, "jwt-role-"+name+".json"), &role)
		if _, err := root.Logical().Write("auth/"+mount+"/role/switchboard-"+name, role); err != nil {
			t.Fatalf("auth/%s/role/switchboard-%s: %v", mount, name, err)
		}
	}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// setVaultBlock replaces the example's `vault {}` with block.
func setVaultBlock(t *testing.T, dir, block string) {
	t.Helper()
	editMain(t, dir, "vault {}", block)
}

func editMain(t *testing.T, dir, old, new string) {
	t.Helper()
	p := filepath.Join(dir, "main.hcl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("main.hcl has no %q", old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// plan logs in with AppRole as the vault block says, with the role docs/ci.md's
// plan policy gives, and the secret_id from the environment; the
// VAULT_TOKEN of the environment is not used, and neither the secret_id
// nor the token it got is printed.
func TestPlanWithAppRoleLogin(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-approle-secret-1"})
	policy, err := os.ReadFile("../../examples/github-actions/vault-policies/plan.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.vault.Sys().PutPolicy("switchboard-plan", string(policy)); err != nil {
		t.Fatal(err)
	}
	if err := w.vault.Sys().EnableAuthWithOptions("approle", &vaultapi.EnableAuthOptions{Type: "approle"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.vault.Logical().Write("auth/approle/role/switchboard-plan", map[string]any{"token_policies": "switchboard-plan"}); err != nil {
		t.Fatal(err)
	}
	rs, err := w.vault.Logical().Read("auth/approle/role/switchboard-plan/role-id")
	if err != nil {
		t.Fatal(err)
	}
	roleID := rs.Data["role_id"].(string)
	sid, err := w.vault.Logical().Write("auth/approle/role/switchboard-plan/secret-id", nil)
	if err != nil {
		t.Fatal(err)
	}
	secretID := sid.Data["secret_id"].(string)
	w.planted = append(w.planted, secretID, roleID)

	dir := copyExample(t, "basic")
	setVaultBlock(t, dir, `vault {
  auth_login_approle {
    role_id       = env("SWITCHBOARD_ROLE_ID")
    secret_id_env = "SWITCHBOARD_SECRET_ID"
  }
}`)
	t.Setenv("SWITCHBOARD_ROLE_ID", roleID)
	t.Setenv("SWITCHBOARD_SECRET_ID", secretID)
	// A root token in the environment would hide a login that did not
	// happen: the plan role's token is what must work.
	t.Setenv("VAULT_TOKEN", "hvs.unused-"+randomSuffix())

	code, out, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 0 || !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("plan with an AppRole login: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)

	// --check-secrets reads values, which the plan role may not: it says so.
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", "--check-secrets", dir)
	if code != 1 || !strings.Contains(errOut, "is valid, but its policies") || !strings.Contains(errOut, "run it with a Vault role allowed to read them") {
		t.Fatalf("--check-secrets as the plan role: exit %d\n%s%s", code, out, errOut)
	}
	t.Log(errOut)
	w.assertNoSecret(t, out, errOut)

	t.Setenv("SWITCHBOARD_SECRET_ID", "wrong-"+secretID)
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, "logging in to Vault") || strings.Contains(errOut, secretID) {
		t.Fatalf("plan with a wrong secret_id: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)
}

// A field name that is not in the secret (apikey for api_key) is caught by
// plan --check-secrets, at the reference's file:line, without a value.
func TestPlanCheckSecrets(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-check-secret-1"})
	dir := copyExample(t, "basic")
	editMain(t, dir, `value = vault("secret/llm/openai", "api_key")`, `value = vault("secret/llm/openai", "apikey")`)

	// A plan reads metadata only, so it cannot see the typo.
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", "--check-secrets", dir)
	if code != 1 {
		t.Errorf("--check-secrets with a wrong field: exit %d, want 1", code)
	}
	for _, want := range []string{
		`vault("secret/llm/openai", "apikey") at ` + filepath.Join(dir, "main.hcl") + ":22,",
		`has no key "apikey"; its keys are: "api_key"`,
		"1 of 2 vault() references do not resolve",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("--check-secrets with a wrong field: stderr does not contain %q", want)
		}
	}
	if strings.Contains(out, "Plan:") {
		t.Error("--check-secrets with a wrong field: stdout shows a plan")
	}
	if t.Failed() {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	t.Log(errOut)
	w.assertNoSecret(t, out, errOut)

	editMain(t, dir, `"apikey"`, `"api_key"`)
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", "--check-secrets", dir)
	if code != 0 || !strings.Contains(errOut, "all 2 vault() references resolve") || !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("--check-secrets with the right field: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)
}

// Vault down: one line naming the address, not one per reference.
func TestPlanVaultDown(t *testing.T) {
	w := newWorld(t)
	down := vaulttest.DownAddr(t)
	t.Setenv("VAULT_ADDR", down)
	t.Setenv("VAULT_MAX_RETRIES", "0")
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", copyExample(t, "basic"))
	if code != 1 || strings.Count(errOut, "cannot reach Vault at "+down) != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("plan with Vault down: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Log(errOut)
	w.assertNoSecret(t, out, errOut)
}

// A token Vault does not know is an invalid token, not a policy problem.
func TestPlanInvalidVaultToken(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-invalid-token-1"})
	bogus := "hvs.bogus-" + randomSuffix()
	w.planted = append(w.planted, bogus)
	t.Setenv("VAULT_TOKEN", bogus)
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", copyExample(t, "basic"))
	if code != 1 {
		t.Errorf("plan with an unknown token: exit %d, want 1", code)
	}
	for _, want := range []string{"invalid token", "VAULT_TOKEN"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("plan with an unknown token: stderr does not contain %q", want)
		}
	}
	// Not mistaken for a policy or a mount problem.
	for _, wrong := range []string{"policies", "no secrets engine"} {
		if strings.Contains(errOut, wrong) {
			t.Errorf("plan with an unknown token: stderr contains %q", wrong)
		}
	}
	if t.Failed() {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	w.assertNoSecret(t, out, errOut)
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// docs/ci.md's setup end to end: the plan job logs in as switchboard-plan
// with a pull request's GitHub token, the apply job applies that plan file
// as switchboard-apply with main's token in production. The role comes
// from the job's environment, so it is not part of what the plan binds.
func TestPlanAndApplyWithGitHubJWT(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-github-jwt-1"})
	k := vaulttest.NewJWTIssuer(t)
	vaulttest.SetupGitHubJWT(t, w.vault, "jwt", k)

	requestToken := "gh-request-" + randomSuffix()
	var jwt atomic.Value
	gh := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken || r.URL.Query().Get("audience") != vaulttest.GitHubAudience {
			http.Error(rw, "no", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"value": jwt.Load().(string)})
	}))
	defer gh.Close()
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", gh.URL+"/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", requestToken)
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("HOME", t.TempDir())

	dir := copyExample(t, "basic")
	setVaultBlock(t, dir, `vault {
  auth_login_jwt {
    role                    = env("SWITCHBOARD_VAULT_ROLE")
    github_actions_audience = "https://github.com/ORG"
  }
}`)
	planFile := filepath.Join(t.TempDir(), "plan.sbplan")

	prJWT := k.Sign(t, vaulttest.GitHubClaims("refs/pull/7/merge", "", vaulttest.GitHubAudience))
	jwt.Store(prJWT)
	w.planted = append(w.planted, prJWT, requestToken)
	t.Setenv("SWITCHBOARD_VAULT_ROLE", "switchboard-plan")
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--out", planFile, dir)
	if code != 0 || !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("plan job: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)

	mainJWT := k.Sign(t, vaulttest.GitHubClaims("refs/heads/main", "production", vaulttest.GitHubAudience))
	jwt.Store(mainJWT)
	w.planted = append(w.planted, mainJWT)
	t.Setenv("SWITCHBOARD_VAULT_ROLE", "switchboard-apply")
	code, out, errOut = runSwitchboard(t, "apply", "--no-color", planFile)
	if code != 0 || !strings.Contains(out, "2 added") {
		t.Fatalf("apply job: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)

	// A pull request's token cannot log in as the apply role.
	jwt.Store(prJWT)
	code, out, errOut = runSwitchboard(t, "plan", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, `role "switchboard-apply"`) {
		t.Fatalf("apply role with a pull request's token: exit %d\n%s%s", code, out, errOut)
	}
	w.assertNoSecret(t, out, errOut)
}

// vault { agent_address } sends requests to a Vault Agent without a token;
// a reverse proxy that adds one stands in for the agent's API proxy with
// use_auto_auth_token.
func TestPlanThroughVaultAgent(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-agent-secret-1"})
	agent := vaulttest.StartAgent(t, w.vault.Address(), w.vault.Token())
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("HOME", t.TempDir())
	dir := copyExample(t, "basic")
	setVaultBlock(t, dir, `vault {
  agent_address = "`+agent.URL+`"
}`)
	code, out, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 0 || !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("plan through the agent: exit %d\n%s%s", code, out, errOut)
	}
	if agent.Total.Load() == 0 || agent.WithToken.Load() != 0 {
		t.Errorf("%d of %d requests to the agent carried a token; want 0 of at least 1", agent.WithToken.Load(), agent.Total.Load())
	}
	w.assertNoSecret(t, out, errOut)
}

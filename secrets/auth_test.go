package secrets_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// authEnv is a Vault for a login test, with the Vault environment of the
// process cleared: Connect reads VAULT_TOKEN, HOME and the rest, so these
// tests set them and cannot run in parallel.
type authEnv struct {
	*env
	registered map[string]string
	mu         sync.Mutex
}

func newAuthEnv(t *testing.T) *authEnv {
	t.Helper()
	addr, token := vaulttest.Start(t)
	for _, name := range []string{"VAULT_ADDR", "VAULT_TOKEN", "VAULT_AGENT_ADDR", "VAULT_CONFIG_PATH", "VAULT_NAMESPACE", "VAULT_MAX_RETRIES",
		"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		t.Setenv(name, "") // restores it after the test
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", t.TempDir())
	return &authEnv{
		env: &env{
			t: t, addr: addr, token: token,
			root:   vaulttest.Client(t, addr, token),
			prefix: "t-" + randomHex(6),
		},
		registered: map[string]string{},
	}
}

func (e *authEnv) opts() secrets.ConnectOptions {
	return secrets.ConnectOptions{Register: func(name string, s sensitive.String) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.registered[name] = s.Reveal()
	}}
}

// wasRegistered checks that Connect handed secret to the caller's
// registry before anything could print it.
func (e *authEnv) wasRegistered(secret string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range e.registered {
		if v == secret {
			return
		}
	}
	e.t.Errorf("the secret %.6s… was not registered; registered: %v", secret, keys(e.registered))
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// write is a root write that fails the test.
func (e *authEnv) write(path string, data map[string]interface{}) *vaultapi.Secret {
	e.t.Helper()
	s, err := e.root.Logical().Write(path, data)
	if err != nil {
		e.t.Fatalf("write %s: %v", path, err)
	}
	return s
}

// llmSecret writes a secret where the shipped policies apply
// (secret/llm/…), unique to the test.
func (e *authEnv) llmSecret(data map[string]interface{}) string {
	e.t.Helper()
	for _, v := range data {
		e.values = append(e.values, v.(string))
	}
	p := "llm/" + e.prefix + "/openai"
	if _, err := e.root.KVv2("secret").Put(context.Background(), p, data); err != nil {
		e.t.Fatal(err)
	}
	return "secret/" + p
}

// shippedPolicy installs examples/github-actions/vault-policies/NAME.hcl
// as switchboard-NAME, the names docs/ci.md gives them.
func (e *authEnv) shippedPolicy(name string) string {
	e.t.Helper()
	b, err := os.ReadFile("../examples/github-actions/vault-policies/" + name + ".hcl")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.root.Sys().PutPolicy("switchboard-"+name, string(b)); err != nil {
		e.t.Fatal(err)
	}
	return "switchboard-" + name
}

func (e *authEnv) enableAuth(method string) string {
	e.t.Helper()
	mount := method + "-" + randomHex(4)
	if err := e.root.Sys().EnableAuthWithOptions(mount, &vaultapi.EnableAuthOptions{Type: method}); err != nil {
		e.t.Fatalf("enabling %s auth: %v", method, err)
	}
	return mount
}

// AppRole: a role with the plan policy; the secret_id comes from an
// environment variable or a file; the plan's reads then work with the
// token it gives, and a wrong secret_id fails without being printed.
func TestConnectAppRole(t *testing.T) {
	e := newAuthEnv(t)
	policy := e.shippedPolicy("plan")
	mount := e.enableAuth("approle")
	e.write("auth/"+mount+"/role/switchboard-plan", map[string]interface{}{"token_policies": policy, "token_ttl": "15m"})
	rs, err := e.root.Logical().Read("auth/" + mount + "/role/switchboard-plan/role-id")
	if err != nil {
		t.Fatal(err)
	}
	roleID := rs.Data["role_id"].(string)
	secretID := e.write("auth/"+mount+"/role/switchboard-plan/secret-id", nil).Data["secret_id"].(string)
	e.values = append(e.values, secretID, roleID)
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	rf := ref(p, "api_key", 0)
	ctx := context.Background()

	file := filepath.Join(t.TempDir(), "secret-id")
	if err := os.WriteFile(file, []byte(secretID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_SECRET_ID", secretID)
	// A token in the environment is for something else once the vault
	// block says how to log in.
	t.Setenv("VAULT_TOKEN", e.token)
	for _, a := range []secretref.VaultAuth{
		{Method: "approle", Mount: mount, RoleID: roleID, SecretEnv: "VAULT_SECRET_ID"},
		{Method: "approle", Mount: mount, RoleID: roleID, SecretFile: file},
	} {
		r, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: &a}, e.opts())
		if err != nil {
			t.Fatalf("AppRole login (%+v): %v", a, err)
		}
		e.wasRegistered(secretID)
		e.wasRegistered(r.Token().Reveal())
		if r.Token().Reveal() == e.token {
			t.Fatal("the resolver kept VAULT_TOKEN instead of logging in")
		}
		md, err := r.Metadata(ctx, rf)
		if err != nil || md.Version != 1 {
			t.Fatalf("Metadata after the AppRole login: %+v %v", md, err)
		}
		id, err := r.Identity(ctx)
		if err != nil || !contains(id.Policies, policy) {
			t.Errorf("Identity after the login: %+v %v", id, err)
		}
		// The plan role may not read values: the message says the token
		// is valid and names its policies, not "invalid token".
		_, _, err = r.Value(ctx, rf)
		e.wantErr(err, secrets.ErrPermissionDenied, rf)
		if !strings.Contains(err.Error(), "is valid, but its policies") || !strings.Contains(err.Error(), policy) {
			t.Errorf("denied read: %v", err)
		}
	}

	t.Setenv("VAULT_SECRET_ID", "not-"+secretID)
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: &secretref.VaultAuth{
		Method: "approle", Mount: mount, RoleID: roleID, SecretEnv: "VAULT_SECRET_ID"}}, e.opts())
	if !errors.Is(err, secrets.ErrLogin) || !strings.Contains(err.Error(), "auth/"+mount) {
		t.Fatalf("wrong secret_id: got %v, want a login error naming the mount", err)
	}
	e.noLeak(err.Error())
	t.Log(err)
	if strings.Contains(err.Error(), "not-"+secretID) {
		t.Errorf("the wrong secret_id is printed: %v", err)
	}

	t.Setenv("VAULT_SECRET_ID", "")
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: &secretref.VaultAuth{
		Method: "approle", Mount: mount, RoleID: roleID, SecretEnv: "VAULT_SECRET_ID"}}, e.opts())
	if err == nil || !strings.Contains(err.Error(), "VAULT_SECRET_ID, which is not set") {
		t.Fatalf("unset secret_id variable: %v", err)
	}
}

// JWT, with docs/ci.md's roles: a pull request's token logs in as the plan
// role from a file or from GitHub's token endpoint; only main's token in
// the production environment logs in as the apply role; a token for
// another audience is refused.
func TestConnectJWT(t *testing.T) {
	e := newAuthEnv(t)
	k := vaulttest.NewJWTIssuer(t)
	mount := "jwt-" + randomHex(4)
	vaulttest.SetupGitHubJWT(t, e.root, mount, k)
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	rf := ref(p, "api_key", 0)
	ctx := context.Background()
	const aud = vaulttest.GitHubAudience

	prJWT := k.Sign(t, vaulttest.GitHubClaims("refs/pull/7/merge", "", aud))
	e.values = append(e.values, prJWT)
	file := filepath.Join(t.TempDir(), "jwt")
	if err := os.WriteFile(file, []byte(prJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := &secretref.VaultAuth{Method: "jwt", Mount: mount, Role: "switchboard-plan", SecretFile: file}
	r, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: plan}, e.opts())
	if err != nil {
		t.Fatalf("plan role login with a pull request's JWT: %v", err)
	}
	e.wasRegistered(prJWT)
	if _, err := r.Metadata(ctx, rf); err != nil {
		t.Fatalf("Metadata as the plan role: %v", err)
	}
	if _, _, err := r.Value(ctx, rf); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("the plan role read a value: %v", err)
	}

	// GitHub's token endpoint: the request token authorizes, the audience
	// is a query parameter.
	requestToken := "gh-request-" + randomHex(8)
	mainJWT := k.Sign(t, vaulttest.GitHubClaims("refs/heads/main", "production", aud))
	e.values = append(e.values, mainJWT, requestToken)
	var asked atomic.Value
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		asked.Store(r.URL.Query().Get("audience"))
		_ = json.NewEncoder(w).Encode(map[string]string{"value": mainJWT})
	}))
	defer gh.Close()
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", gh.URL+"/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", requestToken)
	apply := &secretref.VaultAuth{Method: "jwt", Mount: mount, Role: "switchboard-apply", GitHubAudience: aud}
	r, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: apply}, e.opts())
	if err != nil {
		t.Fatalf("apply role login with main's JWT from GitHub: %v", err)
	}
	if got, _ := asked.Load().(string); got != aud {
		t.Errorf("GitHub was asked for audience %q, want %q", got, aud)
	}
	e.wasRegistered(mainJWT)
	e.wasRegistered(requestToken)
	if _, _, err := r.Value(ctx, rf); err != nil {
		t.Fatalf("Value as the apply role: %v", err)
	}

	// A pull request cannot log in as the apply role.
	t.Setenv("VAULT_JWT", prJWT)
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: &secretref.VaultAuth{
		Method: "jwt", Mount: mount, Role: "switchboard-apply", SecretEnv: "VAULT_JWT"}}, e.opts())
	if !errors.Is(err, secrets.ErrLogin) || !strings.Contains(err.Error(), `role "switchboard-apply"`) {
		t.Fatalf("a pull request's JWT as the apply role: %v", err)
	}
	e.noLeak(err.Error())
	t.Log(err)

	// GitHub's token for another audience (what a role without
	// bound_audiences refused) is refused by these roles too.
	t.Setenv("VAULT_JWT", k.Sign(t, vaulttest.GitHubClaims("refs/pull/7/merge", "", "sts.amazonaws.com")))
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: &secretref.VaultAuth{
		Method: "jwt", Mount: mount, Role: "switchboard-plan", SecretEnv: "VAULT_JWT"}}, e.opts())
	if !errors.Is(err, secrets.ErrLogin) || !strings.Contains(err.Error(), "aud") {
		t.Fatalf("a JWT for another audience: %v", err)
	}
	e.noLeak(err.Error())
	t.Log(err)
}

// Kubernetes: the plugin asks the TokenReview API whether the pod's
// service account token is valid; an httptest TLS server answers for
// Kubernetes.
func TestConnectKubernetes(t *testing.T) {
	e := newAuthEnv(t)
	k := vaulttest.NewJWTIssuer(t)
	saJWT := k.Sign(t, map[string]interface{}{
		"iss":                                    "kubernetes/serviceaccount",
		"kubernetes.io/serviceaccount/namespace": "switchboard",
		"kubernetes.io/serviceaccount/service-account.name": "ci",
		"kubernetes.io/serviceaccount/service-account.uid":  "0d5c7c44-uid",
		"sub": "system:serviceaccount:switchboard:ci",
	})
	e.values = append(e.values, saJWT)
	var reviews atomic.Int32
	kube := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
			http.NotFound(w, r)
			return
		}
		reviews.Add(1)
		var req struct {
			Spec struct {
				Token string `json:"token"`
			} `json:"spec"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		status := map[string]interface{}{"authenticated": false}
		if req.Spec.Token == saJWT {
			status = map[string]interface{}{
				"authenticated": true,
				"user": map[string]interface{}{
					"username": "system:serviceaccount:switchboard:ci",
					"uid":      "0d5c7c44-uid",
					"groups":   []string{"system:serviceaccounts"},
				},
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]interface{}{
			"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status,
		})
	}))
	defer kube.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kube.Certificate().Raw})

	policy := e.shippedPolicy("plan")
	mount := e.enableAuth("kubernetes")
	e.write("auth/"+mount+"/config", map[string]interface{}{
		"kubernetes_host":      kube.URL,
		"kubernetes_ca_cert":   string(ca),
		"disable_local_ca_jwt": true,
	})
	e.write("auth/"+mount+"/role/switchboard", map[string]interface{}{
		"bound_service_account_names":      "ci",
		"bound_service_account_namespaces": "switchboard",
		"token_policies":                   policy,
	})
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	ctx := context.Background()

	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(saJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &secretref.VaultAuth{Method: "kubernetes", Mount: mount, Role: "switchboard", SecretFile: tokenFile}
	r, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: a}, e.opts())
	if err != nil {
		t.Fatalf("Kubernetes login: %v", err)
	}
	if reviews.Load() == 0 {
		t.Error("Vault logged in without a TokenReview")
	}
	e.wasRegistered(saJWT)
	if _, err := r.Metadata(ctx, ref(p, "api_key", 0)); err != nil {
		t.Fatalf("Metadata after the Kubernetes login: %v", err)
	}

	other := k.Sign(t, map[string]interface{}{
		"kubernetes.io/serviceaccount/namespace":            "switchboard",
		"kubernetes.io/serviceaccount/service-account.name": "ci",
		"kubernetes.io/serviceaccount/service-account.uid":  "0d5c7c44-uid",
	})
	if err := os.WriteFile(tokenFile, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, Auth: a}, e.opts())
	if !errors.Is(err, secrets.ErrLogin) || strings.Contains(err.Error(), other) {
		t.Fatalf("a token Kubernetes does not know: %v", err)
	}
	t.Log(err)
}

// Without VAULT_TOKEN, the token comes from the Vault CLI's token helper
// when ~/.vault names one, else from ~/.vault-token.
func TestConnectTokenHelper(t *testing.T) {
	e := newAuthEnv(t)
	home := os.Getenv("HOME")
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	rf := ref(p, "api_key", 0)
	ctx := context.Background()

	_, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts())
	if err == nil || !strings.Contains(err.Error(), "no Vault token") {
		t.Fatalf("without any token: %v", err)
	}

	if err := os.WriteFile(filepath.Join(home, ".vault-token"), []byte(e.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts())
	if err != nil {
		t.Fatalf("with ~/.vault-token: %v", err)
	}
	if _, _, err := r.Value(ctx, rf); err != nil {
		t.Fatal(err)
	}

	// A helper that hands out a token of its own (not the file's).
	tok, err := e.root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{e.shippedPolicy("plan")}})
	if err != nil {
		t.Fatal(err)
	}
	helperToken := tok.Auth.ClientToken
	e.values = append(e.values, helperToken)
	helper := filepath.Join(t.TempDir(), "vault-helper")
	script := "#!/bin/sh\nif [ \"$1\" = get ]; then printf '%s\\n' '" + helperToken + "'; else exit 2; fi\n"
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".vault"), []byte("token_helper = \""+helper+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts())
	if err != nil {
		t.Fatalf("with a token helper: %v", err)
	}
	if r.Token().Reveal() != helperToken {
		t.Fatal("the token helper's token was not used")
	}
	e.wasRegistered(helperToken)
	if _, err := r.Metadata(ctx, rf); err != nil {
		t.Fatal(err)
	}

	// VAULT_CONFIG_PATH names another file, as for the CLI; a helper that
	// fails is an error that names it.
	broken := filepath.Join(t.TempDir(), "broken-helper")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'keyring locked' >&2\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "vault.hcl")
	if err := os.WriteFile(cfgFile, []byte("token_helper = \""+broken+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_CONFIG_PATH", cfgFile)
	_, err = secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts())
	if err == nil || !strings.Contains(err.Error(), broken) || !strings.Contains(err.Error(), "keyring locked") {
		t.Fatalf("a failing token helper: %v", err)
	}
	t.Log(err)
}

// Behind a Vault Agent in API proxy mode (use_auto_auth_token), requests
// carry no token and the agent adds its own. A reverse proxy that adds
// the token stands in for the agent here: it is the behaviour of the
// agent's proxy that Switchboard relies on.
func TestConnectAgentProxy(t *testing.T) {
	e := newAuthEnv(t)
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	ctx := context.Background()
	agent := vaulttest.StartAgent(t, e.addr, e.token)

	// Without an agent, no token is an error before any request.
	if _, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts()); err == nil {
		t.Fatal("connected without a token and without an agent")
	}

	r, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr, AgentAddress: agent.URL}, e.opts())
	if err != nil {
		t.Fatalf("through the agent: %v", err)
	}
	if r.Address() != agent.URL {
		t.Errorf("requests go to %s, want the agent at %s", r.Address(), agent.URL)
	}
	if _, _, err := r.Value(ctx, ref(p, "api_key", 0)); err != nil {
		t.Fatalf("Value through the agent: %v", err)
	}
	if agent.Total.Load() == 0 || agent.WithToken.Load() != 0 {
		t.Errorf("%d of %d requests to the agent carried a token; want 0 of at least 1", agent.WithToken.Load(), agent.Total.Load())
	}
}

// A token Vault does not know says "invalid token", at connect and on a
// read, never "policy or mount"; a valid token without the policy says
// that it is valid.
func TestInvalidToken(t *testing.T) {
	e := newAuthEnv(t)
	p := e.llmSecret(map[string]interface{}{"api_key": e.secret()})
	rf := ref(p, "api_key", 0)
	ctx := context.Background()
	bogus := "hvs.not-a-token-" + randomHex(8)
	e.values = append(e.values, bogus)

	t.Setenv("VAULT_TOKEN", bogus)
	_, err := secrets.Connect(ctx, &secretref.VaultSettings{Address: e.addr}, e.opts())
	if !errors.Is(err, secrets.ErrInvalidToken) || !strings.Contains(err.Error(), "invalid token") || !strings.Contains(err.Error(), "VAULT_TOKEN") {
		t.Fatalf("connect with an unknown token: %v", err)
	}
	e.noLeak(err.Error())
	t.Log(err)

	// A resolver that skipped the check (a token revoked mid-run).
	_, err = secrets.NewResolver(vaulttest.Client(t, e.addr, bogus)).Metadata(ctx, rf)
	e.wantErr(err, secrets.ErrInvalidToken, rf)
	if strings.Contains(err.Error(), "no secrets engine") || strings.Contains(err.Error(), "policies") {
		t.Errorf("an invalid token is explained as a policy or mount: %v", err)
	}

	tok, err := e.root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = secrets.NewResolver(vaulttest.Client(t, e.addr, tok.Auth.ClientToken)).Metadata(ctx, rf)
	e.wantErr(err, secrets.ErrPermissionDenied, rf)
	if errors.Is(err, secrets.ErrInvalidToken) || !strings.Contains(err.Error(), "is valid, but its policies (default)") {
		t.Errorf("a valid token without the policy: %v", err)
	}
}

// Vault down: one error naming the address, after the bounded attempts,
// instead of one per reference after each one's retries.
func TestConnectVaultDown(t *testing.T) {
	e := newAuthEnv(t)
	down := vaulttest.DownAddr(t)
	t.Setenv("VAULT_TOKEN", e.token)
	t.Setenv("VAULT_MAX_RETRIES", "1")
	_, err := secrets.Connect(context.Background(), &secretref.VaultSettings{Address: down}, e.opts())
	if !errors.Is(err, secrets.ErrUnreachable) {
		t.Fatalf("Vault down: got %v, want ErrUnreachable", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach Vault at "+down) || !strings.Contains(msg, "2 attempts") || strings.Count(msg, "\n") != 0 {
		t.Errorf("Vault down: %q", msg)
	}
	e.noLeak(msg)
	t.Log(msg)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// docs/ci.md shows the files TestConnectJWT configures Vault with, as they
// are, so the documented setup is the tested one.
func TestCIDocsShowTheTestedJWTSetup(t *testing.T) {
	doc, err := os.ReadFile("../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"jwt-config.json", "jwt-role-plan.json", "jwt-role-apply.json"} {
		b, err := os.ReadFile("../examples/github-actions/vault-policies/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```json\n"+string(b)+"```\n") {
			t.Errorf("docs/ci.md does not show %s as it is", name)
		}
		if !strings.Contains(string(doc), "@examples/github-actions/vault-policies/"+name) {
			t.Errorf("docs/ci.md does not write %s to Vault", name)
		}
	}
}

package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	vaultapi "github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
	"github.com/hashicorp/vault/api/auth/kubernetes"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/secretref"
)

// login logs in as a says and sets the client's token. Every secret it
// reads is registered before anything could quote it, and scrubbed from
// Vault's answers, which should never echo it.
func (r *Resolver) login(ctx context.Context, a *secretref.VaultAuth, opts ConnectOptions) error {
	where := fmt.Sprintf("logging in to Vault at %s with %s (auth/%s", r.client.Address(), a.Method, a.Mount)
	if a.Role != "" {
		where += fmt.Sprintf(", role %q", a.Role)
	}
	where += ")"
	var method vaultapi.AuthMethod
	var secrets []string
	switch a.Method {
	case secretref.VaultAuthAppRole:
		sid, src, err := readSecretInput(a.SecretEnv, a.SecretFile, "the AppRole secret_id")
		opts.register("vault approle secret_id ("+src+")", sid)
		// role_id is not a credential, but it is half of one: keep it
		// out of output too.
		opts.register("vault approle role_id", a.RoleID)
		if err != nil {
			return fmt.Errorf("vault: %s: %w", where, err)
		}
		secrets = append(secrets, sid, a.RoleID)
		m, err := approle.NewAppRoleAuth(a.RoleID, &approle.SecretID{FromString: sid}, approle.WithMountPath(a.Mount))
		if err != nil {
			return fmt.Errorf("vault: %s: %w", where, err)
		}
		method = m
	case secretref.VaultAuthKubernetes:
		tok, src, err := readSecretInput(a.SecretEnv, a.SecretFile, "the Kubernetes service account token")
		opts.register("vault kubernetes token ("+src+")", tok)
		if err != nil {
			return fmt.Errorf("vault: %s: %w", where, err)
		}
		secrets = append(secrets, tok)
		m, err := kubernetes.NewKubernetesAuth(a.Role, kubernetes.WithServiceAccountToken(tok), kubernetes.WithMountPath(a.Mount))
		if err != nil {
			return fmt.Errorf("vault: %s: %w", where, err)
		}
		method = m
	case secretref.VaultAuthJWT:
		var jwt, src string
		var err error
		if a.GitHubAudience != "" {
			jwt, err = githubIDToken(ctx, a.GitHubAudience, opts)
			src = "GitHub Actions"
		} else {
			jwt, src, err = readSecretInput(a.SecretEnv, a.SecretFile, "the JWT")
		}
		opts.register("vault jwt ("+src+")", jwt)
		if err != nil {
			return fmt.Errorf("vault: %s: %w", where, err)
		}
		secrets = append(secrets, jwt)
		// The Vault API module has no jwt auth package: the login is one
		// write, as `vault write auth/jwt/login role=… jwt=…` does.
		method = jwtLogin{mount: a.Mount, role: a.Role, jwt: jwt}
	default:
		return fmt.Errorf("vault: unknown auth method %q", a.Method)
	}

	s, err := r.client.Auth().Login(ctx, method)
	if err != nil {
		kind := ErrLogin
		var msg string
		var re *vaultapi.ResponseError
		if errors.As(err, &re) {
			msg = fmt.Sprintf("Vault answered %d: %s", re.StatusCode, strings.Join(re.Errors, "; "))
		} else {
			f := r.classify(ctx, err, "logging in")
			if errors.Is(f, ErrUnreachable) {
				kind = ErrUnreachable
			}
			msg = f.Error()
		}
		for _, sec := range secrets {
			msg = scrub(msg, sec)
		}
		return &Error{Kind: kind, cause: err, msg: where + ": " + msg}
	}
	tok := r.client.Token()
	if s != nil && s.Auth != nil && s.Auth.ClientToken != "" {
		tok = s.Auth.ClientToken
	}
	opts.register("vault token ("+a.Method+" login)", tok)
	r.tokenSource = fmt.Sprintf("the %s login at auth/%s", a.Method, a.Mount)
	return nil
}

// jwtLogin is the jwt (and oidc) auth method's non-interactive login.
type jwtLogin struct{ mount, role, jwt string }

func (j jwtLogin) Login(ctx context.Context, c *vaultapi.Client) (*vaultapi.Secret, error) {
	return c.Logical().WriteWithContext(ctx, "auth/"+j.mount+"/login", map[string]interface{}{
		"role": j.role,
		"jwt":  j.jwt,
	})
}

// githubIDToken asks GitHub Actions for the job's OIDC ID token with the
// given audience, as actions/core's getIDToken does: a GET of
// ACTIONS_ID_TOKEN_REQUEST_URL with &audience=…, authorized by
// ACTIONS_ID_TOKEN_REQUEST_TOKEN. Both are set only for a job with
// `permissions: id-token: write`.
func githubIDToken(ctx context.Context, audience string, opts ConnectOptions) (string, error) {
	reqURL, reqToken := os.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), os.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	opts.register("ACTIONS_ID_TOKEN_REQUEST_TOKEN", reqToken)
	if reqURL == "" || reqToken == "" {
		return "", errors.New("github_actions_audience asks GitHub Actions for an ID token, but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: give the job `permissions: id-token: write`")
	}
	u, err := url.Parse(reqURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not an http or https URL")
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking GitHub Actions for an ID token: %s", scrub(rootCause(err), reqToken))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("asking GitHub Actions for an ID token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("asking GitHub Actions for an ID token: it answered %s", resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
		return "", errors.New("asking GitHub Actions for an ID token: the answer has no token")
	}
	return v.Value, nil
}

// helperToken finds the token as the Vault CLI does when VAULT_TOKEN is
// not set: the token_helper of the CLI's configuration file
// (VAULT_CONFIG_PATH, else ~/.vault) run as `HELPER get`, else the
// default helper's file, ~/.vault-token. source names where it came from.
// An empty token with no error means there is none.
func helperToken(ctx context.Context) (token, source string, err error) {
	helper, cfgPath, err := tokenHelperPath()
	if err != nil {
		return "", "", err
	}
	if helper == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", nil
		}
		b, err := os.ReadFile(filepath.Join(home, ".vault-token"))
		if err != nil {
			return "", "", nil
		}
		return strings.TrimSpace(string(b)), "~/.vault-token", nil
	}
	source = "the token helper " + helper
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, helper, "get")
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = 64<<10, 4<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tok := strings.TrimSpace(stdout.String())
		msg := strings.TrimSpace(scrub(stderr.String(), tok))
		if msg != "" {
			msg = ": " + msg
		}
		return tok, source, fmt.Errorf("vault: the token helper %s (token_helper in %s) failed: %v%s", helper, cfgPath, err, msg)
	}
	if stdout.over {
		return "", source, fmt.Errorf("vault: the token helper %s printed more than 64 KiB", helper)
	}
	return strings.TrimSpace(stdout.String()), source, nil
}

// tokenHelperPath reads token_helper from the Vault CLI's configuration
// file, an HCL file that may hold nothing else Switchboard uses.
func tokenHelperPath() (helper, cfgPath string, err error) {
	cfgPath = os.Getenv("VAULT_CONFIG_PATH")
	if cfgPath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", nil
		}
		cfgPath = filepath.Join(home, ".vault")
	}
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && os.Getenv("VAULT_CONFIG_PATH") == "" {
			return "", cfgPath, nil
		}
		return "", cfgPath, fmt.Errorf("vault: reading the Vault CLI configuration: %w", err)
	}
	if len(b) > 1<<20 {
		return "", cfgPath, fmt.Errorf("vault: the Vault CLI configuration %s is larger than 1 MiB", cfgPath)
	}
	f, diags := hclsyntax.ParseConfig(b, cfgPath, hcl.InitialPos)
	if diags.HasErrors() {
		return "", cfgPath, fmt.Errorf("vault: the Vault CLI configuration: %s", diags.Error())
	}
	c, _, diags := f.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "token_helper"}}})
	if diags.HasErrors() {
		return "", cfgPath, fmt.Errorf("vault: the Vault CLI configuration: %s", diags.Error())
	}
	a := c.Attributes["token_helper"]
	if a == nil {
		return "", cfgPath, nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.Type().Equals(cty.String) || v.IsNull() {
		return "", cfgPath, fmt.Errorf("vault: %s: token_helper must be a string", a.Expr.Range())
	}
	helper = v.AsString()
	if rest, ok := strings.CutPrefix(helper, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			helper = filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(helper) {
		if helper, err = filepath.Abs(helper); err != nil {
			return "", cfgPath, err
		}
	}
	return helper, cfgPath, nil
}

// limitedBuffer keeps the first max bytes written and notes whether more
// came, so a helper that prints without end is not held in memory.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// readFull reads into b until it is full or the reader ends.
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// ConnectOptions adjust Connect.
type ConnectOptions struct {
	// Register is called with every secret Connect reads (the token, an
	// AppRole secret_id, a JWT, a service account token, GitHub's request
	// token) as soon as it is read, before any message could quote it, so
	// that the caller can keep it out of everything it prints. name says
	// where the secret came from, never what it is.
	Register func(name string, secret sensitive.String)
}

func (o ConnectOptions) register(name string, s string) {
	if o.Register != nil && s != "" {
		o.Register(name, sensitive.New(s))
	}
}

// Connect returns a Resolver for the vault block s, ready to resolve:
//
//   - requests go to s.AgentAddress when it is set (a Vault Agent or Vault
//     Proxy that adds the token itself), else to s.Address, else to
//     VAULT_ADDR; VAULT_NAMESPACE, VAULT_CACERT and the rest of Vault's
//     environment apply as in the Vault CLI;
//   - the token comes from s.Auth's login when there is one, else from
//     VAULT_TOKEN, else from the Vault CLI's token helper (`token_helper`
//     in ~/.vault or VAULT_CONFIG_PATH; ~/.vault-token without one);
//     behind an agent, no token is needed;
//   - Vault is asked once whether it is there (sys/health), with a bounded
//     number of attempts (VAULT_MAX_RETRIES, default 2, retries), so that
//     an unreachable Vault is one error naming its address, not one per
//     reference after every reference's retries;
//   - the token is looked up (auth/token/lookup-self), so that one Vault
//     does not know is reported as an invalid token, before any read could
//     be mistaken for a missing policy.
func Connect(ctx context.Context, s *secretref.VaultSettings, opts ConnectOptions) (*Resolver, error) {
	if s == nil {
		s = &secretref.VaultSettings{}
	}
	cfg := vaultapi.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client configuration: %w", cfg.Error)
	}
	agent := s.AgentAddress != ""
	switch {
	case agent:
		cfg.Address = s.AgentAddress
	case s.Address != "":
		cfg.Address = s.Address
	}
	par := s.Parallelism
	if par <= 0 {
		par = DefaultParallelism
	}
	poolConnections(cfg, par)
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	r := NewResolver(client)
	r.parallelism = par
	r.agent = agent
	if t := client.Token(); t != "" {
		opts.register("VAULT_TOKEN", t)
		r.tokenSource = "VAULT_TOKEN"
	}

	// A token at hand is found (and registered) before the first request,
	// so that nothing Vault or a proxy answers can quote it unseen.
	if s.Auth == nil && client.Token() == "" {
		tok, source, err := helperToken(ctx)
		opts.register("vault token ("+source+")", tok)
		if err != nil {
			return nil, err
		}
		if tok != "" {
			client.SetToken(tok)
			r.tokenSource = source
		}
	}

	if err := r.checkReachable(ctx); err != nil {
		return nil, err
	}

	if s.Auth != nil {
		// A login configured for this run wins over a VAULT_TOKEN that
		// the environment may hold for something else.
		client.ClearToken()
		r.tokenSource = ""
		if err := r.login(ctx, s.Auth, opts); err != nil {
			return nil, err
		}
	}
	if client.Token() == "" {
		if !agent {
			return nil, errors.New("no Vault token: set VAULT_TOKEN, run `vault login`, add an auth_login_approle, auth_login_jwt or auth_login_kubernetes block to the vault block, or go through a Vault Agent (agent_address or VAULT_AGENT_ADDR)")
		}
		r.tokenSource = "the Vault Agent at " + client.Address()
	}
	if err := r.checkToken(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// DefaultParallelism is how many Vault requests a Resolver's caller runs at
// once when vault { parallelism } does not say. Metadata reads are cheap
// for Vault, and a plan's wall time is their round trips, each longer than
// Vault's latency because every read takes CPU on both ends. On 2 cores,
// with Vault and the APIs 20 ms away, a plan of 10,000 unchanged providers
// took 5.67 s at 64, less than 1 s of it the configuration's load, and
// 4.45 s at 128 (make bench, side by side). A 429 from a Vault's rate
// limit quota is retried as its Retry-After says (the Vault client's
// backoff), and vault { parallelism } lowers the bound for it.
const DefaultParallelism = 128

// poolConnections keeps as many connections to Vault as requests run at
// once, and no more. The Vault client's pooled transport keeps
// GOMAXPROCS+1 idle per host, so on 2 cores 61 of 64 parallel reads would
// open a new connection (a TLS handshake on a remote Vault) each time one
// finished; and without a bound, a read that dials while the pool fills
// can be handed a connection another read just freed, its own dial then
// adding one more.
func poolConnections(cfg *vaultapi.Config, n int) {
	if cfg.HttpClient == nil {
		return
	}
	t, ok := cfg.HttpClient.Transport.(*http.Transport)
	if !ok {
		return
	}
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, n)
	t.MaxConnsPerHost = n
	if t.MaxIdleConns > 0 {
		t.MaxIdleConns = max(t.MaxIdleConns, n)
	}
}

// checkReachable asks sys/health, which needs no token, until Vault
// answers or the attempts run out. The client's own retries are off for
// it: they would wait each time, silently, and then again for every
// reference.
func (r *Resolver) checkReachable(ctx context.Context) error {
	attempts := r.client.MaxRetries() + 1
	if attempts < 1 {
		attempts = 1
	}
	perTry := 5 * time.Second
	if t := r.client.ClientTimeout(); t > 0 && t < perTry {
		perTry = t
	}
	c, err := r.client.Clone()
	if err != nil {
		return fmt.Errorf("vault client: %w", err)
	}
	c.SetMaxRetries(0)
	c.ClearToken()
	start := time.Now()
	wait := 250 * time.Millisecond
	var last error
	for i := 1; ; i++ {
		tctx, cancel := context.WithTimeout(ctx, perTry)
		h, err := c.Sys().HealthWithContext(tctx)
		cancel()
		if err == nil {
			switch {
			case !h.Initialized:
				return &Error{Kind: ErrVault, msg: fmt.Sprintf("Vault at %s is not initialized", r.client.Address())}
			case h.Sealed:
				return &Error{Kind: ErrSealed, msg: fmt.Sprintf("Vault at %s is sealed; unseal it and retry", r.client.Address())}
			}
			return nil
		}
		var re *vaultapi.ResponseError
		if errors.As(err, &re) {
			switch re.StatusCode {
			case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				// A load balancer or proxy in front of a Vault that is
				// down: as unreachable as no answer.
				err = fmt.Errorf("it answered %d %s", re.StatusCode, http.StatusText(re.StatusCode))
			default:
				// Vault, or something that speaks for it, answered:
				// requests will say more than this check can.
				return nil
			}
		}
		last = err
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if i >= attempts {
			tries := "1 attempt"
			if i > 1 {
				tries = fmt.Sprintf("%d attempts in %s", i, time.Since(start).Round(100*time.Millisecond))
			}
			return &Error{Kind: ErrUnreachable, cause: err, msg: fmt.Sprintf(
				"cannot reach Vault at %s: %s (%s; VAULT_MAX_RETRIES sets how many retries)",
				r.client.Address(), scrub(rootCause(last), r.client.Token()), tries)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// checkToken looks the token up. An answer that the token is invalid ends
// the run here; a token that may not look itself up (no default policy)
// is not an error, since reads may still be allowed.
func (r *Resolver) checkToken(ctx context.Context) error {
	st := r.tokenState(ctx)
	switch {
	case st.invalid:
		return &Error{Kind: ErrInvalidToken, cause: st.err, msg: r.invalidTokenMessage()}
	case st.err != nil && !st.denied:
		return st.err
	}
	return nil
}

func (r *Resolver) invalidTokenMessage() string {
	which := "the token"
	if r.tokenSource != "" {
		which = "the token from " + r.tokenSource
	}
	return fmt.Sprintf("invalid token: Vault at %s does not know %s (expired, revoked, or issued by another Vault or namespace)",
		r.client.Address(), which)
}

// tokenState is what lookup-self says about the token.
type tokenState struct {
	identity *TokenIdentity
	// invalid: Vault said "invalid token".
	invalid bool
	// denied: lookup-self was refused without saying why (a token without
	// the default policy, or an older Vault's answer for an invalid one).
	denied bool
	err    error
}

// tokenState looks the token up once per run; later callers share the
// answer.
func (r *Resolver) tokenState(ctx context.Context) tokenState {
	st, _ := r.lookup.do(ctx, struct{}{}, func() (tokenState, error) {
		s, err := r.client.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			var re *vaultapi.ResponseError
			if errors.As(err, &re) && (re.StatusCode == 403 || re.StatusCode == 400) {
				if saysInvalidToken(re) {
					return tokenState{invalid: true, err: err}, nil
				}
				if r.agent && r.tokenSource == "the Vault Agent at "+r.client.Address() && strings.Contains(strings.ToLower(strings.Join(re.Errors, " ")), "missing client token") {
					return tokenState{err: &Error{Kind: ErrPermissionDenied, cause: err, msg: fmt.Sprintf(
						"the Vault Agent at %s sent no token: enable its api_proxy with use_auto_auth_token = true (or \"force\"), or set VAULT_TOKEN", r.client.Address())}}, nil
				}
				return tokenState{denied: true, err: err}, nil
			}
			if ctx.Err() != nil {
				return tokenState{}, ctx.Err()
			}
			return tokenState{err: r.wrapNoRef(r.classifyPlain(err, "looking up the Vault token"))}, nil
		}
		if s == nil || s.Data == nil {
			return tokenState{err: errors.New("vault: looking up the Vault token: empty answer")}, nil
		}
		id := identityOf(s)
		return tokenState{identity: &id}, nil
	})
	return st
}

func saysInvalidToken(re *vaultapi.ResponseError) bool {
	for _, e := range re.Errors {
		if strings.Contains(strings.ToLower(e), "invalid token") {
			return true
		}
	}
	return false
}

// wrapNoRef is wrap for an error that belongs to no reference.
func (r *Resolver) wrapNoRef(err error) error {
	var f *failure
	if errors.As(err, &f) {
		return &Error{Kind: f.kind, msg: scrub(f.msg, r.client.Token()), cause: f.cause}
	}
	return err
}

// classifyPlain is classify for a request whose 403 needs no token check.
func (r *Resolver) classifyPlain(err error, doing string) error {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) && re.StatusCode == 403 {
		return &failure{kind: ErrPermissionDenied, cause: err, msg: "permission denied " + doing}
	}
	return r.classify(context.Background(), err, doing)
}

// deniedMessage explains a 403 to doing: an invalid token or a policy that
// does not allow it, told apart by lookup-self.
func (r *Resolver) denied(ctx context.Context, err error, doing, orElse string) *failure {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) && saysInvalidToken(re) {
		return &failure{kind: ErrInvalidToken, cause: err, msg: r.invalidTokenMessage()}
	}
	st := r.tokenState(ctx)
	switch {
	case st.invalid:
		return &failure{kind: ErrInvalidToken, cause: err, msg: r.invalidTokenMessage()}
	case st.identity != nil:
		who := "the token"
		if d := st.identity.DisplayName; d != "" {
			who = fmt.Sprintf("the token %q", d)
		}
		return &failure{kind: ErrPermissionDenied, cause: err, msg: fmt.Sprintf(
			"permission denied %s: %s is valid, but its policies (%s) do not allow it%s",
			doing, who, strings.Join(st.identity.Policies, ", "), orElse)}
	}
	return &failure{kind: ErrPermissionDenied, cause: err, msg: fmt.Sprintf(
		"permission denied %s: the token's policies do not allow it%s, or the token is invalid (it may not look itself up, so Vault does not say which)",
		doing, orElse)}
}

func identityOf(s *vaultapi.Secret) TokenIdentity {
	id := TokenIdentity{}
	id.DisplayName, _ = s.Data["display_name"].(string)
	id.EntityID, _ = s.Data["entity_id"].(string)
	if ps, ok := s.Data["policies"].([]any); ok {
		for _, p := range ps {
			if s, ok := p.(string); ok {
				id.Policies = append(id.Policies, s)
			}
		}
	}
	return id
}

// readSecretInput reads the secret half of a login from an environment
// variable or a file, bounded: a login secret is a few hundred bytes to a
// few kilobytes (a JWT), never megabytes.
func readSecretInput(env, file, what string) (string, string, error) {
	const maxSecret = 64 << 10
	switch {
	case env != "":
		v := os.Getenv(env)
		if v == "" {
			return "", "env:" + env, fmt.Errorf("%s is read from the environment variable %s, which is not set", what, env)
		}
		if len(v) > maxSecret {
			return "", "env:" + env, fmt.Errorf("%s in %s is longer than %d bytes", what, env, maxSecret)
		}
		return strings.TrimSpace(v), "env:" + env, nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", "file:" + file, fmt.Errorf("%s is read from %s: %w", what, file, errors.Unwrap(err))
		}
		defer f.Close() //nolint:errcheck // opened to read: closing it reports nothing to act on
		b := make([]byte, maxSecret+1)
		n, err := readFull(f, b)
		if err != nil {
			return "", "file:" + file, fmt.Errorf("reading %s from %s: %w", what, file, err)
		}
		if n > maxSecret {
			return "", "file:" + file, fmt.Errorf("%s in %s is longer than %d bytes", what, file, maxSecret)
		}
		v := strings.TrimSpace(string(b[:n]))
		if v == "" {
			return "", "file:" + file, fmt.Errorf("%s is read from %s, which is empty", what, file)
		}
		return v, "file:" + file, nil
	}
	return "", "", fmt.Errorf("%s: no source", what)
}

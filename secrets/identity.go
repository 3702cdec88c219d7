package secrets

import (
	"context"
	"errors"
	"fmt"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/sensitive"
)

// TokenIdentity describes the Vault token a Resolver uses, as
// auth/token/lookup-self reports it; never the token itself, nor its
// accessor (which can revoke it).
type TokenIdentity struct {
	DisplayName string
	EntityID    string
	Policies    []string
}

// Address is the Vault address the Resolver talks to.
func (r *Resolver) Address() string { return r.client.Address() }

// Namespace is the Vault Enterprise namespace requests are sent in; empty
// for the root namespace.
func (r *Resolver) Namespace() string { return r.client.Namespace() }

// Token is the token the Resolver sends, for callers that must keep it out
// of everything they print.
func (r *Resolver) Token() sensitive.String { return sensitive.New(r.client.Token()) }

// Identity looks the token up (auth/token/lookup-self, which Vault's
// default policy allows every token). It records who planned; it is never
// compared, since plan and apply use different tokens by design.
func (r *Resolver) Identity(ctx context.Context) (TokenIdentity, error) {
	st := r.tokenState(ctx)
	switch {
	case st.identity != nil:
		return *st.identity, nil
	case st.invalid:
		return TokenIdentity{}, &Error{Kind: ErrInvalidToken, cause: st.err, msg: r.invalidTokenMessage()}
	case st.err != nil:
		var re *vaultapi.ResponseError
		if errors.As(st.err, &re) {
			return TokenIdentity{}, r.wrapNoRef(r.classifyPlain(st.err, "looking up the Vault token"))
		}
		return TokenIdentity{}, st.err
	}
	return TokenIdentity{}, fmt.Errorf("vault: looking up the Vault token: empty answer")
}

package secrets

import (
	"context"
	"fmt"

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
	s, err := r.client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return TokenIdentity{}, r.classify(ctx, err, "looking up the Vault token")
	}
	if s == nil || s.Data == nil {
		return TokenIdentity{}, fmt.Errorf("vault: looking up the Vault token: empty answer")
	}
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
	return id, nil
}

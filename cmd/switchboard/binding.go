package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/planfile"
)

// vaultBinding describes the session's Vault for a plan's binding. The
// token's identity is looked up for the record only: a token that may not
// look itself up still plans.
func (s *session) vaultBinding(ctx context.Context, lookup bool) *planfile.VaultBinding {
	if s.vault == nil {
		return nil
	}
	b := &planfile.VaultBinding{Address: s.vault.Address(), Namespace: s.vault.Namespace()}
	if lookup {
		if id, err := s.vault.Identity(ctx); err == nil {
			b.Identity = id.DisplayName
		}
	}
	return b
}

// glowScope asks Glow what the session's token can see (a read).
func (s *session) glowScope(ctx context.Context) (*objects.TokenScope, error) {
	if s.clients.Glow == nil {
		return nil, nil
	}
	info, err := s.clients.Glow.Self(ctx)
	switch {
	case errors.Is(err, api.ErrNotFound):
		return &objects.TokenScope{}, nil
	case err != nil:
		return nil, fmt.Errorf("glow: asking what the token can see: %w", err)
	}
	return &objects.TokenScope{Known: true, Actor: info.ActorName, Scoped: info.Scoped, Departments: objects.NewSet(info.DepartmentIDs...)}, nil
}

// bindingError is apply's refusal of a plan made against something else.
type bindingError struct {
	file        string
	differences []string
	// reviewed is set for apply --reviewed, whose way out differs.
	reviewed bool
}

func (e *bindingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot be applied here: it is bound to where it was made, and this apply differs:", e.file)
	for _, d := range e.differences {
		b.WriteString("\n  - " + d)
	}
	if e.reviewed {
		b.WriteString("\nNothing was changed. The reviewed plan was made against another instance: review a plan of this one.")
	} else {
		b.WriteString("\nNothing was changed. Apply the plan where it was made, or make a new plan here and review it.")
	}
	return b.String()
}

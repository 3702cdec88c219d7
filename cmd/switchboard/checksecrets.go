package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// checkSecrets is plan --check-secrets: every vault() reference of the
// configuration is read, so that a field that does not exist (apikey for
// api_key) fails the plan before merge instead of the apply after it. The
// values are dropped as soon as they are read; messages name the
// reference's file:line, the secret and its field names, never a value.
// It needs a token allowed to read the values, which a plan's usually is
// not. It returns how many references it read; the view says so.
func (s *session) checkSecrets(ctx context.Context, cfg *config.Config) (int, error) {
	refs := vaultRefs(cfg)
	if len(refs) == 0 {
		return 0, nil
	}
	if s.vault == nil {
		return 0, errors.New("--check-secrets: the configuration uses vault() but no Vault is configured")
	}
	var failed []string
	denied := false
	for _, ref := range refs {
		if _, _, err := s.vault.Value(ctx, ref); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			failed = append(failed, err.Error())
			denied = denied || errors.Is(err, secrets.ErrPermissionDenied)
		}
	}
	if len(failed) == 0 {
		return len(refs), nil
	}
	msg := fmt.Sprintf("--check-secrets: %d of %d vault() references do not resolve:\n  %s", len(failed), len(refs), strings.Join(failed, "\n  "))
	if denied {
		msg += "\n--check-secrets reads the secrets' values: run it with a Vault role allowed to read them (a plan's usually may read metadata only)."
	}
	return 0, errors.New(msg)
}

// vaultRefs are the configuration's vault() references in file order,
// each with its own position.
func vaultRefs(cfg *config.Config) []secretref.VaultRef {
	var refs []secretref.VaultRef
	add := func(s config.Secret) {
		if s.Ref != nil {
			refs = append(refs, *s.Ref)
		}
	}
	if cfg.Glow != nil {
		add(cfg.Glow.Token)
	}
	if cfg.Gateflow != nil {
		add(cfg.Gateflow.AdminKey)
	}
	for _, p := range cfg.GlowProviders {
		for _, k := range p.Keys {
			add(k.Value)
		}
	}
	for _, p := range cfg.GateflowProviders {
		for _, name := range slices.Sorted(maps.Keys(p.Credentials)) {
			add(p.Credentials[name])
		}
	}
	return refs
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// loadFlags are the flags of every command that reads a configuration and
// talks to the services: plan and apply.
type loadFlags struct {
	vars, varFiles []string
	noColor        bool
	parallelism    int
	// vaultParallelism is --vault-parallelism; 0 leaves vault {
	// parallelism }, else secrets.DefaultParallelism.
	vaultParallelism int
	// diagnostics, when set, reports the configuration's diagnostics
	// instead of writing them as validate does (apply's view).
	diagnostics func(hcl.Diagnostics)
}

func (l *loadFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&l.vars, "var", nil, "set a variable: --var NAME=VALUE (repeatable)")
	f.StringArrayVar(&l.varFiles, "var-file", nil, "read variables from a *.sbvars file (HCL, or JSON when *.json; repeatable; later files win)")
	f.BoolVar(&l.noColor, "no-color", false, "do not use colors")
	f.IntVar(&l.parallelism, "parallelism", api.DefaultParallelism, "limit the number of concurrent API calls")
	f.IntVar(&l.vaultParallelism, "vault-parallelism", 0, fmt.Sprintf("limit the number of concurrent Vault reads (default: vault { parallelism }, else %d)", secrets.DefaultParallelism))
}

// load reads the configuration and prints its diagnostics as validate does.
// with adjusts the load options (a saved plan's embedded files and
// variables).
func (l *loadFlags) load(st *views.Stream, dir string, with ...func(*config.LoadOptions)) (*config.Config, error) {
	values, diags := config.ParseVarFlags(l.vars)
	var cfg *config.Config
	if !diags.HasErrors() {
		var more = diags
		opts := config.LoadOptions{Vars: values, VarFiles: l.varFiles}
		for _, f := range with {
			f(&opts)
		}
		cfg, more = config.Load(dir, opts)
		diags = append(diags, more...)
	}
	if len(diags) > 0 && l.diagnostics != nil {
		l.diagnostics(diags)
	} else if len(diags) > 0 {
		if err := views.Diagnostics(st, diags, views.DiagnosticOptions{NoColor: l.noColor}); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return nil, exitCode(1)
	}
	if cfg.Vault != nil {
		l.overrideVault(cfg.Vault)
	}
	return cfg, nil
}

// overrideVault applies the flags that override the vault block for one
// run (--vault-parallelism) to s.
func (l *loadFlags) overrideVault(s *secretref.VaultSettings) {
	if l.vaultParallelism > 0 {
		s.Parallelism = l.vaultParallelism
	}
}

// connectVault is secrets.Connect with what it reads (a token, a login's
// secret) registered in the run's credentials.
func connectVault(ctx context.Context, s *secretref.VaultSettings) (*secrets.Resolver, error) {
	return secrets.Connect(ctx, s, secrets.ConnectOptions{Register: credentialsIn(ctx).Add})
}

// session holds the connections a configuration describes.
type session struct {
	clients dump.Clients
	vault   *secrets.Resolver
}

// connect builds the clients of the services the configuration uses. A
// token given as vault() is read here, which needs a Vault token that may
// read it; keys and credentials are not read (plan needs only metadata).
func connect(ctx context.Context, cfg *config.Config, opts ...api.Option) (*session, error) {
	return connectPrefetched(ctx, cfg, nil, opts...)
}

// connectPrefetched is connect that takes the Resolver of pre, the
// configuration's load's prefetch, when pre connected to the Vault cfg
// describes: its cache holds what it has read.
func connectPrefetched(ctx context.Context, cfg *config.Config, pre *vaultPrefetch, opts ...api.Option) (*session, error) {
	s := &session{}
	// Every credential is registered as soon as it is held, before any
	// error could quote it.
	creds := credentialsIn(ctx)
	logOpt, err := debugLog(creds, streamIn(ctx).Err)
	if err != nil {
		return nil, err
	}
	opts = append([]api.Option{logOpt}, opts...)
	if cfg.Vault != nil {
		// Connect logs in and checks that Vault answers; what it reads
		// (a token, a secret_id, a JWT) is registered as it is read.
		r, err, ok := pre.resolver(cfg.Vault)
		if !ok {
			r, err = connectVault(ctx, cfg.Vault)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "vault") {
				err = fmt.Errorf("vault: %w", err)
			}
			return nil, err
		}
		s.vault = r
	}
	if cfg.Glow != nil {
		token, err := s.reveal(ctx, cfg.Glow.Token, "glow token", "GLOW_TOKEN")
		if err != nil {
			return nil, err
		}
		creds.Add(credentialName("glow token", "GLOW_TOKEN", cfg.Glow.Token), token)
		if cfg.Glow.URL == "" {
			return nil, errors.New("glow: no URL: set url in the glow block or GLOW_INSTANCE_URL")
		}
		if s.clients.Glow, err = glow.New(cfg.Glow.URL, token, opts...); err != nil {
			return nil, err
		}
	}
	if cfg.Gateflow != nil {
		key, err := s.reveal(ctx, cfg.Gateflow.AdminKey, "gateflow admin_key", "GATEFLOW_ADMIN_KEY")
		if err != nil {
			return nil, err
		}
		creds.Add(credentialName("gateflow admin_key", "GATEFLOW_ADMIN_KEY", cfg.Gateflow.AdminKey), key)
		if cfg.Gateflow.URL == "" {
			return nil, errors.New("gateflow: no URL: set url in the gateflow block or GATEFLOW_URL")
		}
		if s.clients.Gateflow, err = gateflow.New(cfg.Gateflow.URL, key, opts...); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *session) reveal(ctx context.Context, sec config.Secret, what, env string) (sensitive.String, error) {
	switch {
	case sec.Ref != nil:
		if s.vault == nil {
			return sensitive.String{}, fmt.Errorf("%s is %s but no Vault is configured", what, sec.Ref)
		}
		v, _, err := s.vault.Value(ctx, *sec.Ref)
		return v, err
	case sec.Literal.IsZero():
		return sensitive.String{}, fmt.Errorf("%s is not set: set %s or the attribute in the configuration", what, env)
	default:
		return sec.Literal, nil
	}
}

// metadata is the planner's view of Vault; nil when the configuration has
// no vault block and no vault() call.
func (s *session) metadata() interface {
	Metadata(context.Context, secretref.VaultRef) (secrets.Metadata, error)
} {
	if s.vault == nil {
		return nil
	}
	return s.vault
}

package config

import (
	"fmt"
	"math/big"
	"net/url"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var glowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "token"}, {Name: "prune_departments"}, {Name: "owner"}, {Name: "environment"}},
}

var gateflowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "admin_key"}, {Name: "prune"}},
}

// envDefaults is the one table of the settings the environment fills in
// when the configuration leaves them out: the variables every Glow,
// Gateflow and Vault client reads.
var envDefaults = map[string]string{
	"glow.url":            "GLOW_INSTANCE_URL",
	"glow.token":          "GLOW_TOKEN",
	"gateflow.url":        "GATEFLOW_URL",
	"gateflow.admin_key":  "GATEFLOW_ADMIN_KEY",
	"vault.address":       "VAULT_ADDR",
	"vault.agent_address": "VAULT_AGENT_ADDR",
}

// decodeSettings reads the glow, gateflow and vault blocks and fills in
// what they leave out from the environment. A glow or gateflow block is
// implied by a provider of its kind, a vault block by a vault() call.
func (l *loader) decodeSettings(cfg *Config, blocks map[string]*hcl.Block, glowProviders, gateflowProviders bool) {
	if b := blocks["glow"]; b != nil || glowProviders {
		cfg.Glow = l.decodeGlowSettings(b)
	}
	if b := blocks["gateflow"]; b != nil || gateflowProviders {
		cfg.Gateflow = l.decodeGateflowSettings(b)
	}
	// After the other blocks: their token and admin_key may call vault().
	if b := blocks["vault"]; b != nil || l.usedVault {
		cfg.Vault = l.decodeVaultSettings(b)
	}
}

func (l *loader) decodeGlowSettings(b *hcl.Block) *GlowSettings {
	attrs := l.settingsContent(b, glowSchema)
	s := &GlowSettings{}
	if b != nil {
		s.DeclRange = b.DefRange
	}
	s.URL = l.urlSetting(attrs, b, "glow", "url")
	s.Token = l.authSetting(attrs, "glow", "token")
	if v, a := l.plainAttr(attrs, "prune_departments", l.ctx, cty.List(cty.String)); v != cty.NilVal {
		s.PruneDepartments = l.stringList(a, v, "department", nil)
	}
	s.Owner = DefaultOwner
	if v, a := l.plainAttr(attrs, "owner", l.ctx, cty.String); v != cty.NilVal {
		if o := v.AsString(); validOwner(o) {
			s.Owner, s.OwnerSet = o, true
		} else {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid owner",
				Detail:   fmt.Sprintf("The owner %q is not 1 to 64 characters of ASCII letters, digits, '-', '_' and '.'. The owner is written into the ownership marker of every Glow provider this configuration manages.", o),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	s.Environment = l.environment(attrs)
	return s
}

func (l *loader) decodeGateflowSettings(b *hcl.Block) *GateflowSettings {
	attrs := l.settingsContent(b, gateflowSchema)
	s := &GateflowSettings{}
	if b != nil {
		s.DeclRange = b.DefRange
	}
	s.URL = l.urlSetting(attrs, b, "gateflow", "url")
	s.AdminKey = l.authSetting(attrs, "gateflow", "admin_key")
	if v, _ := l.plainAttr(attrs, "prune", l.ctx, cty.Bool); v != cty.NilVal {
		s.Prune = v.True()
	}
	return s
}

func (l *loader) decodeVaultSettings(b *hcl.Block) *secretref.VaultSettings {
	s := &secretref.VaultSettings{}
	attrs := hcl.Attributes{}
	if b != nil {
		s.DeclRange = b.DefRange
		c, diags := b.Body.Content(vaultSchema)
		l.diags = append(l.diags, diags...)
		attrs = c.Attributes
		s.Auth = l.decodeVaultAuth(c.Blocks)
	}
	s.Address = l.urlSetting(attrs, b, "vault", "address")
	s.AgentAddress = l.urlSetting(attrs, b, "vault", "agent_address")
	if v, a := l.plainAttr(attrs, "parallelism", l.ctx, cty.Number); v != cty.NilVal {
		n, acc := v.AsBigFloat().Int64()
		if acc != big.Exact || n < 1 || n > maxVaultParallelism {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid vault parallelism",
				Detail:   fmt.Sprintf("parallelism is how many Vault requests run at once: a whole number from 1 to %d.", maxVaultParallelism),
				Subject:  a.Expr.Range().Ptr(),
			})
		} else {
			s.Parallelism = int(n)
		}
	}
	return s
}

// earlyVaultSettings evaluates the vault block b (nil: implied) as
// decodeSettings does, for LoadOptions.Prefetch, before the provider
// blocks are decoded. What it reports is dropped: decodeSettings
// evaluates the block again and reports it in its place (a file() it reads
// is read once, and counted once, either way).
func (l *loader) earlyVaultSettings(b *hcl.Block) (*secretref.VaultSettings, bool) {
	n := len(l.diags)
	s := l.decodeVaultSettings(b)
	ok := !l.diags[n:].HasErrors()
	l.diags = l.diags[:n]
	return s, ok
}

// vaultPrefetch is Load's side of LoadOptions.Prefetch.
type vaultPrefetch struct {
	start    func(*secretref.VaultSettings) func(secretref.VaultRef)
	settings func() (*secretref.VaultSettings, bool)
	// started is set once start was called or refused; to is what it
	// returned.
	started bool
	to      func(secretref.VaultRef)
}

// add hands ref to the caller's prefetch, starting it with the first.
func (p *vaultPrefetch) add(ref secretref.VaultRef) {
	if p == nil {
		return
	}
	if !p.started {
		p.started = true
		if s, ok := p.settings(); ok {
			p.to = p.start(s)
		}
	}
	if p.to != nil {
		p.to(ref)
	}
}

// settingsContent is the arguments of a settings block; none when the
// block is implied.
func (l *loader) settingsContent(b *hcl.Block, schema *hcl.BodySchema) hcl.Attributes {
	if b == nil {
		return hcl.Attributes{}
	}
	c, diags := b.Body.Content(schema)
	l.diags = append(l.diags, diags...)
	return c.Attributes
}

// urlSetting reads the URL argument name of the block kind, or else its
// environment default. Either must be an absolute http or https URL; an
// empty or unset variable leaves the URL empty.
func (l *loader) urlSetting(attrs hcl.Attributes, b *hcl.Block, kind, name string) string {
	if v, a := l.plainAttr(attrs, name, l.ctx, cty.String); a != nil {
		if v == cty.NilVal {
			return ""
		}
		s := v.AsString()
		if err := checkURL(s); err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid URL",
				Detail:   err.Error() + ".",
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		return s
	}
	attr := kind + "." + name
	env := envDefaults[attr]
	v, _ := l.opts.Env(env)
	if v == "" {
		return ""
	}
	if err := checkURL(v); err != nil {
		d := &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid URL",
			Detail:   fmt.Sprintf("%s, the default of %s, is not an absolute http or https URL.", env, attr),
		}
		if b != nil {
			d.Subject = b.DefRange.Ptr()
		}
		l.diags = append(l.diags, d)
	}
	return v
}

// authSetting reads the token or admin key argument name of the block
// kind, a secret, or else takes its environment default, which is a
// credential of this run.
func (l *loader) authSetting(attrs hcl.Attributes, kind, name string) Secret {
	a := attrs[name]
	if a == nil {
		env := envDefaults[kind+"."+name]
		v, _ := l.opts.Env(env)
		l.rememberSecret(v)
		if v == "" {
			return Secret{Source: "env:" + env}
		}
		return Secret{Literal: sensitive.New(v), Source: "env:" + env}
	}
	// Not a use of the variables in it: see Variable.CredentialOnly.
	val, ok := l.evaluate(a.Expr, l.ctx, false)
	if !ok {
		return Secret{}
	}
	s, _ := l.secret(val, a.Expr.Range(), name, authSecret)
	return s
}

// validOwner accepts what GlowSettings.Owner documents: a name that fits
// in a marker without quoting.
func validOwner(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// checkURL accepts what Glow and Gateflow accept as a base URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	return nil
}

package config

import (
	"fmt"
	"math/big"
	"net/url"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/sensitive"
)

var glowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "token"}, {Name: "prune_departments"}, {Name: "owner"}, {Name: "environment"}},
}

var gateflowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "admin_key"}, {Name: "prune"}},
}

// decodeSettings reads the glow, gateflow and vault blocks and fills in
// what they leave out from the environment.
func (l *loader) decodeSettings(cfg *Config, blocks map[string]*hcl.Block, glowProviders, gateflowProviders bool) {
	envURL := func(name, attr string, block *hcl.Block) string {
		v, _ := l.opts.Env(name)
		if v == "" {
			return ""
		}
		if err := checkURL(v); err != nil {
			d := &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid URL",
				Detail:   fmt.Sprintf("%s, the default of %s, is not an absolute http or https URL.", name, attr),
			}
			if block != nil {
				d.Subject = block.DefRange.Ptr()
			}
			l.diags = append(l.diags, d)
		}
		return v
	}
	urlAttr := func(attrs hcl.Attributes, name string) (string, bool) {
		v, a := l.plainAttr(attrs, name, l.ctx, cty.String)
		if a == nil {
			return "", false
		}
		if v == cty.NilVal {
			return "", true
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
		return s, true
	}
	envSecret := func(name string) Secret {
		v, _ := l.opts.Env(name)
		l.rememberSecret(v)
		if v == "" {
			return Secret{Source: "env:" + name}
		}
		return Secret{Literal: sensitive.New(v), Source: "env:" + name}
	}
	authAttr := func(attrs hcl.Attributes, name, env string) Secret {
		a := attrs[name]
		if a == nil {
			return envSecret(env)
		}
		// Not a use of the variables in it: see Variable.CredentialOnly.
		val, ok := l.evaluate(a.Expr, l.ctx, false)
		if !ok {
			return Secret{}
		}
		s, _ := l.secret(val, a.Expr.Range(), name, authSecret)
		return s
	}
	content := func(b *hcl.Block, schema *hcl.BodySchema) hcl.Attributes {
		if b == nil {
			return hcl.Attributes{}
		}
		c, diags := b.Body.Content(schema)
		l.diags = append(l.diags, diags...)
		return c.Attributes
	}

	if b := blocks["glow"]; b != nil || glowProviders {
		attrs := content(b, glowSchema)
		s := &GlowSettings{}
		if b != nil {
			s.DeclRange = b.DefRange
		}
		var set bool
		if s.URL, set = urlAttr(attrs, "url"); !set {
			s.URL = envURL("GLOW_INSTANCE_URL", "glow.url", b)
		}
		s.Token = authAttr(attrs, "token", "GLOW_TOKEN")
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
		cfg.Glow = s
	}
	if b := blocks["gateflow"]; b != nil || gateflowProviders {
		attrs := content(b, gateflowSchema)
		s := &GateflowSettings{}
		if b != nil {
			s.DeclRange = b.DefRange
		}
		var set bool
		if s.URL, set = urlAttr(attrs, "url"); !set {
			s.URL = envURL("GATEFLOW_URL", "gateflow.url", b)
		}
		s.AdminKey = authAttr(attrs, "admin_key", "GATEFLOW_ADMIN_KEY")
		if v, _ := l.plainAttr(attrs, "prune", l.ctx, cty.Bool); v != cty.NilVal {
			s.Prune = v.True()
		}
		cfg.Gateflow = s
	}
	// After the other blocks: their token and admin_key may call vault().
	if b := blocks["vault"]; b != nil || l.usedVault {
		s := &VaultSettings{}
		attrs := hcl.Attributes{}
		if b != nil {
			s.DeclRange = b.DefRange
			c, diags := b.Body.Content(vaultSchema)
			l.diags = append(l.diags, diags...)
			attrs = c.Attributes
			s.Auth = l.decodeVaultAuth(c.Blocks)
		}
		var set bool
		if s.Address, set = urlAttr(attrs, "address"); !set {
			s.Address = envURL("VAULT_ADDR", "vault.address", b)
		}
		if s.AgentAddress, set = urlAttr(attrs, "agent_address"); !set {
			s.AgentAddress = envURL("VAULT_AGENT_ADDR", "vault.agent_address", b)
		}
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
		cfg.Vault = s
	}
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

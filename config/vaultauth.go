package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hq/switchboard/secretref"
)

// authBlockPrefix starts the vault block's login blocks, named like the
// Terraform Vault provider's auth_login_* blocks.
const authBlockPrefix = "auth_login_"

var vaultAuthSchemas = map[string]*hcl.BodySchema{
	secretref.VaultAuthAppRole: {Attributes: []hcl.AttributeSchema{
		{Name: "mount"}, {Name: "role_id", Required: true}, {Name: "secret_id_env"}, {Name: "secret_id_file"},
		{Name: "secret_id"},
	}},
	secretref.VaultAuthJWT: {Attributes: []hcl.AttributeSchema{
		{Name: "mount"}, {Name: "role", Required: true}, {Name: "jwt_env"}, {Name: "jwt_file"}, {Name: "github_actions_audience"},
		{Name: "jwt"},
	}},
	secretref.VaultAuthKubernetes: {Attributes: []hcl.AttributeSchema{
		{Name: "mount"}, {Name: "role", Required: true}, {Name: "token_env"}, {Name: "token_file"},
		{Name: "jwt"}, {Name: "token"},
	}},
}

// secretSources are, per method, the attributes that say where the login's
// secret is, and the attributes a user might write the secret itself into.
var secretSources = map[string]struct {
	env, file, extra string
	literal          []string
	what             string
}{
	secretref.VaultAuthAppRole:    {env: "secret_id_env", file: "secret_id_file", literal: []string{"secret_id"}, what: "The AppRole secret_id"},
	secretref.VaultAuthJWT:        {env: "jwt_env", file: "jwt_file", extra: "github_actions_audience", literal: []string{"jwt"}, what: "The JWT"},
	secretref.VaultAuthKubernetes: {env: "token_env", file: "token_file", literal: []string{"jwt", "token"}, what: "The service account token"},
}

var vaultSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "address"}, {Name: "agent_address"}, {Name: "parallelism"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: authBlockPrefix + secretref.VaultAuthAppRole},
		{Type: authBlockPrefix + secretref.VaultAuthJWT},
		{Type: authBlockPrefix + secretref.VaultAuthKubernetes},
	},
}

// decodeVaultAuth reads the vault block's login block, if any.
func (l *loader) decodeVaultAuth(blocks hcl.Blocks) *secretref.VaultAuth {
	if len(blocks) == 0 {
		return nil
	}
	for _, extra := range blocks[1:] {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "More than one Vault login",
			Detail:   fmt.Sprintf("The vault block already logs in with %s (at %s:%d). Switchboard logs in once per run: keep one auth_login_* block.", blocks[0].Type, blocks[0].DefRange.Filename, blocks[0].DefRange.Start.Line),
			Subject:  extra.DefRange.Ptr(),
		})
	}
	b := blocks[0]
	method := strings.TrimPrefix(b.Type, authBlockPrefix)
	content, diags := b.Body.Content(vaultAuthSchemas[method])
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	a := &secretref.VaultAuth{Method: method, Mount: method, DeclRange: b.DefRange}
	src := secretSources[method]
	for _, name := range src.literal {
		if at := attrs[name]; at != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Secret written in the configuration",
				Detail: fmt.Sprintf("%s must not be written in a configuration file, nor read when the configuration is loaded (plan files embed the configuration). Name where Switchboard reads it when it logs in: %s = \"NAME\" (an environment variable) or %s = \"PATH\" (a file).",
					src.what, src.env, src.file),
				Subject: at.NameRange.Ptr(),
			})
		}
	}
	str := func(name string) string { return l.loginAttr(attrs, name) }
	if m := str("mount"); m != "" {
		a.Mount = strings.Trim(m, "/")
	}
	a.Role = str("role")
	a.RoleID = str("role_id")
	a.SecretEnv = str(src.env)
	a.SecretFile = str(src.file)
	if src.extra != "" {
		a.GitHubAudience = str(src.extra)
	}
	var set []string
	for _, name := range []string{src.env, src.file, src.extra} {
		if name != "" && attrs[name] != nil {
			set = append(set, name)
		}
	}
	switch {
	case len(set) > 1:
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting login secrets",
			Detail:   fmt.Sprintf("%s is read from one place: set only one of %s.", src.what, quoteList(set)),
			Subject:  attrs[set[1]].NameRange.Ptr(),
		})
	case len(set) == 0 && method == secretref.VaultAuthKubernetes:
		a.SecretFile = secretref.DefaultServiceAccountTokenFile
	case len(set) == 0:
		opts := []string{src.env, src.file}
		if src.extra != "" {
			opts = append(opts, src.extra)
		}
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing login secret",
			Detail:   fmt.Sprintf("%s is read when Switchboard logs in: set %s.", src.what, orList(opts)),
			Subject:  b.DefRange.Ptr(),
		})
	}
	if a.SecretEnv != "" && strings.ContainsAny(a.SecretEnv, "=\x00") {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid environment variable name",
			Detail:   "An environment variable name must contain no '=' or NUL.",
			Subject:  attrs[src.env].Expr.Range().Ptr(),
		})
	}
	return a
}

// loginAttr evaluates a non-secret login argument (a role, a mount, a file
// name). Like the glow token, it is not a use of the variables in it: plan
// and apply log in as different roles by design, so the value may differ
// between them without changing the plan. env() is accepted without
// nonsensitive() for the same reason; vault() is not, since it would need
// the very login it configures.
func (l *loader) loginAttr(attrs hcl.Attributes, name string) string {
	a := attrs[name]
	if a == nil {
		return ""
	}
	val, ok := l.evaluate(a.Expr, l.ctx, false)
	if !ok {
		return ""
	}
	raw, pvm := val.UnmarkDeepWithPaths()
	for _, p := range pvm {
		for m := range p.Marks {
			if ref, isRef := m.(secretref.VaultRef); isRef {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid use of vault()",
					Detail:   fmt.Sprintf("The value of %q comes from %s, but Switchboard reads Vault only after it has logged in with this block.", name, ref),
					Subject:  a.Expr.Range().Ptr(),
				})
				return ""
			}
		}
	}
	if !raw.IsWhollyKnown() || raw.IsNull() {
		return ""
	}
	conv, err := convert.Convert(raw, cty.String)
	if err != nil {
		l.diags = append(l.diags, typeError(a, convertMessage(cty.String, err)))
		return ""
	}
	s := conv.AsString()
	if s == "" || len(s) > 4096 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid login argument",
			Detail:   fmt.Sprintf("%q must be a non-empty string of at most 4096 bytes.", name),
			Subject:  a.Expr.Range().Ptr(),
		})
		return ""
	}
	return s
}

// orList renders alternatives for a message: "a", "b" or "c".
func orList(names []string) string {
	q := quoteList(names)
	if i := strings.LastIndex(q, " and "); i >= 0 {
		q = q[:i] + " or " + q[i+len(" and "):]
	}
	return q
}

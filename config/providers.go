package config

import (
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var glowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "token"}, {Name: "prune_departments"}, {Name: "owner"}},
}

var gateflowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "admin_key"}, {Name: "prune"}},
}

var glowProviderSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"},
		{Name: "id"},
		{Name: "name", Required: true},
		{Name: "description"},
		{Name: "departments"},
		{Name: "endpoints"},
		{Name: "values"},
		{Name: "adopt"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "key", LabelNames: []string{"name"}},
		{Type: "lifecycle"},
	},
}

var gateflowProviderSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"},
		{Name: "provider_id"},
		{Name: "enabled"},
		{Name: "credentials"},
		{Name: "settings"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "lifecycle"}},
}

var keySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}},
}

var lifecycleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "prevent_destroy"}},
}

// instance is one for_each element (or the single instance of a block
// without for_each).
type instance struct {
	key    string
	hasKey bool
	value  cty.Value
}

// glowInstance keeps the ranges the cross-provider checks report at.
type glowInstance struct {
	p         *GlowProvider
	nameRange hcl.Range
	idRange   hcl.Range
}

type gateflowInstance struct {
	p       *GateflowProvider
	idRange hcl.Range
}

func (l *loader) decodeProviders(cfg *Config, glowBlocks, gateflowBlocks []*hcl.Block) {
	var glows []glowInstance
	for _, b := range glowBlocks {
		content, diags := b.Body.Content(glowProviderSchema)
		l.diags = append(l.diags, diags...)
		preventDestroy := l.lifecycle(content.Blocks)
		keyBlocks := l.keyBlocks(content.Blocks)
		for _, inst := range l.instances(content.Attributes["for_each"]) {
			ctx := l.instanceContext(inst)
			addr := Address{Type: GlowProviderType, Name: b.Labels[0], Key: inst.key, HasKey: inst.hasKey}
			p := &GlowProvider{Address: addr, PreventDestroy: preventDestroy, DeclRange: b.DefRange}
			gi := glowInstance{p: p}
			attrs := content.Attributes
			if v, a := l.plainAttr(attrs, "id", ctx, cty.String); v != cty.NilVal {
				p.ID, gi.idRange = v.AsString(), a.Expr.Range()
			}
			if v, a := l.plainAttr(attrs, "name", ctx, cty.String); v != cty.NilVal {
				p.Name, gi.nameRange = v.AsString(), a.Expr.Range()
				if strings.TrimSpace(p.Name) == "" {
					l.diags = append(l.diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Empty provider name",
						Detail:   "Glow requires every provider to have a name.",
						Subject:  a.Expr.Range().Ptr(),
					})
				}
			}
			if v, _ := l.plainAttr(attrs, "description", ctx, cty.String); v != cty.NilVal {
				p.Description = v.AsString()
			}
			if v, a := l.plainAttr(attrs, "departments", ctx, cty.List(cty.String)); v != cty.NilVal {
				p.Departments = l.stringList(a, v, "department", nil)
			}
			if v, a := l.plainAttr(attrs, "endpoints", ctx, cty.List(cty.String)); v != cty.NilVal {
				p.Endpoints = l.stringList(a, v, "endpoint", checkURL)
			}
			if v, a := l.plainAttr(attrs, "values", ctx, cty.Map(cty.String)); v != cty.NilVal {
				p.Values = map[string]string{}
				m := v.AsValueMap()
				for _, k := range sortedKeys(m) {
					e := m[k]
					if strings.HasPrefix(k, ReservedValuePrefix) {
						l.diags = append(l.diags, &hcl.Diagnostic{
							Severity: hcl.DiagError,
							Summary:  "Reserved value key",
							Detail:   fmt.Sprintf("The key %q of \"values\" starts with %q, which is reserved: Switchboard keeps its ownership marker in the values under that prefix.", k, ReservedValuePrefix),
							Subject:  objectKeyRange(a.Expr, k).Ptr(),
						})
						continue
					}
					if e.IsNull() {
						l.diags = append(l.diags, &hcl.Diagnostic{
							Severity: hcl.DiagError,
							Summary:  "Invalid value",
							Detail:   fmt.Sprintf("The value %q of \"values\" is null: Glow values are strings.", k),
							Subject:  objectItemRange(a.Expr, k).Ptr(),
						})
						continue
					}
					p.Values[k] = e.AsString()
				}
			}
			if v, a := l.plainAttr(attrs, "adopt", ctx, cty.Bool); a != nil {
				p.AdoptRange = a.Range
				p.Adopt = v != cty.NilVal && v.True()
			}
			for _, kb := range keyBlocks {
				kc, _ := kb.Body.Content(keySchema)
				va := kc.Attributes["value"]
				if va == nil {
					continue
				}
				val, ok := l.eval(va.Expr, ctx, inst.hasKey)
				if !ok {
					continue
				}
				what := fmt.Sprintf("value of key %q", kb.Labels[0])
				if s, ok := l.secret(val, va.Expr.Range(), what, keySecret); ok {
					p.Keys = append(p.Keys, Key{Name: kb.Labels[0], Value: s, Range: kb.DefRange})
				}
			}
			glows = append(glows, gi)
			cfg.GlowProviders = append(cfg.GlowProviders, *p)
		}
	}
	l.checkGlowProviders(glows)

	var gateflows []gateflowInstance
	for _, b := range gateflowBlocks {
		content, diags := b.Body.Content(gateflowProviderSchema)
		l.diags = append(l.diags, diags...)
		preventDestroy := l.lifecycle(content.Blocks)
		for _, inst := range l.instances(content.Attributes["for_each"]) {
			ctx := l.instanceContext(inst)
			addr := Address{Type: GateflowProviderType, Name: b.Labels[0], Key: inst.key, HasKey: inst.hasKey}
			p := &GateflowProvider{Address: addr, ProviderID: b.Labels[0], Enabled: true, PreventDestroy: preventDestroy, DeclRange: b.DefRange}
			gi := gateflowInstance{p: p, idRange: b.LabelRanges[0]}
			attrs := content.Attributes
			idOK := true
			if a := attrs["provider_id"]; a != nil {
				v, _ := l.plainAttr(attrs, "provider_id", ctx, cty.String)
				if v != cty.NilVal {
					p.ProviderID, gi.idRange = v.AsString(), a.Expr.Range()
				} else {
					idOK = false
				}
			}
			if idOK && !gateflow.IsProviderID(p.ProviderID) {
				detail := fmt.Sprintf("Gateflow has no provider %q. The supported providers are %s.", p.ProviderID, quoteList(gateflow.ProviderIDs))
				if attrs["provider_id"] == nil {
					detail += " The block label is the provider ID unless provider_id is set."
				}
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unsupported Gateflow provider",
					Detail:   detail,
					Subject:  gi.idRange.Ptr(),
				})
				idOK = false
			}
			if v, _ := l.plainAttr(attrs, "enabled", ctx, cty.Bool); v != cty.NilVal {
				p.Enabled = v.True()
			}
			// The catalogue's checks (config/gateflow.go), for a supported
			// provider only.
			var info *gateflow.ProviderInfo
			if entry, ok := gateflow.Catalogue(p.ProviderID); ok && idOK {
				info = &entry
			}
			forEach := attrs["for_each"] != nil
			l.checkHasCredentials(b, attrs, info, forEach)
			if a := attrs["credentials"]; a != nil {
				p.Credentials = l.gateflowCredentials(a, ctx, info, forEach)
			}
			if v, a := l.plainAttr(attrs, "settings", ctx, cty.DynamicPseudoType); v != cty.NilVal {
				p.Settings = l.gateflowSettings(a, v, info)
			}
			if idOK {
				gateflows = append(gateflows, gi)
			}
			cfg.GateflowProviders = append(cfg.GateflowProviders, *p)
		}
	}
	seen := map[string]gateflowInstance{}
	for _, gi := range gateflows {
		if prev, ok := seen[gi.p.ProviderID]; ok {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate Gateflow provider",
				Detail:   fmt.Sprintf("%s configures the Gateflow provider %q, which %s (%s) configures already. Gateflow has one configuration per provider.", gi.p.Address, gi.p.ProviderID, prev.p.Address, rangeString(prev.idRange)),
				Subject:  gi.idRange.Ptr(),
			})
			continue
		}
		seen[gi.p.ProviderID] = gi
	}
}

func (l *loader) instanceContext(inst instance) *hcl.EvalContext {
	if !inst.hasKey {
		return l.ctx
	}
	ctx := l.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{
		"each": cty.ObjectVal(map[string]cty.Value{
			"key":   cty.StringVal(inst.key),
			"value": inst.value,
		}),
	}
	return ctx
}

// instances evaluates for_each. A block whose for_each is invalid has no
// instances, so that its errors are reported once.
func (l *loader) instances(a *hcl.Attribute) []instance {
	if a == nil {
		return []instance{{}}
	}
	val, ok := l.eval(a.Expr, l.ctx, false)
	if !ok {
		return nil
	}
	insts, diags := forEachInstances(val, a.Expr.Range())
	l.diags = append(l.diags, diags...)
	return insts
}

// forEachInstances turns a for_each value into instances: a set of strings
// (each.key and each.value are the element) or a map or object (each.key
// is the key). Lists are refused, as in Terraform, because their order
// would become part of the addresses.
func forEachInstances(val cty.Value, rng hcl.Range) ([]instance, hcl.Diagnostics) {
	invalid := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   detail,
			Subject:  rng.Ptr(),
		}}
	}
	raw, pvm := val.UnmarkDeepWithPaths()
	if isSensitive(pvm) {
		return nil, invalid("The for_each value is derived from a sensitive value (vault(), env() or a sensitive variable). Instance keys are part of addresses, which every plan prints. If the value is not a secret, wrap it in nonsensitive()." + credentialNote(pvm))
	}
	if raw.IsNull() {
		return nil, invalid("The given for_each value is null. A map, or a set of strings, is allowed.")
	}
	if !raw.IsWhollyKnown() {
		return nil, invalid("The for_each value depends on values that are not known until the configuration is applied, so Switchboard cannot tell how many instances it makes.")
	}
	ty := raw.Type()
	var out []instance
	switch {
	case ty.IsSetType() && raw.LengthInt() == 0:
		// toset([]) is a set of unknown element type: no instances.
	case ty.IsSetType():
		if !ty.ElementType().Equals(cty.String) {
			return nil, invalid(fmt.Sprintf("The for_each set must be a set of strings; this one is a set of %s.", ty.ElementType().FriendlyName()))
		}
		for it := raw.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return nil, invalid("The for_each set contains null, which cannot be an instance key.")
			}
			out = append(out, instance{key: e.AsString(), hasKey: true, value: e})
		}
	case ty.IsMapType() || ty.IsObjectType():
		for it := raw.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, instance{key: k.AsString(), hasKey: true, value: e})
		}
	case ty.IsListType() || ty.IsTupleType():
		return nil, invalid(fmt.Sprintf("The for_each value must be a map, or a set of strings, and this is a %s. Convert it with toset() so that each element becomes an instance key: for_each = toset(...).", ty.FriendlyName()))
	default:
		return nil, invalid(fmt.Sprintf("The for_each value must be a map, or a set of strings, and this is a %s.", ty.FriendlyName()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

func (l *loader) lifecycle(blocks hcl.Blocks) bool {
	var seen *hcl.Block
	prevent := false
	for _, b := range blocks {
		if b.Type != "lifecycle" {
			continue
		}
		if seen != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate lifecycle block",
				Detail:   fmt.Sprintf("A lifecycle block was already declared at %s.", rangeString(seen.DefRange)),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		seen = b
		content, diags := b.Body.Content(lifecycleSchema)
		l.diags = append(l.diags, diags...)
		if v, _ := l.plainAttr(content.Attributes, "prevent_destroy", l.ctx, cty.Bool); v != cty.NilVal {
			prevent = v.True()
		}
	}
	return prevent
}

func (l *loader) keyBlocks(blocks hcl.Blocks) []*hcl.Block {
	var out []*hcl.Block
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		if b.Type != "key" {
			continue
		}
		name := b.Labels[0]
		if strings.TrimSpace(name) == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty key name",
				Detail:   "A key block's label names the key in Glow and cannot be empty.",
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		if prev := seen[name]; prev != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate key block",
				Detail:   fmt.Sprintf("A key named %q was already declared at %s. Key names must be unique within a provider.", name, rangeString(prev.DefRange)),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		seen[name] = b
		out = append(out, b)
	}
	return out
}

// plainAttr evaluates a non-secret argument and converts it to ty. It
// returns cty.NilVal when the argument is absent or null, and after
// reporting an error. The result carries no marks.
func (l *loader) plainAttr(attrs hcl.Attributes, name string, ctx *hcl.EvalContext, ty cty.Type) (cty.Value, *hcl.Attribute) {
	a := attrs[name]
	if a == nil {
		return cty.NilVal, nil
	}
	val, ok := l.eval(a.Expr, ctx, ctx != l.ctx)
	if !ok {
		return cty.NilVal, a
	}
	raw, pvm := val.UnmarkDeepWithPaths()
	if isSensitive(pvm) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Sensitive value in a non-secret argument",
			Detail:   fmt.Sprintf("The value of %q is derived from a sensitive value (vault(), env() or a sensitive variable), and plans print it. Only key values, credentials, token and admin_key take secrets. If the value is not a secret, wrap it in nonsensitive().", name) + credentialNote(pvm),
			Subject:  a.Expr.Range().Ptr(),
		})
		return cty.NilVal, a
	}
	if !raw.IsWhollyKnown() {
		// Only an earlier error makes a value unknown here.
		return cty.NilVal, a
	}
	if raw.IsNull() {
		return cty.NilVal, a
	}
	conv, err := convert.Convert(raw, ty)
	if err != nil {
		l.diags = append(l.diags, typeError(a, convertMessage(ty, err)))
		return cty.NilVal, a
	}
	return conv, a
}

func isSensitive(pvm []cty.PathValueMarks) bool {
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			return true
		}
	}
	return false
}

// credentialNote explains, when nonsensitive() kept a credential
// sensitive, why wrapping the value in it did not help.
func credentialNote(pvm []cty.PathValueMarks) string {
	for _, p := range pvm {
		if _, ok := p.Marks[credentialMark{}]; ok {
			return " Here the value is, or holds, a credential this run uses (GLOW_TOKEN, GATEFLOW_ADMIN_KEY, VAULT_TOKEN or another token or admin key it was given): nonsensitive() cannot make a credential of this run printable."
		}
	}
	return ""
}

func convertMessage(ty cty.Type, err error) string {
	msg := err.Error()
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) == 0 {
		msg = pe.Error()
	}
	if msg == "" {
		msg = ty.FriendlyName() + " required"
	}
	return msg
}

// stringList reads a list of strings, refusing nulls, empty strings and
// duplicates, and checking each element with check when it is set.
func (l *loader) stringList(a *hcl.Attribute, v cty.Value, what string, check func(string) error) []string {
	out := []string{}
	seen := map[string]bool{}
	for i, e := range v.AsValueSlice() {
		rng := listItemRange(a.Expr, i)
		if e.IsNull() || e.AsString() == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Empty %s", what),
				Detail:   fmt.Sprintf("Element %d of %q is empty.", i, a.Name),
				Subject:  rng.Ptr(),
			})
			continue
		}
		s := e.AsString()
		if check != nil {
			if err := check(s); err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid URL",
					Detail:   err.Error() + ".",
					Subject:  rng.Ptr(),
				})
				continue
			}
		}
		if seen[s] {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate %s", what),
				Detail:   fmt.Sprintf("%q appears more than once in %q.", s, a.Name),
				Subject:  rng.Ptr(),
			})
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
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

// listItemRange is the range of element i of a list written literally, or
// the whole expression.
func listItemRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}

// objectItemRange is the range of the value of key in an object written
// literally, or the whole expression.
func objectItemRange(expr hcl.Expression, key string) hcl.Range {
	if item := objectItem(expr, key); item != nil {
		return item.ValueExpr.Range()
	}
	return expr.Range()
}

// objectKeyRange is the range of key in an object written literally, or
// the whole expression.
func objectKeyRange(expr hcl.Expression, key string) hcl.Range {
	if item := objectItem(expr, key); item != nil {
		return item.KeyExpr.Range()
	}
	return expr.Range()
}

func objectItem(expr hcl.Expression, key string) *hclsyntax.ObjectConsItem {
	o, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	for i, item := range o.Items {
		k := hcl.ExprAsKeyword(item.KeyExpr)
		if k == "" {
			if v, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				k = v.AsString()
			}
		}
		if k == key {
			return &o.Items[i]
		}
	}
	return nil
}

func numberValue(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	v, _ := f.Float64()
	return v
}

// secretKind says which sources a secret argument accepts.
type secretKind int

const (
	// keySecret is a Glow key value or a Gateflow credential: vault(), or
	// env() for local work. A variable is refused because its value would
	// sit in a var file or a shell history.
	keySecret secretKind = iota
	// authSecret is the glow token or the gateflow admin_key: also a
	// variable declared sensitive, since these are per-operator and are
	// commonly passed with SWITCHBOARD_VAR_ or --var in CI.
	authSecret
)

// secret turns an evaluated secret argument into a Secret, enforcing where
// it may come from.
func (l *loader) secret(val cty.Value, rng hcl.Range, what string, kind secretKind) (Secret, bool) {
	raw, pvm := val.UnmarkDeepWithPaths()
	var refs []VaultRef
	var envs, sensVars, plainVars []string
	seen := map[any]bool{}
	for _, p := range pvm {
		for m := range p.Marks {
			if seen[m] {
				continue
			}
			seen[m] = true
			switch m := m.(type) {
			case VaultRef:
				refs = append(refs, m)
			case envMark:
				envs = append(envs, m.Name)
			case varMark:
				if m.Sensitive {
					sensVars = append(sensVars, "var."+m.Name)
				} else {
					plainVars = append(plainVars, "var."+m.Name)
				}
			}
		}
	}
	if !raw.IsWhollyKnown() {
		return Secret{}, false
	}
	fail := func(summary, detail string) (Secret, bool) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
		return Secret{}, false
	}
	if raw.IsNull() {
		return fail("Missing secret", fmt.Sprintf("The %s is null. Set it to vault(\"secret/path\", \"field\"), or env(\"NAME\") for local work.", what))
	}
	switch {
	case len(refs) > 0:
		sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
		if len(refs) > 1 {
			names := make([]string, len(refs))
			for i, r := range refs {
				names[i] = r.String()
			}
			return fail("Invalid use of vault()", fmt.Sprintf("The %s combines %d vault() references: %s. A secret must be exactly one vault() call.", what, len(refs), strings.Join(names, ", ")))
		}
		ref := refs[0]
		if raw.Type() != cty.String || raw.AsString() != vaultPlaceholder(ref) {
			return fail("Invalid use of vault()", fmt.Sprintf("The %s is derived from %s (through a string template or a function). vault() stands for a secret that is read from Vault only when the configuration is applied, so nothing can be computed from it: set the argument to the vault() call itself.", what, ref))
		}
		ref.Range = l.vaultCallRange(ref, rng)
		return Secret{Ref: &ref, Source: "vault", Range: rng}, true
	case len(envs) > 0:
		s, err := convert.Convert(raw, cty.String)
		if err != nil {
			return fail("Incorrect attribute value type", fmt.Sprintf("The %s must be a string.", what))
		}
		sort.Strings(envs)
		if s.AsString() == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Empty secret from the environment",
				Detail:   fmt.Sprintf("The %s comes from env(%s), which is empty or not set.", what, strings.Join(quoteAll(envs), ", ")),
				Subject:  rng.Ptr(),
			})
		}
		return Secret{Literal: sensitive.New(s.AsString()), Source: "env:" + strings.Join(envs, ","), Range: rng}, true
	case len(sensVars) > 0 && kind == authSecret:
		s, err := convert.Convert(raw, cty.String)
		if err != nil {
			return fail("Incorrect attribute value type", fmt.Sprintf("The %s must be a string.", what))
		}
		sort.Strings(sensVars)
		return Secret{Literal: sensitive.New(s.AsString()), Source: strings.Join(sensVars, ","), Range: rng}, true
	case len(sensVars) > 0 || len(plainVars) > 0:
		if kind == authSecret {
			return fail("Secret from a non-sensitive variable", fmt.Sprintf("The %s comes from %s, which is not declared sensitive = true. Declare it sensitive, or use vault(\"secret/path\", \"field\") or env(\"NAME\").", what, strings.Join(plainVars, ", ")))
		}
		return fail("Secret from a variable", fmt.Sprintf("The %s comes from %s. Keys and credentials must not come from variables, whose values sit in var files and shell histories: use vault(\"secret/path\", \"field\") to read it from Vault when the configuration is applied, or env(\"NAME\") for local work.", what, strings.Join(append(sensVars, plainVars...), ", ")))
	}
	s, ok := fail("Secret written in the configuration", fmt.Sprintf("The %s must not be written in a configuration file. Use vault(\"secret/path\", \"field\") to read it from Vault when the configuration is applied, or env(\"NAME\") for local work.", what))
	// The source line is the secret itself: the diagnostic must not
	// repeat it.
	hideSnippet(l.diags[len(l.diags)-1])
	return s, ok
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// checkGlowProviders applies Glow's uniqueness rules across providers: a
// name is unique within each department, and among global providers; an
// id is one provider.
func (l *loader) checkGlowProviders(glows []glowInstance) {
	type nameKey struct{ dept, name string }
	byName := map[nameKey]glowInstance{}
	byID := map[string]glowInstance{}
	for _, gi := range glows {
		p := gi.p
		if p.ID != "" {
			if prev, ok := byID[p.ID]; ok {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate provider id",
					Detail:   fmt.Sprintf("%s has the id %q, which %s (%s) has already. An id is one Glow provider.", p.Address, p.ID, prev.p.Address, rangeString(prev.idRange)),
					Subject:  gi.idRange.Ptr(),
				})
			} else {
				byID[p.ID] = gi
			}
		}
		if p.Name == "" {
			continue
		}
		depts := p.Departments
		if len(depts) == 0 {
			depts = []string{""}
		}
		for _, d := range depts {
			k := nameKey{d, p.Name}
			prev, ok := byName[k]
			if !ok {
				byName[k] = gi
				continue
			}
			where := fmt.Sprintf("in department %q", d)
			if d == "" {
				where = "among global providers (those with no departments)"
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider name",
				Detail:   fmt.Sprintf("%s and %s (%s) are both named %q %s. Glow requires a provider's name to be unique in each of its departments, and among global providers.", p.Address, prev.p.Address, rangeString(prev.nameRange), p.Name, where),
				Subject:  gi.nameRange.Ptr(),
			})
			break
		}
	}
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
		cfg.Vault = s
	}
}

package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
)

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

type gateflowInstance struct {
	p       *GateflowProvider
	idRange hcl.Range
}

// decodeGateflowProvider reads one gateflow_provider block into one
// provider per instance. It returns the instances with a supported
// provider ID, which the duplicate check compares.
func (l *loader) decodeGateflowProvider(cfg *Config, b *hcl.Block) []gateflowInstance {
	content, diags := b.Body.Content(gateflowProviderSchema)
	l.diags = append(l.diags, diags...)
	preventDestroy := l.lifecycle(content.Blocks)
	var gateflows []gateflowInstance
	contexts := l.instanceContexts()
	for _, inst := range l.instances(content.Attributes["for_each"]) {
		ctx := contexts.of(inst)
		addr := Address{Module: l.modulePath, Type: GateflowProviderType, Name: b.Labels[0], Key: inst.key, HasKey: inst.hasKey}
		p := &GateflowProvider{Address: addr, ProviderID: b.Labels[0], Enabled: true, PreventDestroy: preventDestroy, DeclRange: b.DefRange}
		gi := gateflowInstance{p: p, idRange: b.LabelRanges[0]}
		attrs := content.Attributes
		idOK := l.gateflowProviderID(&gi, attrs, ctx)
		if v, _ := l.plainAttr(attrs, "enabled", ctx, cty.Bool); v != cty.NilVal {
			p.Enabled = v.True()
		}
		// The catalogue's checks, for a supported provider only.
		var info *catalogue.ProviderInfo
		if entry, ok := catalogue.Lookup(p.ProviderID); ok && idOK {
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
	return gateflows
}

// gateflowProviderID sets the instance's provider ID, from provider_id or
// else the block label, and reports whether it is one Gateflow supports.
func (l *loader) gateflowProviderID(gi *gateflowInstance, attrs hcl.Attributes, ctx *hcl.EvalContext) bool {
	p := gi.p
	if a := attrs["provider_id"]; a != nil {
		v, _ := l.plainAttr(attrs, "provider_id", ctx, cty.String)
		if v == cty.NilVal {
			return false
		}
		p.ProviderID, gi.idRange = v.AsString(), a.Expr.Range()
	}
	if catalogue.IsProviderID(p.ProviderID) {
		return true
	}
	detail := fmt.Sprintf("Gateflow has no provider %q. The supported providers are %s.", p.ProviderID, quoteList(catalogue.ProviderIDs))
	if attrs["provider_id"] == nil {
		detail += " The block label is the provider ID unless provider_id is set."
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsupported Gateflow provider",
		Detail:   detail,
		Subject:  gi.idRange.Ptr(),
	})
	return false
}

// checkGateflowProviders refuses two configurations of one Gateflow
// provider, across modules.
func (l *loader) checkGateflowProviders(gateflows []gateflowInstance) {
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

// The checks of a gateflow_provider against Gateflow's catalogue
// (package api/gateflow/catalogue, the table the emulator answers from):
// what Gateflow would refuse at apply, found here with file:line. That leaf
// is all config knows of Gateflow; it never imports the client. Credential
// values are never read (they are vault() references), so only their names
// are checked; the prefix rules wait for Gateflow.
//
// A diagnostic never names the instance, and names the provider ID only
// where the answer depends on it, so that the instances of a for_each block
// with the same problem report it once (Load drops repeated diagnostics).

// gateflowCredentials reads a gateflow_provider's credentials: an object of
// secrets. With info (the provider's entry; nil for an unsupported ID) it
// also checks the names against the catalogue.
func (l *loader) gateflowCredentials(a *hcl.Attribute, ctx *hcl.EvalContext, info *catalogue.ProviderInfo, forEach bool) map[string]Secret {
	val, ok := l.eval(a.Expr, ctx, ctx != l.ctx)
	if !ok {
		return nil
	}
	top, topMarks := val.Unmark()
	if !top.IsKnown() {
		return nil
	}
	if top.IsNull() {
		if info != nil {
			l.diags = append(l.diags, missingCredentials(a.Expr.Range(), "are null", info, forEach))
		}
		return nil
	}
	ty := top.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		l.diags = append(l.diags, typeError(a, "an object of secrets required, like { api_key = vault(\"secret/llm/openai\", \"api_key\") }"))
		return nil
	}
	out := map[string]Secret{}
	given := map[string]bool{}
	for it := top.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		given[name] = true
		if info != nil {
			if _, ok := info.Credential(name); !ok {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unsupported Gateflow credential",
					Detail:   fmt.Sprintf("Gateflow provider %q has no credential %q; %s.", info.ID, name, namesOf(info.CredentialNames(), "credential")) + otherKind(info, name, true),
					Subject:  objectKeyRange(a.Expr, name).Ptr(),
				})
			}
		}
		// Even under a wrong name, a secret written in the file is
		// reported as such.
		rng := objectItemRange(a.Expr, name)
		if s, ok := l.secret(e.WithMarks(topMarks), rng, fmt.Sprintf("credential %q", name), keySecret); ok {
			out[name] = s
		}
	}
	if info != nil {
		for _, c := range info.Credentials {
			if c.Required && !given[c.Name] {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing Gateflow credential",
					Detail: fmt.Sprintf("Gateflow provider %q requires the credential %q, and these credentials have none. Add it, read from Vault when the configuration is applied: %s = vault(%q, %q).",
						info.ID, c.Name, c.Name, vaultExample(info, forEach), c.Name),
					Subject: a.Expr.Range().Ptr(),
				})
			}
		}
	}
	return out
}

// missingCredentials is the error for a gateflow_provider without
// credentials: Gateflow configures a provider only together with them, so
// apply would fail however often it is planned again. what says how
// ("are null"); rng is the attribute, or where it belongs in the block.
func missingCredentials(rng hcl.Range, what string, info *catalogue.ProviderInfo, forEach bool) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Missing Gateflow credentials",
		Detail: fmt.Sprintf("The credentials of this gateflow_provider %s. A gateflow_provider must set them: Gateflow configures a provider only together with its credentials, so apply could not create it. For example, credentials = { api_key = vault(%q, \"api_key\") } reads the key from Vault when the configuration is applied.",
			what, vaultExample(info, forEach)),
		Subject: rng.Ptr(),
	}
}

// checkHasCredentials reports a gateflow_provider block of a supported
// provider that does not set credentials at all.
func (l *loader) checkHasCredentials(b *hcl.Block, attrs hcl.Attributes, info *catalogue.ProviderInfo, forEach bool) {
	if info == nil || attrs["credentials"] != nil {
		return
	}
	l.diags = append(l.diags, missingCredentials(b.Body.MissingItemRange(), "are not set", info, forEach))
}

// vaultExample is the Vault path the messages suggest: per instance in a
// block with for_each, so that every instance's message is the same.
func vaultExample(info *catalogue.ProviderInfo, forEach bool) string {
	if forEach {
		return "secret/llm/${each.key}"
	}
	return "secret/llm/" + info.ID
}

// gateflowSettings reads Gateflow settings: a flat object of strings,
// numbers and bools. A null setting is left out, as Gateflow treats null as
// "remove". With info (nil for an unsupported ID) every name must be a
// setting of the provider and every value of its type.
func (l *loader) gateflowSettings(a *hcl.Attribute, v cty.Value, info *catalogue.ProviderInfo) map[string]any {
	ty := v.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		l.diags = append(l.diags, typeError(a, "an object of strings, numbers and bools required"))
		return nil
	}
	out := map[string]any{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		var setting catalogue.SettingInfo
		if info != nil {
			var ok bool
			if setting, ok = info.Setting(name); !ok {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unsupported Gateflow setting",
					Detail:   fmt.Sprintf("Gateflow provider %q has no setting %q; %s.", info.ID, name, namesOf(info.SettingNames(), "setting")) + otherKind(info, name, false),
					Subject:  objectKeyRange(a.Expr, name).Ptr(),
				})
				continue
			}
		}
		if e.IsNull() {
			continue
		}
		var value any
		switch e.Type() {
		case cty.String:
			value = e.AsString()
		case cty.Bool:
			value = e.True()
		case cty.Number:
			value = numberValue(e.AsBigFloat())
		default:
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Gateflow setting",
				Detail:   fmt.Sprintf("The setting %q is a %s; Gateflow settings are a flat object of strings, numbers and bools.", name, e.Type().FriendlyName()),
				Subject:  objectItemRange(a.Expr, name).Ptr(),
			})
			continue
		}
		if info != nil && !setting.Accepts(value) {
			// Without the provider ID: the same value of a for_each
			// block's setting is one problem.
			detail := fmt.Sprintf("The Gateflow setting %q must be %s, and this is %s.", name, setting.Expected(), describeSetting(e))
			if e.Type() == cty.String && (setting.Type == catalogue.TypeInteger || setting.Type == catalogue.TypeNumber) {
				if _, err := cty.ParseNumberVal(e.AsString()); err == nil {
					detail += fmt.Sprintf(" Write the number without quotes: %s = %s.", name, e.AsString())
				}
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Gateflow setting",
				Detail:   detail,
				Subject:  objectItemRange(a.Expr, name).Ptr(),
			})
			continue
		}
		out[name] = value
	}
	return out
}

// describeSetting shows a setting's value in a message. Settings are
// never sensitive: plainAttr refuses those.
func describeSetting(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		s := v.AsString()
		if len(s) > 40 {
			return fmt.Sprintf("a string of %d bytes", len(s))
		}
		return fmt.Sprintf("the string %q", s)
	case cty.Bool:
		return fmt.Sprintf("the bool %t", v.True())
	case cty.Number:
		return "the number " + v.AsBigFloat().Text('g', -1)
	}
	return "a " + v.Type().FriendlyName()
}

// namesOf lists what a provider accepts: `its settings are "a" and "b"`.
func namesOf(names []string, what string) string {
	if len(names) == 1 {
		return fmt.Sprintf("its only %s is %s", what, quoteList(names))
	}
	return fmt.Sprintf("its %ss are %s", what, quoteList(names))
}

// otherKind points out a credential given as a setting, or the reverse.
func otherKind(info *catalogue.ProviderInfo, name string, inCredentials bool) string {
	if inCredentials {
		if _, ok := info.Setting(name); ok {
			return fmt.Sprintf(" %q is a setting: put it in settings.", name)
		}
		return ""
	}
	if _, ok := info.Credential(name); ok {
		return fmt.Sprintf(" %q is a credential: put it in credentials, read from Vault.", name)
	}
	return ""
}

package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

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

var keySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}},
}

// glowInstance keeps the ranges the cross-provider checks report at. It
// names its provider by its place in Config.GlowProviders, which only
// grows, rather than holding a copy: a copy of every provider was 34 MB
// of heap at 100,000 providers when a configuration's load ends, which is
// one of a plan's two peaks.
type glowInstance struct {
	cfg       *Config
	i         int
	nameRange hcl.Range
	idRange   hcl.Range
}

func (gi glowInstance) provider() *GlowProvider { return &gi.cfg.GlowProviders[gi.i] }

// decodeGlowProvider reads one glow_provider block into one provider per
// instance.
func (l *loader) decodeGlowProvider(cfg *Config, b *hcl.Block) []glowInstance {
	content, diags := b.Body.Content(glowProviderSchema)
	l.diags = append(l.diags, diags...)
	preventDestroy := l.lifecycle(content.Blocks)
	keyBlocks := l.keyBlocks(content.Blocks)
	instances := l.instances(content.Attributes["for_each"])
	glows := make([]glowInstance, 0, len(instances))
	cfg.GlowProviders = slices.Grow(cfg.GlowProviders, len(instances))
	if len(instances) > 1 {
		l.exprVars = map[hclsyntax.Expression][]hcl.Traversal{}
		defer func() { l.exprVars = nil }()
	}
	contexts := l.instanceContexts()
	for _, inst := range instances {
		ctx := contexts.of(inst)
		addr := Address{Module: l.modulePath, Type: GlowProviderType, Name: b.Labels[0], Key: inst.key, HasKey: inst.hasKey}
		p := &GlowProvider{Address: addr, PreventDestroy: preventDestroy, DeclRange: b.DefRange}
		var gi glowInstance
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
			p.Endpoints = l.stringList(a, v, "endpoint", endpointCheck)
		}
		if v, a := l.plainAttr(attrs, "values", ctx, cty.Map(cty.String)); v != cty.NilVal {
			p.Values = l.glowValues(a, v)
		}
		if v, a := l.plainAttr(attrs, "adopt", ctx, cty.Bool); a != nil {
			p.AdoptRange = a.Range
			p.Adopt = v != cty.NilVal && v.True()
		}
		p.Keys = l.glowKeys(keyBlocks, ctx, inst.hasKey)
		cfg.GlowProviders = append(cfg.GlowProviders, *p)
		gi.cfg, gi.i = cfg, len(cfg.GlowProviders)-1
		glows = append(glows, gi)
	}
	return glows
}

// glowValues reads a glow_provider's values, refusing the keys Switchboard
// reserves for its ownership marker.
func (l *loader) glowValues(a *hcl.Attribute, v cty.Value) map[string]string {
	values := make(map[string]string, v.LengthInt())
	for k, e := range sortedElements(v) {
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
		values[k] = e.AsString()
	}
	return values
}

// keyBlock is a key block as every instance of its provider reads it: its
// content is decoded once per block, not once per for_each instance.
type keyBlock struct {
	block *hcl.Block
	value *hcl.Attribute
	what  string
}

// glowKeys reads the key blocks of one instance: each value is a secret.
func (l *loader) glowKeys(keyBlocks []keyBlock, ctx *hcl.EvalContext, allowEach bool) []Key {
	var keys []Key
	for _, kb := range keyBlocks {
		if kb.value == nil {
			continue
		}
		val, ok := l.eval(kb.value.Expr, ctx, allowEach)
		if !ok {
			continue
		}
		if s, ok := l.secret(val, kb.value.Expr.Range(), kb.what, keySecret); ok {
			if keys == nil {
				keys = make([]Key, 0, len(keyBlocks))
			}
			keys = append(keys, Key{Name: kb.block.Labels[0], Value: s, Range: kb.block.DefRange})
		}
	}
	return keys
}

func (l *loader) keyBlocks(blocks hcl.Blocks) []keyBlock {
	var out []keyBlock
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
		// Decoded here, once a block: before, each instance decoded it
		// and dropped its diagnostics, so a key without a value vanished
		// from the provider without a word.
		kc, diags := b.Body.Content(keySchema)
		l.diags = append(l.diags, diags...)
		out = append(out, keyBlock{block: b, value: kc.Attributes["value"], what: fmt.Sprintf("value of key %q", name)})
	}
	return out
}

// checkGlowProviders applies Glow's uniqueness rules across providers: a
// name is unique within each department, and among global providers; an
// id is one provider.
func (l *loader) checkGlowProviders(glows []glowInstance) {
	type nameKey struct{ dept, name string }
	// The maps hold places in glows, not instances: 8 bytes an entry
	// rather than 144.
	byName := make(map[nameKey]int, len(glows))
	byID := map[string]int{}
	for n, gi := range glows {
		p := gi.provider()
		if p.ID != "" {
			if at, ok := byID[p.ID]; ok {
				prev := glows[at]
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate provider id",
					Detail:   fmt.Sprintf("%s has the id %q, which %s (%s) has already. An id is one Glow provider.", p.Address, p.ID, prev.provider().Address, rangeString(prev.idRange)),
					Subject:  gi.idRange.Ptr(),
				})
			} else {
				byID[p.ID] = n
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
			at, ok := byName[k]
			if !ok {
				byName[k] = n
				continue
			}
			prev := glows[at]
			where := fmt.Sprintf("in department %q", d)
			if d == "" {
				where = "among global providers (those with no departments)"
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider name",
				Detail:   fmt.Sprintf("%s and %s (%s) are both named %q %s. Glow requires a provider's name to be unique in each of its departments, and among global providers.", p.Address, prev.provider().Address, rangeString(prev.nameRange), p.Name, where),
				Subject:  gi.nameRange.Ptr(),
			})
			break
		}
	}
}

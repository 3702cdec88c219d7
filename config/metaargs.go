package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

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

// instanceContexts gives the instances of one block their evaluation
// context: one child of the loader's, whose each is set for the instance
// at hand. Nothing an evaluation returns keeps the context it was given
// (diagnostics hold it until finish drops it), and a context of its own
// with its own variables map was 37 MB of a for_each of 100,000 items'
// decode.
type instanceContexts struct {
	root, ctx *hcl.EvalContext
}

func (l *loader) instanceContexts() *instanceContexts {
	return &instanceContexts{root: l.ctx}
}

func (c *instanceContexts) of(inst instance) *hcl.EvalContext {
	if !inst.hasKey {
		return c.root
	}
	if c.ctx == nil {
		c.ctx = c.root.NewChild()
		c.ctx.Variables = make(map[string]cty.Value, 1)
	}
	c.ctx.Variables["each"] = cty.ObjectVal(map[string]cty.Value{
		"key":   cty.StringVal(inst.key),
		"value": inst.value,
	})
	return c.ctx
}

// instances evaluates for_each. A block whose for_each is invalid has no
// instances, so that its errors are reported once.
func (l *loader) instances(a *hcl.Attribute) []instance {
	if a == nil {
		return []instance{{}}
	}
	// A for_each value is as large as the instances it makes: one walk of
	// it serves the uses and the sensitivity check.
	raw, pvm, ok := l.evalUnmarked(a.Expr, l.ctx, false)
	if !ok {
		return nil
	}
	insts, diags := forEachInstances(raw, pvm, a.Expr.Range())
	l.diags = append(l.diags, diags...)
	return insts
}

// forEachInstances turns a for_each value into instances: a set of strings
// (each.key and each.value are the element) or a map or object (each.key
// is the key). Lists are refused, as in Terraform, because their order
// would become part of the addresses. raw and pvm are the value and its
// marks as unmarkDeep splits them.
func forEachInstances(raw cty.Value, pvm []cty.PathValueMarks, rng hcl.Range) ([]instance, hcl.Diagnostics) {
	invalid := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   detail,
			Subject:  rng.Ptr(),
		}}
	}
	if isSensitive(pvm) {
		return nil, invalid("The for_each value is derived from a sensitive value (vault(), env() or a sensitive variable). Instance keys are part of addresses, which every plan prints. If the value is not a secret, wrap it in nonsensitive()." + credentialNote(pvm))
	}
	if raw.IsNull() {
		return nil, invalid("The given for_each value is null. A map, or a set of strings, is allowed.")
	}
	if !whollyKnown(raw) {
		return nil, invalid("The for_each value depends on values that are not known until the configuration is applied, so Switchboard cannot tell how many instances it makes.")
	}
	ty := raw.Type()
	var out []instance
	if ty.IsCollectionType() || ty.IsObjectType() {
		out = make([]instance, 0, raw.LengthInt())
	}
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
	case ty.IsObjectType():
		// In the type's attribute order, sorted below: cty's iterator
		// would sort a copy of the names first.
		for name := range ty.AttributeTypes() {
			out = append(out, instance{key: name, hasKey: true, value: raw.GetAttr(name)})
		}
	case ty.IsMapType():
		for it := raw.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, instance{key: k.AsString(), hasKey: true, value: e})
		}
	case ty.IsListType() || ty.IsTupleType():
		return nil, invalid(fmt.Sprintf("The for_each value must be a map, or a set of strings, and this is a %s. Convert it with toset() so that each element becomes an instance key: for_each = toset(...).", ty.FriendlyName()))
	default:
		return nil, invalid(fmt.Sprintf("The for_each value must be a map, or a set of strings, and this is a %s.", ty.FriendlyName()))
	}
	slices.SortFunc(out, func(a, b instance) int { return strings.Compare(a.key, b.key) })
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

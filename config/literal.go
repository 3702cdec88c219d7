package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// literal is the value of e when it is written with literals only: quoted
// strings without interpolation, numbers, bools, null, and tuples and
// objects of these whose keys are bare names or quoted strings. It is the
// value e.Value would give in any context, built from the parsed
// literals: HCL evaluates even a quoted string as a template, through a
// buffer, a map of marks and a second Unicode normalization of a string
// the parser has normalized already, and most arguments of a provider
// block are such strings (five of six in a typical block). false means
// that e must be evaluated.
func literal(e hclsyntax.Expression) (cty.Value, bool) {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val, true
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) != 1 {
			return cty.NilVal, false
		}
		if lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && !lit.Val.IsNull() && !lit.Val.IsMarked() {
			return lit.Val, true
		}
	case *hclsyntax.TupleConsExpr:
		vals := make([]cty.Value, len(e.Exprs))
		for i, x := range e.Exprs {
			v, ok := literal(x)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), true
	case *hclsyntax.ObjectConsExpr:
		vals := make(map[string]cty.Value, len(e.Items))
		for _, it := range e.Items {
			k, ok := literalKey(it.KeyExpr)
			if !ok {
				return cty.NilVal, false
			}
			v, ok := literal(it.ValueExpr)
			if !ok {
				return cty.NilVal, false
			}
			// As in HCL's evaluation, a repeated key keeps its last value.
			vals[k] = v
		}
		return cty.ObjectVal(vals), true
	}
	return cty.NilVal, false
}

// literalOf is literal for an expression of any syntax. A literal refers
// to nothing and carries no marks, so an evaluation that finds one has no
// references to check and no uses to record: for a local holding a
// for_each's 100,000 items, that record was a walk of the whole value.
func literalOf(expr hcl.Expression) (cty.Value, bool) {
	if e, ok := expr.(hclsyntax.Expression); ok {
		return literal(e)
	}
	return cty.NilVal, false
}

// literalKey is the key of an object item written as a bare name or a
// quoted string, as ObjectConsKeyExpr.Value reads it.
func literalKey(e hclsyntax.Expression) (string, bool) {
	k, ok := e.(*hclsyntax.ObjectConsKeyExpr)
	if !ok {
		return "", false
	}
	if !k.ForceNonLiteral {
		if t, ok := k.Wrapped.(*hclsyntax.ScopeTraversalExpr); ok {
			if len(t.Traversal) != 1 {
				return "", false // an error HCL's evaluation reports
			}
			if name := hcl.ExprAsKeyword(t); name != "" {
				return cty.StringVal(name).AsString(), true
			}
			return "", false
		}
	}
	v, ok := literal(k.Wrapped)
	if !ok || v.Type() != cty.String || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

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

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	// Source order, as written: JustAttributes returns a map.
	sortByRange(out, func(a *hcl.Attribute) hcl.Range { return a.Range })
	return out
}

func sortByRange[T any](s []T, rng func(T) hcl.Range) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && rangeLess(rng(s[j]), rng(s[j-1])); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func rangeLess(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

// rangeString is a position for a message: main.hcl:3,5.
func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", r.Filename, r.Start.Line, r.Start.Column)
}

// invalidName is the diagnostic of a block label that is not a valid name
// for a kind of block (variable, module, provider).
func invalidName(kind string, label hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + kind + " name",
		Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.",
		Subject:  label.Ptr(),
	}
}

package config

import (
	"fmt"
	"iter"
	"maps"
	"math/big"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// plainAttr evaluates a non-secret argument and converts it to ty. It
// returns cty.NilVal when the argument is absent or null, and after
// reporting an error. The result carries no marks.
func (l *loader) plainAttr(attrs hcl.Attributes, name string, ctx *hcl.EvalContext, ty cty.Type) (cty.Value, *hcl.Attribute) {
	a := attrs[name]
	if a == nil {
		return cty.NilVal, nil
	}
	raw, pvm, ok := l.evalUnmarked(a.Expr, ctx, ctx != l.ctx)
	if !ok {
		return cty.NilVal, a
	}
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
	if conv, ok := stringsAs(raw, ty); ok {
		return conv, a
	}
	conv, err := convert.Convert(raw, ty)
	if err != nil {
		l.diags = append(l.diags, typeError(a, convertMessage(ty, err)))
		return cty.NilVal, a
	}
	return conv, a
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

// elementCheck is a check of each element of a list, with the summary its
// failures are reported under.
type elementCheck struct {
	summary string
	check   func(string) error
}

// endpointCheck is the check of a Glow endpoint: a base URL.
var endpointCheck = &elementCheck{summary: "Invalid URL", check: checkURL}

// stringList reads a list of strings, refusing nulls, empty strings and
// duplicates, and checking each element with check when it is set.
func (l *loader) stringList(a *hcl.Attribute, v cty.Value, what string, check *elementCheck) []string {
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
			if err := check.check(s); err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  check.summary,
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

func numberValue(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	v, _ := f.Float64()
	return v
}

func typeError(a *hcl.Attribute, want string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, want),
		Subject:  a.Expr.Range().Ptr(),
	}
}

// stringsAs is convert.Convert(v, ty) for the two conversions a provider
// block asks for most, done directly: a tuple of strings to a list of
// strings (departments, endpoints) and an object of strings to a map of
// strings (values). convert.Convert plans each conversion anew, for every
// argument of every provider. false leaves any other value, including one
// with a null, unknown or marked element, to convert.Convert.
func stringsAs(v cty.Value, ty cty.Type) (cty.Value, bool) {
	vt := v.Type()
	switch {
	case vt.IsTupleType() && ty.Equals(cty.List(cty.String)):
		elems := v.AsValueSlice()
		if !allPlainStrings(slices.Values(elems)) {
			return cty.NilVal, false
		}
		if len(elems) == 0 {
			return cty.ListValEmpty(cty.String), true
		}
		return cty.ListVal(elems), true
	case vt.IsObjectType() && ty.Equals(cty.Map(cty.String)):
		attrs := v.AsValueMap()
		if !allPlainStrings(maps.Values(attrs)) {
			return cty.NilVal, false
		}
		if len(attrs) == 0 {
			return cty.MapValEmpty(cty.String), true
		}
		return cty.MapVal(attrs), true
	}
	return cty.NilVal, false
}

func allPlainStrings(vals iter.Seq[cty.Value]) bool {
	for v := range vals {
		if v.Type() != cty.String || v.IsNull() || !v.IsKnown() || v.IsMarked() {
			return false
		}
	}
	return true
}

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

// plainAttr evaluates a non-secret argument and converts it to ty, or
// returns a value that reads as ty as it is (see readsAs). It returns
// cty.NilVal when the argument is absent or null, and after reporting an
// error. The result carries no marks.
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
	if raw.IsKnown() && !raw.IsNull() && readsAs(raw, ty) {
		// Every element readsAs accepts is known: so is the value, whole.
		return raw, a
	}
	if !whollyKnown(raw) {
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

// readsAs reports whether v reads as ty without a conversion: a tuple of
// strings as a list of strings (departments, endpoints) and an object of
// strings as a map of strings (values), none of them null. AsValueSlice,
// sortedElements and LengthInt, all that stringList and glowValues ask of
// such a value, read the tuple as the list it converts to and the object
// as the map; the conversion was two more copies of these arguments in
// every provider instance. plainAttr asks it of a value known, not null
// and unmarked, before asking whether the value is wholly known: the
// element checks answer that too, and keep it right for any such value.
func readsAs(v cty.Value, ty cty.Type) bool {
	vt := v.Type()
	switch {
	case vt.IsTupleType() && ty.Equals(cty.List(cty.String)):
		for _, e := range v.AsValueSlice() {
			if !plainString(e) {
				return false
			}
		}
		return true
	case vt.IsObjectType() && ty.Equals(cty.Map(cty.String)):
		for name := range vt.AttributeTypes() {
			if !plainString(v.GetAttr(name)) {
				return false
			}
		}
		return true
	}
	return false
}

// sortedElements yields the keys and elements of v, a known map or
// object, in the order of the keys, as AsValueMap's map sorted would,
// without the map and without cty's iterator over an object, which sorts
// a copy of its attribute names.
func sortedElements(v cty.Value) iter.Seq2[string, cty.Value] {
	return func(yield func(string, cty.Value) bool) {
		if ty := v.Type(); ty.IsObjectType() {
			for _, name := range slices.Sorted(maps.Keys(ty.AttributeTypes())) {
				if !yield(name, v.GetAttr(name)) {
					return
				}
			}
			return
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !yield(k.AsString(), e) {
				return
			}
		}
	}
}

func plainString(v cty.Value) bool {
	return v.Type() == cty.String && !v.IsNull() && v.IsKnown() && !v.IsMarked()
}

package config

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestContainsMarkedAgreesWithCty holds the loader's walks to cty's own
// answers (containsMarked to ContainsMarked, whollyKnown to
// IsWhollyKnown), and unmarkDeep to UnmarkDeepWithPaths, on every kind of
// value a mark or an unknown can hide in.
func TestContainsMarkedAgreesWithCty(t *testing.T) {
	secret := cty.StringVal("s").Mark(Sensitive)
	plain := cty.StringVal("p")
	values := map[string]cty.Value{
		"string":               plain,
		"marked string":        secret,
		"object":               cty.ObjectVal(map[string]cty.Value{"a": plain, "b": cty.NumberIntVal(1)}),
		"object, marked attr":  cty.ObjectVal(map[string]cty.Value{"a": plain, "b": secret}),
		"marked object":        cty.ObjectVal(map[string]cty.Value{"a": plain}).Mark(Sensitive),
		"nested object":        cty.ObjectVal(map[string]cty.Value{"o": cty.ObjectVal(map[string]cty.Value{"x": secret})}),
		"empty object":         cty.EmptyObjectVal,
		"list":                 cty.ListVal([]cty.Value{plain, plain}),
		"list, marked item":    cty.ListVal([]cty.Value{plain, secret}),
		"empty list":           cty.ListValEmpty(cty.String),
		"map":                  cty.MapVal(map[string]cty.Value{"k": plain}),
		"map, marked item":     cty.MapVal(map[string]cty.Value{"k": plain, "l": secret}),
		"set, marked item":     cty.SetVal([]cty.Value{plain, secret}),
		"tuple, deep mark":     cty.TupleVal([]cty.Value{plain, cty.ListVal([]cty.Value{secret})}),
		"unknown":              cty.UnknownVal(cty.Object(map[string]cty.Type{"a": cty.String})),
		"marked unknown":       cty.UnknownVal(cty.String).Mark(Sensitive),
		"null object":          cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})),
		"marked null":          cty.NullVal(cty.List(cty.String)).Mark(Sensitive),
		"object, unknown attr": cty.ObjectVal(map[string]cty.Value{"a": cty.UnknownVal(cty.String).Mark(Sensitive)}),
		"dynamic":              cty.DynamicVal,
		"tuple, unknown item":  cty.TupleVal([]cty.Value{plain, cty.UnknownVal(cty.String)}),
		"list, deep unknown":   cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"a": cty.UnknownVal(cty.String)})}),
		"map, unknown item":    cty.MapVal(map[string]cty.Value{"k": plain, "l": cty.UnknownVal(cty.String)}),
		"set, unknown item":    cty.SetVal([]cty.Value{plain, cty.UnknownVal(cty.String)}),
		"object, deep unknown": cty.ObjectVal(map[string]cty.Value{"o": cty.ObjectVal(map[string]cty.Value{"x": plain, "y": cty.UnknownVal(cty.Bool)})}),
		"marked, deep unknown": cty.ObjectVal(map[string]cty.Value{"o": cty.TupleVal([]cty.Value{cty.UnknownVal(cty.String)})}).Mark(Sensitive),
		"unknown in a mark":    cty.ObjectVal(map[string]cty.Value{"o": cty.ObjectVal(map[string]cty.Value{"x": cty.UnknownVal(cty.String)}).Mark(Sensitive)}),
		"null in a list":       cty.ListVal([]cty.Value{cty.NullVal(cty.String)}),
	}
	for name, v := range values {
		if got, want := containsMarked(v), v.ContainsMarked(); got != want {
			t.Errorf("%s: containsMarked = %t, cty says %t", name, got, want)
		}
		if got, want := whollyKnown(v), v.IsWhollyKnown(); got != want {
			t.Errorf("%s: whollyKnown = %t, cty says %t", name, got, want)
		}
		raw, pvm := unmarkDeep(v)
		wantRaw, wantPVM := v.UnmarkDeepWithPaths()
		if !raw.RawEquals(wantRaw) || len(pvm) != len(wantPVM) {
			t.Errorf("%s: unmarkDeep = %#v with %d marked paths, cty gives %#v with %d", name, raw, len(pvm), wantRaw, len(wantPVM))
		}
	}
}

package config

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestContainsMarkedAgreesWithCty holds the loader's walk to cty's own
// answer, and unmarkDeep to UnmarkDeepWithPaths, on every kind of value a
// mark can hide in.
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
	}
	for name, v := range values {
		if got, want := containsMarked(v), v.ContainsMarked(); got != want {
			t.Errorf("%s: containsMarked = %t, cty says %t", name, got, want)
		}
		raw, pvm := unmarkDeep(v)
		wantRaw, wantPVM := v.UnmarkDeepWithPaths()
		if !raw.RawEquals(wantRaw) || len(pvm) != len(wantPVM) {
			t.Errorf("%s: unmarkDeep = %#v with %d marked paths, cty gives %#v with %d", name, raw, len(pvm), wantRaw, len(wantPVM))
		}
	}
}

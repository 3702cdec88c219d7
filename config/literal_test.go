package config

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestLiteralIsHCLsValue holds literal to the value HCL's own evaluation
// gives, and to declining every expression that is not written with
// literals only (those must go through the evaluation and its checks).
func TestLiteralIsHCLsValue(t *testing.T) {
	literals := []string{
		`"bench-000001"`,
		`""`,
		`"caf\u00e9"`,
		"\"cafe\u0301\"", // normalized by the parser, as the evaluation would
		`"a\nb\"c"`,
		`42`, `1.5`, `true`, `false`, `null`,
		`["dept-001"]`,
		`[]`,
		`["a", 1, true, null, ["nested"]]`,
		`{ tier = "gold", timeout_s = "30" }`,
		`{}`,
		`{ "quoted key" = "v", bare = 1 }`,
		`{ a = 1, a = 2 }`, // the last wins, as in HCL
		`{ o = { list = ["x", { deep = "y" }] } }`,
		"<<EOT\nheredoc\nEOT\n",
	}
	for _, src := range literals {
		e := parseExpr(t, src)
		got, ok := literal(e)
		if !ok {
			t.Errorf("%s: literal declined it", src)
			continue
		}
		want, diags := e.Value(&hcl.EvalContext{})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		if !got.RawEquals(want) {
			t.Errorf("%s: literal = %#v, HCL's evaluation gives %#v", src, got, want)
		}
	}
	// Declined, so evaluated as before: some of these need a context or
	// report an error, and the others are rare enough in provider blocks
	// not to be worth a literal's own code.
	evaluated := []string{
		`-1.5`,
		`{ ("paren") = "v" }`,
		`"a${"b"}"`,
		`"${var.x}"`,
		`"%{if true}x%{endif}"`,
		`var.x`,
		`[var.x]`,
		`{ k = local.v }`,
		`{ (var.k) = "v" }`,
		`{ a.b = 1 }`, // "Ambiguous attribute key": HCL reports it
		`{ null = 1 }`,
		`{ 1 = "one" }`,
		`vault("secret/x", "k")`,
		`1 + 1`,
		`true ? "a" : "b"`,
		`[for s in ["a"] : s]`,
	}
	for _, src := range evaluated {
		if v, ok := literal(parseExpr(t, src)); ok {
			t.Errorf("%s: literal took it as %#v; it must be left to the evaluation", src, v)
		}
	}
}

func parseExpr(t *testing.T, src string) hclsyntax.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %s", src, diags)
	}
	return e
}

package config

import (
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// callsInBody must find the calls hclsyntax.VisitAll finds, in every kind
// of expression.
func TestCallsInBodyFindsWhatVisitAllFinds(t *testing.T) {
	src := `
a = vault("p", "k")
b = "x-${vault("p2", "k")}-${upper("y")}"
c = [vault("p3", "k"), { (lower("K")) = vault("p4", "k"), plain = f(g(1)) }]
d = true ? vault("p5", "k") : h(1)
e = [for x in list(1) : vault("p6", x) if x != i()]
f = {for k, v in m() : k => j(v)}
g = local.xs[k(0)]
h = local.xs[*].y
i = -abs(1) + max(1, 2) * (min(3))
j = <<EOT
heredoc ${vault("p7", "k")}
%{ for x in l() }${x}%{ endfor }
EOT
block "l" {
  inner = vault("p8", "k")
  nested {
    deep = try(vault("p9", "k"), null)
  }
}
`
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	var want, got []hcl.Range
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if c, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			want = append(want, c.Range())
		}
		return nil
	})
	callsInBody(body, func(c *hclsyntax.FunctionCallExpr) { got = append(got, c.Range()) })
	order := func(a, b hcl.Range) int { return a.Start.Byte - b.Start.Byte }
	slices.SortFunc(want, order)
	slices.SortFunc(got, order)
	if len(want) < 20 || !slices.Equal(want, got) {
		t.Fatalf("callsInBody found %d calls, VisitAll %d:\n%v\n%v", len(got), len(want), got, want)
	}
}

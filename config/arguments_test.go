package config

import (
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A list's element check reports its failures under its own summary, at
// the element.
func TestStringListCheckSummary(t *testing.T) {
	expr, diags := hclsyntax.ParseExpression([]byte(`["ok", "bad"]`), "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a := &hcl.Attribute{Name: "tags", Expr: expr}
	v := cty.ListVal([]cty.Value{cty.StringVal("ok"), cty.StringVal("bad")})
	check := &elementCheck{summary: "Invalid tag", check: func(s string) error {
		if s == "bad" {
			return errors.New(`"bad" is not a tag`)
		}
		return nil
	}}
	l := &loader{}
	got := l.stringList(a, v, "tag", check)
	if len(got) != 1 || got[0] != "ok" {
		t.Errorf("stringList = %q, want [ok]", got)
	}
	if len(l.diags) != 1 {
		t.Errorf("diagnostics = %v, want one \"Invalid tag\" at column 8", l.diags)
	} else {
		d := l.diags[0]
		if d.Summary != "Invalid tag" {
			t.Errorf("diagnostic Summary = %q, want %q", d.Summary, "Invalid tag")
		}
		if d.Detail != `"bad" is not a tag.` {
			t.Errorf("diagnostic Detail = %q, want %q", d.Detail, `"bad" is not a tag.`)
		}
		if d.Subject.Start.Column != 8 {
			t.Errorf("diagnostic column = %d, want 8", d.Subject.Start.Column)
		}
	}
}

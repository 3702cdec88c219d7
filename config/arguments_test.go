package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
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

// A duplicate is refused at its element in a short list and in a long one,
// and the first of equal elements is the one kept.
func TestStringListDuplicates(t *testing.T) {
	for _, n := range []int{3, 12} {
		var elems []cty.Value
		src := "["
		for i := range n {
			name := fmt.Sprintf("d%d", i)
			if i == n-1 {
				name = "d1"
			}
			elems = append(elems, cty.StringVal(name))
			src += fmt.Sprintf("%q, ", name)
		}
		expr, diags := hclsyntax.ParseExpression([]byte(src+"]"), "main.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		l := &loader{}
		got := l.stringList(&hcl.Attribute{Name: "departments", Expr: expr}, cty.TupleVal(elems), "department", nil)
		if len(got) != n-1 || slices.Index(got, "d1") != 1 {
			t.Errorf("%d elements: stringList = %q, want the %d distinct", n, got, n-1)
		}
		if len(l.diags) != 1 || l.diags[0].Summary != "Duplicate department" || l.diags[0].Subject.Start.Column != strings.LastIndex(src, `"d1"`)+1 {
			t.Errorf("%d elements: diagnostics = %v, want one \"Duplicate department\" at the last element", n, l.diags)
		}
	}
}

// TestReadsAsIsConvert holds what readsAs takes as it is to
// convert.Convert's result, read the way stringList and glowValues read
// it, and checks that it declines what it must leave to a conversion.
func TestReadsAsIsConvert(t *testing.T) {
	list, mp := cty.List(cty.String), cty.Map(cty.String)
	s := cty.StringVal
	cases := []struct {
		name string
		v    cty.Value
		ty   cty.Type
		took bool
	}{
		{"tuple of strings", cty.TupleVal([]cty.Value{s("a"), s("b"), s("a")}), list, true},
		{"empty tuple", cty.EmptyTupleVal, list, true},
		{"object of strings", cty.ObjectVal(map[string]cty.Value{"tier": s("gold"), "t": s("30")}), mp, true},
		{"empty object", cty.EmptyObjectVal, mp, true},
		{"tuple with a number", cty.TupleVal([]cty.Value{s("a"), cty.NumberIntVal(1)}), list, false},
		{"tuple with a null", cty.TupleVal([]cty.Value{cty.NullVal(cty.String)}), list, false},
		{"tuple with an unknown", cty.TupleVal([]cty.Value{cty.UnknownVal(cty.String)}), list, false},
		{"tuple with a mark", cty.TupleVal([]cty.Value{s("a").Mark(Sensitive)}), list, false},
		{"object with a bool", cty.ObjectVal(map[string]cty.Value{"on": cty.True}), mp, false},
		{"object with a null", cty.ObjectVal(map[string]cty.Value{"k": cty.NullVal(cty.String)}), mp, false},
		{"tuple to a map", cty.TupleVal([]cty.Value{s("a")}), mp, false},
		{"object to a list", cty.ObjectVal(map[string]cty.Value{"k": s("v")}), list, false},
		{"list already", cty.ListVal([]cty.Value{s("a")}), list, false},
	}
	for _, c := range cases {
		if got := readsAs(c.v, c.ty); got != c.took {
			t.Errorf("%s: taken as it is = %t, want %t", c.name, got, c.took)
			continue
		}
		if !c.took {
			continue
		}
		want, err := convert.Convert(c.v, c.ty)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got, w := c.v.LengthInt(), want.LengthInt(); got != w {
			t.Errorf("%s: LengthInt = %d, the conversion's is %d", c.name, got, w)
		}
		if c.ty.IsListType() {
			got, w := c.v.AsValueSlice(), want.AsValueSlice()
			if !slices.EqualFunc(got, w, cty.Value.RawEquals) {
				t.Errorf("%s: AsValueSlice = %#v, the conversion's is %#v", c.name, got, w)
			}
			continue
		}
		// glowValues reads the object through sortedElements: it must
		// yield what the converted map's AsValueMap holds, in key order,
		// and so must sortedElements of the converted map.
		m := want.AsValueMap()
		var w []entry
		for _, k := range slices.Sorted(maps.Keys(m)) {
			w = append(w, entry{k, m[k]})
		}
		if got := entries(c.v); !slices.EqualFunc(got, w, entry.equal) {
			t.Errorf("%s: sortedElements = %#v, the conversion's AsValueMap is %#v", c.name, got, w)
		}
		if got := entries(want); !slices.EqualFunc(got, w, entry.equal) {
			t.Errorf("%s: sortedElements of the map = %#v, its AsValueMap is %#v", c.name, got, w)
		}
	}
}

type entry struct {
	k string
	v cty.Value
}

func (e entry) equal(o entry) bool { return e.k == o.k && e.v.RawEquals(o.v) }

func entries(v cty.Value) []entry {
	var out []entry
	for k, e := range sortedElements(v) {
		out = append(out, entry{k, e})
	}
	return out
}

package config

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// trickySources are top-level layouts where a cut at the wrong line would
// change the meaning: each must parse in chunks exactly as it parses whole.
var trickySources = map[string]string{
	"heredoc holding a block": "a = <<EOT\n}\nglow_provider \"x\" {\n}\nEOT\nglow {}\nb = <<-EOT\n    }\n    EOT\nvault {}\n",
	"block comment":           "/*\nglow_provider \"x\" {\n}\n*/\nglow {}\n/* one */ gateflow {}\n",
	"line comments":           "# glow {\n// }\nglow {}\n# }\nvault {}\n",
	"multi-line template":     "locals {\n  a = \"${\n  1\n  }\"\n}\nglow {}\nx = \"${\n1 +\n2}\"\n",
	"escaped quotes":          "a = \"\\\"}\"\nb = \"\\\\\"\nglow {}\n",
	"expression over lines":   "a = [\n1,\n2,\n]\nb = (\n1\n+ 2)\nc = {\nd = 1\n}\n",
	"crlf":                    "glow {}\r\ngateflow {}\r\nvault {\r\n}\r\na = 1\r\n",
	"byte order mark":         "\ufeffglow {}\nvault {}\n",
	"no final newline":        "glow {}\nvault {}",
	"blank lines":             "\n\n\nglow {}\n\n\n\nvault {}\n\n",
	"duplicate argument":      "a = 1\nglow {}\na = 2\n",
	"syntax error late":       "glow {}\nvault {}\ngateflow {\n",
	"unclosed heredoc":        "glow {}\na = <<EOT\nglow {}\n",
	"unclosed comment":        "glow {}\n/*\nglow {}\n",
	"template directives":     "a = <<EOT\n%{ for x in [1] }\n}\n%{ endfor }\nEOT\nglow {}\n",
	"nested blocks":           "glow_provider \"a\" {\n  key \"k\" {\n    value = 1\n  }\n}\nglow_provider \"b\" {\n  key \"k\" {\n  }\n}\n",
	// Objects whose items may be parsed a run of lines at a time, and
	// objects where that would read something else.
	"object of items":       "locals {\n  m = {\n    a = 1\n    b = { x = \"y\" }\n\n    c = [\n      1,\n    ]\n    # }\n    d = <<EOT\n  }\nEOT\n    e = (\n      1 + 2)\n    /* f = 1\n    */\n    g = \"${\n    1}\"\n  }\n  n = 1\n}\nglow {}\n",
	"objects in a run":      "locals {\n  m = {\n    a = 1\n    b = 2\n  }\n  n = {\n    c = 3\n  }\n}\nvariable \"v\" {\n  default = {\n    a = 1\n    b = 2\n  }\n}\n",
	"object with commas":    "locals {\n  m = {\n    a = 1,\n    b = 2,\n  }\n}\n",
	"object quoted keys":    "locals {\n  m = {\n    \"a-b\" = 1\n    c = 2\n  }\n}\n",
	"object keyword keys":   "locals {\n  m = {\n    x = 1\n    null = 1\n    true = 2\n  }\n}\n",
	"object for":            "locals {\n  m = {\n    for k, v in {} : k => v\n  }\n}\n",
	"object item on brace":  "locals {\n  m = { a = 1\n    b = 2\n  }\n}\n",
	"object item on close":  "locals {\n  m = {\n    a = 1\n    b = 2 }\n}\n",
	"object duplicate keys": "locals {\n  m = {\n    a = 1\n    b = 1\n    a = 2\n  }\n}\n",
	"object colon":          "locals {\n  m = {\n    a: 1\n  }\n}\n",
	"object crlf":           "locals {\r\n  m = {\r\n    a = 1\r\n    b = 2\r\n  }\r\n}\r\n",
	"object multibyte":      "locals {\n  m = {\n    a = \"h\u00e9llo w\u00f6rld \u2713\"\n    b = 2\n  }\n}\n",
	"object continued":      "locals {\n  m = {\n    a = 1 +\n      2\n    b = 2\n  }\n}\n",
	"object error":          "locals {\n  m = {\n    a = \n    b = 2\n  }\n}\n",
}

// TestParseInChunksIsAWholeParse parses every HCL file of the repository,
// and trickySources, at chunk sizes down to one byte, and wants the body
// and diagnostics that hclsyntax.ParseConfig gives the whole file.
func TestParseInChunksIsAWholeParse(t *testing.T) {
	sources := map[string][]byte{}
	for name, src := range trickySources {
		sources[name] = []byte(src)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".hcl") || strings.HasSuffix(path, ".sbvars")) {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			sources[rel] = src
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) < 40 {
		t.Fatalf("found %d sources; the walk of the repository went wrong", len(sources))
	}
	chunked := 0
	for name, src := range sources {
		if d, _ := checkNestingAndSplit(src, name, false); d != nil {
			continue
		}
		want, wantDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		for _, size := range []int{1, 16, 256} {
			_, cuts := checkNestingAndSplit(src, name, false)
			got, _, gotDiags := parseHCLInChunks(src, name, cuts, size, false)
			if got.Nav == nil {
				chunked++
			}
			if !sameBody(got.Body, want.Body) {
				t.Errorf("%s in chunks of %d: the body differs from a whole parse", name, size)
			}
			if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
				t.Errorf("%s in chunks of %d: diagnostics\n%v\nwant\n%v", name, size, gotDiags, wantDiags)
			}
			if string(got.Bytes) != string(src) {
				t.Errorf("%s in chunks of %d: the file's bytes are not its source", name, size)
			}
		}
	}
	// A chunked parse is marked by having no navigation (ParseConfig's
	// own files always have one): without this, every source could have
	// fallen back to a whole parse and the comparison proved nothing.
	t.Logf("%d of %d parses went in chunks", chunked, 3*len(sources))
	if chunked < len(sources) {
		t.Errorf("only %d of %d parses went in chunks", chunked, 3*len(sources))
	}
}

// TestObjectsParseByItems: the items of a large object (a for_each's map
// in locals) are parsed a run of lines at a time, and the file's body is
// still exactly a whole parse's; objects that a body reads differently
// are not.
func TestObjectsParseByItems(t *testing.T) {
	var b strings.Builder
	b.WriteString("glow_provider \"p\" {\n  for_each = local.providers\n  name     = each.value.name\n}\n\nlocals {\n  providers = {\n")
	for i := range 300 {
		fmt.Fprintf(&b, "    p%03d = { name = \"provider-%d\", tier = %q }\n", i, i, []string{"gold", "silver"}[i%2])
	}
	b.WriteString("  }\n  other = 1\n}\n")
	src := []byte(b.String())
	_, cuts := checkNestingAndSplit(src, "a.hcl", false)
	if len(cuts.objects) != 1 {
		t.Fatalf("%d objects found; want the providers map", len(cuts.objects))
	}
	items, ok := parseObjectItems(src, "a.hcl", cuts.objects[0], 256)
	if !ok || len(items) != 300 {
		t.Fatalf("parsed %d items (%v); want 300", len(items), ok)
	}
	want, _ := hclsyntax.ParseConfig(src, "a.hcl", hcl.InitialPos)
	got, _, diags := parseHCLInChunks(src, "a.hcl", cuts, 256, false)
	if diags.HasErrors() || got.Nav != nil {
		t.Fatalf("fell back to a whole parse: %v", diags)
	}
	if !sameBody(got.Body, want.Body) {
		t.Error("the body differs from a whole parse")
	}
	lit, ok := got.Body.(*hclsyntax.Body).Blocks[1].Body.Attributes["providers"].Expr.(*hclsyntax.LiteralValueExpr)
	if !ok {
		t.Fatal("an object of literals is not its value")
	}
	wantVal, diags := want.Body.(*hclsyntax.Body).Blocks[1].Body.Attributes["providers"].Expr.Value(nil)
	if diags.HasErrors() || !lit.Val.RawEquals(wantVal) {
		t.Errorf("the object's value is %#v, HCL's is %#v (%v)", lit.Val, wantVal, diags)
	}

	// One item that refers to something: the object keeps its items,
	// parsed a run at a time, each of the others folded into its value.
	mixed := bytes.Replace(src, []byte(`"provider-150"`), []byte(`"provider-${local.other}"`), 1)
	want, _ = hclsyntax.ParseConfig(mixed, "a.hcl", hcl.InitialPos)
	_, cuts = checkNestingAndSplit(mixed, "a.hcl", false)
	got, _, diags = parseHCLInChunks(mixed, "a.hcl", cuts, 256, false)
	if diags.HasErrors() || got.Nav != nil {
		t.Fatalf("fell back to a whole parse: %v", diags)
	}
	if !sameBody(got.Body, want.Body) {
		t.Error("with an interpolation, the body differs from a whole parse")
	}
	obj, ok := got.Body.(*hclsyntax.Body).Blocks[1].Body.Attributes["providers"].Expr.(*hclsyntax.ObjectConsExpr)
	if !ok || len(obj.Items) != 300 {
		t.Fatalf("with an interpolation, the object is %T; want its 300 items", got.Body.(*hclsyntax.Body).Blocks[1].Body.Attributes["providers"].Expr)
	}
	for _, it := range obj.Items {
		_, isLit := it.ValueExpr.(*hclsyntax.LiteralValueExpr)
		if interpolated := it.ValueExpr.Range().Start.Line == 8+150; isLit == interpolated {
			t.Errorf("the item at %s is %T", it.ValueExpr.Range(), it.ValueExpr)
		}
	}

	// Outside locals, an object of literals keeps its items: diagnostics
	// about a provider's values point at their keys.
	var pb strings.Builder
	pb.WriteString("glow_provider \"p\" {\n  name = \"p\"\n  values = {\n")
	for i := range 100 {
		fmt.Fprintf(&pb, "    k%03d = \"v%d\"\n", i, i)
	}
	pb.WriteString("  }\n}\n")
	psrc := []byte(pb.String())
	_, cuts = checkNestingAndSplit(psrc, "p.hcl", false)
	got, _, diags = parseHCLInChunks(psrc, "p.hcl", cuts, 256, false)
	if diags.HasErrors() || got.Nav != nil || len(cuts.objects) != 1 {
		t.Fatalf("the provider's values did not parse by items: %v", diags)
	}
	if values, ok := got.Body.(*hclsyntax.Body).Blocks[0].Body.Attributes["values"].Expr.(*hclsyntax.ObjectConsExpr); !ok || len(values.Items) != 100 {
		t.Errorf("a provider's values are %T; want an object of 100 items", got.Body.(*hclsyntax.Body).Blocks[0].Body.Attributes["values"].Expr)
	}

	for _, name := range []string{"object with commas", "object quoted keys", "object keyword keys", "object for", "object duplicate keys", "object colon", "object continued", "object error"} {
		src := []byte(trickySources[name])
		_, cuts := checkNestingAndSplit(src, name, false)
		if len(cuts.objects) != 1 {
			t.Errorf("%s: %d objects found; want 1", name, len(cuts.objects))
			continue
		}
		if _, ok := parseObjectItems(src, name, cuts.objects[0], 1); ok {
			t.Errorf("%s: its items parsed as a body's arguments", name)
		}
	}
	for name, want := range map[string]int{"object of items": 1, "objects in a run": 3, "object crlf": 1, "object multibyte": 1, "nested blocks": 0} {
		src := []byte(trickySources[name])
		_, cuts := checkNestingAndSplit(src, name, false)
		if len(cuts.objects) != want {
			t.Errorf("%s: %d objects found; want %d", name, len(cuts.objects), want)
		}
		for _, o := range cuts.objects {
			if _, ok := parseObjectItems(src, name, o, 1); !ok {
				t.Errorf("%s: the object at byte %d did not parse by items", name, o.open)
			}
		}
	}
}

// TestItemRunsFitTheLexersSlice: the runs a for_each's items are parsed in
// lex to a token slice that append grew no further than the largest small
// allocation, and that uses most of it.
func TestItemRunsFitTheLexersSlice(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n  providers = {\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "    p%05d = { name = \"Bench openai %05d\", department = \"dept-%02d\", endpoint = \"https://dept-%02d.openai.example.net/v1\", tier = \"standard\" }\n", i, i, i%50, i%50)
	}
	b.WriteString("  }\n}\n")
	src := []byte(b.String())
	_, cuts := checkNestingAndSplit(src, "a.hcl", false)
	if len(cuts.objects) != 1 {
		t.Fatalf("%d objects found; want 1", len(cuts.objects))
	}
	o := cuts.objects[0]
	size := int(reflect.TypeFor[hclsyntax.Token]().Size())
	if itemRunTokens*size > 32<<10 || tokenSliceCap(32<<10) != itemRunTokens {
		t.Fatalf("itemRunTokens = %d tokens of %d bytes, beyond 32 KiB", itemRunTokens, size)
	}
	lines := itemRunLines(src, "a.hcl", o, itemRunTokens)
	for i := 0; i+lines < len(o.lines); i += lines {
		toks, _ := hclsyntax.LexConfig(src[o.lines[i].off:o.lines[i+lines].off], "a.hcl", hcl.InitialPos)
		if cap(toks) > itemRunTokens || 2*len(toks) < itemRunTokens {
			t.Fatalf("a run of %d lines lexes to %d tokens in a slice of %d; want at most %d and more than half", lines, len(toks), cap(toks), itemRunTokens)
		}
	}
}

// TestParseFallsBackToAWholeParse: a source whose chunks do not parse on
// their own gets the whole file's parse, diagnostics and all.
func TestParseFallsBackToAWholeParse(t *testing.T) {
	for _, name := range []string{"duplicate argument", "syntax error late", "unclosed heredoc", "unclosed comment"} {
		src := []byte(trickySources[name])
		_, cuts := checkNestingAndSplit(src, name, false)
		got, _, diags := parseHCLInChunks(src, name, cuts, 1, false)
		if got.Nav == nil {
			t.Errorf("%s: parsed in chunks; want the whole file's parse", name)
		}
		if !diags.HasErrors() {
			t.Errorf("%s: no error", name)
		}
	}
}

// generatedConfig is a configuration whose provider blocks sit between
// variables, locals and settings, refer to them, and share secrets, so
// that a load in runs has every reason to differ from a whole one.
func generatedConfig(n int, extra string) string {
	var b strings.Builder
	b.WriteString("variable \"tier\" {\n  default = \"gold\"\n}\n\nlocals {\n  shared = vault(\"secret/shared\", \"api_key\")\n}\n\nglow {}\n\n")
	for i := range n {
		fmt.Fprintf(&b, "glow_provider \"p%d\" {\n  name        = \"provider-%d\"\n  departments = [\"d%d\"]\n  values      = { tier = var.tier }\n\n  key \"primary\" {\n    value = %s\n  }\n}\n\n",
			i, i, i%3, map[bool]string{true: "local.shared", false: fmt.Sprintf("vault(\"secret/p%d\", \"api_key\")", i)}[i%4 == 0])
		if i == n/2 {
			b.WriteString("# half way\nlocals {\n  later = 1\n}\n\ngateflow_provider \"openai\" {\n  credentials = { api_key = vault(\"secret/gf\", \"api_key\") }\n}\n\n")
		}
	}
	b.WriteString(extra)
	return b.String()
}

// TestLoadInRunsIsAWholeLoad loads every fixture and example, and
// generated configurations with and without errors, once parsing each
// file whole and once in runs of one top-level item with the provider
// runs parsed during decoding, and wants the same Config and diagnostics.
func TestLoadInRunsIsAWholeLoad(t *testing.T) {
	dirs := globDirs(t, "testdata/fixtures/*", "../examples/*")
	for name, extra := range map[string]string{
		"valid":          "",
		"duplicate late": "glow_provider \"p1\" {\n  name = \"again\"\n}\n",
		// The last run mixes a local with a block named as one in a run
		// parsed later, in decoding: the later block is the duplicate.
		"duplicate across passes": "locals {\n  last = 1\n}\nglow_provider \"p3\" {\n  name = \"again\"\n}\n",
		"syntax error late":       "glow_provider \"bad\" {\n  name = var.missing\n}\n\nglow_provider \"broken\" {\n  name = \n}\n",
		"unknown block":           "nonsense {}\n",
		"evaluation error":        "glow_provider \"bad\" {\n  name = var.missing\n}\n",
		"unsupported arg":         "stray = 1\n",
		"bad name":                "glow_provider \"1bad\" {\n  name = \"x\"\n}\n",
	} {
		dir := filepath.Join(t.TempDir(), strings.ReplaceAll(name, " ", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(generatedConfig(40, extra)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "b.hcl"), []byte(strings.Repeat("glow_provider \"b\" {\n  name = \"b\"\n}\n\nlocals {\n  b = 1\n}\n", 1)+"glow_provider \"c\" {\n  name = \"c\"\n  departments = [\"d1\"]\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	defer func(size, tokens int) { chunkBytes, itemRunTokens = size, tokens }(chunkBytes, itemRunTokens)
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		chunkBytes = 1 << 30
		want, wantDiags := Load(dir, LoadOptions{Env: noEnv})
		// Runs of one item each, and runs that mix provider blocks with
		// others (parsed in the first pass) and with runs left for later.
		for _, size := range []int{1, 300} {
			chunkBytes, itemRunTokens = size, size
			got, gotDiags := Load(dir, LoadOptions{Env: noEnv})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s in runs of %d: the Config differs from the whole load", dir, size)
			}
			if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
				t.Errorf("%s in runs of %d: diagnostics\n%v\nwant\n%v", dir, size, gotDiags, wantDiags)
			}
		}
	}
}

// TestProviderRunsAreDeferred: the generated configuration's provider
// blocks are left for decoding, and only they.
func TestProviderRunsAreDeferred(t *testing.T) {
	src := []byte(generatedConfig(40, ""))
	_, cuts := checkNestingAndSplit(src, "a.hcl", false)
	f, runs, diags := parseHCLInChunks(src, "a.hcl", cuts, 1, true)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(runs) != 41 {
		t.Errorf("%d provider runs, want 41 (40 glow_provider blocks and a gateflow_provider)", len(runs))
	}
	var kinds []string
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		kinds = append(kinds, b.Type)
	}
	if got, want := strings.Join(kinds, " "), "variable locals glow locals"; got != want {
		t.Errorf("parsed blocks %q, want %q", got, want)
	}
}

// FuzzParseInChunks: whatever the source, parsing it in runs of top-level
// items gives the whole parse's body and diagnostics, and the runs left
// for decoding hold, with the body, exactly the whole parse's blocks.
func FuzzParseInChunks(f *testing.F) {
	for _, src := range trickySources {
		f.Add([]byte(src), uint8(1))
	}
	f.Add([]byte(generatedConfig(6, "")), uint8(40))
	f.Fuzz(func(t *testing.T, src []byte, size uint8) {
		d, cuts := checkNestingAndSplit(src, "f.hcl", false)
		if d != nil {
			return
		}
		want, wantDiags := hclsyntax.ParseConfig(src, "f.hcl", hcl.InitialPos)
		got, _, gotDiags := parseHCLInChunks(src, "f.hcl", cuts, int(size)+1, false)
		if !sameBody(got.Body, want.Body) {
			t.Fatalf("the body in runs of %d differs from a whole parse", int(size)+1)
		}
		if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
			t.Fatalf("diagnostics in runs\n%v\nwant\n%v", gotDiags, wantDiags)
		}
		if wantDiags.HasErrors() {
			return
		}
		got, runs, _ := parseHCLInChunks(src, "f.hcl", cuts, int(size)+1, true)
		blocks := slices.Clone(got.Body.(*hclsyntax.Body).Blocks)
		for _, r := range runs {
			body, diags := r.parse()
			if diags.HasErrors() {
				t.Fatalf("a run of a valid file does not parse: %v", diags)
			}
			if len(body.Attributes) > 0 {
				t.Fatalf("a provider run holds arguments")
			}
			blocks = append(blocks, body.Blocks...)
		}
		slices.SortFunc(blocks, func(a, b *hclsyntax.Block) int { return a.TypeRange.Start.Byte - b.TypeRange.Start.Byte })
		if !sameBody(&hclsyntax.Body{Blocks: blocks}, &hclsyntax.Body{Blocks: want.Body.(*hclsyntax.Body).Blocks}) {
			t.Fatalf("the parsed body and the provider runs do not hold the whole parse's blocks")
		}
	})
}

// sameBody is whether two bodies are the same parse, up to the folding of
// a large object's items of literals into their values (see folded), which
// the chunked parse does and a whole parse does not: both are folded alike
// before they are compared, and folding what is folded already changes
// nothing, so a fold with the wrong value or range still differs.
func sameBody(got, want hcl.Body) bool {
	return reflect.DeepEqual(foldedItems(got), foldedItems(want))
}

func foldedItems(body hcl.Body) hcl.Body {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return body
	}
	for _, blk := range b.Blocks {
		for _, a := range blk.Body.Attributes {
			o, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
			if !ok {
				continue
			}
			for i := range o.Items {
				o.Items[i].ValueExpr = folded(o.Items[i].ValueExpr)
			}
			// As parseRun takes a local's object whose items all fold.
			if v, ok := literal(o); ok && len(o.Items) > 0 && blk.Type == "locals" {
				a.Expr = &hclsyntax.LiteralValueExpr{Val: v, SrcRange: o.SrcRange}
			}
		}
	}
	return b
}

// globDirs is every match of the patterns, in order.
func globDirs(t *testing.T, patterns ...string) []string {
	t.Helper()
	var dirs []string
	for _, pattern := range patterns {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, m...)
	}
	return dirs
}

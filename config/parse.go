package config

import (
	"bytes"
	"maps"
	"reflect"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// parsedFiles holds every file the loader parsed, by the name its
// diagnostics use, so that a diagnostic's source line can be found.
type parsedFiles map[string]*hcl.File

// parse checks src's nesting (see checkNesting) and parses it. A name
// parsed before gives the same file and no diagnostics again, as
// hclparse.Parser does: a module called twice is read once.
func (p parsedFiles) parse(src []byte, filename string, isJSON bool) (*hcl.File, hcl.Diagnostics) {
	f, _, diags := p.parseDeferring(src, filename, isJSON, false)
	return f, diags
}

// parseDeferring is parse that, with deferProviders, leaves the runs of
// src made only of provider blocks unparsed and returns them instead (see
// providerRun): the file's body holds the rest.
func (p parsedFiles) parseDeferring(src []byte, filename string, isJSON, deferProviders bool) (*hcl.File, []providerRun, hcl.Diagnostics) {
	if f := p[filename]; f != nil {
		return f, nil, nil
	}
	d, cuts := checkNestingAndSplit(src, filename, isJSON)
	if d != nil {
		return nil, nil, hcl.Diagnostics{d}
	}
	var f *hcl.File
	var runs []providerRun
	var diags hcl.Diagnostics
	switch {
	case isJSON:
		f, diags = json.Parse(src, filename)
	case len(src) <= 2*chunkBytes:
		f, diags = hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	default:
		f, runs, diags = parseHCLInChunks(src, filename, cuts, chunkBytes, deferProviders)
	}
	if f != nil {
		p[filename] = f
	}
	return f, runs, diags
}

// A providerRun is a run of top-level lines of a file that holds only
// glow_provider and gateflow_provider blocks, left unparsed by the first
// pass of Load. The configuration's syntax trees cost about 8 KiB a
// provider, and all of them alive at once were the peak of a large plan's
// memory (about 95 MB of live heap at 10,000 providers): Load parses one
// run when it decodes its providers, after the variables, locals and
// modules they may refer to, and the run's tree is garbage right after.
type providerRun struct {
	filename string
	// file is the whole file's source: a run with a syntax error is
	// reported from a parse of its whole file, as any other file's is.
	file  []byte
	start hcl.Pos
	end   int
	// blocks is how many provider blocks the run holds, as the first
	// pass counted them: Load sizes its provider slices from it.
	blocks int
}

// parse parses the run at its place in its file.
func (r providerRun) parse() (*hclsyntax.Body, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(r.file[r.start.Byte:r.end], r.filename, r.start)
	return f.Body.(*hclsyntax.Body), diags
}

// topLevelItem says what the top-level line of src at off starts: a
// provider block (1), nothing (0: a blank line or a line comment) or
// anything else (-1). A provider block is its type's keyword and a quoted
// label; whatever else the line holds, parsing the run tells.
func topLevelItem(src []byte, off int) int {
	i := off
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	rest := src[i:]
	switch {
	case len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '#' || bytes.HasPrefix(rest, []byte("//")):
		return 0
	}
	for _, kw := range [...]string{GlowProviderType, GateflowProviderType} {
		if after, ok := bytes.CutPrefix(rest, []byte(kw)); ok {
			after = bytes.TrimLeft(after, " \t")
			if len(after) > 0 && after[0] == '"' {
				return 1
			}
		}
	}
	return -1
}

// chunkBytes is about how much source parseHCLInChunks gives the HCL parser at a
// time.
//
// The lexer appends every token of its input to one slice. Beyond a few
// hundred tokens, append grows a slice by a quarter at a time, so a whole
// file of N tokens costs about 5N tokens' worth of allocation and 4N of
// copying (96 bytes a token): 359 MB allocated to lex the 3.5 MB of a
// 10,000-provider configuration, and the largest single cost of its load.
// A chunk of this size stays in append's doubling range (about 2N), and
// its tokens are garbage as soon as it is parsed, instead of the whole
// file's at once.
var chunkBytes = 1 << 10

// parseHCLInChunks parses src, HCL native syntax, the way
// hclsyntax.ParseConfig does, but a run of top-level items at a time:
// cuts.lines are the top-level lines of src (from hclNesting), each run is at
// least size bytes and ends at one of them, and the runs' blocks and
// arguments are joined into one body with the ranges a whole parse gives
// (each run is parsed at its own position in the file). A run's objects
// of at least size bytes are parsed a run of items at a time too (see
// parseRun). With deferProviders, a run of provider blocks only is
// returned unparsed instead.
//
// Cutting only at top-level lines cannot change what a run means; when a
// run has anything to say (hclsyntax has only errors) or two runs set the
// same argument, the whole file is parsed instead, so that its diagnostics
// are exactly HCL's own.
func parseHCLInChunks(src []byte, filename string, cuts cutPoints, size int, deferProviders bool) (*hcl.File, []providerRun, hcl.Diagnostics) {
	breaks, objects := cuts.lines, cuts.objects
	whole := func() (*hcl.File, []providerRun, hcl.Diagnostics) {
		f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
		return f, nil, diags
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: hclsyntax.Blocks{}}
	var runs []providerRun
	start, j := hcl.InitialPos, 0
	for start.Byte < len(src) {
		end, next := len(src), hcl.Pos{Byte: len(src)}
		providers, others := 0, 0
		count := func(off int) {
			switch topLevelItem(src, off) {
			case 1:
				providers++
			case -1:
				others++
			}
		}
		count(start.Byte)
		for ; j < len(breaks) && breaks[j].off < len(src); j++ {
			b := breaks[j]
			if b.off-start.Byte >= size {
				end, next = b.off, hcl.Pos{Line: b.line, Column: 1, Byte: b.off}
				break
			}
			if b.off > start.Byte {
				count(b.off)
			}
		}
		if deferProviders && providers > 0 && others == 0 {
			runs = append(runs, providerRun{filename: filename, file: src, start: start, end: end, blocks: providers})
			start = next
			continue
		}
		var inRun []objectLines
		inRun, objects = objectsBefore(objects, end, size)
		part, diags := parseRun(src, filename, start, end, inRun)
		if len(diags) > 0 {
			return whole()
		}
		for name, a := range part.Attributes {
			if body.Attributes[name] != nil {
				return whole()
			}
			body.Attributes[name] = a
		}
		body.Blocks = append(body.Blocks, part.Blocks...)
		if body.SrcRange.Filename == "" {
			body.SrcRange = part.SrcRange
		}
		body.SrcRange = hcl.RangeBetween(body.SrcRange, part.SrcRange)
		body.EndRange = part.EndRange
		start = next
	}
	if body.SrcRange.Filename == "" {
		// Every run was deferred: the body is empty, at the file's start.
		body.SrcRange = hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}
		body.EndRange = body.SrcRange
	}
	return &hcl.File{Body: body, Bytes: src}, runs, nil
}

// objectsBefore splits objects, in file order, at those that open before
// end, and keeps of these the ones of at least size bytes.
func objectsBefore(objects []objectLines, end, size int) (before, rest []objectLines) {
	for len(objects) > 0 && objects[0].open < end {
		if objects[0].close-objects[0].open >= size {
			before = append(before, objects[0])
		}
		objects = objects[1:]
	}
	return before, objects
}

// parseRun parses src[start.Byte:end], a run of top-level items, as
// hclsyntax.ParseConfig does, except for objects: each is parsed a run of
// its items at a time (parseObjectItems).
//
// The lexer's token slice is the cost chunks avoid (see chunkBytes), and a
// single block can be most of a file: the locals { providers = { ... } }
// that a for_each of 100,000 providers expands is 12 MB, whose tokens
// were a third of its load's CPU (copying as append grew them) and its
// largest allocation. The run is parsed first with the objects' item
// lines blanked out, byte for byte and newlines kept, so that everything
// else has the positions of a whole parse and each object is empty; then
// its items are parsed and put in. Whatever does not fit (an item on a
// brace's line, a comma, a quoted key, a for expression) gets the run's
// plain parse.
func parseRun(src []byte, filename string, start hcl.Pos, end int, objects []objectLines) (*hclsyntax.Body, hcl.Diagnostics) {
	plain := func() (*hclsyntax.Body, hcl.Diagnostics) {
		f, diags := hclsyntax.ParseConfig(src[start.Byte:end], filename, start)
		return f.Body.(*hclsyntax.Body), diags
	}
	if len(objects) == 0 {
		return plain()
	}
	skeleton := bytes.Clone(src[start.Byte:end])
	for _, o := range objects {
		items := skeleton[o.lines[0].off-start.Byte : o.lines[len(o.lines)-1].off-start.Byte]
		for i, c := range items {
			if c != '\n' && c != '\r' {
				items[i] = ' '
			}
		}
	}
	f, diags := hclsyntax.ParseConfig(skeleton, filename, start)
	if len(diags) > 0 {
		return plain()
	}
	body := f.Body.(*hclsyntax.Body)
	for _, o := range objects {
		blockType, a := emptyObjectAt(body, o.open)
		if a == nil {
			return plain()
		}
		obj := a.Expr.(*hclsyntax.ObjectConsExpr)
		// A diagnostic about a local's value is placed at the local; an
		// object elsewhere (a provider's values or settings) keeps its
		// items, whose keys diagnostics point at.
		if blockType == "locals" {
			if v, ok := parseLiteralObject(src, filename, o, itemRunTokens); ok {
				a.Expr = &hclsyntax.LiteralValueExpr{Val: v, SrcRange: obj.SrcRange}
				continue
			}
		}
		items, ok := parseObjectItems(src, filename, o, itemRunTokens)
		if !ok {
			return plain()
		}
		obj.Items = items
	}
	return body, nil
}

// emptyObjectAt is the argument of one of body's blocks, and that block's
// type, whose value is the object without items that opens at off, or
// nil.
func emptyObjectAt(body *hclsyntax.Body, off int) (string, *hclsyntax.Attribute) {
	for _, b := range body.Blocks {
		for _, a := range b.Body.Attributes {
			if o, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok && o.OpenRange.Start.Byte == off && len(o.Items) == 0 {
				return b.Type, a
			}
		}
	}
	return "", nil
}

// objectItemRuns parses the items of o, a run of its lines of about
// maxTokens tokens at a time (see itemRunLines), each run as a body: an item "name = value" on a
// line of its own is an argument there, and its value parses to the same
// expression. It calls run with each run's arguments in source order, and
// stops when run returns false. It returns false for anything a body and
// an object read differently: a syntax error (a comma, a quoted key or a
// colon), a block, a name given twice, or one of the keywords an object's
// parser reads as a value.
func objectItemRuns(src []byte, filename string, o objectLines, maxTokens int, run func([]*hclsyntax.Attribute) bool) bool {
	names := make(map[string]struct{}, len(o.lines))
	last := len(o.lines) - 1
	lines := itemRunLines(src, filename, o, maxTokens)
	for i := 0; i < last; {
		from := o.lines[i]
		j := min(i+lines, last)
		part, diags := hclsyntax.ParseConfig(src[from.off:o.lines[j].off], filename, hcl.Pos{Line: from.line, Column: 1, Byte: from.off})
		body := part.Body.(*hclsyntax.Body)
		if len(diags) > 0 || len(body.Blocks) > 0 {
			return false
		}
		for name := range body.Attributes {
			switch name {
			case "true", "false", "null", "for":
				return false
			}
			// The key an object's item makes of the name (see literalKey):
			// two spellings of one key would be a name given twice.
			key := cty.NormalizeString(name)
			if _, dup := names[key]; dup {
				return false
			}
			names[key] = struct{}{}
		}
		attrs := slices.Collect(maps.Values(body.Attributes))
		sortByRange(attrs, func(a *hclsyntax.Attribute) hcl.Range { return a.SrcRange })
		if !run(attrs) {
			return false
		}
		i = j
	}
	return true
}

// itemRunTokens is about how many tokens objectItemRuns gives the lexer
// at a time: the largest capacity that append grows a []hclsyntax.Token to
// within 32 KiB, the Go allocator's largest size class for small objects.
//
// The lexer appends every token of its input to one slice (see
// chunkBytes), so what a run costs is every capacity the slice grew
// through, about twice the last one, whatever the run's token count: a
// run that ends just under a capacity pays for what it uses. A kilobyte of
// a for_each's item lines is 225 tokens, in a slice grown to 341: 287
// bytes allocated a token, a third of a 100,000-item configuration's
// load, where 11 of its lines (309 tokens) pay 209.
var itemRunTokens = tokenSliceCap(32 << 10)

// tokenSliceCap is the largest capacity append grows a []hclsyntax.Token
// to, from empty a token at a time, that is at most maxBytes.
func tokenSliceCap(maxBytes int) int {
	size := int(reflect.TypeFor[hclsyntax.Token]().Size())
	var s []hclsyntax.Token
	fits := 1
	for {
		s = append(s[:cap(s)], hclsyntax.Token{})
		if cap(s)*size > maxBytes {
			return fits
		}
		fits = cap(s)
	}
}

// itemRunLines is how many of o's item lines make a run of at most
// maxTokens tokens, from the tokens its first lines lex to and one token
// a line to spare: the items of a large object are mostly alike.
func itemRunLines(src []byte, filename string, o objectLines, maxTokens int) int {
	sample := min(len(o.lines)-1, 8)
	if sample < 1 {
		return 1
	}
	from := o.lines[0]
	toks, _ := hclsyntax.LexConfig(src[from.off:o.lines[sample].off], filename, hcl.Pos{Line: from.line, Column: 1, Byte: from.off})
	perLine := (len(toks)-1+sample-1)/sample + 1 // the last token is the end of the input
	return max(1, (maxTokens-1)/perLine)
}

// parseObjectItems parses the items of o (see objectItemRuns). The keys
// become what an object's parser makes of a name.
func parseObjectItems(src []byte, filename string, o objectLines, maxTokens int) ([]hclsyntax.ObjectConsItem, bool) {
	items := make([]hclsyntax.ObjectConsItem, 0, len(o.lines))
	ok := objectItemRuns(src, filename, o, maxTokens, func(attrs []*hclsyntax.Attribute) bool {
		for _, a := range attrs {
			key := &hclsyntax.ScopeTraversalExpr{
				Traversal: hcl.Traversal{hcl.TraverseRoot{Name: a.Name, SrcRange: a.NameRange}},
				SrcRange:  a.NameRange,
			}
			items = append(items, hclsyntax.ObjectConsItem{KeyExpr: &hclsyntax.ObjectConsKeyExpr{Wrapped: key}, ValueExpr: folded(a.Expr)})
		}
		return true
	})
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		return nil, true // as an object's parser leaves an empty one's
	}
	return items, true
}

// parseLiteralObject is the value of o when the value of every item of it
// folds (see folded), parsed as parseObjectItems parses it; false
// otherwise, at the first item that does not. The object's syntax tree
// is then its value: a for_each's 100,000 items in a local were a tree of
// 30 MB beside their values until the local was evaluated, and all of it
// live while the rest of the file was parsed. parseRun takes it for a
// local only, whose items' ranges no diagnostic reads.
func parseLiteralObject(src []byte, filename string, o objectLines, maxTokens int) (cty.Value, bool) {
	vals := make(map[string]cty.Value, len(o.lines))
	var canon cty.Value
	var run []cty.Value
	ok := objectItemRuns(src, filename, o, maxTokens, func(attrs []*hclsyntax.Attribute) bool {
		run = run[:0]
		for _, a := range attrs {
			v, ok := literalValue(a.Expr)
			if !ok {
				return false
			}
			run = append(run, v)
		}
		canon = shareObjectType(canon, run)
		for i, a := range attrs {
			vals[cty.NormalizeString(a.Name)] = run[i]
		}
		return true
	})
	if !ok || len(vals) == 0 {
		return cty.NilVal, false
	}
	return cty.ObjectVal(vals), true
}

// folded is e, or, when e is written with literals only (see
// literalValue), the literal of its value at e's range. A large object of
// literals, such as a for_each's items in a local, is most of a
// configuration's syntax tree: folded as each run of its items is parsed,
// the tree of 100,000 items (290 MB, 23 times the source) never exists at
// once, and evaluating the local no longer walks it. A value taken without
// an evaluation context cannot depend on one, which is why it can be taken
// before there is one; anything else is left as parsed.
func folded(e hclsyntax.Expression) hclsyntax.Expression {
	if v, ok := literalValue(e); ok {
		return &hclsyntax.LiteralValueExpr{Val: v, SrcRange: e.Range()}
	}
	return e
}

// shareObjectType gives the object values among vals of the type of
// canon (or, when canon is cty.NilVal, of the first of them) canon's type,
// in place, and returns the value that carries it for the next run of
// items. cty builds every object its own type, a map of its attributes'
// types: for the 100,000 items of a for_each's local that is 33 MB of the
// heap that the collector marks while the providers are decoded, the same
// type 100,000 times. A list's elements share its element type, so the
// values come back out of one whose first element is canon; they are the
// same values (RawEquals).
func shareObjectType(canon cty.Value, vals []cty.Value) cty.Value {
	var at []int
	list := []cty.Value{canon}
	for i, v := range vals {
		if !v.Type().IsObjectType() {
			continue
		}
		if canon == cty.NilVal {
			canon, list[0] = v, v
		}
		if v.Type().Equals(canon.Type()) {
			at = append(at, i)
			list = append(list, v)
		}
	}
	if len(at) == 0 {
		return canon
	}
	shared := cty.ListVal(list).AsValueSlice()
	for k, i := range at {
		vals[i] = shared[k+1]
	}
	return shared[0]
}

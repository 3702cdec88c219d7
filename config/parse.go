package config

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
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
	d, breaks := checkNestingAndSplit(src, filename, isJSON)
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
		f, runs, diags = parseHCLInChunks(src, filename, breaks, chunkBytes, deferProviders)
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
// breaks are the top-level lines of src (from hclNesting), each run is at
// least size bytes and ends at one of them, and the runs' blocks and
// arguments are joined into one body with the ranges a whole parse gives
// (each run is parsed at its own position in the file). With
// deferProviders, a run of provider blocks only is returned unparsed
// instead.
//
// Cutting only at top-level lines cannot change what a run means; when a
// run has anything to say (hclsyntax has only errors) or two runs set the
// same argument, the whole file is parsed instead, so that its diagnostics
// are exactly HCL's own.
func parseHCLInChunks(src []byte, filename string, breaks []topLevelLine, size int, deferProviders bool) (*hcl.File, []providerRun, hcl.Diagnostics) {
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
			runs = append(runs, providerRun{filename: filename, file: src, start: start, end: end})
			start = next
			continue
		}
		f, diags := hclsyntax.ParseConfig(src[start.Byte:end], filename, start)
		if len(diags) > 0 {
			return whole()
		}
		part := f.Body.(*hclsyntax.Body)
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

package config

import (
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
	if f := p[filename]; f != nil {
		return f, nil
	}
	d, breaks := checkNestingAndSplit(src, filename, isJSON)
	if d != nil {
		return nil, hcl.Diagnostics{d}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if isJSON {
		f, diags = json.Parse(src, filename)
	} else {
		f, diags = parseHCL(src, filename, breaks)
	}
	if f != nil {
		p[filename] = f
	}
	return f, diags
}

// chunkBytes is about how much source parseHCL gives the HCL parser at a
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
const chunkBytes = 1 << 10

// parseHCL parses src, HCL native syntax, the way hclsyntax.ParseConfig
// does, but a run of top-level items at a time: breaks are the top-level
// lines of src (from hclNesting), each run ends at one of them, and the
// runs' blocks and arguments are joined into one body with the ranges a
// whole parse gives (each run is parsed at its own position in the file).
//
// Cutting only at top-level lines cannot change what a run means; when a
// run has anything to say (an error, a warning) or two runs set the same
// argument, the whole file is parsed instead, so that its diagnostics are
// exactly HCL's own.
func parseHCL(src []byte, filename string, breaks []topLevelLine) (*hcl.File, hcl.Diagnostics) {
	if len(src) <= 2*chunkBytes {
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	return parseHCLInChunks(src, filename, breaks, chunkBytes)
}

// parseHCLInChunks is parseHCL with runs of at least size bytes.
func parseHCLInChunks(src []byte, filename string, breaks []topLevelLine, size int) (*hcl.File, hcl.Diagnostics) {
	whole := func() (*hcl.File, hcl.Diagnostics) {
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: hclsyntax.Blocks{}}
	start, j := hcl.InitialPos, 0
	for start.Byte < len(src) {
		end, next := len(src), hcl.Pos{Byte: len(src)}
		for ; j < len(breaks) && breaks[j].off < len(src); j++ {
			if b := breaks[j]; b.off-start.Byte >= size {
				end, next = b.off, hcl.Pos{Line: b.line, Column: 1, Byte: b.off}
				break
			}
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
		if start.Byte == 0 {
			body.SrcRange = part.SrcRange
		}
		body.SrcRange = hcl.RangeBetween(body.SrcRange, part.SrcRange)
		body.EndRange = part.EndRange
		start = next
	}
	return &hcl.File{Body: body, Bytes: src}, nil
}

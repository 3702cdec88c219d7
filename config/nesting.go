package config

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxNestingDepth bounds how deeply a configuration may nest blocks,
// brackets, templates and chains of prefix operators or conditionals. The
// HCL parsers and the evaluation recurse once per level, and Go cannot
// recover from a stack overflow, so a hostile file (a 200 KB "[[[[...")
// would kill the process instead of getting a diagnostic. Real
// configurations stay far below the bound.
const MaxNestingDepth = 256

// nestFrame is one open construct: a bracket, a quoted string, a heredoc
// or a template interpolation. extra counts the prefix operators (!, -)
// and conditionals (?) seen in the frame since its last item separator:
// each of them is one more level of recursion in hclsyntax.
type nestFrame struct {
	kind   byte // '(', '[', '{', '"', 'h' (heredoc), 'i' (interpolation), 't' (a template file)
	marker []byte
	extra  int
}

// checkNesting scans src before it is parsed and reports, at file:line,
// the first place it nests deeper than MaxNestingDepth. It is a cheap
// lexical pass: it skips comments, and follows strings, heredocs and
// interpolations only as far as needed to know what nests. A file that
// is not valid HCL is left to the parser to describe.
func checkNesting(src []byte, filename string, json bool) *hcl.Diagnostic {
	d, _ := checkNestingAndSplit(src, filename, json)
	return d
}

// checkNestingAndSplit is checkNesting that also returns, for HCL native
// syntax, where src may be cut apart (see parseHCLInChunks).
func checkNestingAndSplit(src []byte, filename string, json bool) (*hcl.Diagnostic, cutPoints) {
	var off, line, col int
	var cuts cutPoints
	if json {
		off, line, col = jsonNesting(src)
	} else {
		off, line, col = hclNesting(src, MaxNestingDepth, false, &cuts)
	}
	if off < 0 {
		return nil, cuts
	}
	pos := hcl.Pos{Line: line, Column: col, Byte: off}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Configuration nested too deeply",
		Detail: fmt.Sprintf("This nests more than %d levels deep (blocks, brackets, templates, or chained !, - and ? operators), the most a configuration may nest.",
			MaxNestingDepth),
		Subject: &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: line, Column: col + 1, Byte: off + 1}},
	}, cutPoints{}
}

// cutPoints are where a file may be cut apart for parsing.
type cutPoints struct {
	// lines are its top-level lines.
	lines []topLevelLine
	// objects are the multi-line objects that are an argument's value in
	// a top-level block, in file order (see objectLines).
	objects []objectLines
}

// objectLines is a multi-line object written as an argument's value in a
// top-level block's body, as in locals { providers = { ... } }: the
// starts of the lines directly inside its braces are where its items may
// be cut apart (see parseObjectItems).
type objectLines struct {
	open, close int // the offsets of its braces
	// lines start inside the braces, outside anything else that nests;
	// the last is the line of the closing brace.
	lines []topLevelLine
}

// topLevelLine is the start of a line that begins outside every block,
// bracket, string, heredoc and comment: a place where the file's top-level
// body may be cut without changing what either side means.
type topLevelLine struct {
	off, line int
}

// jsonNesting returns where src first nests deeper than MaxNestingDepth,
// or -1.
func jsonNesting(src []byte) (off, line, col int) {
	depth, line, lineStart := 0, 1, 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line, lineStart = line+1, i+1
		case '"':
			start, startLine, startCol := i, line, i-lineStart+1
			for i++; i < len(src) && src[i] != '"'; i++ {
				switch src[i] {
				case '\\':
					i++
				case '\n':
					line, lineStart = line+1, i+1
				}
			}
			// HCL evaluates a JSON string as a template: its
			// interpolations nest below the string's own depth.
			if i < len(src) && (bytes.Contains(src[start:i], []byte("${")) || bytes.Contains(src[start:i], []byte("%{"))) {
				var s string
				if json.Unmarshal(src[start:i+1], &s) == nil {
					if off, _, _ := hclNesting([]byte(s), MaxNestingDepth-depth, true, nil); off >= 0 {
						return start, startLine, startCol
					}
				}
			}
		case '[', '{':
			depth++
			if depth > MaxNestingDepth {
				return i, line, i - lineStart + 1
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return -1, 0, 0
}

// checkTemplateNesting is checkNesting for a template file (templatefile).
func checkTemplateNesting(src []byte) error {
	if off, line, col := hclNesting(src, MaxNestingDepth, true, nil); off >= 0 {
		return fmt.Errorf("nests more than %d levels deep at line %d, column %d", MaxNestingDepth, line, col)
	}
	return nil
}

// hclNesting returns where src, HCL native syntax (or, with template, a
// template), first nests deeper than limit, or -1. With cuts set, it also
// records where src may be cut apart.
func hclNesting(src []byte, limit int, template bool, cuts *cutPoints) (off, line, col int) {
	stack := []nestFrame{{kind: 0}} // the file's top level
	if template {
		stack[0].kind = 't'
	}
	total := 0 // open frames beyond the top level, plus every frame's extra
	line, lineStart := 1, 0
	expectOperand := true
	atLineStart := false    // in a heredoc: at the start of one of its lines
	var object *objectLines // the candidate for cuts.objects being scanned

	push := func(kind byte, marker []byte) {
		stack = append(stack, nestFrame{kind: kind, marker: marker})
		total++
	}
	pop := func() byte {
		if len(stack) == 1 {
			return 0
		}
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		total -= 1 + f.extra
		return f.kind
	}
	resetExtra := func() {
		f := &stack[len(stack)-1]
		total -= f.extra
		f.extra = 0
	}
	at := func(i int, s string) bool {
		return len(src)-i >= len(s) && string(src[i:i+len(s)]) == s
	}

	for i := 0; i < len(src); i++ {
		if total > limit {
			return i, line, i - lineStart + 1
		}
		c := src[i]
		if c == '\n' {
			line, lineStart = line+1, i+1
		}
		top := &stack[len(stack)-1]
		switch top.kind {
		case '"', 'h', 't':
			if top.kind == 'h' && atLineStart {
				j := i
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				k := j + len(top.marker)
				if at(j, string(top.marker)) && (k == len(src) || src[k] == '\n' || src[k] == '\r') {
					pop()
					expectOperand = false
					atLineStart = false
					i = k - 1
					continue
				}
			}
			atLineStart = c == '\n'
			switch {
			case top.kind == '"' && c == '\\':
				i++
			case top.kind == '"' && c == '"':
				pop()
				expectOperand = false
			case at(i, "$${"), at(i, "%%{"):
				i += 2
			case at(i, "${"), at(i, "%{"):
				push('i', nil)
				expectOperand = true
				i++
			}
			continue
		}

		// Expression or body context.
		switch {
		case c == '#' || at(i, "//"):
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case at(i, "/*"):
			for i += 2; i < len(src) && !at(i, "*/"); i++ {
				if src[i] == '\n' {
					line, lineStart = line+1, i+1
				}
			}
			i++
		case c == '"':
			push('"', nil)
		case at(i, "<<"):
			j := i + 2
			if j < len(src) && src[j] == '-' {
				j++
			}
			k := j
			for k < len(src) && isIdentByte(src[k]) {
				k++
			}
			if k > j && (at(k, "\n") || at(k, "\r\n")) {
				push('h', src[j:k])
				atLineStart = true
				if src[k] == '\r' {
					k++
				}
				line, lineStart = line+1, k+1
				i = k
				continue
			}
			i++
			expectOperand = true
		case c == '(' || c == '[' || c == '{':
			push(c, nil)
			expectOperand = true
			if cuts != nil && c == '{' && len(stack) == 3 && stack[1].kind == '{' && afterEquals(src, i) {
				object = &objectLines{open: i}
			}
		case c == ')' || c == ']' || c == '}':
			if object != nil && len(stack) == 3 {
				object.close = i
				if len(object.lines) >= 2 {
					cuts.objects = append(cuts.objects, *object)
				}
				object = nil
			}
			pop()
			expectOperand = false
		case c == '\n':
			// A newline ends an item in a body or an object, not inside
			// parentheses or a tuple.
			if k := top.kind; k == 0 || k == '{' {
				resetExtra()
				expectOperand = true
			}
			switch {
			case cuts == nil:
			case len(stack) == 1 && top.kind == 0:
				cuts.lines = append(cuts.lines, topLevelLine{off: i + 1, line: line})
			case object != nil && len(stack) == 3:
				object.lines = append(object.lines, topLevelLine{off: i + 1, line: line})
			}
		case c == ',':
			resetExtra()
			expectOperand = true
		case c == '?' || ((c == '!' || c == '-') && expectOperand):
			top.extra++
			total++
			expectOperand = true
		case c == '-' && i > 0 && isIdentByte(src[i-1]):
			// Part of a name such as glow-main.
		case c == ' ' || c == '\t' || c == '\r':
		case isIdentByte(c) || c == '.':
			expectOperand = false
		default:
			expectOperand = true
		}
	}
	if total > limit {
		return len(src), line, len(src) - lineStart + 1
	}
	return -1, 0, 0
}

// afterEquals says whether the last thing before src[i] on its line,
// spaces aside, is an equals sign: the brace at i opens an argument's
// value, not a block's body.
func afterEquals(src []byte, i int) bool {
	for i--; i >= 0 && (src[i] == ' ' || src[i] == '\t'); i-- {
	}
	return i >= 0 && src[i] == '='
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

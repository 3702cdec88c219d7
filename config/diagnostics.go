package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Snippet is the source a diagnostic is about, as a renderer shows it
// under the diagnostic's position: at most maxSnippetLines lines, each with
// the columns of the range to underline. Diagnostics stay values here; the
// command line's views decide how they look (colour, width).
type Snippet struct {
	Lines []SnippetLine
}

// SnippetLine is one source line without its line ending. Columns From up
// to, not including, To (counted in characters from 1) are the
// diagnostic's range on this line; To > From.
type SnippetLine struct {
	Number   int
	Text     string
	From, To int
}

// maxSnippetLines bounds the lines shown for a long range (a whole block).
const maxSnippetLines = 3

// DiagnosticSnippet returns the lines of src, the content of the file d's
// subject names, that the subject covers. It is nil when there is no
// subject, when the range is outside src, and when the lines hold a secret
// (SnippetHidden): a renderer shows no source line but these.
func DiagnosticSnippet(d *hcl.Diagnostic, src []byte) *Snippet {
	rng := d.Subject
	if rng == nil || rng.Filename == "" || SnippetHidden(d) {
		return nil
	}
	lines := strings.Split(string(src), "\n")
	if src == nil || rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return nil
	}
	last := max(rng.End.Line, rng.Start.Line)
	last = min(last, len(lines), rng.Start.Line+maxSnippetLines-1)
	s := &Snippet{}
	for n := rng.Start.Line; n <= last; n++ {
		line := strings.TrimRight(lines[n-1], "\r")
		// The range runs from the start column (on the first line) to the
		// end column (on the last line of the range), else the whole line.
		from, to := 1, len([]rune(line))+1
		if n == rng.Start.Line {
			from = rng.Start.Column
		}
		if n == rng.End.Line {
			to = rng.End.Column
		}
		if to <= from {
			to = from + 1
		}
		s.Lines = append(s.Lines, SnippetLine{Number: n, Text: line, From: from, To: to})
	}
	return s
}

// ValidateJSON is what `switchboard validate --json` prints, in the shape
// of `terraform validate -json`.
type ValidateJSON struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// JSONDiagnostic is one diagnostic in machine-readable form. Severity is
// "error" or "warning"; Range is absent for a diagnostic about no
// particular place (a missing directory, an environment variable).
type JSONDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *JSONRange `json:"range,omitempty"`
}

// JSONRange is a source range; lines and columns start at 1, bytes at 0.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// NewValidateJSON converts diagnostics for --json.
func NewValidateJSON(diags hcl.Diagnostics) ValidateJSON {
	out := ValidateJSON{FormatVersion: "1.0", Diagnostics: []JSONDiagnostic{}}
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if s := d.Subject; s != nil {
			jd.Range = &JSONRange{
				Filename: s.Filename,
				Start:    JSONPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:      JSONPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	return out
}

// ParseVarFlags reads --var NAME=VALUE options. The error never repeats the
// option, which may hold a secret.
func ParseVarFlags(flags []string) (map[string]string, hcl.Diagnostics) {
	vars := map[string]string{}
	var diags hcl.Diagnostics
	for i, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid --var option",
				Detail:   fmt.Sprintf("The --var option number %d is not a variable name and a value separated by an equals sign, like --var region=us.", i+1),
			})
			continue
		}
		vars[name] = value
	}
	return vars, diags
}

// minRedactLen is the shortest value cut out of messages: shorter ones are
// not secrets anyone could rely on, and cutting every "1" or "us" from every
// message would make them unreadable.
const minRedactLen = 4

const redactedInMessage = "(sensitive value)"

// sourceLine returns the lines of rng in a file the parser read. It finds
// them from the range's byte offsets, not by splitting the file into
// lines: finish calls it for every diagnostic, and a split per call made
// 10,000 diagnostics on one large file cost 10,000 copies of it.
func (l *loader) sourceLine(rng hcl.Range) string {
	f := l.parsed[rng.Filename]
	if f == nil {
		return ""
	}
	b := f.Bytes
	start, end := rng.Start.Byte, max(rng.End.Byte, rng.Start.Byte)
	if rng.Start.Line < 1 || start < 0 || end > len(b) {
		return ""
	}
	from := bytes.LastIndexByte(b[:start], '\n') + 1
	to := bytes.IndexByte(b[end:], '\n')
	if to < 0 {
		to = len(b)
	} else {
		to += end
	}
	return string(b[from:to])
}

// diagExtra is the loader's extra information on a diagnostic. It wraps
// whatever HCL put there, so that hcl.DiagnosticExtra still finds it.
type diagExtra struct {
	hideSnippet bool
	wrapped     any
}

func (e diagExtra) UnwrapDiagnosticExtra() any { return e.wrapped }

func hideSnippet(d *hcl.Diagnostic) {
	if x, ok := d.Extra.(diagExtra); ok {
		x.hideSnippet = true
		d.Extra = x
		return
	}
	d.Extra = diagExtra{hideSnippet: true, wrapped: d.Extra}
}

// SnippetHidden reports whether a diagnostic's source lines must not be
// printed: they hold a secret (a literal key, a sensitive variable's value
// in a var file).
func SnippetHidden(d *hcl.Diagnostic) bool {
	x, ok := hcl.DiagnosticExtra[diagExtra](d)
	return ok && x.hideSnippet
}

package config

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// PrintOptions control WriteDiagnostics.
type PrintOptions struct {
	// Color adds ANSI colors, as Terraform does on a terminal.
	Color bool
	// ReadFile returns a file's content for the source snippets; nil
	// reads from disk. The ranges name files as Load opened them.
	ReadFile func(filename string) ([]byte, error)
}

// WriteDiagnostics prints diagnostics the way Terraform does: severity and
// summary, the position as file:line:column, the source lines with the
// range underlined, then the detail. A diagnostic marked by SnippetHidden is
// printed without its source lines.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, opts PrintOptions) error {
	read := opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	cache := map[string][]string{}
	lines := func(name string) []string {
		if l, ok := cache[name]; ok {
			return l
		}
		b, err := read(name)
		var l []string
		if err == nil {
			l = strings.Split(string(b), "\n")
		}
		cache[name] = l
		return l
	}
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		writeDiagnostic(bw, d, opts.Color, lines)
	}
	return bw.Flush()
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
)

func writeDiagnostic(w *bufio.Writer, d *hcl.Diagnostic, color bool, lines func(string) []string) {
	sev, sevColor := "Error", ansiRed
	if d.Severity == hcl.DiagWarning {
		sev, sevColor = "Warning", ansiYellow
	}
	if color {
		fmt.Fprintf(w, "%s%s:%s %s%s%s\n", sevColor, sev, ansiReset, ansiBold, d.Summary, ansiReset)
	} else {
		fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
	}
	if s := d.Subject; s != nil && s.Filename != "" {
		fmt.Fprintf(w, "\n  on %s:%d:%d:\n", s.Filename, s.Start.Line, s.Start.Column)
		if !SnippetHidden(d) {
			writeSnippet(w, *s, lines(s.Filename), color)
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "\n%s\n", d.Detail)
	}
	fmt.Fprintln(w)
}

// maxSnippetLines bounds the lines shown for a long range (a whole block).
const maxSnippetLines = 3

func writeSnippet(w *bufio.Writer, rng hcl.Range, lines []string, color bool) {
	if rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return
	}
	last := rng.End.Line
	if last < rng.Start.Line {
		last = rng.Start.Line
	}
	if last > len(lines) {
		last = len(lines)
	}
	if last-rng.Start.Line >= maxSnippetLines {
		last = rng.Start.Line + maxSnippetLines - 1
	}
	width := len(fmt.Sprint(last))
	for n := rng.Start.Line; n <= last; n++ {
		line := strings.TrimRight(lines[n-1], "\r")
		fmt.Fprintf(w, "  %*d | %s\n", width, n, line)
		// The underline runs from the start column (on the first line) to
		// the end column (on the last line of the range), else the whole
		// line.
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
		runes := []rune(line)
		var pad strings.Builder
		for i := 0; i < from-1 && i < len(runes); i++ {
			// Tabs stay tabs so that the carets line up however the
			// terminal expands them.
			if runes[i] == '\t' {
				pad.WriteByte('\t')
			} else {
				pad.WriteByte(' ')
			}
		}
		carets := strings.Repeat("^", to-from)
		if color {
			carets = ansiRed + carets + ansiReset
		}
		fmt.Fprintf(w, "  %*s | %s%s\n", width, "", pad.String(), carets)
	}
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

// WriteValidateJSON writes NewValidateJSON(diags), indented.
func WriteValidateJSON(w io.Writer, diags hcl.Diagnostics) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewValidateJSON(diags))
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

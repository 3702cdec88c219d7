package views

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/config"
)

// DiagnosticOptions control Diagnostics.
type DiagnosticOptions struct {
	// NoColor is the command's --no-color.
	NoColor bool
	// ReadFile returns a file's content for the source snippets; nil
	// reads from disk. The ranges name files as config.Load opened them.
	ReadFile func(filename string) ([]byte, error)
}

// Diagnostics writes diagnostics on stderr the way Terraform does: severity
// and summary, the position as file:line:column, the source lines with the
// range underlined, then the detail. On a terminal the detail is wrapped
// to its width, as Terraform wraps it; a pipe or a file gets the lines
// whole, for grep and for log viewers that wrap themselves.
func Diagnostics(s *Stream, diags hcl.Diagnostics, o DiagnosticOptions) error {
	width := 0
	if s.term.Err {
		width = s.Width()
	}
	return writeDiagnostics(s.Err, diags, s.ErrColor(o.NoColor), width, o.ReadFile)
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiGreen  = "\x1b[1;32m"
)

func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool, width int, read func(string) ([]byte, error)) error {
	if read == nil {
		read = os.ReadFile
	}
	cache := map[string][]byte{}
	source := func(name string) []byte {
		if b, ok := cache[name]; ok {
			return b
		}
		b, err := read(name)
		if err != nil {
			b = nil
		}
		cache[name] = b
		return b
	}
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		var snip *config.Snippet
		if d.Subject != nil && d.Subject.Filename != "" && !config.SnippetHidden(d) {
			snip = config.DiagnosticSnippet(d, source(d.Subject.Filename))
		}
		// A bufio.Writer keeps its first error and Flush returns it.
		_, _ = bw.WriteString(formatDiagnostic(d, snip, color, width))
	}
	return bw.Flush()
}

// formatDiagnostic is one diagnostic as text; width 0 does not wrap.
func formatDiagnostic(d *hcl.Diagnostic, snip *config.Snippet, color bool, width int) string {
	var b strings.Builder
	sev, sevColor := "Error", ansiRed
	if d.Severity == hcl.DiagWarning {
		sev, sevColor = "Warning", ansiYellow
	}
	// The summary is not wrapped: it is meant to be terse.
	if color {
		fmt.Fprintf(&b, "%s%s:%s %s%s%s\n", sevColor, sev, ansiReset, ansiBold, d.Summary, ansiReset)
	} else {
		fmt.Fprintf(&b, "%s: %s\n", sev, d.Summary)
	}
	if s := d.Subject; s != nil && s.Filename != "" {
		fmt.Fprintf(&b, "\n  on %s:%d:%d:\n", s.Filename, s.Start.Line, s.Start.Column)
		if snip != nil {
			writeSnippet(&b, snip, color)
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(&b, "\n%s\n", wordWrap(d.Detail, width-1))
	}
	b.WriteString("\n")
	return b.String()
}

func writeSnippet(b *strings.Builder, snip *config.Snippet, color bool) {
	last := snip.Lines[len(snip.Lines)-1].Number
	width := len(fmt.Sprint(last))
	for _, l := range snip.Lines {
		fmt.Fprintf(b, "  %*d | %s\n", width, l.Number, l.Text)
		var pad strings.Builder
		for i, r := range []rune(l.Text) {
			if i >= l.From-1 {
				break
			}
			// Tabs stay tabs so that the carets line up however the
			// terminal expands them.
			if r == '\t' {
				pad.WriteByte('\t')
			} else {
				pad.WriteByte(' ')
			}
		}
		carets := strings.Repeat("^", l.To-l.From)
		if color {
			carets = ansiRed + carets + ansiReset
		}
		fmt.Fprintf(b, "  %*s | %s%s\n", width, "", pad.String(), carets)
	}
}

// wordWrap wraps each line of s longer than width at spaces, as
// Terraform's does. A line that starts with a space is preformatted (a
// list, an example) and is kept whole, as is a word longer than width.
func wordWrap(s string, width int) string {
	if width < 1 {
		return s
	}
	lines := strings.Split(s, "\n")
	var out []string
	for _, line := range lines {
		if utf8.RuneCountInString(line) <= width || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			out = append(out, line)
			continue
		}
		cur := ""
		for _, word := range strings.Fields(line) {
			switch {
			case cur == "":
				cur = word
			case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= width:
				cur += " " + word
			default:
				out = append(out, cur)
				cur = word
			}
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

// writeValidateJSON writes the document of validate --json, indented.
func writeValidateJSON(w io.Writer, diags hcl.Diagnostics) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(config.NewValidateJSON(diags))
}

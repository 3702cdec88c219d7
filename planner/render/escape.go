package render

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every string that comes from Glow, Gateflow, Vault or the configuration
// is hostile until escaped: a name, department id or value can hold a
// newline that starts a fake "Plan:" line, an ANSI sequence that clears the
// terminal, a bidi override that reverses what a reviewer reads, or HTML
// that closes the comment's <details>. The renderers pass each such string
// through Clean (terminal) or the Markdown escapers below, and filter their
// whole output once more (terminalSafe), so that a string missed at one
// place still cannot reach the terminal raw.

// Clean returns s on one line with every character a terminal or a reader
// could be fooled by written as a Go escape: C0 and C1 controls (newlines,
// ESC and with it every CSI sequence, DEL), Unicode format characters
// (the bidi overrides and isolates, zero-width characters), line and
// paragraph separators, and invalid UTF-8. Printable text, spaces included,
// stays as it is.
func Clean(s string) string {
	if cleanAlready(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case safeRune(r):
			b.WriteRune(r)
		default:
			b.WriteString(escapeRune(r))
		}
	}
	return b.String()
}

func cleanAlready(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// safeRune reports whether r may be printed as it is.
func safeRune(r rune) bool {
	return r == ' ' || (unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r))
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	if r <= 0xffff {
		return fmt.Sprintf(`\u%04x`, r)
	}
	return fmt.Sprintf(`\U%08x`, r)
}

// terminalSafe escapes, in a whole rendered output, every character Clean
// would, except the newlines and the colour sequences the renderer wrote
// itself (ESC [ digits/semicolons m). It is the second line of defence:
// live strings are cleaned where they are printed.
func terminalSafe(out string, color bool) string {
	var b strings.Builder
	b.Grow(len(out))
	for i := 0; i < len(out); {
		// Runs of printable ASCII and newlines, nearly all of a plan, are
		// copied whole.
		j := i
		for j < len(out) && (out[j] == '\n' || (out[j] >= 0x20 && out[j] < 0x7f)) {
			j++
		}
		b.WriteString(out[i:j])
		if i = j; i == len(out) {
			break
		}
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r == 0x1b && color && sgrLen(out[i:]) > 0:
			size = sgrLen(out[i:])
			b.WriteString(out[i : i+size])
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, out[i])
		case safeRune(r):
			b.WriteString(out[i : i+size])
		default:
			b.WriteString(escapeRune(r))
		}
		i += size
	}
	return b.String()
}

// sgrLen is the length of the Select Graphic Rendition sequence s starts
// with (ESC [ 0-9; m), or 0: the only sequence the text renderer writes.
func sgrLen(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	for i := 2; i < len(s) && i < 16; i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c == ';' || (c >= '0' && c <= '9'):
		default:
			return 0
		}
	}
	return 0
}

// mdText escapes a live string for Markdown prose: Clean, then every
// character GitHub's Markdown or HTML gives a meaning. HTML-significant
// characters become entities, so no tag (</details>, <!--) can be formed;
// emphasis, links, code spans, table cells, strikethrough and line
// starters (#, >, -, +, =, 1.) are backslash-escaped.
func mdText(s string) string {
	// Escaping never shortens, so a prefix of s a little over the bound
	// escapes to a prefix of the escaped s that is over it too.
	s = cut(mdEscaper.Replace(Clean(prefix(s, maxProse+1))), maxProse)
	// Clean leaves the string on one line, so only its start can begin a
	// block: a heading, quote, list item, setext underline or ordered item.
	if s != "" {
		switch c := s[0]; {
		case c == '-' || c == '+' || c == '=':
			s = `\` + s
		case c >= '0' && c <= '9':
			if j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && (s[j] == '.' || s[j] == ')') {
				s = s[:j] + `\` + s[j:]
			}
		}
	}
	return s
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`, "|", `\|`, "#", `\#`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// Bounds of one escaped live string in the comment: a name or address in
// a code span, and a sentence of prose. Longer ones (a crafted name of a
// megabyte) end in "…"; the folded text plan and the plan file have them
// whole. They keep every alert line short, which is what lets the
// comment's bound hold.
const (
	maxCode  = 256
	maxProse = 500
)

// prefix is s cut to at most n bytes, at a character boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cut shortens s to at most n bytes, at a character boundary, marking the
// cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return prefix(s, n) + "…"
}

// code wraps a live string in a code span that it cannot close. Inside a
// code span GitHub prints < and & as they are, so only backticks (the
// span's fence grows past the longest run) and line breaks (Clean) matter.
func code(s string) string {
	s = cut(Clean(prefix(s, maxCode+1)), maxCode)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.Contains(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// fenceFor returns a backtick fence longer than any run of backticks in
// body, so that a description containing ``` cannot end the block early.
// (A ~~~ line cannot close a backtick fence, and the text renderer keeps
// every live string on its line.)
func fenceFor(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// commentText makes s safe inside an HTML comment: "--" (and with it "-->",
// "--!>" and "<!--") and ">" cannot appear, and it stays on one line.
// Percent encoding of %, <, > and the second of two dashes keeps an
// ordinary directory name as it is and lets a reader recover s.
func commentText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' || c == '<' || c == '>' || (c == '-' && i > 0 && s[i-1] == '-'):
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return cut(Clean(b.String()), maxCode)
}

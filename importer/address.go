package importer

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/text/unicode/norm"
)

func compareIDs(a, b string) int { return strings.Compare(a, b) }

// slug turns a name into the lowercase ASCII identifier an engineer would
// type: "OpenAI Production" → "openai_production". Every run of other
// characters becomes one underscore, so the result is readable in a
// terminal and needs no quoting in an address or a Vault path.
func slug(name string) string {
	var b strings.Builder
	gap := false
	// Decomposing first keeps the letter of an accented one: "Über" → "uber".
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(r)
			continue
		}
		if !unicode.Is(unicode.Mn, r) {
			gap = true
		}
	}
	return b.String()
}

// identifier is slug made a valid HCL identifier: an identifier cannot
// start with a digit, and a name of symbols only has no slug at all.
func identifier(name, fallback string) string {
	s := slug(name)
	switch {
	case s == "":
		s = fallback
	case s[0] >= '0' && s[0] <= '9':
		s = fallback + "_" + s
	}
	if !hclsyntax.ValidIdentifier(s) {
		// Unreachable for ASCII slugs; kept so that a future change to
		// slug cannot write an invalid file.
		return fallback
	}
	return s
}

// uniqueNames gives each name (in the order given, which callers sort by
// id) an identifier unique among them. Bare bases are handed out first, to
// the first holder of each; the others then get the first free _2, _3, ….
// Handing out bare bases first keeps a provider literally named "A 2" at
// a_2 instead of letting a second "A" take it.
func uniqueNames(names []string, fallback string) []string {
	bases := make([]string, len(names))
	claimed := map[string]bool{}
	for i, n := range names {
		bases[i] = identifier(n, fallback)
	}
	out := make([]string, len(names))
	for i, b := range bases {
		if !claimed[b] {
			claimed[b] = true
			out[i] = b
		}
	}
	for i, b := range bases {
		if out[i] != "" {
			continue
		}
		for n := 2; ; n++ {
			c := b + "_" + strconv.Itoa(n)
			if !claimed[c] {
				claimed[c] = true
				out[i] = c
				break
			}
		}
	}
	return out
}

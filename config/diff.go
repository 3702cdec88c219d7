package config

import (
	"bytes"

	"github.com/aymanbagabas/go-udiff"
)

// UnifiedDiff returns the changes from a to b as a unified diff with three
// lines of context, under the names oldName and newName; "" when they are
// equal. The diff is Myers' algorithm in linear space (go-udiff, a copy of
// the Go tools' internal diff): import writes every provider into one file,
// and a table of all line pairs of a 10,000-provider file would take
// gigabytes.
func UnifiedDiff(oldName, newName string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	old := string(a)
	d, err := udiff.ToUnified(oldName, newName, old, udiff.Lines(old, string(b)), udiff.DefaultContextLines)
	if err != nil {
		// The edits come from the same two texts: they always apply.
		panic("config: inconsistent line edits: " + err.Error())
	}
	return d
}

// Package expect checks many named fields of a test's result at once, each
// failing on its own line, so that a failure says which field broke
// rather than that one of many did.
package expect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Field is one named comparison of Fields.
type Field struct {
	name      string
	got, want any
}

// Eq names a comparison; got and want have one type, so that an untyped
// constant takes the field's type.
func Eq[T any](name string, got, want T) Field { return Field{name, got, want} }

// Fields reports, as an error of t, each comparison whose got differs from
// its want, with what they belong to and a diff.
func Fields(t testing.TB, what string, fields ...Field) {
	t.Helper()
	for _, f := range fields {
		if diff := cmp.Diff(f.want, f.got); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", what, f.name, diff)
		}
	}
}

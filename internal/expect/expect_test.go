package expect

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps its errors.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(strings.SplitN(fmt.Sprintf(format, args...), "\n", 2)[0]))
}

func TestFieldsNamesEachFieldThatDiffers(t *testing.T) {
	r := &recorder{TB: t}
	Fields(r, "provider", Eq("name", "a", "a"), Eq("version", 2, 3), Eq("departments", []string{"x"}, []string{"y"}))
	want := []string{"provider: version (-want +got):", "provider: departments (-want +got):"}
	if strings.Join(r.errors, "|") != strings.Join(want, "|") {
		t.Errorf("errors %q, want %q", r.errors, want)
	}
}

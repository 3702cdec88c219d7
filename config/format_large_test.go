package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestUnifiedDiffLargeFileLinearMemory diffs a 10,000-provider file, as
// import writes it, against its formatted form: every provider changes, the
// worst case for the diff. A table of all line pairs would take
// (50,000 lines)² cells, about 20 GB; the bound is a small multiple of the
// file.
func TestUnifiedDiffLargeFileLinearMemory(t *testing.T) {
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "glow_provider \"p%d\" {\nname=\"provider %d\"\ntype   =   \"openai\"\ndepartments=[\"d%d\"]\n}\n", i, i, i%7)
	}
	src := []byte(b.String())
	formatted, diags := FormatSource("big.hcl", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := UnifiedDiff("old/big.hcl", "new/big.hcl", src, formatted)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	if n := strings.Count(d, "\n+  name "); n != 10000 {
		t.Fatalf("the diff shows %d of the 10,000 changed names", n)
	}
	// The file is about 0.9 MB and the diff 2 MB; the diff allocates about
	// 55 MB in all (strings, edits, hunks), a quadratic one thousands of times
	// more.
	limit := uint64(128 * len(src))
	t.Logf("file %d bytes, diff %d bytes, allocated %d bytes", len(src), len(d), allocated)
	if allocated > limit {
		t.Errorf("diffing a %d-byte file allocated %d bytes, more than %d: memory must grow with the file, not its square", len(src), allocated, limit)
	}
}

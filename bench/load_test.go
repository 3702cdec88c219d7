package main

import "testing"

func TestDescribeLoad(t *testing.T) {
	if got := describeLoad(nil); got != "" {
		t.Errorf("no samples: %q", got)
	}
	want := "3.00 at the start, median 2.00, peak 4.00, 1.00 at the end (5 samples)"
	if got := describeLoad([]float64{3, 4, 2, 0.5, 1}); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

package diff

import (
	"testing"

	"github.com/switchboard-hq/switchboard/planner/objects"
)

// TestGlowEqualMatchesGoCmp checks the hand-written comparison of managed
// fields against go-cmp under cmpOpts, which it replaces for speed: nil and
// empty alike, unsorted and duplicate set elements normalized.
func TestGlowEqualMatchesGoCmp(t *testing.T) {
	sets := []objects.Set{nil, {}, {"a"}, {"b", "a"}, {"a", "a", "b"}, {"a", "b"}, {"a", "c"}}
	valueMaps := []map[string]string{nil, {}, {"k": "v"}, {"k": "w"}, {"k": "v", "x": ""}, {"x": ""}}
	names := []string{"n"}
	var ps []objects.GlowProvider
	for _, n := range names {
		for _, d := range sets {
			for _, e := range sets[:3] {
				for _, v := range valueMaps {
					ps = append(ps, objects.GlowProvider{Name: n, Description: n + "d", Departments: d, Endpoints: e, Values: v})
				}
			}
		}
	}
	ps = append(ps, objects.GlowProvider{Name: "n", Description: "other"}, objects.GlowProvider{Name: "m", Description: "nd"})
	for i := range ps {
		for j := range ps {
			a, b := &ps[i], &ps[j]
			want := gocmpEqual(managedGlow(a), managedGlow(b))
			if got := gocmpEqualGlow(a, b); got != want {
				t.Fatalf("gocmpEqualGlow(%+v, %+v) = %t, go-cmp says %t", *a, *b, got, want)
			}
		}
	}
}

package diff

import (
	"testing"

	"github.com/switchboard-hq/switchboard/planner/state"
)

// TestGlowEqualMatchesGoCmp checks the hand-written comparison of managed
// fields against go-cmp under cmpOpts, which it replaces for speed: nil and
// empty alike, unsorted and duplicate set elements normalized.
func TestGlowEqualMatchesGoCmp(t *testing.T) {
	sets := []state.Set{nil, {}, {"a"}, {"b", "a"}, {"a", "a", "b"}, {"a", "b"}, {"a", "c"}}
	valueMaps := []map[string]string{nil, {}, {"k": "v"}, {"k": "w"}, {"k": "v", "x": ""}, {"x": ""}}
	names := []string{"n"}
	var ps []state.GlowProvider
	for _, n := range names {
		for _, d := range sets {
			for _, e := range sets[:3] {
				for _, v := range valueMaps {
					ps = append(ps, state.GlowProvider{Name: n, Description: n + "d", Departments: d, Endpoints: e, Values: v})
				}
			}
		}
	}
	ps = append(ps, state.GlowProvider{Name: "n", Description: "other"}, state.GlowProvider{Name: "m", Description: "nd"})
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

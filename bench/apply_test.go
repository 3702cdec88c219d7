package main

import (
	"strings"
	"testing"
)

// TestApplyFloors pins the floors issue 13 sets for 1,000 providers in a
// bench world: ⌈N/500⌉ per kind written plus the refresh, and one guarded
// update per provider where Glow has no call for distinct patches.
func TestApplyFloors(t *testing.T) {
	want := map[string]int64{
		scCreates:      1 + 2 + 2 + 14,
		scRotate:       2 + 1000 + 2 + 17,
		scDistinct:     1000 + 17,
		scUpdateDesc:   2 + 17,
		scUpdateValues: 1000 + 17,
		scDestroys:     2 + 2 + 1 + 6 + 23,
	}
	for _, k := range applyKinds() {
		spec := worldSpec{N: 1000, Departments: 50, Style: styleBlocks, Prefix: "bench/test", Distinct: k.distinct, Rotate: k.rotate}
		w, err := writeWorld(t.TempDir(), spec, k.live)
		if err != nil {
			t.Fatal(err)
		}
		gf := 0
		if k.destroy {
			gf = w.Gateflow
		}
		f := floor{Writes: k.writes(w), PerProvider: k.perProvider}
		f.Refresh, f.RefreshWhy = applyRefresh(w, gf)
		if got := f.total(); got != want[k.name] {
			t.Errorf("%s: floor %d (%s), want %d", k.name, got, f.counts(), want[k.name])
		}
		if f.PerProvider != strings.Contains(f.counts(), "per-provider floor") {
			t.Errorf("%s: the per-provider floor is not labelled: %s", k.name, f.counts())
		}
	}
}

func TestFloorCheck(t *testing.T) {
	f := floor{Writes: []term{{Op: "glow.provider.create", N: 2}}, Refresh: 3}
	at := calls{Total: 5, Searches: 1, Lists: 2, Writes: 2, Ops: map[string]int64{
		"glow.provider.create": 2, "glow.provider.search": 1, "glow.key.list": 2}}
	if c := floorCheck("x", f, at); !c.Met {
		t.Errorf("at the floor: %+v", c)
	}
	over := calls{Total: 6, Searches: 1, Lists: 2, Writes: 3, Ops: map[string]int64{
		"glow.provider.create": 2, "glow.provider.publish": 1, "glow.provider.search": 1, "glow.key.list": 2}}
	if c := floorCheck("x", f, over); c.Met || !strings.Contains(c.Measured, "glow.provider.publish=1") {
		t.Errorf("a write outside the floor: %+v", c)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{5: "5", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

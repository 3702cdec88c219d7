package startheap

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// gcPercent is the collector's GOGC setting, read without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// The tests change the process's collector settings: none runs in
// parallel, and each ends with the defaults back.
func restore(t *testing.T) {
	t.Cleanup(func() {
		Reset()
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

func TestSetDefersCollectionUntilTheHeapKeepsHalfTheGoal(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	restore(t)
	const goal = 64 << 20
	Set(goal)
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != -1 || l != goal {
		t.Fatalf("after Set: GOGC=%d, memory limit %d; want off and %d", p, l, goal)
	}

	// A collection that keeps little leaves the setting on.
	runtime.GC()
	afterCollection(0)
	if p := gcPercent(); p != -1 {
		t.Fatalf("after a collection that kept a small heap: GOGC=%d, want still off", p)
	}

	// One that keeps half the goal hands back to GOGC=100.
	kept := make([]byte, goal/2+1<<20)
	runtime.GC()
	afterCollection(0)
	runtime.KeepAlive(kept)
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after a collection that kept %d bytes: GOGC=%d, memory limit %d; want 100 and none", len(kept), p, l)
	}
}

func TestSetLeavesTheUsersTuningAlone(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			t.Setenv(env, "200")
			restore(t)
			p0, l0 := gcPercent(), debug.SetMemoryLimit(-1)
			Set(64 << 20)
			if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != p0 || l != l0 {
				t.Fatalf("with %s set: GOGC=%d, memory limit %d; want both untouched (%d, %d)", env, p, l, p0, l0)
			}
		})
	}
}

func TestResetEndsTheSetting(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	restore(t)
	Set(64 << 20)
	Reset()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after Reset: GOGC=%d, memory limit %d; want the defaults", p, l)
	}
}

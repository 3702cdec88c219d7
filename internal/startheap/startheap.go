// Package startheap spares a short-lived command the garbage collections
// of its first, small heap.
//
// With GOGC=100 the collector runs each time the heap doubles from what the
// last cycle kept, starting at 4 MiB. A plan of 10,000 providers runs
// dozens of cycles while its heap is tens of MiB, each one marking a
// configuration that is still being decoded: a fifth of the plan's CPU. A
// command that exits in seconds gains nothing from keeping its heap at
// 4 MiB rather than at a few tens; the Go compiler starts with a larger
// heap goal for the same reason (cmd/compile's AdjustStartingHeap).
//
// Set turns the proportional collector off and bounds the heap by a memory
// limit instead, so that the first collection runs when the heap reaches
// the goal. From the first collection that keeps half the goal or more,
// GOGC=100 would choose a goal at least as large, so Set's work is done
// and the defaults come back: a large plan's heap is collected exactly as
// without Set.
package startheap

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// state is whether Set's setting is in force; the collector's cleanup and
// Reset both end it, once.
var state struct {
	sync.Mutex
	active bool
	goal   int64
}

// Set makes the collector leave the heap alone until it reaches goal bytes
// (runtime memory included). GOGC or GOMEMLIMIT in the environment is the
// user's own tuning, and then Set does nothing.
func Set(goal int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || goal <= 0 {
		return
	}
	state.Lock()
	defer state.Unlock()
	if state.active {
		return
	}
	state.active, state.goal = true, goal
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(goal)
	watch()
}

// Reset brings back the defaults Set replaced, for a command that turns
// out to be long-lived (a server): its heap is not about to be thrown away.
func Reset() {
	state.Lock()
	defer state.Unlock()
	reset()
}

func reset() {
	if !state.active {
		return
	}
	state.active = false
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}

// sentinel is garbage from birth: its cleanup runs after the collection
// that finds it, which is how Set learns that a collection happened and
// what it kept. It is large enough to be an allocation of its own (the
// tiny allocator shares blocks of 16 bytes, and a shared block's object
// may never be found unreachable alone).
type sentinel struct{ _ [64]byte }

func watch() {
	runtime.AddCleanup(new(sentinel), afterCollection, 0)
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

func afterCollection(int) {
	state.Lock()
	defer state.Unlock()
	if !state.active {
		return
	}
	metrics.Read(liveSample)
	if s := liveSample[0]; s.Value.Kind() == metrics.KindUint64 && s.Value.Uint64() < uint64(state.goal)/2 {
		watch()
		return
	}
	reset()
}

package views

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/applier"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/render"
)

// Apply is the view of apply: the applier's hooks, plus what the command
// itself has to say (an interrupt, an error, the configuration's
// diagnostics). Close stops its heartbeat; call it when apply returns.
type Apply interface {
	applier.Hooks
	// Interrupted says that the first Ctrl-C was received.
	Interrupted()
	// Error reports an error that ends the command.
	Error(error)
	// Diagnostics reports the configuration's diagnostics.
	Diagnostics(hcl.Diagnostics)
	// Plan shows the plan apply is about to carry out, before the
	// question (the JSON view has planned_change events instead).
	Plan(*plan.Plan) error
	// Reviewed says that the fresh plan of dir makes exactly the changes
	// of the reviewed plan file.
	Reviewed(dir, file string)
	// Cancelled says that the answer was not yes.
	Cancelled()
	Close()
}

// HeartbeatEvery is how long an operation runs between two "Still
// creating..." lines, as in Terraform.
const HeartbeatEvery = 10 * time.Second

// Clock drives the timestamps and the heartbeat. Ticks is read for as long
// as the view is open; on each tick, every operation in flight for another
// HeartbeatEvery gets a heartbeat. A test sends the ticks itself.
type Clock struct {
	Now   func() time.Time
	Ticks <-chan time.Time
	stop  func()
}

// SystemClock is the wall clock, ticking every second.
func SystemClock() Clock {
	t := time.NewTicker(time.Second)
	return Clock{Now: time.Now, Ticks: t.C, stop: t.Stop}
}

// NewApply returns the human view, or the JSON view when jsonOut; noColor
// is the command's --no-color.
func NewApply(s *Stream, jsonOut, noColor bool, clock Clock) Apply {
	var v Apply
	if jsonOut {
		j := &applyJSON{stream: s, now: clock.Now}
		j.heartbeat = newHeartbeat(clock, &j.mu, j.progress)
		v = j
	} else {
		h := &applyHuman{stream: s, noColor: noColor}
		h.heartbeat = newHeartbeat(clock, &h.mu, h.progress)
		v = h
	}
	return v
}

// beat is one heartbeat of an operation in flight.
type beat struct {
	op      applier.Operation
	elapsed time.Duration
}

// flight is an operation in flight.
type flight struct {
	op      applier.Operation
	started time.Time
	beats   int
}

// heartbeat keeps the operations in flight and calls beat, under the
// view's lock, for each one whose time has come.
type heartbeat struct {
	clock   Clock
	mu      *sync.Mutex
	flights []*flight
	beat    func([]beat)
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newHeartbeat(clock Clock, mu *sync.Mutex, beat func([]beat)) *heartbeat {
	if clock.Now == nil {
		clock.Now = time.Now
	}
	h := &heartbeat{clock: clock, mu: mu, beat: beat, stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h
}

func (h *heartbeat) run() {
	defer close(h.done)
	for {
		select {
		case <-h.stop:
			return
		case now := <-h.clock.Ticks:
			h.mu.Lock()
			var due []beat
			for _, f := range h.flights {
				elapsed := now.Sub(f.started)
				if n := int(elapsed / HeartbeatEvery); n > f.beats {
					f.beats = n
					due = append(due, beat{f.op, time.Duration(n) * HeartbeatEvery})
				}
			}
			if len(due) > 0 {
				h.beat(due)
			}
			h.mu.Unlock()
		}
	}
}

// start and end are called under the view's lock.
func (h *heartbeat) start(op applier.Operation) {
	h.flights = append(h.flights, &flight{op: op, started: h.clock.Now()})
}

func (h *heartbeat) end(op applier.Operation) {
	h.flights = slices.DeleteFunc(h.flights, func(f *flight) bool { return f.op.Address == op.Address })
}

// Close stops the heartbeat and waits until it has stopped, so that
// nothing is written after it returns.
func (h *heartbeat) Close() {
	h.once.Do(func() {
		close(h.stop)
		<-h.done
		if h.clock.stop != nil {
			h.clock.stop()
		}
	})
}

// Terraform's words for each action.
func words(a plan.Action) (start, still, done, failed string) {
	switch a {
	case plan.ActionCreate:
		return "Creating...", "Still creating...", "Creation complete", "Creation failed"
	case plan.ActionDelete:
		return "Destroying...", "Still destroying...", "Destruction complete", "Destruction failed"
	default:
		return "Modifying...", "Still modifying...", "Modifications complete", "Modifications failed"
	}
}

func idSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " [id=" + id + "]"
}

// applyHuman writes Terraform's lines.
type applyHuman struct {
	stream  *Stream
	noColor bool
	began   bool
	mu      sync.Mutex
	*heartbeat
}

// printf writes a line; the first is set apart from the plan above.
func (v *applyHuman) printf(format string, args ...any) {
	if !v.began && !strings.HasPrefix(format, "\n") {
		fmt.Fprintln(v.stream.Out)
	}
	v.began = true
	fmt.Fprintf(v.stream.Out, format+"\n", args...)
}

func (v *applyHuman) PlannedChange(applier.Operation) {}

func (v *applyHuman) Started(op applier.Operation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.start(op)
	start, _, _, _ := words(op.Action)
	if op.Action == plan.ActionCreate {
		v.printf("%s: %s", op.Address, start)
	} else {
		v.printf("%s: %s%s", op.Address, start, idSuffix(op.ID))
	}
}

// manyBeats is how many heartbeats of one tick are written one line
// each; more (a batch of hundreds of creates in one call) are one line.
const manyBeats = 5

// progress is the heartbeat, under v.mu.
func (v *applyHuman) progress(due []beat) {
	if len(due) > manyBeats {
		longest := slices.MaxFunc(due, func(a, b beat) int { return int(a.elapsed - b.elapsed) })
		v.printf("Still applying %d changes... [up to %s elapsed]", len(due), longest.elapsed)
		return
	}
	for _, b := range due {
		_, still, _, _ := words(b.op.Action)
		v.printf("%s: %s%s [%s elapsed]", b.op.Address, still, idSuffix(b.op.ID), b.elapsed)
	}
}

func (v *applyHuman) Finished(op applier.Operation, out applier.Outcome) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.end(op)
	_, _, done, failed := words(op.Action)
	d := out.Elapsed.Round(time.Second)
	n := fmt.Sprintf(" (%d of %d)", out.N, out.Total)
	switch {
	case out.Err != nil:
		v.printf("%s: %s after %s%s%s", op.Address, failed, d, idSuffix(out.ID), n)
	case op.Action == plan.ActionDelete:
		v.printf("%s: %s after %s%s", op.Address, done, d, n)
	default:
		v.printf("%s: %s after %s%s%s", op.Address, done, d, idSuffix(out.ID), n)
	}
}

func (v *applyHuman) Verified(op applier.Operation, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.printf("%s: Verification failed: %v", op.Address, err)
	} else {
		v.printf("%s: Verification complete", op.Address)
	}
}

func (v *applyHuman) Message(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.printf("%s", msg)
}

// Summary writes Terraform's summary when everything is done; otherwise
// every failure, and the changes not started counted by kind: an
// interrupted apply of hundreds of changes would otherwise list each.
func (v *applyHuman) Summary(r *applier.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, warn := range r.Warnings {
		v.printf("Warning: %s", warn)
	}
	if r.Err() == nil {
		v.printf("\nApply complete! Resources: %d added, %d changed, %d destroyed.", r.Added, r.Changed, r.Destroyed)
		return
	}
	notStarted := r.Count(applier.StatusNotStarted)
	v.printf("\nApply incomplete. Resources: %d added, %d changed, %d destroyed; %d failed, %d not started.",
		r.Added, r.Changed, r.Destroyed, r.Count(applier.StatusFailed), notStarted)
	for _, a := range r.Addresses {
		switch {
		case a.Status == applier.StatusFailed:
			v.printf("  %s (%s): failed: %v", a.Address, a.Action, a.Err)
		case a.Status == applier.StatusDone && a.VerifyErr != nil:
			v.printf("  %s (%s): done, but %v", a.Address, a.Action, a.VerifyErr)
		}
	}
	if notStarted > 0 {
		v.printf("  Not started: %s.", notStartedByKind(r))
	}
	v.printf("\nRun plan and apply again to complete the changes that were not made.")
}

// notStartedByKind counts the changes not started by type and action:
// "120 glow_provider creates, 110 gateflow_provider updates".
func notStartedByKind(r *applier.Result) string {
	counts := map[string]int{}
	for _, a := range r.Addresses {
		if a.Status == applier.StatusNotStarted {
			counts[addressType(a.Address)+" "+string(a.Action)]++
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		n := counts[k]
		if n != 1 {
			k += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	return strings.Join(parts, ", ")
}

func addressType(addr string) string {
	t, _, _ := strings.Cut(addr, ".")
	return t
}

func (v *applyHuman) Interrupted() {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.stream.Err, "\nInterrupt received: waiting for the operations in flight to finish. Press Ctrl-C again to abort them.")
}

// Error is left to the command line's "Error: ..." on stderr.
func (v *applyHuman) Error(error) {}

func (v *applyHuman) Plan(p *plan.Plan) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return render.Text(v.stream.Out, p, render.TextOptions{Color: v.stream.OutColor(v.noColor)})
}

func (v *applyHuman) Reviewed(dir, file string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.stream.Out, "%s\n\n", reviewedMessage(dir, file))
}

func reviewedMessage(dir, file string) string {
	return fmt.Sprintf("The plan of %s makes exactly the changes of the reviewed plan %s.", dir, file)
}

func (v *applyHuman) Cancelled() {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.stream.Out, "\nApply cancelled.")
}

// Diagnostics go to stderr, as validate prints them.
func (v *applyHuman) Diagnostics(diags hcl.Diagnostics) {
	v.mu.Lock()
	defer v.mu.Unlock()
	_ = Diagnostics(v.stream, diags, DiagnosticOptions{NoColor: v.noColor})
}

package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/childproc"
)

// The ways the soak interrupts an applying CLI.
const (
	sigKill = "SIGKILL"
	sigInt2 = "double SIGINT"
)

// interruptAnnounce is what apply prints at the first SIGINT.
const interruptAnnounce = "Interrupt received"

// trigger is a point of an apply's progress: after N lines of its output
// containing Line, or after the emulator has counted N more calls of Op.
type trigger struct {
	Line string
	Op   string
	N    int
}

func (t trigger) String() string {
	if t.Line != "" {
		return fmt.Sprintf("after %d %q lines", t.N, t.Line)
	}
	return fmt.Sprintf("after %d %s calls", t.N, t.Op)
}

// reached reports whether the apply has got that far: stdout is its output
// so far, base and now the emulator's counters before it started and now.
func (t trigger) reached(stdout string, base, now emulator.Stats) bool {
	if t.Line != "" {
		return strings.Count(stdout, ": "+t.Line) >= t.N
	}
	return now.Operations[t.Op]-base.Operations[t.Op] >= int64(t.N)
}

// The steps of creates and rotations (docs/ownership.md): a create makes
// the provider (with its marker), then its endpoints (each create of an
// interrupt round has a URL of its own) and keys, then stages and
// publishes a draft that attaches them; a rotation makes the new key,
// stages and publishes, and deletes the old key last.
var triggerSteps = []trigger{
	{Line: "Creating..."},
	{Line: "Modifying..."},
	{Op: "glow.provider.create"},
	{Op: "glow.endpoint.create"},
	{Op: "glow.key.create"},
	{Op: "glow.provider.draft"},
	{Op: "glow.provider.publish"},
}

// pickTrigger chooses where to interrupt an apply with creates creates and
// rotations rotations.
func (s *soak) pickTrigger(creates, rotations int) trigger {
	t := triggerSteps[s.rng.IntN(len(triggerSteps))]
	most := 2
	switch {
	case t.Line == "Creating..." || t.Op == "glow.provider.create" || t.Op == "glow.endpoint.create":
		most = creates
	case t.Line == "Modifying...":
		most = rotations
	case t.Op == "glow.key.create":
		most = creates + rotations
	}
	if most < 1 {
		// Nothing of that kind in this round: interrupt at the first key.
		t, most = trigger{Op: "glow.key.create"}, 1
	}
	t.N = 1 + s.rng.IntN(most)
	return t
}

// interruptCounts are the CLI interrupts and where they landed.
type interruptCounts struct {
	byKind map[string]int
	// landed: the signal reached the apply while it was running; missed:
	// the apply had finished before the trigger point.
	landed, missed int
	// exited0 counts interrupted applies that still exited 0 (a graceful
	// stop with nothing left to do).
	exited0 int
}

// orphanCounts are the orphans the soak saw and the plans listed.
type orphanCounts struct {
	// seenKeys, seenEndpoints, seenDrafts: found by the soak right after
	// an interrupted apply.
	seenKeys, seenEndpoints, seenDrafts int
	// plannedKeys, plannedEndpoints, plannedDrafts: listed by the plan
	// made right after an interrupted apply.
	plannedKeys, plannedEndpoints, plannedDrafts int
	// inApplyPlans: "N to clean up" in the plans every apply printed.
	inApplyPlans int
	// cleaned: orphans listed after an interrupt and gone after the
	// converging apply; left: orphans found after a converging apply.
	cleaned, left int
}

// applyInterrupted starts an apply of the main configuration, interrupts
// it at a trigger point with kind, then checks that a plan lists exactly
// the orphans the soak finds, and that the next apply converges.
func (s *soak) applyInterrupted(ctx context.Context, r int, kind string, creates, rotations int) error {
	t := s.pickTrigger(creates, rotations)
	base, err := s.emu.stats(ctx)
	if err != nil {
		return err
	}
	p, err := s.launch("apply", "--no-color", "--auto-approve", s.mainDir)
	if err != nil {
		return err
	}
	fired := false
	deadline := time.Now().Add(2 * time.Minute)
watch:
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			break watch
		default:
		}
		now := base
		if t.Op != "" {
			if now, err = s.emu.stats(ctx); err != nil {
				now = base
			}
		}
		if t.reached(p.stdout.String(), base, now) {
			fired = true
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	how := "the apply had finished first"
	if fired && s.signal(p, kind) {
		s.interrupts.landed++
		how = "mid-apply"
	} else {
		s.interrupts.missed++
	}
	if s.interrupts.byKind == nil {
		s.interrupts.byKind = map[string]int{}
	}
	s.interrupts.byKind[kind]++
	res, err := s.finish(p)
	if err != nil {
		return err
	}
	if res.Exit == 0 && how == "mid-apply" {
		s.interrupts.exited0++
	}
	fmt.Printf("  %s %s (%s); apply exited %d\n", kind, t, how, res.Exit)

	// What the interruption left behind, seen by the soak and by a plan.
	view, err := s.readGlow(ctx)
	if err != nil {
		return fmt.Errorf("reading Glow after the interrupt: %w", err)
	}
	seen := findOrphans(soakOwner, view)
	k, e, d := countKinds(seen)
	s.orphans.seenKeys, s.orphans.seenEndpoints, s.orphans.seenDrafts = s.orphans.seenKeys+k, s.orphans.seenEndpoints+e, s.orphans.seenDrafts+d
	pl, err := s.planJSON(s.mainDir)
	if err != nil {
		return err
	}
	if pl.Code == 1 {
		s.violate("round %d: the plan after the interrupted apply kept failing: %s", r, pl.Why)
	} else {
		k, e, d := countKinds(pl.Orphans)
		s.orphans.plannedKeys, s.orphans.plannedEndpoints, s.orphans.plannedDrafts = s.orphans.plannedKeys+k, s.orphans.plannedEndpoints+e, s.orphans.plannedDrafts+d
		for _, x := range orphanDiff(seen, pl.Orphans) {
			s.violate("round %d: after the %s: %s", r, kind, x)
		}
	}
	if len(seen) > 0 || len(pl.Orphans) > 0 {
		fmt.Printf("  left behind: %d keys, %d endpoints, %d drafts (the plan lists %d)\n", k, e, d, len(pl.Orphans))
	}

	if err := s.converge(s.mainDir, nil); err != nil {
		return err
	}
	after, err := s.readGlow(ctx)
	if err != nil {
		return fmt.Errorf("reading Glow after the converging apply: %w", err)
	}
	still := map[string]bool{}
	for _, o := range findOrphans(soakOwner, after) {
		still[o.Kind+" "+o.ID] = true
	}
	for _, o := range pl.Orphans {
		if !still[o.Kind+" "+o.ID] {
			s.orphans.cleaned++
		}
	}
	return nil
}

// orphanDiff compares the orphans the soak found with those a plan listed
// right after; both must be the same objects.
func orphanDiff(seen, planned []orphan) []string {
	in := func(list []orphan, o orphan) bool {
		for _, x := range list {
			if x.Kind == o.Kind && x.ID == o.ID {
				return true
			}
		}
		return false
	}
	var out []string
	for _, o := range seen {
		if !in(planned, o) {
			out = append(out, fmt.Sprintf("%s is attached to nothing but the plan does not list it", o))
		}
	}
	for _, o := range planned {
		if !in(seen, o) {
			out = append(out, fmt.Sprintf("the plan lists %s as an orphan but the soak does not find it attached to nothing", o))
		}
	}
	return out
}

// signal interrupts a running apply: SIGKILL, or SIGINT and, once apply has
// announced it (or after 5 seconds), a second SIGINT. It returns false when
// the apply had already exited.
func (s *soak) signal(p *proc, kind string) bool {
	select {
	case <-p.done:
		return false
	default:
	}
	if kind == sigKill {
		// The CLI leads its own process group; nothing else is in it.
		return childproc.Kill(p.cmd) == nil
	}
	if p.cmd.Process.Signal(syscall.SIGINT) != nil {
		return false
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stderr.String(), interruptAnnounce) && time.Now().Before(deadline) {
		select {
		case <-p.done:
			return true
		case <-time.After(2 * time.Millisecond):
		}
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGINT)
	}
	return true
}

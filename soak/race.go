package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/emulator"
)

var conflictRe = regexp.MustCompile(`(?i)stale|changed since|conflict|nothing was overwritten|plan again`)

// concurrent runs two appliers on configurations that differ in one
// provider's description. With saved plans both plans are made from the
// same state first, so the second apply to arrive must be refused; with
// directories they may also happen one after the other. Afterwards each
// configuration's plan must be empty or show exactly its own pending
// change, and the winner's must be empty.
func (s *soak) concurrent(ctx context.Context, r int, saved bool) error {
	s.conflictEvents++
	labels := sortedKeys(s.model.Glow)
	x := labels[s.rng.IntN(len(labels))]
	a, b := s.model.clone(), s.model.clone()
	a.Glow[x].Desc = fmt.Sprintf("writer A, round %d", r)
	b.Glow[x].Desc = fmt.Sprintf("writer B, round %d", r)
	if err := a.write(s.mainDir); err != nil {
		return err
	}
	if err := b.write(s.otherDir); err != nil {
		return err
	}
	mode := "directories"
	var argsA, argsB []string
	if saved {
		mode = "saved plans"
		fa, fb, ok, err := s.savePlans(r)
		if err != nil || !ok {
			return err
		}
		argsA = []string{"apply", "--no-color", fa}
		argsB = []string{"apply", "--no-color", fb}
	} else {
		argsA = []string{"apply", "--no-color", "--auto-approve", s.mainDir}
		argsB = []string{"apply", "--no-color", "--auto-approve", s.otherDir}
	}
	pa, err := s.launch(argsA...)
	if err != nil {
		return err
	}
	pb, err := s.launch(argsB...)
	if err != nil {
		return err
	}
	ra, err := s.finish(pa)
	if err != nil {
		return err
	}
	rb, err := s.finish(pb)
	if err != nil {
		return err
	}

	outcome := ""
	var winnerDir string
	switch {
	case ra.Exit == 0 && rb.Exit == 0:
		if saved {
			s.violate("round %d: two saved plans made from the same state were both applied: one overwrote the other silently", r)
		}
		s.serialised++
		outcome = "both applied, one after the other"
	case ra.Exit == 0 || rb.Exit == 0:
		winner, loser, wdir := "A", rb, s.mainDir
		if rb.Exit == 0 {
			winner, loser, wdir = "B", ra, s.otherDir
		}
		if conflictRe.MatchString(loser.output()) {
			s.conflicts++
			winnerDir = wdir
			outcome = fmt.Sprintf("%s won; the loser reported: %s", winner, firstLine(failureLine(conflictLine(loser.output()))))
		} else {
			s.faultLosers++
			outcome = fmt.Sprintf("%s won; the other failed without a conflict (a fault): %s", winner, firstLine(failureLine(loser.output())))
		}
	default:
		s.bothFailed++
		outcome = "both failed (faults)"
	}
	fmt.Printf("  two appliers (%s) on glow_provider.%s: %s\n", mode, x, outcome)

	// Each configuration's plan: empty, or exactly its own change.
	want := "glow_provider." + x + " update"
	empties := 0
	for _, dir := range []string{s.mainDir, s.otherDir} {
		pl, err := s.planJSON(dir)
		if err != nil {
			return err
		}
		changed := pl.Changed
		switch {
		case pl.Code == 1:
			s.violate("round %d: plan of %s kept failing after the concurrent applies: %s", r, filepath.Base(dir), pl.Why)
		case pl.Code == 0 && len(changed) == 0:
			empties++
			if winnerDir != "" && dir != winnerDir {
				s.violate("round %d: the loser's configuration %s shows no pending change: its change was applied although it reported a conflict", r, filepath.Base(dir))
			}
		case len(changed) == 1 && changed[0] == want:
			if dir == winnerDir {
				s.violate("round %d: the winner's configuration %s still shows %v", r, filepath.Base(dir), changed)
			}
		default:
			s.violate("round %d: after the concurrent applies, %s shows %v, want nothing or exactly %q", r, filepath.Base(dir), changed, want)
		}
	}
	if empties > 1 {
		s.violate("round %d: both configurations show no change although they differ", r)
	}

	// The main configuration is A's from here on.
	s.model = a
	if err := s.converge(s.mainDir, nil); err != nil {
		return err
	}
	return s.checkAll(ctx, r)
}

func conflictLine(out string) string {
	for l := range strings.Lines(out) {
		if conflictRe.MatchString(l) {
			return l
		}
	}
	return out
}

// savePlans saves the plans of the main and the other configuration, both
// made before either is applied. ok is false (and a violation recorded)
// when a plan kept failing.
func (s *soak) savePlans(r int) (fa, fb string, ok bool, err error) {
	fa, fb = filepath.Join(s.work, "a.sbplan"), filepath.Join(s.work, "b.sbplan")
	for _, pf := range []struct{ dir, file string }{{s.mainDir, fa}, {s.otherDir, fb}} {
		ok = false
		for range 4 {
			res, err := s.cli("plan", "--no-color", "--out", pf.file, pf.dir)
			if err != nil {
				return "", "", false, err
			}
			if ok = res.Exit == 0; ok {
				break
			}
		}
		if !ok {
			s.violate("round %d: plan --out kept failing", r)
			return "", "", false, nil
		}
	}
	return fa, fb, true, nil
}

// raceCounts are the races of two appliers on one Gateflow provider.
type raceCounts struct {
	events int
	// won: one applier succeeded and the other reported a conflict;
	// faultLoser: one succeeded and the other failed without a conflict;
	// neither: both failed; both: both reported success (a violation).
	won, faultLoser, neither, both int
	// lost counts races after which the live provider was not what the
	// winner wrote, or in which both reported success: a lost update.
	// landedUnreported counts races without a winner after which one
	// applier's write was live all the same (it reported a failure for a
	// write that landed).
	lost, landedUnreported int
	// held: races in which the emulator answered the first three
	// settings writes 503, so that both appliers read the provider before either
	// wrote it and only If-Match can tell them apart.
	held int
	// Where the loser's conflict was detected: the plan file's staleness
	// check before any write, the fresh read before the first write, or
	// the write's If-Match (412).
	atPlanCheck, atFreshRead, atIfMatch, atOther int
}

// conflictStage says where an applier detected the race it lost.
func (c *raceCounts) conflictStage(out string) string {
	switch {
	case strings.Contains(out, "changed while this apply was writing it"):
		c.atIfMatch++
		return "If-Match"
	case strings.Contains(out, "changed by someone else since it was read"):
		c.atFreshRead++
		return "fresh read"
	case strings.Contains(out, "the plan is stale"):
		c.atPlanCheck++
		return "plan check"
	}
	c.atOther++
	return "other"
}

// gateflowSettings is what a Gateflow provider's live settings must be for
// g: the settings the configuration sets, compared as JSON.
func gateflowSettings(g *gfProv) map[string]any {
	m := map[string]any{"timeout_ms": float64(g.Timeout), "max_retries": float64(g.Retries)}
	if g.Settings {
		m["default_model"] = gateflowModels[g.ID]
	}
	return m
}

// sameJSON compares two JSON-shaped values.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// liveGateflow reads a Gateflow provider through the soak's own client.
func (s *soak) liveGateflow(ctx context.Context, id string) (*gateflow.Provider, error) {
	var last error
	for range 4 {
		p, err := s.gateflow.Get(ctx, id)
		if err == nil {
			return p, nil
		}
		last = err
	}
	return nil, fmt.Errorf("reading Gateflow provider %s: %w", id, last)
}

// gateflowRace applies two saved plans, made from the same live state, that
// set one Gateflow provider's timeout_ms to different values, at the same
// time. Gateflow has no versions, so only the fresh read and If-Match
// guard stop one from overwriting the other: at most one may report
// success, the live settings must then be exactly what it wrote (the
// other settings untouched), and with no winner nothing may have changed.
func (s *soak) gateflowRace(ctx context.Context, r int) error {
	if len(s.model.GF) == 0 {
		// The race needs a configured provider.
		if _, err := s.mut.createGF(ctx, s.model); err != nil {
			return err
		}
		s.ops.Creates++
		if err := s.model.write(s.mainDir); err != nil {
			return err
		}
		if err := s.converge(s.mainDir, nil); err != nil {
			return err
		}
	}
	ids := sortedKeys(s.model.GF)
	id := ids[s.rng.IntN(len(ids))]
	s.gwRaces.events++
	before, err := s.liveGateflow(ctx, id)
	if err != nil {
		return err
	}
	a, b := s.model.clone(), s.model.clone()
	a.GF[id].Timeout += 1000
	b.GF[id].Timeout += 2000
	if err := a.write(s.mainDir); err != nil {
		return err
	}
	if err := b.write(s.otherDir); err != nil {
		return err
	}
	fa, fb, ok, err := s.savePlans(r)
	if err != nil || !ok {
		s.model = a
		return err
	}
	hold := s.gwRaces.events%2 == 0
	if hold {
		// Both appliers then get past their fresh read before either
		// write lands; the write they retry is guarded by If-Match alone.
		s.gwRaces.held++
		if err := s.emu.scriptFaults(ctx, emulator.FaultScript{FailNext: 3, OnlyOps: []string{"gateflow.providers.update"}}); err != nil {
			return err
		}
	}
	pa, err := s.launch("apply", "--no-color", fa)
	if err != nil {
		return err
	}
	pb, err := s.launch("apply", "--no-color", fb)
	if err != nil {
		return err
	}
	ra, err := s.finish(pa)
	if err != nil {
		return err
	}
	rb, err := s.finish(pb)
	if err != nil {
		return err
	}
	if hold {
		if err := s.emu.scriptFaults(ctx, emulator.FaultScript{}); err != nil {
			return err
		}
	}
	after, err := s.liveGateflow(ctx, id)
	if err != nil {
		return err
	}

	var outcome string
	want := before.Settings
	switch {
	case ra.Exit == 0 && rb.Exit == 0:
		s.gwRaces.both++
		s.violate("round %d: two appliers of saved plans made from the same state both reported success on gateflow_provider.%s: one overwrote the other (live timeout_ms %v)", r, id, after.Settings["timeout_ms"])
		outcome = "both reported success"
		want = nil
	case ra.Exit == 0 || rb.Exit == 0:
		winner, wm, loser := "A", a, rb
		if rb.Exit == 0 {
			winner, wm, loser = "B", b, ra
		}
		want = maps.Clone(before.Settings)
		maps.Copy(want, gateflowSettings(wm.GF[id]))
		if conflictRe.MatchString(loser.output()) {
			s.gwRaces.won++
			stage := s.gwRaces.conflictStage(loser.output())
			outcome = fmt.Sprintf("%s won; the loser reported (%s): %s", winner, stage, firstLine(failureLine(conflictLine(loser.output()))))
		} else {
			s.gwRaces.faultLoser++
			outcome = fmt.Sprintf("%s won; the other failed without a conflict (a fault): %s", winner, firstLine(failureLine(loser.output())))
		}
	default:
		s.gwRaces.neither++
		outcome = fmt.Sprintf("both failed: A: %s; B: %s", firstLine(failureLine(ra.output())), firstLine(failureLine(rb.output())))
	}
	held := ""
	if hold {
		held = ", first three writes answered 503"
	}
	fmt.Printf("  two appliers (saved plans%s) on gateflow_provider.%s: %s\n", held, id, outcome)
	switch {
	case want == nil:
		s.gwRaces.lost++
	case !sameJSON(after.Settings, want) || after.Status != before.Status:
		whose := "neither applier's"
		for _, w := range []struct {
			name string
			m    *model
		}{{"A's", a}, {"B's", b}} {
			exp := maps.Clone(before.Settings)
			maps.Copy(exp, gateflowSettings(w.m.GF[id]))
			if sameJSON(after.Settings, exp) {
				whose = w.name
			}
		}
		if ra.Exit != 0 && rb.Exit != 0 && whose != "neither applier's" {
			s.gwRaces.landedUnreported++
		} else {
			s.gwRaces.lost++
		}
		s.violate("round %d: gateflow_provider.%s after the race (%s): live settings %s (status %s, %s write), want %s (status %s)",
			r, id, outcome, jsonString(after.Settings), after.Status, whose, jsonString(want), before.Status)
		for _, x := range []struct {
			name string
			r    run
		}{{"A", ra}, {"B", rb}} {
			fmt.Printf("  --- output of %s (%s, exit %d):\n%s\n", x.name, strings.Join(x.r.Args, " "), x.r.Exit, indent(x.r.output()))
		}
	}

	// The main configuration is A's from here on.
	s.model = a
	if err := a.write(s.mainDir); err != nil {
		return err
	}
	if err := s.converge(s.mainDir, nil); err != nil {
		return err
	}
	return s.checkAll(ctx, r)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

func (s *soak) table(incomplete string) string {
	f := s.faults
	f.Failed += s.lastStats.Faults.Failed
	f.RateLimited += s.lastStats.Faults.RateLimited
	f.Dropped += s.lastStats.Faults.Dropped
	calls := s.calls + total(s.lastStats)
	checkerRetries := s.checkRetry + s.clientRetries()
	faulted := f.Failed + f.RateLimited + f.Dropped
	in, or, gw := s.interrupts, s.orphans, s.gwRaces
	rows := [][2]string{
		{"rounds", fmt.Sprintf("%d of %d", s.rounds, s.o.rounds)},
		{"operations: creates", fmt.Sprint(s.ops.Creates)},
		{"operations: updates", fmt.Sprint(s.ops.Updates)},
		{"operations: rotations (new Vault versions)", fmt.Sprint(s.ops.Rotations)},
		{"operations: destroys (removed blocks)", fmt.Sprint(s.ops.Destroys)},
		{"applied, as apply reported (added / changed / destroyed)", fmt.Sprintf("%d / %d / %d", s.added, s.changed, s.destroyed)},
		{"apply runs / plan runs", fmt.Sprintf("%d / %d", s.applies, s.plans)},
		{"apply re-runs until convergence", fmt.Sprint(s.reruns)},
		{"API calls served (emulator, all processes)", fmt.Sprint(calls)},
		{"injected faults: 503 (--fail-rate)", fmt.Sprint(f.Failed)},
		{"injected faults: 429 (--rate-limit)", fmt.Sprint(f.RateLimited)},
		{"injected faults: dropped connections (--drop-rate)", fmt.Sprint(f.Dropped)},
		{"retries: faulted requests (the CLI does not report its own)", fmt.Sprint(faulted)},
		{"retries: of those, by the soak's own clients", fmt.Sprint(checkerRetries)},
		{"CLI interrupts: SIGKILL / double SIGINT", fmt.Sprintf("%d / %d", in.byKind[sigKill], in.byKind[sigInt2])},
		{"CLI interrupts: landed mid-apply / apply finished first", fmt.Sprintf("%d / %d", in.landed, in.missed)},
		{"orphans found by the soak after interrupts (keys / endpoints / drafts)", fmt.Sprintf("%d / %d / %d", or.seenKeys, or.seenEndpoints, or.seenDrafts)},
		{"orphans listed by the plan after interrupts (keys / endpoints / drafts)", fmt.Sprintf("%d / %d / %d", or.plannedKeys, or.plannedEndpoints, or.plannedDrafts)},
		{"orphans listed by plans before cleanup (\"to clean up\", every apply)", fmt.Sprint(or.inApplyPlans)},
		{"orphans cleaned by the converging apply / left attached to nothing", fmt.Sprintf("%d / %d", or.cleaned, or.left)},
		{"Glow races: events / conflicts reported by the loser", fmt.Sprintf("%d / %d", s.conflictEvents, s.conflicts)},
		{"Glow races: serialised / loser failed by a fault / both failed", fmt.Sprintf("%d / %d / %d", s.serialised, s.faultLosers, s.bothFailed)},
		{"Gateflow races: events / won with a conflict reported", fmt.Sprintf("%d / %d", gw.events, gw.won)},
		{"Gateflow races: loser failed by a fault / neither succeeded / both succeeded", fmt.Sprintf("%d / %d / %d", gw.faultLoser, gw.neither, gw.both)},
		{"Gateflow races: with the first three writes answered 503 (both appliers past their fresh read)", fmt.Sprint(gw.held)},
		{"Gateflow races: loser's conflict found by plan check / fresh read / If-Match / other", fmt.Sprintf("%d / %d / %d / %d", gw.atPlanCheck, gw.atFreshRead, gw.atIfMatch, gw.atOther)},
		{"Gateflow lost updates", fmt.Sprint(gw.lost)},
		{"Gateflow races without a winner after which a write was live all the same", fmt.Sprint(gw.landedUnreported)},
		{"applies of a block named like the hand-made provider / refused by the plan", fmt.Sprintf("%d / %d", s.adoptionProbes, s.adoptionRefused)},
		{"emulator restarts (SIGKILL during an apply)", fmt.Sprint(s.restarts)},
		{"decrypts by the soak's checker (audit) / key checks answered by an earlier decrypt of the same key", fmt.Sprintf("%d / %d", s.auditChecker, s.cachedDecrypts)},
		{"decrypts by Switchboard (audit)", fmt.Sprint(s.auditSwitchboard)},
		{"outputs scanned for secrets / secret values written to Vault", fmt.Sprintf("%d / %d", len(s.runs), len(s.vault.all()))},
		{"invariant violations", fmt.Sprint(len(s.violations))},
		{"wall time", time.Since(s.start).Round(time.Second).String()},
	}
	var b strings.Builder
	b.WriteString("| measure | count |\n|---|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	if incomplete != "" {
		fmt.Fprintf(&b, "\nIncomplete: %s\n", incomplete)
	}
	return b.String()
}

func (s *soak) report(table string) string {
	var b strings.Builder
	b.WriteString("# Soak: correctness under faults\n\n")
	b.WriteString("Written by `make soak` (`go run ./soak`); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "Run of %s on %s/%s, %d CPUs, %s, switchboard built from %s. Seed %d (`go run ./soak -seed %d` replays the configuration changes and interrupt points; fault timing is not replayed).\n\n",
		s.start.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), s.commit, s.o.seed, s.o.seed)
	fmt.Fprintf(&b, "Emulator: `--data DIR --fail-rate %g --rate-limit %g --drop-rate %g --fault-seed %d`. ",
		s.o.failRate, s.o.rateLimit, s.o.dropRate, s.o.seed)
	fmt.Fprintf(&b, "The configuration has `glow { owner = %q }` and prunes no department: removed blocks are destroyed through their ownership markers; a provider made by hand sits in one of its departments, and every %d rounds a block with its name (without adopt) is applied and must be refused. ", soakOwner, s.o.conflictEvery)
	fmt.Fprintf(&b, "Every %d rounds the applying CLI is interrupted, alternately with SIGKILL and with two SIGINTs (the second once apply announces the first), at a point chosen from its progress: after N `Creating...` or `Modifying...` lines, or after N Glow provider, key, draft or publish calls counted by the emulator; the round's changes are two creates and two key rotations. ",
		s.o.interruptEvery)
	fmt.Fprintf(&b, "Two appliers on one Glow provider every %d rounds (alternately from saved plans and from directories), two appliers of saved plans on one Gateflow provider every %d rounds (every other time with the first three settings writes answered 503, so that both get past their fresh read and only If-Match stands between them); the emulator killed with SIGKILL during an apply every %d rounds. A failed apply is re-run up to %d times.\n\n",
		s.o.conflictEvery, s.o.gateflowRaceEvery, s.o.restartEvry, s.o.maxReruns)
	b.WriteString("Invariants checked after every round: the next plan is empty, orphans included; no two Glow providers share a name in a department; every Glow key decrypts (through the soak's own token and actor) to the Vault version the configuration points to (a key is decrypted again only when the version it must hold changes: Glow writes a key's value once); every Glow provider carries the marker of the block that declares it, and every key of it names the owner; no provider carries the owner's marker for an address no block declares; the hand-made provider is unchanged; no key, endpoint or open draft carrying the owner's marker is attached to nothing; no decrypt by Switchboard's actor in the audit log; no secret value or token in any output. ")
	b.WriteString("After every interrupted apply, the orphans the soak finds (from Glow's key, endpoint and draft lists) must be exactly those the next plan lists, and the next apply must converge. After every Gateflow race, at most one applier may report success, and the live settings must be the winner's (or, with no winner, unchanged).\n\n")
	b.WriteString(table)
	if len(s.violations) > 0 {
		b.WriteString("\nViolations:\n\n")
		for _, v := range s.violations {
			fmt.Fprintf(&b, "- %s\n", v)
		}
	}
	return b.String()
}

package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/internal/childproc"
)

// detectApply asks the binary whether it has the apply command (being
// written while this harness was): the apply rows run only when it does,
// and show why not otherwise. --destroy is looked for separately, since
// destroys need it.
func detectApply(ctx context.Context, bin string) (has, destroy bool) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "apply", "--help").CombinedOutput()
	if err != nil {
		return false, false
	}
	return true, strings.Contains(string(out), "--destroy")
}

// The apply rows. Each is an operation on every provider of a world, and
// its API calls are printed next to the floor issue 13 sets: ⌈n/500⌉ calls
// per kind of object written (endpoints, keys, providers; glow.MaxItems is
// 500), plus the refresh. Glow's bulk update carries one patch for many
// providers, so a change every provider shares reaches that floor. A
// change that differs per provider does not: a rotation (each provider
// swaps in its own new key), distinct descriptions, and a values change
// (Glow replaces values whole, and each provider's values carry its own
// ownership marker, so no two patches are equal) cost one guarded
// POST /provider/update per provider, because Glow has no call that
// carries distinct per-provider patches in one request. Their floor says
// so and counts n updates.
const (
	scCreates      = "apply, creates"
	scRotate       = "apply, rotations (a new Vault version of every key)"
	scDistinct     = "apply, distinct updates (a different description each)"
	scUpdateDesc   = "apply, updates sharing a patch (same description)"
	scUpdateValues = "apply, updates of values (same change; one guarded update each)"
	scDestroys     = "apply, destroys"
	// sharedDescription is the description the description row gives every
	// provider; sharedTeam the value the values row adds to every one.
	sharedDescription = "Benchmark provider, managed by the platform team"
	sharedTeam        = "platform"
	// glowCallsN and glowCallsTarget: issue 13's "1,000 creates take at
	// most 50 Glow calls".
	glowCallsN      = 1000
	glowCallsTarget = 50
)

// applyKind is one apply row: the world it starts from, the change, and
// the floor of its calls.
type applyKind struct {
	name    string
	live    bool
	destroy bool
	// change is applied to the configuration (and, for rotate, to Vault)
	// only (see worldSpec).
	team, description string
	distinct, rotate  bool
	// writes is the floor of the row's writes in world w.
	writes func(w *world) []term
	// perProvider marks a floor with one update per provider.
	perProvider bool
}

// term is one part of a floor: at most N calls of Op.
type term struct {
	Op  string
	N   int64
	Why string
}

// floor is what an apply row's calls are compared with: its writes, term
// by term, and the refresh (the reads of the plan the apply makes, its
// stale check, and the endpoint list the apply resolves URLs from).
type floor struct {
	Writes      []term
	Refresh     int64
	RefreshWhy  string
	PerProvider bool
}

func (f floor) total() int64 {
	t := f.Refresh
	for _, w := range f.Writes {
		t += w.N
	}
	return t
}

// perProviderLabel labels the floor of rows that cannot reach ⌈n/500⌉ per
// kind.
const perProviderLabel = "per-provider floor (no Glow call carries distinct per-provider patches)"

// counts says what the floor counts, in words.
func (f floor) counts() string {
	var parts []string
	for _, w := range f.Writes {
		parts = append(parts, fmt.Sprintf("%d %s", w.N, w.Why))
	}
	parts = append(parts, fmt.Sprintf("refresh %d", f.Refresh))
	s := strings.Join(parts, " + ")
	if f.PerProvider {
		s = "**" + perProviderLabel + "**: " + s
	}
	return s
}

// batches is ⌈n/glow.MaxItems⌉ calls of what (singular), and why in words.
func batches(n int, what string) term {
	k := (n + glow.MaxItems - 1) / glow.MaxItems
	if k != 1 {
		what += "s"
	}
	return term{N: int64(k), Why: fmt.Sprintf("%s (⌈%d/%d⌉)", what, n, glow.MaxItems)}
}

func op(name string, t term) term { t.Op = name; return t }

// applyRefresh is the reads an apply of w makes before it writes: the
// plan's (refreshBound), the stale check's (one Glow search of the live
// providers, one get per Gateflow provider changed) and the endpoint list
// the apply resolves endpoint URLs from.
func applyRefresh(w *world, gateflowChanges int) (int64, string) {
	ps := api.DefaultPageSize
	pages := func(n int) int64 { return int64(max(1, (n+ps-1)/ps)) }
	plan, planWhy := refreshBound(w)
	stale := pages(w.Live) + int64(gateflowChanges)
	eps := pages(w.Endpoints)
	why := fmt.Sprintf("%d = the plan's %d (%s) + the stale check's %d (%s", plan+stale+eps, plan, planWhy, stale, pagesWhy(w.Live, "search"))
	if gateflowChanges > 0 {
		why += fmt.Sprintf(" + %d Gateflow gets", gateflowChanges)
	}
	why += fmt.Sprintf(") + the apply's endpoint list (%s)", pagesWhy(w.Endpoints, "page"))
	return plan + stale + eps, why
}

func applyKinds() []applyKind {
	perProvider := func(w *world) term {
		return term{Op: "glow.provider.update", N: int64(w.Spec.N), Why: "guarded updates (one per provider)"}
	}
	return []applyKind{
		{name: scCreates, writes: func(w *world) []term {
			return []term{
				op("glow.endpoint.create", batches(w.URLs, "endpoint create")),
				op("glow.key.create", batches(w.Spec.N, "key create")),
				op("glow.provider.create", batches(w.Spec.N, "provider create")),
			}
		}},
		{name: scRotate, live: true, rotate: true, perProvider: true, writes: func(w *world) []term {
			return []term{
				op("glow.key.create", batches(w.Spec.N, "key create")),
				perProvider(w),
				op("glow.key.delete", batches(w.Spec.N, "key delete")),
			}
		}},
		{name: scDistinct, live: true, distinct: true, perProvider: true, writes: func(w *world) []term {
			return []term{perProvider(w)}
		}},
		{name: scUpdateDesc, live: true, description: sharedDescription, writes: func(w *world) []term {
			return []term{op("glow.provider.update", batches(w.Spec.N, "bulk update"))}
		}},
		{name: scUpdateValues, live: true, team: sharedTeam, perProvider: true, writes: func(w *world) []term {
			return []term{perProvider(w)}
		}},
		{name: scDestroys, live: true, destroy: true, writes: func(w *world) []term {
			return []term{
				op("glow.provider.delete", batches(w.Live, "provider delete")),
				op("glow.key.delete", batches(w.Keys, "key delete")),
				op("glow.endpoint.delete", batches(w.Endpoints, "endpoint delete")),
				{Op: "gateflow.providers.delete", N: int64(w.Gateflow), Why: "Gateflow deletes (one per configured Gateflow provider: Gateflow deletes one at a time)"},
			}
		}},
	}
}

// floorCheck compares a row's calls with its floor: every write call
// within its term (and none outside the floor), the reads within the
// refresh.
func floorCheck(name string, f floor, c calls) check {
	var over []string
	inFloor := map[string]bool{}
	for _, t := range f.Writes {
		inFloor[t.Op] = true
		if got := c.Ops[t.Op]; got > t.N {
			over = append(over, fmt.Sprintf("%s=%d (floor %d)", t.Op, got, t.N))
		}
	}
	for opName, n := range c.Ops {
		if !inFloor[opName] && !isRead(opName) {
			over = append(over, fmt.Sprintf("%s=%d (floor 0)", opName, n))
		}
	}
	if reads := c.Searches + c.Gets + c.Lists; reads > f.Refresh {
		over = append(over, fmt.Sprintf("reads %d (refresh %d)", reads, f.Refresh))
	}
	slices.Sort(over)
	target := fmt.Sprintf("%s: API calls ≤ floor %d", name, f.total())
	if f.PerProvider {
		target += " (per-provider floor)"
	}
	measured := fmt.Sprint(c.Total)
	if len(over) > 0 {
		measured += ": " + strings.Join(over, ", ")
	}
	return check{Target: target, Measured: measured, Met: len(over) == 0 && c.Total <= f.total()}
}

// isRead reports whether diffStats counts op as a read (search, get, list).
func isRead(op string) bool {
	return strings.HasSuffix(op, ".search") || strings.HasSuffix(op, ".get") || strings.HasSuffix(op, ".list") ||
		op == "glow.token.self" || op == "glow.provider.drafts"
}

// glowCalls is the calls to Glow (not Gateflow).
func glowCalls(c calls) int64 {
	var n int64
	for opName, k := range c.Ops {
		if strings.HasPrefix(opName, "glow.") {
			n += k
		}
	}
	return n
}

// applyCells measures apply of every applyKind at n providers. Apply
// changes the state, so every run (the counting run too) starts its own
// emulator from the world's seed; the first timed run is followed by a
// plan that must show no changes, so a fast but wrong apply is caught
// here too.
func (h *harness) applyCells(ctx context.Context, n int) []*cell {
	var cells []*cell
	for _, k := range applyKinds() {
		r := &row{Scenario: k.name, N: n}
		switch {
		case !h.hasApply:
			r.Skipped = "bin/switchboard has no apply command yet (apply --help fails)"
		case k.destroy && !h.applyHasDest:
			r.Skipped = "apply has no --destroy flag"
		}
		if r.Skipped != "" {
			cells = append(cells, &cell{row: r})
			continue
		}
		cells = append(cells, h.applyCell(ctx, r, n, k))
	}
	return cells
}

// applySpec is the world of apply kind k at n providers. The rows of one
// size read the same secrets, and share them (Vault writes of 10,000
// secrets take a while); the rotation row writes one more version of
// each, so it has its own. Terraform's apply rows of the same size plan
// the same worlds.
func applySpec(k applyKind, n int) worldSpec {
	prefix := fmt.Sprintf("bench/apply-%d", n)
	if k.rotate {
		prefix = fmt.Sprintf("bench/apply-rotate-%d", n)
	}
	return worldSpec{N: n, Departments: 50, Style: styleBlocks, Prefix: prefix,
		Team: k.team, Description: k.description, Distinct: k.distinct, Rotate: k.rotate}
}

func slugOf(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(s))
}

func (h *harness) applyCell(ctx context.Context, r *row, n int, k applyKind) *cell {
	spec := applySpec(k, n)
	w, err := writeWorld(filepath.Join(h.tmp, fmt.Sprintf("%s-%d", slugOf(k.name), n)), spec, k.live)
	if err != nil {
		return &cell{row: ptr(errRow(*r, err))}
	}
	r.worldDesc = fmt.Sprintf("%d Glow providers in %d departments (live: %t), %d endpoint URLs", n, spec.Departments, k.live, w.URLs)
	switch {
	case k.description != "":
		r.worldDesc += fmt.Sprintf("; the configuration gives every provider the description %q", k.description)
	case k.team != "":
		r.worldDesc += fmt.Sprintf("; one tier, and the configuration adds the value team = %q to every provider", k.team)
	case k.distinct:
		r.worldDesc += fmt.Sprintf("; the configuration appends %q to every provider's own description", distinctSuffix)
	case k.rotate:
		r.worldDesc += "; Vault holds one more version of every provider's secret than its live key records"
	}
	gateflowChanges := 0
	if k.destroy {
		gateflowChanges = w.Gateflow
	}
	f := floor{Writes: k.writes(w), PerProvider: k.perProvider}
	f.Refresh, f.RefreshWhy = applyRefresh(w, gateflowChanges)
	r.Floor = &f
	if !h.written[spec.Prefix] {
		if err := h.vault.write(ctx, w.Secrets); err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
		h.written[spec.Prefix] = true
	}
	args := []string{"apply", "--auto-approve", "--no-color", "--parallelism", fmt.Sprint(h.o.parallelism)}
	after := []string{"plan", "--no-color", "--detailed-exitcode"}
	if k.destroy {
		args = append(args, "--destroy")
		after = append(after, "--destroy")
	}
	args, after = append(args, w.ConfigDir), append(after, w.ConfigDir)
	timeout := runTimeout(n)
	// fresh starts the emulator of one run from the world's seed.
	fresh := func() (*childproc.Server, string, error) {
		return startEmulator(h.o.switchboard, w.SeedFile, h.o.latency)
	}
	return &cell{
		row: r,
		count: func(ctx context.Context) error {
			emu, url, err := fresh()
			if err != nil {
				return err
			}
			defer emu.Stop()
			return h.countRun(ctx, r, url, args, timeout)
		},
		once: func(ctx context.Context, i int) (procResult, error) {
			emu, url, err := fresh()
			if err != nil {
				return procResult{}, err
			}
			defer emu.Stop()
			res, err := h.measureRun(ctx, r, url, args, i, timeout)
			if err != nil || i > 0 {
				return res, err
			}
			// The runs are the same apply of the same world: the first
			// one's plan after says whether it converged.
			h.planAfter(ctx, r, i, url, after)
			return res, nil
		},
		finish: func() {
			if r.Res == nil {
				return
			}
			name := fmt.Sprintf("%s, N=%d", r.Scenario, n)
			r.Checks = append(r.Checks, floorCheck(name, f, r.Calls))
			if k.name == scCreates && n == glowCallsN {
				g := glowCalls(r.Calls)
				r.Checks = append(r.Checks, check{Target: fmt.Sprintf("%s: %s creates take at most %d Glow calls", name, thousands(glowCallsN), glowCallsTarget),
					Measured: fmt.Sprint(g), Met: g <= glowCallsTarget})
			}
		},
	}
}

// planAfter checks that the plan right after run i's apply has no
// changes.
func (h *harness) planAfter(ctx context.Context, r *row, i int, url string, args []string) {
	res, err := runMeasured(ctx, h.o.switchboard, args, h.cliEnv(url, h.vaultURL), 5*time.Minute)
	switch {
	case err != nil:
		r.After = "**error**"
		r.Notes = append(r.Notes, fmt.Sprintf("plan after apply (run %d): %v", i+1, err))
	case res.Exit != 0:
		r.After = fmt.Sprintf("**exit %d**", res.Exit)
		r.Notes = append(r.Notes, fmt.Sprintf("plan after apply (run %d) exited %d (want 0, no changes): %s", i+1, res.Exit, oneLine(res.Stdout+res.Stderr, 400)))
	case r.After == "":
		r.After = "no changes"
	}
}

// thousands writes n with a comma every three digits: 10,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

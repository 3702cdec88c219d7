package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/api/glow"
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

// The update rows. Glow's bulk update carries one patch for many
// providers, and Switchboard sends updates that share a patch that way.
// A description (or departments) change shares one; a values change no
// longer does: Glow replaces values whole, so every values write carries
// the provider's own ownership marker, and each provider's update goes
// through a draft and a publish.
const (
	scUpdateDesc   = "apply, updates sharing a patch (same description)"
	scUpdateValues = "apply, updates of values (same change; draft + publish each)"
	// sharedDescription is the description the description row gives every
	// provider; sharedTeam the value the values row adds to every one.
	sharedDescription = "Benchmark provider, managed by the platform team"
	sharedTeam        = "platform"
)

// applyKind is one apply row: the world it starts from, the change, and
// the calls it should cost.
type applyKind struct {
	name    string
	live    bool
	destroy bool
	// change is applied to the configuration only (see worldSpec).
	team, description string
	// check states the row's call target from its calls.
	check func(name string, n int, c calls) check
}

// bulkCheck is the target of an operation the applier batches: at most
// ⌈n/MaxItems⌉ calls of op.
func bulkCheck(op string) func(string, int, calls) check {
	return func(name string, n int, c calls) check {
		batches := int64((n + glow.MaxItems - 1) / glow.MaxItems)
		got := c.Ops[op]
		return check{
			Target:   fmt.Sprintf("%s: %s calls ≤ ⌈%d/%d⌉ = %d", name, op, n, glow.MaxItems, batches),
			Measured: fmt.Sprint(got),
			Met:      got <= batches,
		}
	}
}

// perProviderCheck is the target of the values row: one draft and one
// publish per provider and no bulk update, which is what a values write
// costs now that each carries its provider's marker (before markers the
// same change took ⌈n/MaxItems⌉ bulk update calls).
func perProviderCheck(name string, n int, c calls) check {
	d, p, u := c.Ops["glow.provider.draft"], c.Ops["glow.provider.publish"], c.Ops["glow.provider.update"]
	return check{
		Target: fmt.Sprintf("%s: glow.provider.draft + publish ≤ 2×%d = %d, and no bulk update (was %d bulk update calls before ownership markers)",
			name, n, 2*n, (n+glow.MaxItems-1)/glow.MaxItems),
		Measured: fmt.Sprintf("%d + %d, %d updates", d, p, u),
		Met:      d+p <= int64(2*n) && u == 0,
	}
}

// applyRows measures apply of n creates, n updates sharing one patch (a
// description change), n updates of values (the same change on every
// provider, one draft and publish each), and n destroys. Each starts from
// its own emulator, since apply changes the state; each is run once (a
// second apply would be a no-op), and is followed by a plan that must
// show no changes, so a fast but wrong apply is caught here too.
func (h *harness) applyRows(ctx context.Context, n int) []row {
	kinds := []applyKind{
		{name: "apply, creates", check: bulkCheck("glow.provider.create")},
		{name: scUpdateDesc, live: true, description: sharedDescription, check: bulkCheck("glow.provider.update")},
		{name: scUpdateValues, live: true, team: sharedTeam, check: perProviderCheck},
		{name: "apply, destroys", live: true, destroy: true, check: bulkCheck("glow.provider.delete")},
	}
	var rows []row
	for _, k := range kinds {
		r := row{Scenario: k.name, N: n}
		switch {
		case !h.hasApply:
			r.Skipped = "bin/switchboard has no apply command yet (apply --help fails)"
		case k.destroy && !h.applyHasDest:
			r.Skipped = "apply has no --destroy flag"
		default:
			r = h.applyRow(ctx, r, n, k)
		}
		rows = append(rows, r)
	}
	return rows
}

func (h *harness) applyRow(ctx context.Context, r row, n int, k applyKind) row {
	slug := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(k.name))
	spec := worldSpec{N: n, Departments: 50, Style: styleBlocks, Prefix: "bench/" + slug, Team: k.team, Description: k.description}
	w, err := writeWorld(filepath.Join(h.tmp, slug), spec, k.live)
	if err != nil {
		return errRow(r, err)
	}
	r.worldDesc = fmt.Sprintf("%d Glow providers in %d departments (live: %t)", n, spec.Departments, k.live)
	switch {
	case k.description != "":
		r.worldDesc += fmt.Sprintf("; the configuration gives every provider the description %q", k.description)
	case k.team != "":
		r.worldDesc += fmt.Sprintf("; one tier, and the configuration adds the value team = %q to every provider", k.team)
	}
	if err := h.vault.write(ctx, w.Secrets); err != nil {
		return errRow(r, err)
	}
	emu, url, err := startEmulator(h.o.switchboard, w.SeedFile, h.o.latency)
	if err != nil {
		return errRow(r, err)
	}
	defer emu.Stop()

	args := []string{"apply", "--auto-approve", "--no-color", "--parallelism", fmt.Sprint(h.o.parallelism)}
	if k.destroy {
		args = append(args, "--destroy")
	}
	r = h.measure(ctx, r, url, append(args, w.ConfigDir), 1)
	if r.Err != "" {
		return r
	}
	r.Checks = append(r.Checks, k.check(r.Scenario, n, r.Calls))

	after := []string{"plan", "--no-color", "--detailed-exitcode"}
	if k.destroy {
		after = append(after, "--destroy")
	}
	res, err := runMeasured(ctx, h.o.switchboard, append(after, w.ConfigDir), h.cliEnv(url), 5*time.Minute)
	switch {
	case err != nil:
		r.Notes = append(r.Notes, "plan after apply: "+err.Error())
	case res.Exit != 0:
		r.Notes = append(r.Notes, fmt.Sprintf("plan after apply exited %d (want 0, no changes): %s", res.Exit, oneLine(res.Stdout+res.Stderr, 400)))
	}
	return r
}

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

// applyRows measures apply of n creates, n updates sharing one patch, and n
// destroys. Each starts from its own emulator, since apply changes the
// state; each is run once (a second apply would be a no-op), and is
// followed by a plan that must show no changes, so a fast but wrong apply
// is caught here too.
func (h *harness) applyRows(ctx context.Context, n int) []row {
	kinds := []struct {
		name    string
		live    bool
		owner   string
		destroy bool
		// op is the Glow operation the applier should batch, and ⌈n/MaxItems⌉
		// its most calls.
		op string
	}{
		{"apply, creates", false, "", false, "glow.provider.create"},
		{"apply, updates sharing a patch", true, "platform", false, "glow.provider.update"},
		{"apply, destroys", true, "", true, "glow.provider.delete"},
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
			r = h.applyRow(ctx, r, n, k.live, k.owner, k.destroy, k.op)
		}
		rows = append(rows, r)
	}
	return rows
}

func (h *harness) applyRow(ctx context.Context, r row, n int, live bool, owner string, destroy bool, op string) row {
	slug := strings.NewReplacer(" ", "-", ",", "").Replace(r.Scenario)
	spec := worldSpec{N: n, Departments: 50, Style: styleBlocks, Prefix: "bench/" + slug, Owner: owner}
	w, err := writeWorld(filepath.Join(h.tmp, slug), spec, live)
	if err != nil {
		return errRow(r, err)
	}
	r.worldDesc = fmt.Sprintf("%d Glow providers in %d departments (live: %t)", n, spec.Departments, live)
	if err := h.vault.write(ctx, w.Secrets); err != nil {
		return errRow(r, err)
	}
	emu, url, err := startEmulator(h.o.switchboard, w.SeedFile, h.o.latency)
	if err != nil {
		return errRow(r, err)
	}
	defer emu.Stop()

	args := []string{"apply", "--auto-approve", "--no-color", "--parallelism", fmt.Sprint(h.o.parallelism)}
	if destroy {
		args = append(args, "--destroy")
	}
	r = h.measure(ctx, r, url, append(args, w.ConfigDir), 1)
	if r.Err != "" {
		return r
	}
	batches := int64((n + glow.MaxItems - 1) / glow.MaxItems)
	got := r.Calls.Ops[op]
	r.Checks = append(r.Checks, check{
		Target:   fmt.Sprintf("%s: %s calls ≤ ⌈%d/%d⌉ = %d", r.Scenario, op, n, glow.MaxItems, batches),
		Measured: fmt.Sprint(got),
		Met:      got <= batches,
	})

	after := []string{"plan", "--no-color", "--detailed-exitcode"}
	if destroy {
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

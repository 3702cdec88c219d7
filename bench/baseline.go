package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A change's effect is a ratio of two binaries on one machine at one time:
// results of different days differ by the machine's own drift (the same
// commit's 10,000-provider validate took 1.98 s of CPU on one day's machine
// and 2.7 s on another's). With -baseline REV, the bench builds
// cmd/switchboard at REV and measures it beside the working tree's binary:
// every plan and validate cell gets a twin running the baseline, on the
// same world and emulator, its runs interleaved with the others.

// baselineSuffix marks a baseline twin's scenario.
func baselineSuffix(rev string) string { return ", baseline " + rev }

// buildBaseline builds cmd/switchboard as of the git revision rev into dir
// and returns the binary and rev's short hash.
func buildBaseline(ctx context.Context, goCmd, rev, dir string) (bin, short string, err error) {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", rev+"^{commit}").Output()
	if err != nil {
		return "", "", fmt.Errorf("-baseline %s: not a commit of this repository: %w", rev, err)
	}
	short = strings.TrimSpace(string(out))
	src := filepath.Join(dir, "baseline-"+short)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", "", err
	}
	tarball := src + ".tar"
	if out, err := exec.CommandContext(ctx, "git", "archive", "--format=tar", "-o", tarball, short).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("-baseline: git archive: %v: %s", err, out)
	}
	if out, err := exec.CommandContext(ctx, "tar", "-xf", tarball, "-C", src).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("-baseline: tar: %v: %s", err, out)
	}
	bin = filepath.Join(dir, "switchboard-"+short)
	build := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "./cmd/switchboard")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("-baseline: building %s: %v: %s", short, err, out)
	}
	return bin, short, nil
}

// binaryOf is the switchboard binary that measures r.
func (h *harness) binaryOf(r *row) string {
	if r.binary != "" {
		return r.binary
	}
	return h.o.switchboard
}

// baselineTwin is c measured with the baseline binary instead: the same
// runs, without the counting run (the Vault requests are the row's own
// column, and the twin's are not compared).
func (h *harness) baselineTwin(c *cell, run func(r *row) func(ctx context.Context, i int) (procResult, error)) *cell {
	r := &row{Scenario: c.row.Scenario + baselineSuffix(h.o.baselineRev), N: c.row.N, WantExit: c.row.WantExit, binary: h.o.baselineBin}
	return &cell{row: r, once: run(r)}
}

// baselineTable compares every row that has a baseline twin with it: the
// working tree's median over the baseline's, for wall, CPU and peak RSS.
func (rep *report) baselineTable() string {
	rev := rep.Options.baselineRev
	if rev == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Against the baseline (%s)\n\n", rev)
	fmt.Fprintf(&b, "The same cells measured with `cmd/switchboard` built at %s (`-baseline %s`), their runs interleaved with the working tree's: the ratio is this binary's median over the baseline's, below 1 is better.\n\n", rev, rev)
	b.WriteString("| scenario | N | wall | CPU user+sys | peak RSS |\n|---|--:|--:|--:|--:|\n")
	suffix := baselineSuffix(rev)
	for i := range rep.Rows {
		base := &rep.Rows[i]
		name, ok := strings.CutSuffix(base.Scenario, suffix)
		if !ok {
			continue
		}
		cur := rep.find(name, base.N)
		if cur == nil || cur.Res == nil || base.Res == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", name, base.N,
			ratio(secs(cur.Res.Wall), secs(base.Res.Wall), float64(cur.Res.Wall), float64(base.Res.Wall)),
			ratio(secs(cur.Res.User+cur.Res.Sys), secs(base.Res.User+base.Res.Sys), float64(cur.Res.User+cur.Res.Sys), float64(base.Res.User+base.Res.Sys)),
			ratio(mib(cur.Res.MaxRSS), mib(base.Res.MaxRSS), float64(cur.Res.MaxRSS), float64(base.Res.MaxRSS)))
	}
	b.WriteString("\n")
	return b.String()
}

// ratio shows two measures and now's share of then.
func ratio(nowText, thenText string, now, then float64) string {
	if then <= 0 {
		return "–"
	}
	return fmt.Sprintf("%s vs %s: %.2f×", nowText, thenText, now/then)
}

package main

import (
	"context"
	"slices"
	"time"
)

// cell is one row measured over several runs. The runs of all cells are
// interleaved, every other round in reverse (A1 B1 C1 C2 B2 A2 A3 …), so
// that a change in the machine's load while the bench runs (other work on
// shared cores) moves every cell's runs alike instead of making one cell
// look slow.
type cell struct {
	row *row
	// count, when set, is an untimed run made before the timed ones, with
	// Vault behind the counting proxy: it fills the row's Vault request
	// counts (and warms the caches, like any first run). Timed runs reach
	// Vault through the delay proxy, which counts nothing.
	count func(ctx context.Context) error
	// once is timed run i (from 0); it returns what the run cost.
	once func(ctx context.Context, i int) (procResult, error)
	// finish runs after the last run: checks, stopping servers.
	finish func()

	results []procResult
}

// runOrder is the order in which interleave runs the cells' runs: every
// counting run first, then round by round, each cell once per round. It
// is a function of its own so that a test pins the order.
//
// Odd rounds go in reverse. A run can leave work behind it (a plan of
// 10,000 leaves Vault and the emulator busy for a moment), and in one
// fixed order the same cell always runs next: with -baseline, the working
// tree's validate always followed the baseline's plan, and came out 1.20×
// the baseline's in two runs, where the same two binaries run alone,
// interleaved, took 0.96 s and 1.02 s. Reversed, each cell follows a different one every
// other round, and a twin runs before its original as often as after.
func runOrder(cells, runs int, counting []bool) (order [][2]int) {
	for c := range cells {
		if counting[c] {
			order = append(order, [2]int{c, -1})
		}
	}
	for i := range runs {
		round := len(order)
		for c := range cells {
			order = append(order, [2]int{c, i})
		}
		if i%2 == 1 {
			slices.Reverse(order[round:])
		}
	}
	return order
}

// interleave runs every cell runs times in runOrder and sets each row's
// median and spread. A cell whose run fails records the error and is not
// run again; the others go on.
func interleave(ctx context.Context, cells []*cell, runs int) {
	counting := make([]bool, len(cells))
	for i, c := range cells {
		counting[i] = c.count != nil
	}
	failed := make([]bool, len(cells))
	for i, c := range cells {
		// A skipped row, one that failed while being prepared, or one
		// measured while being prepared (Terraform's import) has no runs.
		failed[i] = c.once == nil
	}
	for _, step := range runOrder(len(cells), runs, counting) {
		if ctx.Err() != nil {
			break
		}
		c := cells[step[0]]
		if failed[step[0]] {
			continue
		}
		if step[1] < 0 {
			logf("  %s, N=%d: counting run (untimed)", c.row.Scenario, c.row.N)
			if err := c.count(ctx); err != nil {
				*c.row = errRow(*c.row, err)
				failed[step[0]] = true
			}
			continue
		}
		res, err := c.once(ctx, step[1])
		if err != nil {
			*c.row = errRow(*c.row, err)
			failed[step[0]] = true
			continue
		}
		c.results = append(c.results, res)
	}
	for _, c := range cells {
		if len(c.results) > 0 {
			med := median(c.results)
			sp := spreadOf(c.results)
			c.row.Res, c.row.Spread, c.row.Runs = &med, &sp, len(c.results)
		}
		if c.finish != nil {
			c.finish()
		}
	}
}

// spread is the smallest and largest of each measure over a cell's runs.
type spread struct {
	WallMin, WallMax time.Duration
	CPUMin, CPUMax   time.Duration
	RSSMin, RSSMax   int64
}

func spreadOf(rs []procResult) spread {
	walls := make([]time.Duration, len(rs))
	cpus := make([]time.Duration, len(rs))
	rss := make([]int64, len(rs))
	for i, r := range rs {
		walls[i], cpus[i], rss[i] = r.Wall, r.User+r.Sys, r.MaxRSS
	}
	return spread{
		WallMin: slices.Min(walls), WallMax: slices.Max(walls),
		CPUMin: slices.Min(cpus), CPUMax: slices.Max(cpus),
		RSSMin: slices.Min(rss), RSSMax: slices.Max(rss),
	}
}

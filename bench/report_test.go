package main

import (
	"strings"
	"testing"
	"time"
)

// measured is a row with a median and spread of its runs.
func measured(scenario string, n int, wall, cpu time.Duration, rss int64) row {
	rs := []procResult{res(wall-10*time.Millisecond, cpu, rss), res(wall, cpu, rss), res(wall+10*time.Millisecond, cpu, rss)}
	med, sp := median(rs), spreadOf(rs)
	return row{Scenario: scenario, N: n, Res: &med, Spread: &sp, Runs: 3, VaultAll: int64(n), VaultCounted: true}
}

func testReport() *report {
	o := options{sizes: []int{1000, 10000, 100000}, applySizes: []int{250}, forEachSizes: []int{10000, 100000},
		latency: 20 * time.Millisecond, vaultLatency: 20 * time.Millisecond, runs: 3, parallelism: 10, tfApplyN: 250}
	rep := &report{Options: o, Started: time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC),
		Machine: [][2]string{{"CPU", "Test CPU"}, {"Cores", "2"}, {"switchboard binary", "commit abc1234"}}}
	creates := measured(scCreates, 250, 800*time.Millisecond, 300*time.Millisecond, 40<<20)
	f := floor{Writes: []term{{Op: "glow.provider.create", N: 1}}, Refresh: 2}
	creates.Floor, creates.After = &f, "no changes"
	creates.Calls = calls{Total: 3, Writes: 1, Searches: 1, Lists: 1, Ops: map[string]int64{"glow.provider.create": 1, "glow.provider.search": 1, "glow.key.list": 1}}
	rep.Rows = []row{
		measured(planRowBlocks, 1000, 900*time.Millisecond, 600*time.Millisecond, 50<<20),
		measured(planRowBlocks, 10000, 6*time.Second, 2*time.Second, 190<<20),
		measured(planRowBlocks, 100000, 40*time.Second, 30*time.Second, 900<<20),
		measured(validateRowForEach, 10000, 2*time.Second, 2*time.Second, 100<<20),
		measured(validateRowForEach, 30000, 6*time.Second, 6*time.Second, 300<<20),
		measured(validateRowForEach, 100000, 19*time.Second, 19*time.Second, 800<<20),
		creates,
		measured(tfPlanRow, 1000, 18*time.Second, 30*time.Second, 180<<20),
		measured(tfPlanRowLogOff, 1000, 9*time.Second, 15*time.Second, 170<<20),
		{Scenario: tfPlanRow, N: 10000, Skipped: tfTooSlowPlan(10000)},
	}
	return rep
}

// TestIssue18Targets pins the verdicts of the Targets table on fixed
// inputs: met and missed by the bound, the linearity ratio, a floor, the
// Terraform ratios, and "not measured" for a row that is missing.
func TestIssue18Targets(t *testing.T) {
	rep := testReport()
	want := map[string]string{
		"plan, 1,000 unchanged|≤ 1.0 s wall":                                 "met",
		"plan, 10,000 unchanged|≤ 5 s wall":                                  "**missed**",
		"plan, 10,000 unchanged|≤ 2.5 s CPU":                                 "met",
		"plan, 10,000 unchanged|≤ 200 MiB peak RSS":                          "met",
		"plan, 100,000 unchanged|≤ 25 s CPU":                                 "**missed**",
		"plan, 100,000 unchanged|≤ 1 GB peak RSS (10⁹ bytes)":                "met",
		"validate, for_each of 100,000|linear: wall ≤ 10× the 10,000 figure": "met",
		"apply, creates, N=250|":                                             "met",
		"apply, rotations (a new Vault version of every key), N=250|":        "**missed**",
		"Terraform ratio, plan 1,000, same world (SDK logs as shipped)|":     "reported",
		"Terraform ratio, plan 1,000, same world (SDK logs off)|":            "reported",
	}
	got := map[string]target{}
	for _, tg := range rep.issue18Targets() {
		key := tg.Operation + "|" + tg.Target
		if strings.HasPrefix(tg.Operation, "apply,") || strings.HasPrefix(tg.Operation, "Terraform") {
			key = tg.Operation + "|"
		}
		got[key] = tg
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("no target %q", k)
		} else if g.Result != w {
			t.Errorf("%s: %s (%s), want %s", k, g.Result, g.Measured, w)
		}
	}
	if m := got["plan, 10,000 unchanged|≤ 5 s wall"].Measured; m != "6.00 s (5.99 s–6.01 s)" {
		t.Errorf("measured %q, want the median and the min–max", m)
	}
	if m := got["validate, for_each of 100,000|linear: wall ≤ 10× the 10,000 figure"].Measured; !strings.HasSuffix(m, ": 9.5× (wall per item at 10,000: 200 µs, 30,000: 200 µs, 100,000: 190 µs)") {
		t.Errorf("linearity: %q, want the ratio and the wall per item at every size", m)
	}
	if m := got["apply, rotations (a new Vault version of every key), N=250|"].Measured; m != "not measured" {
		t.Errorf("a missing row: %q", m)
	}
	if m := got["Terraform ratio, plan 1,000, same world (SDK logs off)|"].Measured; !strings.HasPrefix(m, "10.0× wall") {
		t.Errorf("ratio with SDK logs off: %q", m)
	}
	table := targetsTable(rep.issue18Targets())
	if !strings.Contains(table, "\n4 of 12 missed.\n") {
		t.Errorf("the table does not count its misses:\n%s", table)
	}
}

// TestReadmeQuotesEveryRow: the README fragment has the targets, every
// row (the skipped one too) and both Terraform plan rows, and replaces
// only what is between the markers.
func TestReadmeQuotesEveryRow(t *testing.T) {
	rep := testReport()
	frag := rep.readme()
	for _, r := range rep.Rows {
		if !strings.Contains(frag, "| "+r.Scenario+" | "+fmtInt(r.N)+" | ") {
			t.Errorf("the README fragment lacks the row %s, N=%d", r.Scenario, r.N)
		}
	}
	for _, s := range []string{"### Targets", "**missed**", "plan, SDK logs off", "plan, SDK logs as shipped", "commit abc1234", "skipped: not run"} {
		if !strings.Contains(frag, s) {
			t.Errorf("the README fragment lacks %q", s)
		}
	}
	doc := "# X\n\n## Performance\n\n" + readmeBegin + "\nold numbers\n" + readmeEnd + "\n\n## Layout\n"
	out, err := spliceReadme(doc, frag)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "old numbers") || !strings.HasSuffix(out, readmeEnd+"\n\n## Layout\n") || !strings.HasPrefix(out, "# X\n\n## Performance\n\n"+readmeBegin+"\n") {
		t.Errorf("splice:\n%s", out)
	}
	again, _ := spliceReadme(out, frag)
	if again != out {
		t.Error("splicing twice changes the README")
	}
	if _, err := spliceReadme("# no markers\n", frag); err == nil {
		t.Error("a README without markers is rewritten")
	}
}

func fmtInt(n int) string { return strings.TrimSpace(strings.ReplaceAll(thousands(n), ",", "")) }

// TestBaselineTable pins the comparison with a baseline twin: this
// binary's median over the baseline's, and no line for a row without one.
func TestBaselineTable(t *testing.T) {
	rep := testReport()
	if got := rep.baselineTable(); got != "" {
		t.Fatalf("without -baseline: %q, want nothing", got)
	}
	rep.Options.baselineRev = "abc1234"
	rep.Rows = append(rep.Rows, measured(planRowBlocks+baselineSuffix("abc1234"), 10000, 12*time.Second, 4*time.Second, 95<<20))
	got := rep.baselineTable()
	for _, want := range []string{
		"## Against the baseline (abc1234)",
		"| " + planRowBlocks + " | 10000 | 6.00 s vs 12.00 s: 0.50× | 2.00 s vs 4.00 s: 0.50× | 190 MiB vs 95 MiB: 2.00× |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("baseline table lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "\n| "+planRowBlocks) != 1 {
		t.Errorf("want one compared row (the 1,000 and 100,000 rows have no twin):\n%s", got)
	}
}

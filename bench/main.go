// Command bench measures Switchboard end to end, the way users run it: the
// real CLI binary as a subprocess against the emulator (with API latency)
// and a real Vault dev server behind a delay proxy (with the same
// latency), on generated worlds of 100 to 100,000 providers, and the real
// terraform with terraform-provider-switchboard on the same worlds. Speed
// and memory goals are checked here and nowhere else: timed unit tests are
// flaky on shared machines, while one command that prints a table with the
// machine it ran on can be compared over time.
//
//	go run ./bench -switchboard bin/switchboard -vault-dev bin/vault-dev -out bench/results.md -readme README.md
//	go run ./bench -quick -out /tmp/bench.md   # the harness end to end in minutes
//
// Every row is a cell measured by -runs timed runs, interleaved across all
// cells, plus one untimed run that counts Vault requests (cells.go).
// Every child process (vault-dev, emulators, the CLI, terraform) is
// loopback-only and is killed when the harness ends, also on failure or
// Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-hq/switchboard/internal/childproc"
)

const (
	glowToken = "bench-glow-token"
	adminKey  = "gw_admin_bench"
	// vaultToken is only ever valid for the harness's own vault-dev.
	vaultToken = "bench-root"
)

type options struct {
	switchboard, vaultDev, goCmd string
	out                          string
	sizes                        []int
	applySizes                   []int
	// forEachSizes are the validate rows of the for_each style (the
	// linearity target); the for_each plan row is at targetN.
	forEachSizes []int
	latency      time.Duration
	// vaultLatency is added to every Vault request by the delay proxy.
	vaultLatency time.Duration
	// tfApplyN is the size of Terraform's apply rows (0: none).
	tfApplyN    int
	timeout     time.Duration
	parallelism int
	runs        int
	goBench     string
	keep        bool
	// only, when set, runs the scenarios whose name matches it.
	only *regexp.Regexp
	// cpuProfile, when set, is a directory: each CLI run gets
	// SWITCHBOARD_CPUPROFILE=<dir>/<scenario>-<N>-<run>.pprof. The product
	// ignores the variable; a binary built with bench/profile.go's overlay
	// (see -profile-build) writes a CPU profile there.
	cpuProfile string
	// env is added to every CLI run's environment (-env, repeatable), for
	// experiments such as GODEBUG=gctrace=1 or GOGC.
	env []string
	// baselineRev, when set, is a git revision whose cmd/switchboard
	// (baselineBin, built by the bench) is measured beside this one on
	// every plan and validate cell (see baseline.go).
	baselineRev, baselineBin string
}

func main() {
	// Terraform starts this binary as its provider plugin (see
	// bench/terraform.go): it then only wraps the real provider.
	if real := os.Getenv(envPluginReal); real != "" {
		os.Exit(pluginWrapper(real))
	}
	code := run()
	childproc.KillAll()
	os.Exit(code)
}

// parseOptions reads the command line; an error is a usage error.
func parseOptions() (options, string, error) {
	var o options
	var sizes, applySizes, forEachSizes string
	var quick bool
	flag.StringVar(&o.switchboard, "switchboard", "bin/switchboard", "the switchboard binary to measure")
	flag.StringVar(&o.vaultDev, "vault-dev", "bin/vault-dev", "the vault-dev binary (make bin/vault-dev)")
	flag.StringVar(&o.goCmd, "go", "go", "the go command, for the planner's Go benchmarks")
	flag.StringVar(&o.out, "out", "bench/results.md", "write the results here as Markdown (\"\" to skip)")
	flag.StringVar(&sizes, "sizes", "100,1000,10000,100000", "provider counts of the plan rows")
	flag.StringVar(&applySizes, "apply-sizes", fmt.Sprintf("%d,1000,10000", defaultTFApplyN), "provider counts of the apply rows")
	flag.StringVar(&forEachSizes, "foreach-sizes", "10000,30000,100000", "provider counts of the for_each validate rows (the sizes between the target's two show where the cost per item changes)")
	flag.IntVar(&o.tfApplyN, "tf-apply-n", defaultTFApplyN, "provider count of Terraform's apply rows (0: none); the CLI's apply rows should include it")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency the emulator adds to every API call")
	flag.DurationVar(&o.vaultLatency, "vault-latency", 20*time.Millisecond, "latency added to every Vault request (a delay proxy in front of vault-dev)")
	flag.IntVar(&o.parallelism, "parallelism", 10, "--parallelism given to the CLI")
	flag.IntVar(&o.runs, "runs", 3, "timed runs per cell, interleaved across cells; the tables show the median (and min–max)")
	flag.DurationVar(&o.timeout, "timeout", 75*time.Minute, "bound on the whole run")
	flag.BoolVar(&quick, "quick", false, "a small run that checks the harness end to end in a few minutes: -sizes 20,100 -foreach-sizes 50,100 -apply-sizes 20,50 -tf-apply-n 20 -gobench '' (numbers meaningless)")
	var readme string
	flag.StringVar(&readme, "readme", "", "rewrite the Performance section of this README between "+readmeBegin+" and "+readmeEnd+" from the results")
	flag.StringVar(&o.goBench, "gobench", "^BenchmarkDiff10000$", "regexp of the planner's Go benchmarks to run (\"\" to skip)")
	flag.BoolVar(&o.keep, "keep", false, "keep the generated worlds (printed at the end)")
	flag.Func("env", "KEY=VALUE added to the CLI's environment (repeatable; with -cpuprofile, each run's stderr is kept next to its profile)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("%q is not KEY=VALUE", v)
		}
		o.env = append(o.env, v)
		return nil
	})
	var only string
	flag.StringVar(&only, "only", "", "run only the scenarios whose name matches this regexp (e.g. 'plan N=10000|terraform')")
	flag.StringVar(&o.baselineRev, "baseline", "", "a git revision (a commit, tag or branch) whose CLI is built and measured beside this one on every plan and validate cell, runs interleaved; results.md then compares the two")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "build a profiling copy of the CLI and write a CPU profile of each run into this directory")
	flag.Parse()
	if quick {
		sizes, forEachSizes, applySizes, o.tfApplyN, o.goBench = "20,100", "50,100", "20,50", 20, ""
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return o, "", fmt.Errorf("-only: %w", err)
		}
		o.only = re
	}
	var err error
	if o.sizes, err = parseSizes("-sizes", sizes); err != nil {
		return o, "", err
	}
	if o.applySizes, err = parseSizes("-apply-sizes", applySizes); err != nil {
		return o, "", err
	}
	if o.forEachSizes, err = parseSizes("-foreach-sizes", forEachSizes); err != nil {
		return o, "", err
	}
	if o.runs < 1 {
		o.runs = 1
	}
	for _, p := range []*string{&o.switchboard, &o.vaultDev} {
		if *p, err = filepath.Abs(*p); err != nil {
			return o, "", err
		}
		if _, err := os.Stat(*p); err != nil {
			return o, "", fmt.Errorf("%w (run make build tools first)", err)
		}
	}
	return o, readme, nil
}

func run() int {
	o, readme, err := parseOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}

	// Ctrl-C or a TERM from make must not leave servers behind: cancelling
	// the context ends the current measurement, and main kills the rest.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A bound on the whole run, so that a hung child cannot hang CI.
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	rep, err := benchmark(ctx, o)
	if rep != nil {
		md := rep.markdown()
		fmt.Print("\n" + md)
		if o.out != "" {
			if werr := os.WriteFile(o.out, []byte(md), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
				return 1
			}
			fmt.Printf("\nWritten to %s\n", o.out)
		}
		if readme != "" {
			if werr := rewriteReadme(readme, rep.readme()); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
				return 1
			}
			fmt.Printf("Performance section of %s rewritten\n", readme)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func parseSizes(name, s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive count", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// harness is what every scenario shares: one Vault for the whole run
// (scenarios write under their own prefixes) and a scratch directory.
type harness struct {
	o     options
	tmp   string
	vault *vaultWriter
	// counter counts Vault requests in the untimed counting runs;
	// vaultURL is the delay proxy the timed runs reach Vault through.
	counter  *vaultCounter
	vaultURL string
	// worlds is the plan worlds by style and size, shared by the CLI's and
	// Terraform's rows; stops stops the servers the cells keep up.
	worlds   map[string]*planWorld
	stops    []func()
	tfRusage string
	// hasApply reports whether the binary has the apply command yet.
	hasApply     bool
	applyHasDest bool
	// written is the Vault prefixes whose secrets are written already.
	written map[string]bool
}

// scenario is one row (or a few) of the table: it prepares its worlds and
// returns the cells that measure them (see interleave). A scenario that
// cannot run yet returns a row with Skipped set, so the table shows what
// is missing instead of hiding it.
type scenario struct {
	name    string
	prepare func(ctx context.Context, h *harness) []*cell
}

func (h *harness) scenarios() []scenario {
	var out []scenario
	for _, n := range h.o.sizes {
		// The validate row of the blocks style at targetN splits the plan's
		// CPU into config load and the rest (see breakdown).
		out = append(out, scenario{fmt.Sprintf("plan N=%d", n), func(ctx context.Context, h *harness) []*cell {
			return h.planCells(ctx, n, styleBlocks, true, n == targetN)
		}})
	}
	// for_each expands one block into N instances from one large object,
	// a different load path from N blocks: the plan at targetN, validate
	// at every for_each size (the linearity target).
	for _, n := range h.o.forEachSizes {
		withPlan := n == targetN || (!slices.Contains(h.o.forEachSizes, targetN) && n == maxOf(h.o.forEachSizes))
		out = append(out, scenario{fmt.Sprintf("plan for_each N=%d", n), func(ctx context.Context, h *harness) []*cell {
			return h.planCells(ctx, n, styleForEach, withPlan, true)
		}})
	}
	for _, n := range h.o.applySizes {
		out = append(out, scenario{fmt.Sprintf("apply N=%d", n), func(ctx context.Context, h *harness) []*cell { return h.applyCells(ctx, n) }})
	}
	out = append(out, scenario{"terraform", func(ctx context.Context, h *harness) []*cell { return h.terraformCells(ctx) }})
	return out
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func benchmark(ctx context.Context, o options) (*report, error) {
	tmp, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		defer fmt.Printf("Generated worlds kept in %s\n", tmp)
	} else {
		defer func() {
			if err := os.RemoveAll(tmp); err != nil {
				fmt.Fprintf(os.Stderr, "removing the generated worlds: %v\n", err)
			}
		}()
	}
	rep := &report{Machine: describeMachine(o), Started: time.Now(), Options: o}
	// The machine is shared: the load around the run says how much the
	// numbers owe to other work.
	load := startLoadSampler(10 * time.Second)
	defer func() { rep.Load = load.stop() }()

	logf("starting vault-dev")
	vsrv, vaddr, err := startVault(o.vaultDev, vaultToken)
	if err != nil {
		return nil, err
	}
	defer vsrv.Stop()
	vw, err := newVaultWriter(vaddr, vaultToken)
	if err != nil {
		return nil, err
	}
	counter, err := startVaultCounter(vaddr)
	if err != nil {
		return nil, err
	}
	defer counter.close()
	vu, err := url.Parse(vaddr)
	if err != nil {
		return nil, err
	}
	delay, err := startDelayProxy(vu.Host, o.vaultLatency)
	if err != nil {
		return nil, err
	}
	defer delay.close()

	if o.cpuProfile != "" {
		if o.cpuProfile, err = filepath.Abs(o.cpuProfile); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(o.cpuProfile, 0o755); err != nil {
			return nil, err
		}
		logf("building a profiling CLI (profiles go to %s)", o.cpuProfile)
		if o.switchboard, err = buildProfiling(ctx, o.goCmd, tmp); err != nil {
			return nil, err
		}
	}
	if o.baselineRev != "" {
		logf("building the baseline CLI at %s", o.baselineRev)
		if o.baselineBin, o.baselineRev, err = buildBaseline(ctx, o.goCmd, o.baselineRev, tmp); err != nil {
			return nil, err
		}
		rep.Options = o
	}
	h := &harness{o: o, tmp: tmp, vault: vw, counter: counter, vaultURL: delay.URL(), written: map[string]bool{}, worlds: map[string]*planWorld{}}
	defer func() {
		for _, stop := range h.stops {
			stop()
		}
	}()
	h.hasApply, h.applyHasDest = detectApply(ctx, o.switchboard)

	var cells []*cell
	for _, sc := range h.scenarios() {
		if ctx.Err() != nil {
			break
		}
		if o.only != nil && !o.only.MatchString(sc.name) {
			continue
		}
		logf("preparing %s", sc.name)
		cells = append(cells, sc.prepare(ctx, h)...)
	}
	logf("measuring %d cells, %d timed runs each, interleaved", len(cells), o.runs)
	interleave(ctx, cells, o.runs)
	for _, c := range cells {
		rep.Rows = append(rep.Rows, *c.row)
	}
	rep.TFRusage = h.tfRusage
	if o.goBench != "" && ctx.Err() == nil {
		logf("go test -bench %s ./planner/...", o.goBench)
		rep.GoBench, rep.GoBenchErr = runGoBench(ctx, o.goCmd, o.goBench)
	}
	rep.Elapsed = time.Since(rep.Started)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("interrupted: %w", err)
	}
	return rep, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// errRow records a failure in the table rather than aborting the run, so
// that one broken scenario does not hide the others' numbers.
func errRow(r row, err error) row {
	r.Err = err.Error()
	if errors.Is(err, context.Canceled) {
		r.Err = "interrupted"
	}
	return r
}

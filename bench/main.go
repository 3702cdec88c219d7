// Command bench measures Switchboard end to end, the way users run it: the
// real CLI binary as a subprocess against the emulator (with API latency)
// and a real Vault dev server, on generated worlds of 100 to 10,000
// providers. Speed and memory goals are checked here and nowhere else:
// timed unit tests are flaky on shared machines, while one command that
// prints a table with the machine it ran on can be compared over time.
//
//	go run ./bench -switchboard bin/switchboard -vault-dev bin/vault-dev -out bench/results.md
//
// Every child process (vault-dev, emulators, the CLI) is loopback-only and
// is killed when the harness ends, also on failure or Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
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
	latency                      time.Duration
	parallelism                  int
	runs                         int
	goBench                      string
	keep                         bool
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

func run() int {
	var o options
	var sizes, applySizes string
	flag.StringVar(&o.switchboard, "switchboard", "bin/switchboard", "the switchboard binary to measure")
	flag.StringVar(&o.vaultDev, "vault-dev", "bin/vault-dev", "the vault-dev binary (make bin/vault-dev)")
	flag.StringVar(&o.goCmd, "go", "go", "the go command, for the planner's Go benchmarks")
	flag.StringVar(&o.out, "out", "bench/results.md", "write the results here as Markdown (\"\" to skip)")
	flag.StringVar(&sizes, "sizes", "100,1000,10000", "provider counts of the plan rows")
	flag.StringVar(&applySizes, "apply-sizes", "1000,10000", "provider counts of the apply rows")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency the emulator adds to every API call")
	flag.IntVar(&o.parallelism, "parallelism", 10, "--parallelism given to the CLI")
	flag.IntVar(&o.runs, "runs", 3, "runs per plan row; the table shows the median of each measure")
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
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "build a profiling copy of the CLI and write a CPU profile of each run into this directory")
	flag.Parse()
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -only:", err)
			return 2
		}
		o.only = re
	}
	var err error
	if o.sizes, err = parseSizes("-sizes", sizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if o.applySizes, err = parseSizes("-apply-sizes", applySizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if o.runs < 1 {
		o.runs = 1
	}
	for _, p := range []*string{&o.switchboard, &o.vaultDev} {
		if *p, err = filepath.Abs(*p); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		if _, err := os.Stat(*p); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v (run make build tools first)\n", err)
			return 2
		}
	}

	// Ctrl-C or a TERM from make must not leave servers behind: cancelling
	// the context ends the current measurement, and main kills the rest.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A bound on the whole run, so that a hung child cannot hang CI.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
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
	o       options
	tmp     string
	vault   *vaultWriter
	counter *vaultCounter
	// hasApply reports whether the binary has the apply command yet.
	hasApply     bool
	applyHasDest bool
	// written is the Vault prefixes whose secrets are written already.
	written map[string]bool
}

// scenario is one row (or a few) of the table. Later issues add rows by
// appending to scenarios(); a scenario that cannot run yet returns a row
// with Skipped set, so the table shows what is missing instead of hiding it.
type scenario struct {
	name string
	run  func(ctx context.Context, h *harness) []row
}

func (h *harness) scenarios() []scenario {
	var out []scenario
	largest := maxOf(h.o.sizes)
	for _, n := range h.o.sizes {
		out = append(out, scenario{fmt.Sprintf("plan N=%d", n), func(ctx context.Context, h *harness) []row {
			return h.planRows(ctx, n, styleBlocks, n == largest)
		}})
	}
	// for_each expands one block into N instances from one large object,
	// a different load path from N blocks; measure it at the largest size.
	out = append(out, scenario{fmt.Sprintf("plan for_each N=%d", largest), func(ctx context.Context, h *harness) []row {
		return h.planRows(ctx, largest, styleForEach, true)
	}})
	for _, n := range h.o.applySizes {
		out = append(out, scenario{fmt.Sprintf("apply N=%d", n), func(ctx context.Context, h *harness) []row { return h.applyRows(ctx, n) }})
	}
	out = append(out, scenario{"terraform", func(ctx context.Context, h *harness) []row { return h.terraformRows(ctx) }})
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
	h := &harness{o: o, tmp: tmp, vault: vw, counter: counter, written: map[string]bool{}}
	h.hasApply, h.applyHasDest = detectApply(ctx, o.switchboard)

	for _, sc := range h.scenarios() {
		if ctx.Err() != nil {
			break
		}
		if o.only != nil && !o.only.MatchString(sc.name) {
			continue
		}
		logf("scenario %s", sc.name)
		rep.Rows = append(rep.Rows, sc.run(ctx, h)...)
	}
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

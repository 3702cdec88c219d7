package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/childproc"
)

// The Terraform comparison: the same worlds planned and applied through
// terraform-provider-switchboard by the real terraform (never downloaded:
// dev_overrides and an empty filesystem mirror, as the provider's
// end-to-end test runs it), so the table shows what the same clients cost
// behind Terraform.
//
// Measuring: terraform is run like the CLI, through runMeasured, so its
// CPU and peak RSS come from wait4. On Linux that rusage is the child's
// own plus that of every descendant it reaped (the kernel fills it with
// RUSAGE_BOTH), and terraform reaps its provider plugins (go-plugin waits
// for them), so the CPU includes the plugin; the peak RSS is the larger of
// the processes, not their sum. The harness checks this rather than trust
// it: the plugin terraform starts is this bench binary acting as a wrapper
// (pluginWrapper) that runs the real provider, reports the provider's own
// rusage, and on one check run burns a known amount of CPU itself, which
// must then show up in terraform's rusage.

const (
	// envPluginReal makes this binary a wrapper around the provider at
	// its value (see pluginWrapper).
	envPluginReal = "SWITCHBOARD_BENCH_PLUGIN_REAL"
	// envPluginReport is a file the wrapper appends one line per plugin
	// process to: "user_ns sys_ns maxrss_bytes".
	envPluginReport = "SWITCHBOARD_BENCH_PLUGIN_REPORT"
	// envPluginBurn is CPU the wrapper burns after the plugin exits.
	envPluginBurn = "SWITCHBOARD_BENCH_PLUGIN_BURN"

	tfParallelism = 10
)

// Terraform is too slow on the bench machine (2 cores) for all of the
// comparison at the CLI's sizes within the few minutes make bench may
// take, so some rows are smaller, and the table says so. Measured once
// (2026-11-22, 2 cores, 20 ms latency): at N=1,000 terraform apply took
// 45 s for the creates, 87 s for the updates and 52 s for the destroys,
// and importing and planning 1,000 took 11.5 s each.
const (
	// tfApplyN is the size of the Terraform apply rows (the CLI's are
	// 1,000).
	tfApplyN = 250
	// tfMaxPlanN is the largest Terraform plan row.
	tfMaxPlanN    = 1000
	tfTooSlowPlan = "not run: Terraform plans 1,000 providers in about 11 s wall and 19 s CPU here, and importing and planning 10,000 would add several minutes to make bench"
)

// tfEnv is what terraform needs: the dev_overrides CLI configuration, no
// network beyond loopback, and the provider's credentials.
type tfEnv struct {
	bin     string // terraform
	plugins string // the dev_overrides directory (holds the wrapper)
	real    string // the real provider binary
	home    string
	cliConf string
}

func (h *harness) setupTerraform(ctx context.Context) (*tfEnv, error) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			tf = p
		} else {
			tf = "/usr/local/bin/terraform"
		}
	}
	if _, err := os.Stat(tf); err != nil {
		return nil, fmt.Errorf("terraform not found at %s (set TF_ACC_TERRAFORM_PATH); it is never downloaded", tf)
	}
	e := &tfEnv{bin: tf}
	base := filepath.Join(h.tmp, "terraform")
	e.plugins, e.home = filepath.Join(base, "plugins"), filepath.Join(base, "home")
	realDir := filepath.Join(base, "real")
	mirror := filepath.Join(e.home, "empty-mirror")
	for _, d := range []string{e.plugins, realDir, mirror} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	e.real = filepath.Join(realDir, "terraform-provider-switchboard")
	logf("  go build ./cmd/terraform-provider-switchboard")
	build := exec.CommandContext(ctx, h.o.goCmd, "build", "-o", e.real, "./cmd/terraform-provider-switchboard")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %v: %s", err, oneLine(string(out), 400))
	}
	// The plugin terraform starts is a copy of this binary, which runs the
	// real provider as its child (see pluginWrapper).
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := copyFile(self, filepath.Join(e.plugins, "terraform-provider-switchboard")); err != nil {
		return nil, err
	}
	e.cliConf = filepath.Join(e.home, "terraformrc")
	conf := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "switchboard-hq/switchboard" = %q
  }
  filesystem_mirror {
    path = %q
  }
}
`, e.plugins, mirror)
	return e, os.WriteFile(e.cliConf, []byte(conf), 0o644)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close() //nolint:errcheck // opened to read: closing it reports nothing to act on
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		return errors.Join(err, dst.Close())
	}
	return dst.Close()
}

// env is terraform's environment against the emulator at url; report and
// burn configure the plugin wrapper.
func (e *tfEnv) env(url, report string, burn time.Duration) []string {
	env := childproc.Env(
		"TF_CLI_CONFIG_FILE="+e.cliConf, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"GLOW_INSTANCE_URL="+url, "GLOW_TOKEN="+glowToken,
		"GATEFLOW_URL="+url, "GATEFLOW_ADMIN_KEY="+adminKey,
		envPluginReal+"="+e.real, envPluginReport+"="+report,
	)
	// childproc.Env keeps the harness's HOME; terraform gets its own.
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "HOME=") })
	env = append(env, "HOME="+e.home)
	if burn > 0 {
		env = append(env, envPluginBurn+"="+burn.String())
	}
	return env
}

// tfWorld is a Terraform working directory over a seeded emulator.
type tfWorld struct {
	dir  string
	spec worldSpec
	ps   []provider
	url  string
	emu  *childproc.Server
}

// tfKeyName is the provider's name for a key block (LABEL (terraform:vN)),
// so that a seeded key reads back as the block's value_wo_version.
func tfKeyName(label string, version int) string {
	return fmt.Sprintf("%s (terraform:v%d)", label, version)
}

// startTFWorld writes and seeds a world for Terraform: live Glow providers
// with keys named the way the provider names them (withLive), and a
// configuration of n switchboard_glow_provider resources matching them.
func (h *harness) startTFWorld(name string, n int, withLive bool) (*tfWorld, error) {
	spec := worldSpec{N: n, Departments: 50, Style: styleBlocks, Prefix: "bench/" + name}
	w := &tfWorld{dir: filepath.Join(h.tmp, name), spec: spec, ps: spec.providers()}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, err
	}
	var seed emulator.Seed
	if withLive {
		endpoints := map[string]bool{}
		for _, p := range w.ps {
			ep := "ep-" + strings.TrimPrefix(p.Endpoint, "https://")
			if !endpoints[p.Endpoint] {
				endpoints[p.Endpoint] = true
				seed.Endpoints = append(seed.Endpoints, emulator.SeedEndpoint{ID: ep, Name: p.Endpoint, URL: p.Endpoint})
			}
			seed.Keys = append(seed.Keys, emulator.SeedKey{ID: "key-" + p.Key, Name: tfKeyName("primary", p.Secret.Versions), Value: p.Secret.Value})
			seed.Providers = append(seed.Providers, emulator.SeedProvider{
				ID: "prov-" + p.Key, Name: p.Name, Description: p.Description,
				DepartmentIDs: []string{p.Department}, Endpoints: []string{ep}, Keys: []string{"key-" + p.Key},
				Values: map[string]string{"tier": p.Tier, "timeout_s": "30"},
			})
		}
	}
	seedFile := filepath.Join(w.dir, "seed.json")
	if err := writeJSON(seedFile, seed); err != nil {
		return nil, err
	}
	if err := w.writeConfig(tfChange{}, withLive); err != nil {
		return nil, err
	}
	emu, url, err := startEmulator(h.o.switchboard, seedFile, h.o.latency)
	if err != nil {
		return nil, err
	}
	w.emu, w.url = emu, url
	return w, nil
}

// tfChange is a change of the configuration only, the same for every
// provider, like the CLI's update rows (see worldSpec): Description
// replaces every description, Team adds the value team = Team.
type tfChange struct {
	Description, Team string
}

// writeConfig writes main.tf with every provider, changed by ch, and, with
// imports, imports.tf with an import block per provider.
func (w *tfWorld) writeConfig(ch tfChange, imports bool) error {
	var b, imp strings.Builder
	b.WriteString(`terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}

provider "switchboard" {}
`)
	team := ""
	if ch.Team != "" {
		team = fmt.Sprintf(", team = %q", ch.Team)
	}
	for _, p := range w.ps {
		desc := p.Description
		if ch.Description != "" {
			desc = ch.Description
		}
		fmt.Fprintf(&b, `
resource "switchboard_glow_provider" %q {
  name        = %q
  description = %q
  departments = [%q]
  endpoints   = [%q]
  values      = { tier = %q, timeout_s = "30"%s }

  keys = {
    primary = { value_wo = %q, value_wo_version = %d }
  }
}
`, p.Key, p.Name, desc, p.Department, p.Endpoint, p.Tier, team, p.Secret.Value, p.Secret.Versions)
		fmt.Fprintf(&imp, "import {\n  to = switchboard_glow_provider.%s\n  id = %q\n}\n\n", p.Key, "prov-"+p.Key)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	impFile := filepath.Join(w.dir, "imports.tf")
	if !imports {
		if err := os.Remove(impFile); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(impFile, []byte(imp.String()), 0o644)
}

// tfRun measures one terraform command in w, with the plugin's own
// rusage read from the wrapper's report.
func (h *harness) tfRun(ctx context.Context, e *tfEnv, w *tfWorld, burn time.Duration, args ...string) (procResult, pluginUsage, error) {
	report := filepath.Join(w.dir, fmt.Sprintf("plugin-%d.txt", time.Now().UnixNano()))
	full := append([]string{"-chdir=" + w.dir}, args...)
	res, err := runMeasured(ctx, e.bin, full, e.env(w.url, report, burn), 20*time.Minute)
	if err != nil {
		return res, pluginUsage{}, err
	}
	pu, perr := readPluginReport(report)
	_ = os.Remove(report)
	if perr != nil {
		return res, pu, perr
	}
	return res, pu, nil
}

// pluginUsage sums the provider processes of one terraform command.
type pluginUsage struct {
	Procs  int
	CPU    time.Duration
	MaxRSS int64
}

func readPluginReport(path string) (pluginUsage, error) {
	var u pluginUsage
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	defer f.Close() //nolint:errcheck // opened to read: closing it reports nothing to act on
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var user, sys, rss int64
		if _, err := fmt.Sscanf(sc.Text(), "%d %d %d", &user, &sys, &rss); err != nil {
			return u, fmt.Errorf("plugin report %q: %w", sc.Text(), err)
		}
		u.Procs++
		u.CPU += time.Duration(user + sys)
		u.MaxRSS = max(u.MaxRSS, rss)
	}
	return u, sc.Err()
}

// terraformRows measures the comparison. Plan rows: an unchanged world of
// N imported providers, for the CLI's plan sizes up to tfMaxPlanN. Apply
// rows (N=tfApplyN): creates from nothing, the same description change on
// every provider, then the same values change, then destroys.
func (h *harness) terraformRows(ctx context.Context) []row {
	e, err := h.setupTerraform(ctx)
	if err != nil {
		return []row{errRow(row{Scenario: "terraform plan, no changes", N: 1000}, err)}
	}
	var rows []row
	// The plan rows pair with the CLI's plan rows of the same sizes.
	for _, n := range h.o.sizes {
		if ctx.Err() != nil {
			break
		}
		if n > tfMaxPlanN {
			rows = append(rows, row{Scenario: "terraform plan, no changes", N: n, Skipped: tfTooSlowPlan})
			continue
		}
		prs, w := h.tfPlanRows(ctx, e, n)
		rows = append(rows, prs...)
		if w != nil {
			w.emu.Stop()
		}
	}
	if ctx.Err() != nil {
		return rows
	}
	rows = append(rows, h.tfApplyCreates(ctx, e, tfApplyN))
	w, err := h.startTFWorld("tf-apply", tfApplyN, true)
	if err == nil {
		defer w.emu.Stop()
		var res procResult
		res, _, err = h.tfRun(ctx, e, w, 0, "apply", "-auto-approve", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
		if err == nil && res.Exit != 0 {
			err = fmt.Errorf("terraform apply of the imports exited %d: %s", res.Exit, oneLine(res.Stdout+res.Stderr, 400))
		}
		if err == nil {
			err = w.writeConfig(tfChange{}, false)
		}
	}
	if err != nil {
		for _, s := range []string{tfUpdateDesc, tfUpdateValues, "terraform destroy"} {
			rows = append(rows, errRow(row{Scenario: s, N: tfApplyN}, err))
		}
		return rows
	}
	// The description change, then (on top of it) the values change, then
	// the destroy of the result.
	rows = append(rows, h.tfApplyUpdates(ctx, e, w, tfUpdateDesc, tfChange{Description: sharedDescription},
		fmt.Sprintf("%d imported providers; every description becomes %q", w.spec.N, sharedDescription)))
	rows = append(rows, h.tfApplyUpdates(ctx, e, w, tfUpdateValues, tfChange{Description: sharedDescription, Team: sharedTeam},
		fmt.Sprintf("the world of the description row; every provider gets the value team = %q", sharedTeam)))
	rows = append(rows, h.tfDestroys(ctx, e, w))
	return rows
}

// tfPlanRows imports a world of n providers (one apply of n import blocks,
// itself a row) and measures terraform plan of it unchanged. It returns
// the world, still running, for the apply rows.
func (h *harness) tfPlanRows(ctx context.Context, e *tfEnv, n int) ([]row, *tfWorld) {
	r := row{Scenario: "terraform plan, no changes", N: n, WantExit: 0}
	w, err := h.startTFWorld(fmt.Sprintf("tf-plan-%d", n), n, true)
	if err != nil {
		return []row{errRow(r, err)}, nil
	}
	r.worldDesc = fmt.Sprintf("%d switchboard_glow_provider resources in %d departments, imported with import blocks by terraform apply", n, min(n, 50))
	imp := row{Scenario: "terraform apply, import", N: n, WantExit: 0}
	imp = h.tfMeasure(ctx, e, w, imp, 1, "apply", "-auto-approve", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	if imp.Err != "" || imp.Res == nil || imp.Res.Exit != 0 {
		if imp.Err == "" {
			imp.Err = "terraform apply of the imports failed"
		}
		w.emu.Stop()
		return []row{errRow(r, fmt.Errorf("%s", imp.Err)), imp}, nil
	}
	if err := w.writeConfig(tfChange{}, false); err != nil {
		w.emu.Stop()
		return []row{errRow(r, err), imp}, nil
	}
	runs := h.o.runs
	if n >= 1000 {
		runs = 1 // 11 s each: bounded bench time over a median
	}
	r = h.tfMeasure(ctx, e, w, r, runs, "plan", "-detailed-exitcode", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	// The first plan row also checks the rusage accounting (see the top of
	// this file).
	if n == h.o.sizes[0] && r.Res != nil {
		r.Notes = append(r.Notes, h.tfCheckRusage(ctx, e, w, r))
	}
	return []row{imp, r}, w
}

// tfCheckRusage runs the plan once more with the plugin wrapper burning
// one second of CPU per plugin process after the plugin exits: if
// terraform's wait4 rusage covers its reaped plugins, its CPU grows by
// about that much.
func (h *harness) tfCheckRusage(ctx context.Context, e *tfEnv, w *tfWorld, base row) string {
	const burn = time.Second
	res, pu, err := h.tfRun(ctx, e, w, burn, "plan", "-detailed-exitcode", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	if err != nil {
		return "rusage check failed: " + err.Error()
	}
	grew := (res.User + res.Sys) - (base.Res.User + base.Res.Sys)
	want := time.Duration(pu.Procs) * burn
	verdict := "terraform's wait4 rusage includes its provider plugins"
	if grew < want*8/10 {
		verdict = "**terraform's wait4 rusage does NOT include its provider plugins: the CPU columns undercount Terraform**"
	}
	return fmt.Sprintf("rusage check: with each of the %d plugin processes burning %s after the provider exits, terraform's CPU grew by %s: %s",
		pu.Procs, burn, grew.Round(10*time.Millisecond), verdict)
}

// tfMeasure is measure for terraform: runs runs, medians, the emulator's
// calls of the first run, and the plugin's share of the CPU in the notes.
func (h *harness) tfMeasure(ctx context.Context, e *tfEnv, w *tfWorld, r row, runs int, args ...string) row {
	var results []procResult
	var plugin []pluginUsage
	for i := range runs {
		before, err := fetchStats(ctx, w.url)
		if err != nil {
			return errRow(r, err)
		}
		res, pu, err := h.tfRun(ctx, e, w, 0, args...)
		if err != nil {
			return errRow(r, err)
		}
		after, err := fetchStats(ctx, w.url)
		if err != nil {
			return errRow(r, err)
		}
		c := diffStats(before, after)
		if i == 0 {
			r.Calls = c
		} else if !c.equal(r.Calls) {
			r.Notes = append(r.Notes, fmt.Sprintf("run %d made different calls: %s (first: %s)", i+1, c, r.Calls))
		}
		if res.Exit != r.WantExit {
			r.Notes = append(r.Notes, fmt.Sprintf("run %d exited %d, want %d: %s", i+1, res.Exit, r.WantExit, oneLine(res.Stdout+" "+res.Stderr, 600)))
		}
		results = append(results, res)
		plugin = append(plugin, pu)
		logf("  terraform %s run %d: exit %d, wall %s, cpu %s (plugin %s in %d processes), rss %s, calls %d", args[0], i+1, res.Exit,
			res.Wall.Round(time.Millisecond), (res.User + res.Sys).Round(time.Millisecond), pu.CPU.Round(time.Millisecond), pu.Procs, mib(res.MaxRSS), c.Total)
	}
	med := median(results)
	r.Res, r.Runs = &med, len(results)
	cpus := make([]int64, len(plugin))
	var rss int64
	for i, p := range plugin {
		cpus[i] = int64(p.CPU)
		rss = max(rss, p.MaxRSS)
	}
	pmed := time.Duration(medianInt(cpus))
	r.Notes = append(r.Notes, fmt.Sprintf("CPU of the provider plugin (included in the CPU column): %s in %d processes; plugin peak RSS %s",
		secs(pmed), plugin[0].Procs, mib(rss)))
	return r
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// tfApplyCreates applies n new resources to an emulator without them.
func (h *harness) tfApplyCreates(ctx context.Context, e *tfEnv, n int) row {
	r := row{Scenario: "terraform apply, creates", N: n, WantExit: 0}
	w, err := h.startTFWorld("tf-create", n, false)
	if err != nil {
		return errRow(r, err)
	}
	defer w.emu.Stop()
	r.worldDesc = fmt.Sprintf("%d switchboard_glow_provider resources, none live", n)
	r = h.tfMeasure(ctx, e, w, r, 1, "apply", "-auto-approve", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	return h.tfConverged(ctx, e, w, r)
}

// The Terraform update rows, paired with the CLI's scUpdateDesc and
// scUpdateValues. Terraform sends every update as one guarded update of
// its own provider (crud.Glow.Update), whatever it changes.
const (
	tfUpdateDesc   = "terraform apply, updates (same description)"
	tfUpdateValues = "terraform apply, updates of values (same change)"
)

// tfApplyUpdates writes the configuration changed by ch and applies it.
func (h *harness) tfApplyUpdates(ctx context.Context, e *tfEnv, w *tfWorld, name string, ch tfChange, desc string) row {
	r := row{Scenario: name, N: w.spec.N, WantExit: 0}
	r.worldDesc = desc
	if err := w.writeConfig(ch, false); err != nil {
		return errRow(r, err)
	}
	r = h.tfMeasure(ctx, e, w, r, 1, "apply", "-auto-approve", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	return h.tfConverged(ctx, e, w, r)
}

// tfDestroys destroys every resource of w.
func (h *harness) tfDestroys(ctx context.Context, e *tfEnv, w *tfWorld) row {
	r := row{Scenario: "terraform destroy", N: w.spec.N, WantExit: 0}
	r.worldDesc = "the world of the update rows"
	r = h.tfMeasure(ctx, e, w, r, 1, "apply", "-destroy", "-auto-approve", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism))
	return h.tfConverged(ctx, e, w, r, "-destroy")
}

// tfConverged checks, like the CLI's apply rows, that a plan after the
// apply has nothing to do.
func (h *harness) tfConverged(ctx context.Context, e *tfEnv, w *tfWorld, r row, extra ...string) row {
	if r.Res == nil || r.Err != "" {
		return r
	}
	args := append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", tfParallelism)}, extra...)
	res, _, err := h.tfRun(ctx, e, w, 0, args...)
	switch {
	case err != nil:
		r.Notes = append(r.Notes, "plan after apply: "+err.Error())
	case res.Exit != 0:
		r.Notes = append(r.Notes, fmt.Sprintf("plan after apply exited %d (want 0, no changes): %s", res.Exit, oneLine(res.Stdout+res.Stderr, 400)))
	}
	return r
}

// pluginWrapper is this binary's other life: terraform starts it as the
// provider (it is the dev_overrides plugin), and it runs the real provider
// with the same arguments and stdio, waits for it, appends the provider's
// rusage to $SWITCHBOARD_BENCH_PLUGIN_REPORT and exits as it did.
func pluginWrapper(real string) int {
	cmd := exec.Command(real, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench plugin wrapper:", err)
		return 1
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	ps := cmd.ProcessState
	if report := os.Getenv(envPluginReport); report != "" {
		if f, err := os.OpenFile(report, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			_, werr := fmt.Fprintf(f, "%d %d %d\n", int64(ps.UserTime()), int64(ps.SystemTime()), maxRSS(ps))
			if err := errors.Join(werr, f.Close()); err != nil {
				// The bench would count no plugin time for this run.
				fmt.Fprintf(os.Stderr, "writing the plugin usage report %s: %v\n", report, err)
			}
		}
	}
	if d, err := time.ParseDuration(os.Getenv(envPluginBurn)); err == nil && d > 0 {
		burnCPU(d)
	}
	return ps.ExitCode()
}

// burnCPU spins on one core until the process has used d more CPU.
func burnCPU(d time.Duration) {
	start := processCPU()
	x := uint64(1)
	for processCPU()-start < d {
		for range 100000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	_ = strconv.FormatUint(x, 10)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

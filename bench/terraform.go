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
// must then show up in terraform's rusage (tfCheckRusage).

const (
	// envPluginReal makes this binary a wrapper around the provider at
	// its value (see pluginWrapper).
	envPluginReal = "SWITCHBOARD_BENCH_PLUGIN_REAL"
	// envPluginReport is a file the wrapper appends one line per plugin
	// process to: "user_ns sys_ns maxrss_bytes".
	envPluginReport = "SWITCHBOARD_BENCH_PLUGIN_REPORT"
	// envPluginBurn is CPU the wrapper burns before it starts the plugin.
	envPluginBurn = "SWITCHBOARD_BENCH_PLUGIN_BURN"

	tfParallelism = 10
)

// Terraform is too slow on the bench machine (2 cores) for all of the
// comparison at the CLI's sizes within the time make bench may take, so
// its apply rows are at tfApplyN (the CLI's apply rows include that size,
// so every pair compares equal N), and its plan rows stop at tfMaxPlanN.
// Measured once (2026-11-22, 2 cores, 20 ms latency): at N=1,000
// terraform apply took 45 s for the creates, 87 s for the updates and
// 52 s for the destroys, and importing and planning 1,000 took 11.5 s
// each.
const (
	defaultTFApplyN = 250
	tfMaxPlanN      = 1000
)

// tfTooSlowPlan is why Terraform's plan of n (more than tfMaxPlanN) is
// not run.
func tfTooSlowPlan(n int) string {
	return fmt.Sprintf("not run: at the pace of Terraform's plan of 1,000 in this table, importing %s and planning them 4 times (a counting run and 3 timed) would add over 10 minutes to make bench", thousands(n))
}

// sdkLogsOff is the environment that turns off the trace logging the
// plugin framework and terraform-plugin-go produce in the provider even
// with TF_LOG unset (terraform-plugin-log reads one level per subsystem;
// "off" is hclog's Off), and the provider's own tflog lines.
var sdkLogsOff = []string{"TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_FRAMEWORK=off", "TF_LOG_PROVIDER=off"}

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

// env is terraform's environment against the emulator at url and Vault
// at vaultURL; report and burn configure the plugin wrapper; sdkOff turns
// the SDK's logs off.
func (e *tfEnv) env(url, vaultURL, report string, burn time.Duration, sdkOff bool) []string {
	env := childproc.Env(
		"TF_CLI_CONFIG_FILE="+e.cliConf, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"GLOW_INSTANCE_URL="+url, "GLOW_TOKEN="+glowToken,
		"GATEFLOW_URL="+url, "GATEFLOW_ADMIN_KEY="+adminKey,
		"VAULT_ADDR="+vaultURL, "VAULT_TOKEN="+vaultToken,
		envPluginReal+"="+e.real, envPluginReport+"="+report,
	)
	// childproc.Env keeps the harness's HOME; terraform gets its own.
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "HOME=") })
	env = append(env, "HOME="+e.home)
	if burn > 0 {
		env = append(env, envPluginBurn+"="+burn.String())
	}
	if sdkOff {
		env = append(env, sdkLogsOff...)
	}
	return env
}

// tfWorld is a Terraform working directory over a bench world: the same
// seed and Vault secrets as the CLI's row of the same world, and a
// configuration of one switchboard_glow_provider resource per provider
// whose key is the same Vault reference (`vault = { path, key }`) the
// CLI's configuration has.
//
// The world's 6 Gateflow providers are not in Terraform's configuration:
// switchboard_gateflow_provider takes credentials only as a write-only
// value, not a Vault reference, so they would not read Vault as the
// CLI's do; and Terraform records when it last sent them, which an
// emulator started again from the seed (every apply run) moves, so each
// run would send them again. The CLI's plan reads them with 7 API calls
// and 6 Vault metadata reads, which the tables show.
type tfWorld struct {
	dir  string
	spec worldSpec
	ps   []provider
	seed string
	url  string
	emu  *childproc.Server
	// snapshot is the state right after the import, restored before every
	// apply run.
	snapshot string
}

// tfChange is a change of the configuration only, as the CLI's apply
// rows make it (see worldSpec): Description replaces every description,
// Distinct appends distinctSuffix to each, Team adds the value team =
// Team; Pin pins every key to the version its live key records (the
// rotation world's import, which must not rotate yet).
type tfChange struct {
	Description, Team string
	Distinct, Pin     bool
}

// newTFWorld writes the world of spec into dir (the seed as the CLI's
// rows have it) and the configuration matching it.
func newTFWorld(dir string, spec worldSpec, live bool) (*tfWorld, error) {
	w := &tfWorld{dir: dir, spec: spec}
	bw, err := writeWorld(filepath.Join(dir, "world"), spec, live)
	if err != nil {
		return nil, err
	}
	// The CLI's worlds put the change in the configuration only (see
	// worldSpec): the providers are the seed's, the change is tfChange's.
	w.ps, w.seed = spec.providers(), bw.SeedFile
	return w, nil
}

func (w *tfWorld) start(h *harness) error {
	emu, url, err := startEmulator(h.o.switchboard, w.seed, h.o.latency)
	if err != nil {
		return err
	}
	w.emu, w.url = emu, url
	return nil
}

func (w *tfWorld) stop() {
	if w.emu != nil {
		w.emu.Stop()
		w.emu = nil
	}
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

# Vault's address and token come from VAULT_ADDR and VAULT_TOKEN, as the
# CLI's do: the bench points both at the same Vault, with the same latency.
provider "switchboard" {
  vault = {}
}
`)
	team := ""
	if ch.Team != "" {
		team = fmt.Sprintf(", team = %q", ch.Team)
	}
	for _, p := range w.ps {
		desc := p.Description
		switch {
		case ch.Description != "":
			desc = ch.Description
		case ch.Distinct:
			desc += distinctSuffix
		}
		pin := ""
		if ch.Pin {
			pin = fmt.Sprintf(", version = %d", p.Secret.Versions)
		}
		fmt.Fprintf(&b, `
resource "switchboard_glow_provider" %q {
  name        = %q
  description = %q
  departments = [%q]
  endpoints   = [%q]
  values      = { tier = %q, timeout_s = "30"%s }

  keys = {
    primary = { vault = { path = %q, key = "api_key"%s } }
  }
}
`, p.Key, p.Name, desc, p.Department, p.Endpoint, p.Tier, team, p.Secret.Path, pin)
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

// tfRun runs one terraform command in w, with the plugin's own rusage
// read from the wrapper's report.
func (h *harness) tfRun(ctx context.Context, e *tfEnv, w *tfWorld, vaultURL string, burn time.Duration, sdkOff bool, args ...string) (procResult, pluginUsage, error) {
	report := filepath.Join(w.dir, fmt.Sprintf("plugin-%d.txt", time.Now().UnixNano()))
	full := append([]string{"-chdir=" + w.dir}, args...)
	res, err := runMeasured(ctx, e.bin, full, e.env(w.url, vaultURL, report, burn, sdkOff), 20*time.Minute)
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

// Scenario names of the Terraform rows.
const (
	tfPlanRow       = "terraform plan, no changes"
	tfPlanRowLogOff = "terraform plan, no changes (SDK logs off)"
	tfImportRow     = "terraform apply, import"
)

// tfApplyName is the Terraform row paired with the CLI's apply row name.
func tfApplyName(cli string) string { return "terraform " + cli }

var tfParallel = fmt.Sprintf("-parallelism=%d", tfParallelism)

// terraformCells measures the comparison. Plan rows: the CLI's unchanged
// plan worlds of the plan sizes up to tfMaxPlanN, imported once, then
// planned with the SDK logs as they are and with them off. Apply rows:
// every apply kind of the CLI's at tfApplyN, on the same worlds.
func (h *harness) terraformCells(ctx context.Context) []*cell {
	e, err := h.setupTerraform(ctx)
	if err != nil {
		return []*cell{{row: ptr(errRow(row{Scenario: tfPlanRow, N: tfMaxPlanN}, err))}}
	}
	var cells []*cell
	checked := false
	for _, n := range h.o.sizes {
		if ctx.Err() != nil {
			break
		}
		if n > tfMaxPlanN {
			cells = append(cells, &cell{row: &row{Scenario: tfPlanRow, N: n, Skipped: tfTooSlowPlan(n)}})
			continue
		}
		cs, w := h.tfPlanCells(ctx, e, n)
		cells = append(cells, cs...)
		if w != nil && !checked {
			checked = true
			h.tfRusage = h.tfCheckRusage(ctx, e, w)
		}
	}
	if h.o.tfApplyN > 0 {
		for _, k := range applyKinds() {
			if ctx.Err() != nil {
				break
			}
			cells = append(cells, h.tfApplyCell(ctx, e, k, h.o.tfApplyN))
		}
	}
	return cells
}

// tfPlanCells imports the CLI's plan world of n providers (one apply of n
// import blocks, itself a row measured once) and returns the cells that
// plan it unchanged, with the SDK logs on and off. The world stays up for
// the runs.
func (h *harness) tfPlanCells(ctx context.Context, e *tfEnv, n int) ([]*cell, *tfWorld) {
	r := &row{Scenario: tfPlanRow, N: n, WantExit: 0}
	roff := &row{Scenario: tfPlanRowLogOff, N: n, WantExit: 0}
	fail := func(err error, extra ...*cell) []*cell {
		return append([]*cell{{row: ptr(errRow(*r, err))}, {row: ptr(errRow(*roff, err))}}, extra...)
	}
	// The CLI's world, its secrets in Vault.
	if _, err := h.planWorld(ctx, n, styleBlocks, true, false); err != nil {
		return fail(err), nil
	}
	spec := worldSpec{N: n, Departments: 50, Style: styleBlocks, Prefix: fmt.Sprintf("bench/plan-%s-%d", styleBlocks, n)}
	w, err := newTFWorld(filepath.Join(h.tmp, fmt.Sprintf("tf-plan-%d", n)), spec, true)
	if err == nil {
		err = w.writeConfig(tfChange{}, true)
	}
	if err == nil {
		err = w.start(h)
	}
	if err != nil {
		return fail(err), nil
	}
	h.stops = append(h.stops, w.stop)
	desc := fmt.Sprintf("the world of the CLI's plan row of N=%d (same seed, same Vault secrets): %d switchboard_glow_provider resources, "+
		"each key a Vault reference, imported with import blocks by terraform apply; the 6 Gateflow providers are not in it (see the notes)", n, n)
	r.worldDesc, roff.worldDesc = desc, desc+"; "+strings.Join(sdkLogsOff, " ")
	imp := &row{Scenario: tfImportRow, N: n, WantExit: 0, worldDesc: "measured once, before the plan rows"}
	res, pu, err := h.tfTimed(ctx, e, w, imp, 0, false, "apply", "-auto-approve", "-input=false", "-no-color", tfParallel)
	impCell := &cell{row: imp}
	if err == nil {
		imp.Res, imp.Runs = &res, 1
		imp.Notes = append(imp.Notes, pluginNote([]pluginUsage{pu}))
		if res.Exit != 0 {
			err = fmt.Errorf("terraform apply of the imports exited %d: %s", res.Exit, oneLine(res.Stdout+res.Stderr, 400))
		}
	} else {
		*imp = errRow(*imp, err)
	}
	if err == nil {
		err = w.writeConfig(tfChange{}, false)
	}
	if err != nil {
		return fail(err, impCell), nil
	}
	args := []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", tfParallel}
	cells := []*cell{impCell}
	for _, c := range []struct {
		r   *row
		off bool
	}{{r, false}, {roff, true}} {
		var plugins []pluginUsage
		cells = append(cells, &cell{
			row:   c.r,
			count: func(ctx context.Context) error { return h.tfCount(ctx, e, w, c.r, c.off, args...) },
			once: func(ctx context.Context, i int) (procResult, error) {
				res, pu, err := h.tfTimed(ctx, e, w, c.r, i, c.off, args...)
				plugins = append(plugins, pu)
				return res, err
			},
			finish: func() {
				if len(plugins) > 0 {
					c.r.Notes = append(c.r.Notes, pluginNote(plugins))
				}
			},
		})
	}
	return cells, w
}

// tfTimed is timed run i of terraform in w, Vault behind the delay proxy.
func (h *harness) tfTimed(ctx context.Context, e *tfEnv, w *tfWorld, r *row, i int, sdkOff bool, args ...string) (procResult, pluginUsage, error) {
	before, err := fetchStats(ctx, w.url)
	if err != nil {
		return procResult{}, pluginUsage{}, err
	}
	res, pu, err := h.tfRun(ctx, e, w, h.vaultURL, 0, sdkOff, args...)
	if err != nil {
		return res, pu, err
	}
	after, err := fetchStats(ctx, w.url)
	if err != nil {
		return res, pu, err
	}
	h.noteRun(r, i, diffStats(before, after), res)
	return res, pu, nil
}

// tfCount is the untimed counting run of a Terraform cell.
func (h *harness) tfCount(ctx context.Context, e *tfEnv, w *tfWorld, r *row, sdkOff bool, args ...string) error {
	vAll0, vMD0 := h.counter.counts()
	paths0 := h.counter.byKind()
	res, _, err := h.tfRun(ctx, e, w, h.counter.URL, 0, sdkOff, args...)
	if err != nil {
		return err
	}
	h.recordVault(r, vAll0, vMD0, paths0)
	if res.Exit != r.WantExit {
		r.Notes = append(r.Notes, fmt.Sprintf("counting run exited %d, want %d: %s", res.Exit, r.WantExit, oneLine(res.Stdout+" "+res.Stderr, 600)))
	}
	return nil
}

func pluginNote(ps []pluginUsage) string {
	cpus := make([]int64, len(ps))
	var rss int64
	for i, p := range ps {
		cpus[i] = int64(p.CPU)
		rss = max(rss, p.MaxRSS)
	}
	return fmt.Sprintf("CPU of the provider plugin (included in the CPU column): median %s in %d processes; plugin peak RSS %s",
		secs(time.Duration(medianInt(cpus))), ps[0].Procs, mib(rss))
}

// rusageBurn is the CPU the plugin wrapper burns, per plugin process, in
// the rusage check.
const rusageBurn = 1500 * time.Millisecond

// tfCheckRusage checks that terraform's wait4 rusage covers the provider
// plugins it reaps. It runs terraform validate, which starts the plugin
// but does little else, with the plugin wrapper burning rusageBurn of CPU
// per plugin process before it starts the provider. Included,
// terraform's CPU is at least the burnt total; not included, it is
// terraform's own (well under a second). The check compares an absolute
// floor, with a 10% margin, not two runs' difference, so the machine's
// load cannot flip it: CPU time, unlike wall time, barely grows under
// load. The burn is before the provider starts, not after it exits:
// go-plugin kills a plugin that has not exited within 2 s of being asked
// to, which on a loaded machine cut an after-exit burn short (that is
// what flipped the old check's verdict).
func (h *harness) tfCheckRusage(ctx context.Context, e *tfEnv, w *tfWorld) string {
	res, pu, err := h.tfRun(ctx, e, w, h.vaultURL, rusageBurn, false, "validate", "-no-color")
	if err != nil {
		return "rusage check failed: " + err.Error()
	}
	return rusageVerdict(res.User+res.Sys, pu.Procs, rusageBurn)
}

// rusageVerdict words the rusage check: terraform's CPU against procs
// plugin processes each burning burn.
func rusageVerdict(cpu time.Duration, procs int, burn time.Duration) string {
	if procs == 0 {
		return "rusage check: terraform validate started no plugin process: not checked"
	}
	floor := time.Duration(procs) * burn * 9 / 10
	verdict := "terraform's wait4 rusage includes its provider plugins"
	if cpu < floor {
		verdict = "**terraform's wait4 rusage does NOT include its provider plugins: the CPU columns undercount Terraform**"
	}
	return fmt.Sprintf("rusage check: terraform validate with each of its %d plugin processes burning %s of CPU before the provider starts used %s of CPU in all (floor if included: %s): %s",
		procs, burn, secs(cpu), secs(floor), verdict)
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// tfApplyCell is the Terraform row of apply kind k at n providers, on the
// CLI's world of the same kind and size: the same seed, the same Vault
// secrets, the same change. A world with live providers is imported once
// (into a state kept as a snapshot); every run then starts an emulator
// from the seed, restores the snapshot and applies the change, and a plan
// after the first timed run must have nothing to do.
func (h *harness) tfApplyCell(ctx context.Context, e *tfEnv, k applyKind, n int) *cell {
	r := &row{Scenario: tfApplyName(k.name), N: n, WantExit: 0}
	spec := applySpec(k, n)
	w, err := newTFWorld(filepath.Join(h.tmp, "tf-"+slugOf(k.name)), spec, k.live)
	if err != nil {
		return &cell{row: ptr(errRow(*r, err))}
	}
	if !h.written[spec.Prefix] {
		bw, err := writeWorld(filepath.Join(w.dir, "secrets"), spec, false)
		if err == nil {
			err = h.vault.write(ctx, bw.Secrets)
		}
		if err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
		h.written[spec.Prefix] = true
	}
	r.worldDesc = fmt.Sprintf("the world and change of the CLI's row %q at N=%d (same seed, same Vault secrets), each key a Vault reference", k.name, n)
	ch := tfChange{Description: k.description, Team: k.team, Distinct: k.distinct}
	if k.live {
		// The import: the unchanged configuration (the rotation world's
		// keys pinned to the live versions, so that it does not rotate).
		if err := w.writeConfig(tfChange{Team: k.team, Pin: k.rotate}, true); err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
		if err := w.start(h); err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
		res, _, err := h.tfRun(ctx, e, w, h.vaultURL, 0, false, "apply", "-auto-approve", "-input=false", "-no-color", tfParallel)
		w.stop()
		if err == nil && res.Exit != 0 {
			err = fmt.Errorf("terraform apply of the imports exited %d: %s", res.Exit, oneLine(res.Stdout+res.Stderr, 400))
		}
		if err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
		w.snapshot = filepath.Join(w.dir, "imported.tfstate")
		if err := copyFile(filepath.Join(w.dir, "terraform.tfstate"), w.snapshot); err != nil {
			return &cell{row: ptr(errRow(*r, err))}
		}
	}
	if err := w.writeConfig(ch, false); err != nil {
		return &cell{row: ptr(errRow(*r, err))}
	}
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color", tfParallel}
	after := []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", tfParallel}
	if k.destroy {
		args = append(args, "-destroy")
		after = append(after, "-destroy")
	}
	// prepare starts the emulator of one run and restores the state.
	prepare := func() error {
		st := filepath.Join(w.dir, "terraform.tfstate")
		_ = os.Remove(st + ".backup")
		if w.snapshot == "" {
			if err := os.Remove(st); err != nil && !os.IsNotExist(err) {
				return err
			}
		} else if err := copyFile(w.snapshot, st); err != nil {
			return err
		}
		return w.start(h)
	}
	var plugins []pluginUsage
	return &cell{
		row: r,
		count: func(ctx context.Context) error {
			if err := prepare(); err != nil {
				return err
			}
			defer w.stop()
			return h.tfCount(ctx, e, w, r, false, args...)
		},
		once: func(ctx context.Context, i int) (procResult, error) {
			if err := prepare(); err != nil {
				return procResult{}, err
			}
			defer w.stop()
			res, pu, err := h.tfTimed(ctx, e, w, r, i, false, args...)
			if err != nil {
				return res, err
			}
			plugins = append(plugins, pu)
			if i == 0 {
				h.tfPlanAfter(ctx, e, w, r, i, after)
			}
			return res, nil
		},
		finish: func() {
			if len(plugins) > 0 {
				r.Notes = append(r.Notes, pluginNote(plugins))
			}
			if r.After != "" {
				r.Notes = append(r.Notes, "terraform plan after the first timed run: "+r.After)
			}
		},
	}
}

// tfPlanAfter checks, like the CLI's apply rows, that a plan after run i's
// apply has nothing to do.
func (h *harness) tfPlanAfter(ctx context.Context, e *tfEnv, w *tfWorld, r *row, i int, args []string) {
	res, _, err := h.tfRun(ctx, e, w, h.vaultURL, 0, false, args...)
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

// pluginWrapper is this binary's other life: terraform starts it as the
// provider (it is the dev_overrides plugin), and it runs the real provider
// with the same arguments and stdio, waits for it, appends the provider's
// rusage to $SWITCHBOARD_BENCH_PLUGIN_REPORT and exits as it did. With
// $SWITCHBOARD_BENCH_PLUGIN_BURN it first burns that much CPU.
func pluginWrapper(real string) int {
	if d, err := time.ParseDuration(os.Getenv(envPluginBurn)); err == nil && d > 0 {
		burnCPU(d)
	}
	cmd := exec.Command(real, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench plugin wrapper:", err)
		return 1
	}
	// wait4's peak RSS is 0 on Linux (see maxRSS): sample the plugin's
	// high-water mark as runMeasured samples the processes it starts.
	stopPeak := peakWatch(cmd.Process.Pid)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	peak := stopPeak()
	ps := cmd.ProcessState
	if report := os.Getenv(envPluginReport); report != "" {
		if f, err := os.OpenFile(report, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			_, werr := fmt.Fprintf(f, "%d %d %d\n", int64(ps.UserTime()), int64(ps.SystemTime()), max(peak, maxRSS(ps)))
			if err := errors.Join(werr, f.Close()); err != nil {
				// The bench would count no plugin time for this run.
				fmt.Fprintf(os.Stderr, "writing the plugin usage report %s: %v\n", report, err)
			}
		}
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

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/childproc"
)

// row is one measured line of the table.
type row struct {
	Scenario string
	N        int
	// Res is the median of the runs; nil when the CLI did not run.
	Res *procResult
	// Spread is the smallest and largest of each measure over the runs.
	Spread *spread
	Runs   int
	Calls  calls
	// VaultAll is the Vault requests of the row's counting run (an
	// untimed run through the counting proxy); VaultCounted says there was
	// one.
	VaultAll     int64
	VaultMD      int64 // of which metadata reads
	VaultCounted bool
	// VaultPaths is the requests by kind of path, e.g. "metadata=106
	// sys/internal/ui/mounts=106".
	VaultPaths string
	// Bound is the most API calls the scenario may make; 0 is no bound.
	Bound     int64
	BoundWhy  string
	WantExit  int
	Checks    []check
	Notes     []string
	Skipped   string
	Err       string
	worldDesc string
	// Floor is an apply row's call floor; After what the plan after the
	// apply said ("no changes" when it converged).
	Floor *floor
	After string
	// binary is the switchboard binary that measures the row, when it is
	// not the one under test (a baseline twin).
	binary string
}

// check is one target of the issue, met or missed.
type check struct {
	Target   string
	Measured string
	Met      bool
}

// calls is the difference of two /_emulator/stats answers, grouped the way
// the targets are stated.
type calls struct {
	Total, Searches, Gets, Lists, Writes, Decrypts int64
	Ops                                            map[string]int64
}

func diffStats(before, after emulator.Stats) calls {
	c := calls{Ops: map[string]int64{}, Decrypts: after.Decrypts - before.Decrypts}
	for op, n := range after.Operations {
		d := n - before.Operations[op]
		if d == 0 {
			continue
		}
		c.Ops[op] = d
		c.Total += d
		switch {
		case strings.HasSuffix(op, ".search"):
			c.Searches += d
		case strings.HasSuffix(op, ".get"), op == "glow.token.self":
			// token.self reads the token's own scope.
			c.Gets += d
		case strings.HasSuffix(op, ".list"), op == "glow.provider.drafts":
			// provider.drafts lists the caller's open drafts.
			c.Lists += d
		case strings.HasSuffix(op, ".decrypt"):
			// Counted in Decrypts from the server's own counter.
		default:
			c.Writes += d
		}
	}
	return c
}

func (c calls) equal(o calls) bool {
	if c.Total != o.Total || c.Decrypts != o.Decrypts || len(c.Ops) != len(o.Ops) {
		return false
	}
	for k, v := range c.Ops {
		if o.Ops[k] != v {
			return false
		}
	}
	return true
}

func (c calls) String() string {
	ops := make([]string, 0, len(c.Ops))
	for op, n := range c.Ops {
		ops = append(ops, fmt.Sprintf("%s=%d", op, n))
	}
	slices.Sort(ops)
	return strings.Join(ops, " ")
}

func fetchStats(ctx context.Context, base string) (emulator.Stats, error) {
	var st emulator.Stats
	err := childproc.EmulatorGet(ctx, http.DefaultClient, base, "/_emulator/stats", &st)
	return st, err
}

// cliEnv points the CLI at the emulator and at Vault: in timed runs
// through the delay proxy (h.vaultURL), in counting runs through the
// counting proxy.
func (h *harness) cliEnv(emuURL, vaultURL string) []string {
	return childproc.Env(
		"GLOW_INSTANCE_URL="+emuURL, "GLOW_TOKEN="+glowToken,
		"GATEFLOW_URL="+emuURL, "GATEFLOW_ADMIN_KEY="+adminKey,
		"VAULT_ADDR="+vaultURL, "VAULT_TOKEN="+vaultToken,
		"NO_COLOR=1",
	)
}

// refreshBound is the most calls a plan of w may make: the dump reads Glow's
// providers, endpoints, keys and open drafts in pages and the token's scope
// once, lists Gateflow once and gets each configured Gateflow provider (the
// only per-object gets needed: the Gateflow list lacks settings). Glow's
// search answer is complete, so no Glow provider get is needed at all. The
// drafts list (orphaned drafts) and the token scope are read since
// ownership markers; a bench world has no open draft.
func refreshBound(w *world) (int64, string) {
	ps := api.DefaultPageSize
	pages := func(n int) int64 { return int64(max(1, (n+ps-1)/ps)) }
	b := pages(w.Live) + pages(w.Endpoints) + pages(w.Keys) + pages(0) + 1 + 1 + int64(w.Gateflow)
	why := fmt.Sprintf("%s + endpoint list %s + key list %s + 1 draft list + 1 token scope + 1 Gateflow list + %d Gateflow gets",
		pagesWhy(w.Live, "search"), pagesWhy(w.Endpoints, "page"), pagesWhy(w.Keys, "page"), w.Gateflow)
	return b, why
}

// pagesWhy says how many paged calls of n objects a read makes: ⌈n/500⌉
// of what (singular), and one when there are none (an empty page).
func pagesWhy(n int, what string) string {
	if n == 0 {
		return "1 " + what + ", empty"
	}
	return fmt.Sprintf("⌈%d/%d⌉ %ss", n, api.DefaultPageSize, what)
}

// planWorld writes the unchanged world of n providers in style, its
// secrets into Vault (withVault), and starts its emulator (withEmulator).
// The Terraform plan rows of the same n plan the same world: the same
// seed and the same Vault secrets.
type planWorld struct {
	w   *world
	emu *childproc.Server
	url string
}

func (h *harness) planWorld(ctx context.Context, n int, style configStyle, withVault, withEmulator bool) (*planWorld, error) {
	key := fmt.Sprintf("%s-%d", style, n)
	spec := worldSpec{N: n, Departments: 50, Style: style, Prefix: fmt.Sprintf("bench/plan-%s-%d", style, n)}
	pw := h.worlds[key]
	if pw == nil {
		w, err := writeWorld(filepath.Join(h.tmp, "plan-"+key), spec, true)
		if err != nil {
			return nil, err
		}
		pw = &planWorld{w: w}
		h.worlds[key] = pw
	}
	// Secrets go in before the emulator starts: Gateflow rotation compares
	// a secret's creation time with credentials_updated_at, which the seed
	// sets to the emulator's start.
	if withVault && !h.written[spec.Prefix] {
		if err := h.vault.write(ctx, pw.w.Secrets); err != nil {
			return nil, err
		}
		h.written[spec.Prefix] = true
	}
	if withEmulator && pw.emu == nil {
		emu, url, err := startEmulator(h.o.switchboard, pw.w.SeedFile, h.o.latency)
		if err != nil {
			return nil, err
		}
		pw.emu, pw.url = emu, url
		h.stops = append(h.stops, emu.Stop)
	}
	return pw, nil
}

// planCells measures `switchboard plan` of an unchanged world of n
// providers: the plan must report no changes (exit 0 with
// --detailed-exitcode). With withValidate it also measures `switchboard
// validate` of the same configuration, which reads it and nothing else:
// the share of the plan's CPU and memory that loading the configuration
// costs. With withPlan false only the validate row is measured (the
// for_each rows of the linearity target).
func (h *harness) planCells(ctx context.Context, n int, style configStyle, withPlan, withValidate bool) []*cell {
	var cells []*cell
	pr := &row{Scenario: "plan, no changes (" + string(style) + ")", N: n, WantExit: 0}
	vr := &row{Scenario: "validate only (" + string(style) + ")", N: n, WantExit: 0}
	pw, err := h.planWorld(ctx, n, style, withPlan, withPlan)
	if err != nil {
		if withPlan {
			cells = append(cells, &cell{row: ptr(errRow(*pr, err))})
		}
		if withValidate {
			cells = append(cells, &cell{row: ptr(errRow(*vr, err))})
		}
		return cells
	}
	w := pw.w
	timeout := runTimeout(n)
	if withPlan {
		pr.worldDesc = fmt.Sprintf("%d Glow providers in %d departments, %d endpoints, %d keys, %d Gateflow providers", n, min(n, w.Spec.Departments), w.Endpoints, w.Keys, w.Gateflow)
		pr.Bound, pr.BoundWhy = refreshBound(w)
		args := []string{"plan", "--no-color", "--parallelism", fmt.Sprint(h.o.parallelism), "--detailed-exitcode", w.ConfigDir}
		run := h.timedRuns(pw.url, args, timeout)
		c := &cell{
			row:    pr,
			count:  func(ctx context.Context) error { return h.countRun(ctx, pr, pw.url, args, timeout) },
			once:   run(pr),
			finish: func() { pr.Checks = planChecks(*pr, w) },
		}
		cells = append(cells, c)
		if h.o.baselineBin != "" {
			cells = append(cells, h.baselineTwin(c, run))
		}
	}
	if withValidate {
		args := []string{"validate", "--no-color", w.ConfigDir}
		run := h.timedRuns(pw.url, args, timeout)
		c := &cell{row: vr, once: run(vr)}
		cells = append(cells, c)
		if h.o.baselineBin != "" {
			cells = append(cells, h.baselineTwin(c, run))
		}
	}
	return cells
}

func ptr[T any](v T) *T { return &v }

// runTimeout bounds one CLI run of n providers.
func runTimeout(n int) time.Duration {
	if n > 10000 {
		return 15 * time.Minute
	}
	return 5 * time.Minute
}

// timedRuns gives a row its timed runs of the CLI with args against the
// emulator at url (measureRun), for the row itself and its baseline twin.
func (h *harness) timedRuns(url string, args []string, timeout time.Duration) func(r *row) func(ctx context.Context, i int) (procResult, error) {
	return func(r *row) func(ctx context.Context, i int) (procResult, error) {
		return func(ctx context.Context, i int) (procResult, error) {
			return h.measureRun(ctx, r, url, args, i, timeout)
		}
	}
}

// measureRun is timed run i of the CLI against the emulator at url (none
// for validate), Vault behind the delay proxy. The API calls of the first
// run are the row's; a later run that made different calls is noted
// (reads should be deterministic), as is a run with the wrong exit code.
func (h *harness) measureRun(ctx context.Context, r *row, url string, args []string, i int, timeout time.Duration) (procResult, error) {
	var before emulator.Stats
	var err error
	if url != "" {
		if before, err = fetchStats(ctx, url); err != nil {
			return procResult{}, err
		}
	}
	res, err := runMeasured(ctx, h.binaryOf(r), args, append(h.cliEnv(url, h.vaultURL), h.profileEnv(*r, i)...), timeout)
	if err != nil {
		return res, err
	}
	if h.o.cpuProfile != "" {
		_ = os.WriteFile(h.profilePath(*r, i, ".stderr"), []byte(res.Stderr), 0o644)
	}
	var c calls
	if url != "" {
		after, err := fetchStats(ctx, url)
		if err != nil {
			return res, err
		}
		c = diffStats(before, after)
	}
	h.noteRun(r, i, c, res)
	return res, nil
}

// noteRun records run i's calls (the first run's are the row's) and notes
// a run that differs or exits wrongly.
func (h *harness) noteRun(r *row, i int, c calls, res procResult) {
	if i == 0 {
		r.Calls = c
	} else if !c.equal(r.Calls) {
		r.Notes = append(r.Notes, fmt.Sprintf("run %d made different calls: %s (first: %s)", i+1, c, r.Calls))
	}
	if res.Exit != r.WantExit {
		r.Notes = append(r.Notes, fmt.Sprintf("run %d exited %d, want %d; stderr: %s; stdout tail: %s",
			i+1, res.Exit, r.WantExit, oneLine(res.Stderr, 400), oneLine(res.Stdout, 400)))
	}
	logf("  %s, N=%d, run %d: exit %d, wall %s, cpu %s, rss %s, calls %d", r.Scenario, r.N, i+1, res.Exit, res.Wall.Round(time.Millisecond),
		(res.User + res.Sys).Round(time.Millisecond), mib(res.MaxRSS), c.Total)
}

// countRun is the untimed run of a cell with Vault behind the counting
// proxy: it fills the row's Vault request counts.
func (h *harness) countRun(ctx context.Context, r *row, url string, args []string, timeout time.Duration) error {
	vAll0, vMD0 := h.counter.counts()
	paths0 := h.counter.byKind()
	res, err := runMeasured(ctx, h.o.switchboard, args, h.cliEnv(url, h.counter.URL), timeout)
	if err != nil {
		return err
	}
	h.recordVault(r, vAll0, vMD0, paths0)
	if res.Exit != r.WantExit {
		r.Notes = append(r.Notes, fmt.Sprintf("counting run exited %d, want %d; stderr: %s", res.Exit, r.WantExit, oneLine(res.Stderr, 400)))
	}
	return nil
}

func (h *harness) recordVault(r *row, vAll0, vMD0 int64, paths0 map[string]int64) {
	vAll1, vMD1 := h.counter.counts()
	r.VaultAll, r.VaultMD = vAll1-vAll0, vMD1-vMD0
	r.VaultPaths = kindDiff(paths0, h.counter.byKind())
	r.VaultCounted = true
}

// median takes each measure's median separately: with three runs one slow
// outlier (a GC, a noisy neighbour) moves none of them. The exit code is
// the worst one, so that a single wrong answer is not averaged away.
func median(rs []procResult) procResult {
	pick := func(f func(procResult) int64) int64 {
		xs := make([]int64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	out := rs[0]
	out.Wall = time.Duration(pick(func(r procResult) int64 { return int64(r.Wall) }))
	cpu := time.Duration(pick(func(r procResult) int64 { return int64(r.User + r.Sys) }))
	out.User = time.Duration(pick(func(r procResult) int64 { return int64(r.User) }))
	out.Sys = cpu - out.User
	out.MaxRSS = pick(func(r procResult) int64 { return r.MaxRSS })
	for _, r := range rs {
		if r.Exit != 0 && out.Exit == 0 || r.Exit > out.Exit {
			out.Exit = r.Exit
		}
	}
	return out
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// vaultWriter plants a world's secrets straight into vault-dev (not
// through the counter, which measures only the CLI).
type vaultWriter struct {
	c *vaultapi.Client
}

func newVaultWriter(addr, token string) (*vaultWriter, error) {
	cfg := vaultapi.DefaultConfig()
	cfg.Address = addr
	cfg.Timeout = 30 * time.Second
	cfg.MaxRetries = 2
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	return &vaultWriter{c: c}, nil
}

// write stores each secret Versions times, so its current version is
// Versions. 16 writers keep vault-dev busy without starving the machine.
func (v *vaultWriter) write(ctx context.Context, secrets []secret) error {
	work := make(chan secret)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for s := range work {
				mount, rest, _ := strings.Cut(s.Path, "/")
				for ver := 1; ver <= s.Versions; ver++ {
					val := s.Value
					if ver < s.Versions {
						val += "-old"
					}
					if _, err := v.c.KVv2(mount).Put(ctx, rest, map[string]any{"api_key": val}); err != nil {
						select {
						case errc <- fmt.Errorf("writing %s to Vault: %w", s.Path, err):
						default:
						}
						return
					}
				}
			}
		})
	}
	start := time.Now()
feed:
	for _, s := range secrets {
		select {
		case work <- s:
		case err := <-errc:
			errc <- err
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	logf("  wrote %d secrets to Vault in %s", len(secrets), time.Since(start).Round(time.Millisecond))
	return nil
}

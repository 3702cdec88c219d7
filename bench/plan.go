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
	Res      *procResult
	Runs     int
	Calls    calls
	VaultAll int64 // Vault requests the CLI made (through the counter)
	VaultMD  int64 // of which metadata reads
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

// cliEnv points the CLI at the emulator and, through the counting proxy,
// at Vault.
func (h *harness) cliEnv(emuURL string) []string {
	return childproc.Env(
		"GLOW_INSTANCE_URL="+emuURL, "GLOW_TOKEN="+glowToken,
		"GATEFLOW_URL="+emuURL, "GATEFLOW_ADMIN_KEY="+adminKey,
		"VAULT_ADDR="+h.counter.URL, "VAULT_TOKEN="+vaultToken,
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

// planRows measures `switchboard plan` of an unchanged world of n providers:
// the plan must report no changes (exit 0 with --detailed-exitcode). With
// withValidate it also measures `switchboard validate` of the same
// configuration, which reads it and nothing else: the share of the plan's
// CPU and memory that loading the configuration costs.
func (h *harness) planRows(ctx context.Context, n int, style configStyle, withValidate bool) []row {
	r := row{Scenario: "plan, no changes (" + string(style) + ")", N: n, WantExit: 0}
	spec := worldSpec{N: n, Departments: 50, Style: style, Prefix: fmt.Sprintf("bench/plan-%s-%d", style, n)}
	w, err := writeWorld(filepath.Join(h.tmp, fmt.Sprintf("plan-%s-%d", style, n)), spec, true)
	if err != nil {
		return []row{errRow(r, err)}
	}
	r.worldDesc = fmt.Sprintf("%d Glow providers in %d departments, %d endpoints, %d keys, %d Gateflow providers", n, min(n, spec.Departments), w.Endpoints, w.Keys, w.Gateflow)
	// Secrets go in before the emulator starts: Gateflow rotation compares
	// a secret's creation time with credentials_updated_at, which the seed
	// sets to the emulator's start.
	if err := h.vault.write(ctx, w.Secrets); err != nil {
		return []row{errRow(r, err)}
	}
	emu, url, err := startEmulator(h.o.switchboard, w.SeedFile, h.o.latency)
	if err != nil {
		return []row{errRow(r, err)}
	}
	defer emu.Stop()

	r.Bound, r.BoundWhy = refreshBound(w)
	args := []string{"plan", "--no-color", "--parallelism", fmt.Sprint(h.o.parallelism), "--detailed-exitcode", w.ConfigDir}
	r = h.measure(ctx, r, url, args, h.o.runs)
	r.Checks = planChecks(r, w)
	rows := []row{r}
	if withValidate {
		v := row{Scenario: "validate only (" + string(style) + ")", N: n, WantExit: 0}
		rows = append(rows, h.measure(ctx, v, url, []string{"validate", "--no-color", w.ConfigDir}, h.o.runs))
	}
	return rows
}

// measure runs the CLI runs times against the emulator at url and fills r
// with the median of each measure and the API calls of the first run (a
// run that made different calls is noted: reads should be deterministic).
func (h *harness) measure(ctx context.Context, r row, url string, args []string, runs int) row {
	var results []procResult
	for i := range runs {
		before, err := fetchStats(ctx, url)
		if err != nil {
			return errRow(r, err)
		}
		vAll0, vMD0 := h.counter.counts()
		paths0 := h.counter.byKind()
		res, err := runMeasured(ctx, h.o.switchboard, args, append(h.cliEnv(url), h.profileEnv(r, i)...), 5*time.Minute)
		if err != nil {
			return errRow(r, err)
		}
		if h.o.cpuProfile != "" {
			_ = os.WriteFile(h.profilePath(r, i, ".stderr"), []byte(res.Stderr), 0o644)
		}
		after, err := fetchStats(ctx, url)
		if err != nil {
			return errRow(r, err)
		}
		vAll1, vMD1 := h.counter.counts()
		c := diffStats(before, after)
		if i == 0 {
			r.Calls, r.VaultAll, r.VaultMD = c, vAll1-vAll0, vMD1-vMD0
			r.VaultPaths = kindDiff(paths0, h.counter.byKind())
		} else if !c.equal(r.Calls) {
			r.Notes = append(r.Notes, fmt.Sprintf("run %d made different calls: %s (first: %s)", i+1, c, r.Calls))
		}
		if res.Exit != r.WantExit {
			r.Notes = append(r.Notes, fmt.Sprintf("run %d exited %d, want %d; stderr: %s; stdout tail: %s",
				i+1, res.Exit, r.WantExit, oneLine(res.Stderr, 400), oneLine(res.Stdout, 400)))
		}
		results = append(results, res)
		logf("  run %d: exit %d, wall %s, cpu %s, rss %s, calls %d", i+1, res.Exit, res.Wall.Round(time.Millisecond),
			(res.User + res.Sys).Round(time.Millisecond), mib(res.MaxRSS), c.Total)
	}
	med := median(results)
	r.Res, r.Runs = &med, len(results)
	return r
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

// Command soak drives the real switchboard binary against the emulator
// with injected faults and a real Vault, for a bounded number of rounds of
// random configuration changes, and checks invariants after every round:
//
//	go run ./soak -switchboard bin/switchboard -vault-dev bin/vault-dev
//
// Each round changes the configuration (creates, updates, rotations through
// new Vault versions, destroys through pruned departments and Gateflow's
// prune), applies it with `apply --auto-approve` (re-running a failed apply
// a bounded number of times) and checks:
//
//   - the next plan is empty (plan --detailed-exitcode exits 0);
//   - no two Glow providers share a name in a department;
//   - every Glow key decrypts, through the soak's own Glow client and token
//     (its own actor in the audit log), to the Vault version the
//     configuration points to;
//   - the audit log has no decrypt by Switchboard's actor;
//   - no output of any run holds a secret value or a token.
//
// Some rounds also run two appliers on overlapping configurations at once
// (the loser must report a conflict and change nothing), and some kill the
// emulator with SIGKILL in the middle of an apply and restart it on the
// same data directory. The counts are printed as a table at the end and
// written to -out; any invariant violation makes the exit status 1.
//
// The configuration changes come from a PRNG whose seed is printed; -seed
// replays them (fault timing depends on scheduling and is not replayed).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/childproc"
	"github.com/switchboard-hq/switchboard/sensitive"
)

const maxDuration = 10 * time.Minute

type options struct {
	switchboard, vaultDev, out string
	rounds                     int
	duration                   time.Duration
	seed                       int64
	failRate, dropRate         float64
	rateLimit                  float64
	maxReruns                  int
	maxRequests                int64
	conflictEvery, restartEvry int
	keep                       bool
}

func main() {
	var o options
	flag.StringVar(&o.switchboard, "switchboard", "bin/switchboard", "the switchboard binary")
	flag.StringVar(&o.vaultDev, "vault-dev", "bin/vault-dev", "the vault-dev binary")
	flag.StringVar(&o.out, "out", "bench/soak.md", "write the table here too (\"\" for stdout only)")
	flag.IntVar(&o.rounds, "rounds", 50, "rounds of configuration changes")
	flag.DurationVar(&o.duration, "duration", 8*time.Minute, "stop after this long (at most 10m)")
	flag.Int64Var(&o.seed, "seed", 0, "PRNG seed of the configuration changes and faults (0: random)")
	flag.Float64Var(&o.failRate, "fail-rate", 0.1, "emulator --fail-rate")
	flag.Float64Var(&o.dropRate, "drop-rate", 0.02, "emulator --drop-rate")
	flag.Float64Var(&o.rateLimit, "rate-limit", 15, "emulator --rate-limit (calls per second)")
	flag.IntVar(&o.maxReruns, "max-reruns", 5, "re-runs of a failed apply before it counts as not converging")
	flag.Int64Var(&o.maxRequests, "max-requests", 200_000, "stop when the emulator has served this many API calls")
	flag.IntVar(&o.conflictEvery, "conflict-every", 10, "run two appliers at once every N rounds (0: never)")
	flag.IntVar(&o.restartEvry, "restart-every", 12, "kill and restart the emulator during the apply of every N-th round (0: never)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Parse()
	if o.duration <= 0 || o.duration > maxDuration {
		fmt.Fprintf(os.Stderr, "soak: -duration must be in (0, %s]\n", maxDuration)
		os.Exit(2)
	}
	if o.seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.seed = int64(b[0])<<40 | int64(b[1])<<32 | int64(b[2])<<24 | int64(b[3])<<16 | int64(b[4])<<8 | int64(b[5])
	}
	fmt.Printf("soak: seed %d (replay with -seed %d)\n", o.seed, o.seed)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		childproc.KillAll()
		os.Exit(130)
	}()

	code, err := runSoak(o)
	childproc.KillAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// soak is the state of one run.
type soak struct {
	o        options
	start    time.Time
	deadline time.Time
	rng      *mrand.Rand

	spec       emulatorSpec
	emuSrv     *childproc.Server
	emuURL     string
	emu        *emuClient
	vaultAddr  string
	vaultToken string
	vault      *vaultStore
	checker    *glow.Client
	checkRetry int64 // retries of earlier checker clients

	work, mainDir, otherDir string
	mut                     *mutator
	model                   *model

	// counters
	rounds          int
	ops             counts
	applies, plans  int
	reruns          int
	added, changed  int
	destroyed       int
	conflictEvents  int
	conflicts       int
	serialised      int
	faultLosers     int
	bothFailed      int
	restarts        int
	faults          emulator.FaultCounts // of earlier emulator processes
	calls           int64                // of earlier emulator processes
	decrypts        int64                // of earlier emulator processes
	lastStats       emulator.Stats
	checkerDecrypts int
	runs            []run
	violations      []string

	auditChecker, auditSwitchboard int
}

func runSoak(o options) (int, error) {
	s := &soak{o: o, start: time.Now(), rng: mrand.New(mrand.NewPCG(uint64(o.seed), 0x50a4))}
	s.deadline = s.start.Add(o.duration)
	for _, bin := range []*string{&o.switchboard, &o.vaultDev} {
		abs, err := filepath.Abs(*bin)
		if err != nil {
			return 1, err
		}
		if _, err := os.Stat(abs); err != nil {
			return 1, fmt.Errorf("%w (build it with make)", err)
		}
		*bin = abs
	}
	s.o = o
	work, err := os.MkdirTemp("", "switchboard-soak-")
	if err != nil {
		return 1, err
	}
	s.work, s.mainDir, s.otherDir = work, filepath.Join(work, "config"), filepath.Join(work, "config-other")
	if !o.keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Println("soak: work directory", work)
	}

	s.vaultToken = "soak-vault-" + randHex(8)
	vsrv, vaddr, err := startVault(o.vaultDev, s.vaultToken)
	if err != nil {
		return 1, err
	}
	defer vsrv.Stop()
	s.vaultAddr = vaddr
	vcfg := vaultapi.DefaultConfig()
	vcfg.Address = vaddr
	vc, err := vaultapi.NewClient(vcfg)
	if err != nil {
		return 1, err
	}
	vc.SetToken(s.vaultToken)
	s.vault = &vaultStore{c: vc, rng: mrand.New(mrand.NewPCG(uint64(o.seed), 0x5ec7)), values: map[string][]string{}}
	s.mut = &mutator{rng: s.rng, vault: s.vault}
	s.model = &model{Glow: map[string]*glowProv{}, GF: map[string]*gfProv{}}

	s.spec = emulatorSpec{
		bin: o.switchboard, dataDir: filepath.Join(work, "emulator-data"),
		failRate: o.failRate, dropRate: o.dropRate, rateLimit: o.rateLimit, faultSeed: o.seed,
		glowToken: "sb-glow-" + randHex(8), checkTok: "soak-glow-" + randHex(8), adminKey: "gw_admin_soak" + randHex(8),
	}
	s.emu = &emuClient{hc: &http.Client{Timeout: 10 * time.Second}, url: func() string { return s.emuURL }}
	if err := s.startEmulator("127.0.0.1:0"); err != nil {
		return 1, err
	}
	defer func() {
		if s.emuSrv != nil {
			s.emuSrv.Stop()
			s.runs = append(s.runs, run{Args: []string{"emulator"}, Stdout: s.emuSrv.Stdout.String(), Stderr: s.emuSrv.Stderr.String()})
		}
	}()

	ctx := context.Background()
	incomplete := ""
	for r := 1; r <= o.rounds; r++ {
		if time.Now().After(s.deadline) {
			incomplete = fmt.Sprintf("stopped after %d of %d rounds: -duration %s reached", r-1, o.rounds, o.duration)
			break
		}
		if st, err := s.emu.stats(ctx); err == nil && s.calls+total(st) > o.maxRequests {
			incomplete = fmt.Sprintf("stopped after %d of %d rounds: -max-requests %d reached", r-1, o.rounds, o.maxRequests)
			break
		}
		if err := s.round(ctx, r); err != nil {
			return 1, fmt.Errorf("round %d: %w", r, err)
		}
		s.rounds = r
	}

	if st, err := s.emu.stats(ctx); err == nil {
		s.lastStats = st
	}
	// The emulator's own output is part of "every output".
	s.emuSrv.Stop()
	s.runs = append(s.runs, run{Args: []string{"emulator"}, Stdout: s.emuSrv.Stdout.String(), Stderr: s.emuSrv.Stderr.String()})
	s.emuSrv = nil
	for _, rn := range s.runs {
		for _, what := range s.secretsIn(rn.output()) {
			s.violate("final scan: the output of %q contains %s", strings.Join(rn.Args, " "), what)
		}
	}

	table := s.table(incomplete)
	fmt.Println()
	fmt.Print(table)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(s.report(table)), 0o644); err != nil {
			return 1, err
		}
		fmt.Println("soak: wrote", o.out)
	}
	switch {
	case len(s.violations) > 0:
		fmt.Fprintf(os.Stderr, "soak: %d invariant violations:\n", len(s.violations))
		for _, v := range s.violations {
			fmt.Fprintln(os.Stderr, "  -", v)
		}
		return 1, nil
	case incomplete != "":
		return 1, errors.New(incomplete)
	}
	fmt.Println("soak: no invariant violations")
	return 0, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func total(st emulator.Stats) int64 {
	var n int64
	for _, v := range st.Operations {
		n += v
	}
	return n
}

func (s *soak) violate(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	s.violations = append(s.violations, v)
	fmt.Println("  VIOLATION:", v)
}

func (s *soak) startEmulator(addr string) error {
	srv, url, err := s.spec.start(addr)
	if err != nil {
		return err
	}
	s.emuSrv, s.emuURL = srv, url
	if s.checker != nil {
		s.checkRetry += s.checker.Stats().Retries
	}
	s.checker, err = glow.New(url, sensitive.New(s.spec.checkTok), api.WithTimeout(10*time.Second))
	return err
}

func (s *soak) env() []string {
	return baseEnv(
		"GLOW_INSTANCE_URL="+s.emuURL, "GLOW_TOKEN="+s.spec.glowToken,
		"GATEFLOW_URL="+s.emuURL, "GATEFLOW_ADMIN_KEY="+s.spec.adminKey,
		"VAULT_ADDR="+s.vaultAddr, "VAULT_TOKEN="+s.vaultToken,
	)
}

func (s *soak) timeout() time.Duration {
	return min(3*time.Minute, max(time.Until(s.deadline.Add(time.Minute)), 5*time.Second))
}

// launch starts one CLI run.
func (s *soak) launch(args ...string) (*proc, error) {
	return startCLI(s.o.switchboard, args, s.env(), s.timeout())
}

// finish records a finished run and scans its output at once.
func (s *soak) finish(p *proc) (run, error) {
	r, err := p.wait()
	if err != nil {
		return r, fmt.Errorf("switchboard %s: %w", strings.Join(r.Args, " "), err)
	}
	s.runs = append(s.runs, r)
	switch r.Args[0] {
	case "apply":
		s.applies++
		s.countApplied(r.Stdout)
	case "plan":
		s.plans++
	}
	for _, what := range s.secretsIn(r.output()) {
		s.violate("the output of %q contains %s", strings.Join(r.Args, " "), what)
	}
	return r, nil
}

func (s *soak) cli(args ...string) (run, error) {
	p, err := s.launch(args...)
	if err != nil {
		return run{}, err
	}
	return s.finish(p)
}

var appliedRe = regexp.MustCompile(`Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed`)

func (s *soak) countApplied(out string) {
	for _, m := range appliedRe.FindAllStringSubmatch(out, -1) {
		a, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		s.added, s.changed, s.destroyed = s.added+a, s.changed+c, s.destroyed+d
	}
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// converge re-runs a failed apply of dir until it succeeds, at most
// maxReruns times. first is the run that already happened, if any.
func (s *soak) converge(dir string, first *run) error {
	r := first
	for attempt := 0; ; attempt++ {
		if r != nil && r.Exit == 0 {
			return nil
		}
		if r != nil {
			if attempt > s.o.maxReruns {
				s.violate("apply of %s did not converge after %d re-runs; last output: %s", filepath.Base(dir), s.o.maxReruns, tail(r.output(), 600))
				return nil
			}
			if attempt > 0 || first != nil {
				s.reruns++
				fmt.Printf("  apply failed (exit %d), re-running: %s\n", r.Exit, firstLine(failureLine(r.output())))
			}
		}
		nr, err := s.cli("apply", "--no-color", "--auto-approve", dir)
		if err != nil {
			return err
		}
		r = &nr
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// failureLine picks the line of an output that says why it failed.
func failureLine(out string) string {
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "Error") {
			return strings.TrimSpace(l)
		}
	}
	for l := range strings.Lines(out) {
		if strings.Contains(l, "rror") || strings.Contains(l, "failed") {
			return strings.TrimSpace(l)
		}
	}
	return tail(out, 200)
}

// planJSON runs plan --format json --detailed-exitcode on dir, re-running
// a plan that failed (exit 1, a fault that outlasted the retries) a few
// times, and returns the exit code and the changed addresses.
func (s *soak) planJSON(dir string) (int, []string, string, error) {
	var last run
	for range 4 {
		r, err := s.cli("plan", "--no-color", "--detailed-exitcode", "--format", "json", dir)
		if err != nil {
			return 0, nil, "", err
		}
		last = r
		if r.Exit == 1 {
			continue
		}
		var p struct {
			ResourceChanges []struct {
				Address string   `json:"address"`
				Actions []string `json:"actions"`
			} `json:"resource_changes"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil {
			return r.Exit, nil, "", fmt.Errorf("plan JSON: %w", err)
		}
		var changed []string
		for _, c := range p.ResourceChanges {
			if len(c.Actions) != 1 || c.Actions[0] != "no-op" {
				changed = append(changed, c.Address+" "+strings.Join(c.Actions, ","))
			}
		}
		return r.Exit, changed, "", nil
	}
	return 1, nil, tail(last.Stderr, 400), nil
}

// checkAll runs every invariant after a round.
func (s *soak) checkAll(ctx context.Context, r int) error {
	code, changed, why, err := s.planJSON(s.mainDir)
	if err != nil {
		return err
	}
	switch {
	case code == 1:
		s.violate("round %d: plan kept failing: %s", r, why)
	case code != 0 || len(changed) > 0:
		s.violate("round %d: plan after apply is not empty (exit %d): %v", r, code, changed)
	}
	var glowErr error
	for range 3 {
		v, n, err := s.checkGlow(ctx, s.model)
		s.checkerDecrypts += n
		if err != nil {
			glowErr = err
			continue
		}
		glowErr = nil
		for _, x := range v {
			s.violate("round %d: %s", r, x)
		}
		v, err = s.checkAudit(ctx, n)
		if err != nil {
			return err
		}
		for _, x := range v {
			s.violate("round %d: %s", r, x)
		}
		break
	}
	if glowErr != nil {
		s.violate("round %d: the Glow check could not complete: %v", r, glowErr)
	}
	return nil
}

func (s *soak) round(ctx context.Context, r int) error {
	restart := s.o.restartEvry > 0 && r%s.o.restartEvry == 0
	n := 1 + s.rng.IntN(3)
	if restart || r == 1 {
		n = 4 // something to be in the middle of
	}
	before := s.ops
	if err := s.mut.mutate(ctx, s.model, n, &s.ops); err != nil {
		return err
	}
	if err := s.model.write(s.mainDir); err != nil {
		return err
	}
	d := s.ops
	fmt.Printf("round %d: %d creates, %d updates, %d rotations, %d destroys (%d glow, %d gateflow)%s\n", r,
		d.Creates-before.Creates, d.Updates-before.Updates, d.Rotations-before.Rotations, d.Destroys-before.Destroys,
		len(s.model.Glow), len(s.model.GF), map[bool]string{true: ", emulator restart", false: ""}[restart])
	if restart {
		if err := s.applyWithRestart(ctx); err != nil {
			return err
		}
	} else if err := s.converge(s.mainDir, nil); err != nil {
		return err
	}
	if err := s.checkAll(ctx, r); err != nil {
		return err
	}
	if s.o.conflictEvery > 0 && r%s.o.conflictEvery == s.o.conflictEvery/2 {
		saved := (r/s.o.conflictEvery)%2 == 0
		if err := s.concurrent(ctx, r, saved); err != nil {
			return err
		}
	}
	return nil
}

// mutating says whether an emulator operation changes state.
func mutating(op string) bool {
	for _, w := range []string{"create", "update", "delete", "draft", "publish", "configure", "credentials", "enable", "disable"} {
		if strings.HasSuffix(op, "."+w) {
			return true
		}
	}
	return false
}

func writes(st emulator.Stats) int64 {
	var n int64
	for op, v := range st.Operations {
		if mutating(op) {
			n += v
		}
	}
	return n
}

// absorb adds an emulator process's counters to the totals before it dies.
func (s *soak) absorb(st emulator.Stats) {
	s.faults.Failed += st.Faults.Failed
	s.faults.RateLimited += st.Faults.RateLimited
	s.faults.Dropped += st.Faults.Dropped
	s.calls += total(st)
	s.decrypts += st.Decrypts
}

// applyWithRestart starts an apply, kills the emulator with SIGKILL once the
// apply has made a write, restarts it on the same data directory (and
// address, if it is still free) and lets apply converge.
func (s *soak) applyWithRestart(ctx context.Context) error {
	st, err := s.emu.stats(ctx)
	if err != nil {
		return err
	}
	base := writes(st)
	p, err := s.launch("apply", "--no-color", "--auto-approve", s.mainDir)
	if err != nil {
		return err
	}
	last := st
	deadline := time.Now().Add(10 * time.Second)
watch:
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			break watch
		default:
		}
		if st, err := s.emu.stats(ctx); err == nil {
			last = st
			if writes(st) > base {
				break watch
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	midApply := true
	select {
	case <-p.done:
		midApply = false
	default:
	}
	s.absorb(last)
	s.emuSrv.Kill()
	s.restarts++
	s.runs = append(s.runs, run{Args: []string{"emulator"}, Stdout: s.emuSrv.Stdout.String(), Stderr: s.emuSrv.Stderr.String()})
	addr := strings.TrimPrefix(s.emuURL, "http://")
	where := "the same address"
	if err := s.startEmulator(addr); err != nil {
		if err := s.startEmulator("127.0.0.1:0"); err != nil {
			return fmt.Errorf("restarting the emulator: %w", err)
		}
		where = "a new address " + s.emuURL
	}
	fmt.Printf("  emulator killed (SIGKILL) %s and restarted on %s\n",
		map[bool]string{true: "in the middle of the apply", false: "right after the apply"}[midApply], where)
	r, err := s.finish(p)
	if err != nil {
		return err
	}
	if r.Exit != 0 {
		fmt.Printf("  the interrupted apply exited %d: %s\n", r.Exit, firstLine(failureLine(r.output())))
	}
	return s.converge(s.mainDir, &r)
}

var conflictRe = regexp.MustCompile(`(?i)stale|changed since|conflict|nothing was overwritten|plan again`)

// concurrent runs two appliers on configurations that differ in one
// provider's description. With saved plans both plans are made from the
// same state first, so the second apply to arrive must be refused; with
// directories they may also happen one after the other. Afterwards each
// configuration's plan must be empty or show exactly its own pending
// change, and the winner's must be empty.
func (s *soak) concurrent(ctx context.Context, r int, saved bool) error {
	s.conflictEvents++
	labels := sortedKeys(s.model.Glow)
	x := labels[s.rng.IntN(len(labels))]
	a, b := s.model.clone(), s.model.clone()
	a.Glow[x].Desc = fmt.Sprintf("writer A, round %d", r)
	b.Glow[x].Desc = fmt.Sprintf("writer B, round %d", r)
	if err := a.write(s.mainDir); err != nil {
		return err
	}
	if err := b.write(s.otherDir); err != nil {
		return err
	}
	mode := "directories"
	var argsA, argsB []string
	if saved {
		mode = "saved plans"
		fa, fb := filepath.Join(s.work, "a.sbplan"), filepath.Join(s.work, "b.sbplan")
		for _, pf := range []struct{ dir, file string }{{s.mainDir, fa}, {s.otherDir, fb}} {
			ok := false
			for range 4 {
				res, err := s.cli("plan", "--no-color", "--out", pf.file, pf.dir)
				if err != nil {
					return err
				}
				if ok = res.Exit == 0; ok {
					break
				}
			}
			if !ok {
				s.violate("round %d: plan --out kept failing", r)
				return nil
			}
		}
		argsA = []string{"apply", "--no-color", "--dir", s.mainDir, fa}
		argsB = []string{"apply", "--no-color", "--dir", s.otherDir, fb}
	} else {
		argsA = []string{"apply", "--no-color", "--auto-approve", s.mainDir}
		argsB = []string{"apply", "--no-color", "--auto-approve", s.otherDir}
	}
	pa, err := s.launch(argsA...)
	if err != nil {
		return err
	}
	pb, err := s.launch(argsB...)
	if err != nil {
		return err
	}
	ra, err := s.finish(pa)
	if err != nil {
		return err
	}
	rb, err := s.finish(pb)
	if err != nil {
		return err
	}

	outcome := ""
	var winnerDir string
	switch {
	case ra.Exit == 0 && rb.Exit == 0:
		if saved {
			s.violate("round %d: two saved plans made from the same state were both applied: one overwrote the other silently", r)
		}
		s.serialised++
		outcome = "both applied, one after the other"
	case ra.Exit == 0 || rb.Exit == 0:
		winner, loser, wdir := "A", rb, s.mainDir
		if rb.Exit == 0 {
			winner, loser, wdir = "B", ra, s.otherDir
		}
		if conflictRe.MatchString(loser.output()) {
			s.conflicts++
			winnerDir = wdir
			outcome = fmt.Sprintf("%s won; the loser reported: %s", winner, firstLine(failureLine(conflictLine(loser.output()))))
		} else {
			s.faultLosers++
			outcome = fmt.Sprintf("%s won; the other failed without a conflict (a fault): %s", winner, firstLine(failureLine(loser.output())))
		}
	default:
		s.bothFailed++
		outcome = "both failed (faults)"
	}
	fmt.Printf("  two appliers (%s) on glow_provider.%s: %s\n", mode, x, outcome)

	// Each configuration's plan: empty, or exactly its own change.
	want := "glow_provider." + x + " update"
	empties := 0
	for _, dir := range []string{s.mainDir, s.otherDir} {
		code, changed, why, err := s.planJSON(dir)
		if err != nil {
			return err
		}
		switch {
		case code == 1:
			s.violate("round %d: plan of %s kept failing after the concurrent applies: %s", r, filepath.Base(dir), why)
		case code == 0 && len(changed) == 0:
			empties++
			if winnerDir != "" && dir != winnerDir {
				s.violate("round %d: the loser's configuration %s shows no pending change: its change was applied although it reported a conflict", r, filepath.Base(dir))
			}
		case len(changed) == 1 && changed[0] == want:
			if dir == winnerDir {
				s.violate("round %d: the winner's configuration %s still shows %v", r, filepath.Base(dir), changed)
			}
		default:
			s.violate("round %d: after the concurrent applies, %s shows %v, want nothing or exactly %q", r, filepath.Base(dir), changed, want)
		}
	}
	if empties > 1 {
		s.violate("round %d: both configurations show no change although they differ", r)
	}

	// The main configuration is A's from here on.
	s.model = a
	if err := s.converge(s.mainDir, nil); err != nil {
		return err
	}
	return s.checkAll(ctx, r)
}

func conflictLine(out string) string {
	for l := range strings.Lines(out) {
		if conflictRe.MatchString(l) {
			return l
		}
	}
	return out
}

func (s *soak) table(incomplete string) string {
	f := s.faults
	f.Failed += s.lastStats.Faults.Failed
	f.RateLimited += s.lastStats.Faults.RateLimited
	f.Dropped += s.lastStats.Faults.Dropped
	calls := s.calls + total(s.lastStats)
	checkerRetries := s.checkRetry
	if s.checker != nil {
		checkerRetries += s.checker.Stats().Retries
	}
	faulted := f.Failed + f.RateLimited + f.Dropped
	rows := [][2]string{
		{"rounds", fmt.Sprintf("%d of %d", s.rounds, s.o.rounds)},
		{"operations: creates", fmt.Sprint(s.ops.Creates)},
		{"operations: updates", fmt.Sprint(s.ops.Updates)},
		{"operations: rotations (new Vault versions)", fmt.Sprint(s.ops.Rotations)},
		{"operations: destroys (prune)", fmt.Sprint(s.ops.Destroys)},
		{"applied, as apply reported (added / changed / destroyed)", fmt.Sprintf("%d / %d / %d", s.added, s.changed, s.destroyed)},
		{"apply runs / plan runs", fmt.Sprintf("%d / %d", s.applies, s.plans)},
		{"apply re-runs until convergence", fmt.Sprint(s.reruns)},
		{"API calls served (emulator, all processes)", fmt.Sprint(calls)},
		{"injected faults: 503 (--fail-rate)", fmt.Sprint(f.Failed)},
		{"injected faults: 429 (--rate-limit)", fmt.Sprint(f.RateLimited)},
		{"injected faults: dropped connections (--drop-rate)", fmt.Sprint(f.Dropped)},
		{"retries: faulted requests (the CLI does not report its own)", fmt.Sprint(faulted)},
		{"retries: of those, by the soak's checker client", fmt.Sprint(checkerRetries)},
		{"concurrent-applier events", fmt.Sprint(s.conflictEvents)},
		{"conflicts reported by the loser", fmt.Sprint(s.conflicts)},
		{"concurrent applies serialised / loser failed by a fault / both failed", fmt.Sprintf("%d / %d / %d", s.serialised, s.faultLosers, s.bothFailed)},
		{"emulator restarts (SIGKILL during an apply)", fmt.Sprint(s.restarts)},
		{"decrypts by the soak's checker (audit)", fmt.Sprint(s.auditChecker)},
		{"decrypts by Switchboard (audit)", fmt.Sprint(s.auditSwitchboard)},
		{"outputs scanned for secrets / secret values written to Vault", fmt.Sprintf("%d / %d", len(s.runs), len(s.vault.all()))},
		{"invariant violations", fmt.Sprint(len(s.violations))},
		{"wall time", time.Since(s.start).Round(time.Second).String()},
	}
	var b strings.Builder
	b.WriteString("| measure | count |\n|---|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	if incomplete != "" {
		fmt.Fprintf(&b, "\nIncomplete: %s\n", incomplete)
	}
	return b.String()
}

func (s *soak) report(table string) string {
	var b strings.Builder
	b.WriteString("# Soak: correctness under faults\n\n")
	b.WriteString("Written by `make soak` (`go run ./soak`); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "Run of %s on %s/%s, %d CPUs, %s. Seed %d (`go run ./soak -seed %d` replays the configuration changes; fault timing is not replayed).\n\n",
		s.start.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), s.o.seed, s.o.seed)
	fmt.Fprintf(&b, "Emulator: `--data DIR --fail-rate %g --rate-limit %g --drop-rate %g --fault-seed %d`. ",
		s.o.failRate, s.o.rateLimit, s.o.dropRate, s.o.seed)
	fmt.Fprintf(&b, "Two appliers at once every %d rounds (alternately from saved plans and from directories); the emulator killed with SIGKILL during an apply every %d rounds. A failed apply is re-run up to %d times.\n\n",
		s.o.conflictEvery, s.o.restartEvry, s.o.maxReruns)
	b.WriteString("Invariants checked after every round: the next plan is empty; no two Glow providers share a name in a department; every Glow key decrypts (through the soak's own token and actor) to the Vault version the configuration points to; no decrypt by Switchboard's actor in the audit log; no secret value or token in any output.\n\n")
	b.WriteString(table)
	if len(s.violations) > 0 {
		b.WriteString("\nViolations:\n\n")
		for _, v := range s.violations {
			fmt.Fprintf(&b, "- %s\n", v)
		}
	}
	return b.String()
}

// Command soak drives the real switchboard binary against the emulator
// with injected faults and a real Vault, for a bounded number of rounds of
// random configuration changes, and checks invariants after every round:
//
//	go run ./soak -switchboard bin/switchboard -vault-dev bin/vault-dev
//
// Each round changes the configuration (creates, updates, rotations through
// new Vault versions, destroys of removed blocks and Gateflow's prune),
// applies it with `apply --auto-approve` (re-running a failed apply a
// bounded number of times) and checks:
//
//   - the next plan is empty (plan --detailed-exitcode exits 0), orphans
//     included;
//   - no two Glow providers share a name in a department;
//   - every Glow key decrypts, through the soak's own Glow client and token
//     (its own actor in the audit log), to the Vault version the
//     configuration points to;
//   - every Glow provider carries the ownership marker of the block that
//     declares it, no provider carries the marker of an address no block
//     declares, and a provider made by hand is never touched;
//   - no key, endpoint or open draft carrying the configuration's owner is
//     attached to nothing (docs/ownership.md);
//   - the audit log has no decrypt by Switchboard's actor;
//   - no output of any run holds a secret value or a token.
//
// Some rounds interrupt the applying CLI itself, with SIGKILL or with two
// SIGINTs, at a point chosen from observed progress (its "Creating..." and
// "Modifying..." lines, or the Glow calls the emulator has counted); the
// next plan must list what the interruption left behind and its apply must
// converge. Some rounds run two appliers on overlapping configurations at
// once, on one Glow provider (the loser must report a conflict and change
// nothing) or on one Gateflow provider (at most one may succeed, and the
// live settings must be the winner's, or unchanged); and some kill the
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
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
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
	gateflowRaceEvery          int
	interruptEvery             int
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
	flag.IntVar(&o.gateflowRaceEvery, "gateflow-race-every", 5, "race two appliers on one Gateflow provider every N rounds (0: never)")
	flag.IntVar(&o.interruptEvery, "interrupt-every", 3, "interrupt the applying CLI (SIGKILL or two SIGINTs, alternately) every N rounds (0: never)")
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
	// sbReader lists Switchboard's own drafts (Glow shows a caller only
	// its own), with Switchboard's token; it makes no other call.
	sbReader   *glow.Client
	gateflow   *gateflow.Client
	checkRetry int64 // retries of earlier checker clients
	hand       *handMade

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
	// adoptionProbes: applies of a block named like the hand-made
	// provider; adoptionRefused: those the plan refused.
	adoptionProbes, adoptionRefused int
	cachedDecrypts                  int
	// verified maps a Glow key id to the Vault path and version its value
	// was found to equal.
	verified   map[string]string
	runs       []run
	violations []string

	auditChecker, auditSwitchboard int
	commit                         string

	interrupts interruptCounts
	orphans    orphanCounts
	gwRaces    raceCounts
}

func runSoak(o options) (int, error) {
	s := &soak{o: o, start: time.Now(), rng: mrand.New(mrand.NewPCG(uint64(o.seed), 0x50a4)), verified: map[string]string{}}
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
	s.commit = sourceCommit()
	fmt.Println("soak: switchboard built from", s.commit)
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
	if err := s.makeHandMade(ctx); err != nil {
		return 1, err
	}
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

// sourceCommit names the commit of the working tree the CLI was built from
// (make soak builds bin/switchboard from it), and says when files outside
// the soak differ from it.
func sourceCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "an unknown commit"
	}
	c := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!soak", ":!bench/soak.md").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
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
		s.checkRetry += s.clientRetries()
	}
	if s.checker, err = glow.New(url, sensitive.New(s.spec.checkTok), api.WithTimeout(10*time.Second)); err != nil {
		return err
	}
	if s.sbReader, err = glow.New(url, sensitive.New(s.spec.glowToken), api.WithTimeout(10*time.Second)); err != nil {
		return err
	}
	s.gateflow, err = gateflow.New(url, sensitive.New(s.spec.adminKey), api.WithTimeout(10*time.Second))
	return err
}

// clientRetries are the retries of the soak's own clients of the current
// emulator process.
func (s *soak) clientRetries() int64 {
	if s.checker == nil {
		return 0
	}
	return s.checker.Stats().Retries + s.sbReader.Stats().Retries + s.gateflow.Stats().Retries
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
		s.orphans.inApplyPlans += countCleanups(r.Stdout)
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

var (
	appliedRe = regexp.MustCompile(`Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed`)
	cleanupRe = regexp.MustCompile(`(?m)^Plan: .*, (\d+) to clean up\.`)
)

// countCleanups is the number of orphans the plans in out listed ("Plan:
// ..., N to clean up.").
func countCleanups(out string) int {
	n := 0
	for _, m := range cleanupRe.FindAllStringSubmatch(out, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

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

// planOutcome is what a JSON plan said.
type planOutcome struct {
	Code    int
	Changed []string // "address action" of every change that is not a no-op
	Orphans []orphan
	Why     string // the end of the output of a plan that kept failing
}

// empty reports a plan with nothing to do.
func (p planOutcome) empty() bool { return p.Code == 0 && len(p.Changed) == 0 && len(p.Orphans) == 0 }

// parsePlanJSON reads the parts of `plan --format json` the soak checks.
func parsePlanJSON(out string) (changed []string, orphans []orphan, err error) {
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
		Switchboard struct {
			Orphans []struct {
				Kind string `json:"kind"`
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"orphans"`
			Summary struct {
				Orphans int `json:"orphans"`
			} `json:"summary"`
		} `json:"switchboard"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		return nil, nil, fmt.Errorf("plan JSON: %w", err)
	}
	for _, c := range p.ResourceChanges {
		if a := c.Change.Actions; len(a) != 1 || a[0] != "no-op" {
			changed = append(changed, c.Address+" "+strings.Join(a, ","))
		}
	}
	for _, o := range p.Switchboard.Orphans {
		orphans = append(orphans, orphan{Kind: o.Kind, ID: o.ID, Name: o.Name})
	}
	if n := p.Switchboard.Summary.Orphans; n != len(orphans) {
		return changed, orphans, fmt.Errorf("plan JSON: switchboard.summary.orphans is %d but %d orphans are listed", n, len(orphans))
	}
	return changed, orphans, nil
}

// planJSON runs plan --format json --detailed-exitcode on dir, re-running
// a plan that failed (exit 1, a fault that outlasted the retries) a few
// times.
func (s *soak) planJSON(dir string) (planOutcome, error) {
	var last run
	for range 4 {
		r, err := s.cli("plan", "--no-color", "--detailed-exitcode", "--format", "json", dir)
		if err != nil {
			return planOutcome{}, err
		}
		last = r
		if r.Exit == 1 {
			continue
		}
		changed, orphans, err := parsePlanJSON(r.Stdout)
		if err != nil {
			return planOutcome{Code: r.Exit}, err
		}
		return planOutcome{Code: r.Exit, Changed: changed, Orphans: orphans}, nil
	}
	return planOutcome{Code: 1, Why: tail(last.Stderr, 400)}, nil
}

// checkAll runs every invariant after a round.
func (s *soak) checkAll(ctx context.Context, r int) error {
	pl, err := s.planJSON(s.mainDir)
	if err != nil {
		return err
	}
	switch {
	case pl.Code == 1:
		s.violate("round %d: plan kept failing: %s", r, pl.Why)
	case !pl.empty():
		s.violate("round %d: plan after apply is not empty (exit %d): %v, orphans %v", r, pl.Code, pl.Changed, pl.Orphans)
	}
	var glowErr error
	for range 3 {
		view, err := s.readGlow(ctx)
		if err != nil {
			glowErr = err
			continue
		}
		v, gc, err := s.checkGlow(ctx, s.model, view)
		s.checkerDecrypts += gc.decrypts
		s.cachedDecrypts += gc.cached
		if err != nil {
			glowErr = err
			continue
		}
		glowErr = nil
		v = append(v, markerViolations(soakOwner, gc.declared, gc.keyNames, view.Providers, s.hand)...)
		left := findOrphans(soakOwner, view)
		s.orphans.left += len(left)
		for _, o := range left {
			v = append(v, fmt.Sprintf("%s carries owner %q and is attached to nothing after the converging apply", o, soakOwner))
		}
		a, err := s.checkAudit(ctx, gc.decrypts)
		if err != nil {
			return err
		}
		for _, x := range append(v, a...) {
			s.violate("round %d: %s", r, x)
		}
		break
	}
	if glowErr != nil {
		s.violate("round %d: the Glow check could not complete: %v", r, glowErr)
	}
	return nil
}

// roundKind says what happens in round r besides the plain apply.
type roundKind struct {
	restart      bool   // the emulator is killed during the apply
	interrupt    string // sigKill or sigInt2: the CLI is interrupted; "" for none
	glowRace     bool   // two appliers on one Glow provider afterwards
	glowSaved    bool   // ... from saved plans (otherwise directories)
	gateflowRace bool   // two appliers on one Gateflow provider afterwards
	// adoptionProbe: a block named like the hand-made provider is applied
	// afterwards, and must be refused
	adoptionProbe bool
}

func (o options) roundKind(r int) roundKind {
	var k roundKind
	k.restart = o.restartEvry > 0 && r%o.restartEvry == 0
	if o.interruptEvery > 0 && !k.restart && r > 1 && r%o.interruptEvery == 1%o.interruptEvery {
		if (r/o.interruptEvery)%2 == 1 {
			k.interrupt = sigKill
		} else {
			k.interrupt = sigInt2
		}
	}
	if o.conflictEvery > 0 && r%o.conflictEvery == o.conflictEvery/2 {
		k.glowRace, k.glowSaved = true, (r/o.conflictEvery)%2 == 0
	}
	k.gateflowRace = o.gateflowRaceEvery > 0 && r%o.gateflowRaceEvery == 0
	k.adoptionProbe = o.conflictEvery > 0 && r%o.conflictEvery == min(3, o.conflictEvery-1)
	return k
}

func (s *soak) round(ctx context.Context, r int) error {
	k := s.o.roundKind(r)
	before := s.ops
	switch {
	case k.interrupt != "":
		if err := s.mut.mutateCreatesRotations(ctx, s.model, &s.ops); err != nil {
			return err
		}
	default:
		n := 1 + s.rng.IntN(3)
		if k.restart || r == 1 {
			n = 4 // something to be in the middle of
		}
		if err := s.mut.mutate(ctx, s.model, n, &s.ops); err != nil {
			return err
		}
	}
	if err := s.model.write(s.mainDir); err != nil {
		return err
	}
	d := s.ops
	extra := ""
	switch {
	case k.restart:
		extra = ", emulator restart"
	case k.interrupt == sigKill:
		extra = ", CLI SIGKILL"
	case k.interrupt == sigInt2:
		extra = ", CLI double SIGINT"
	}
	fmt.Printf("round %d: %d creates, %d updates, %d rotations, %d destroys (%d glow, %d gateflow)%s\n", r,
		d.Creates-before.Creates, d.Updates-before.Updates, d.Rotations-before.Rotations, d.Destroys-before.Destroys,
		len(s.model.Glow), len(s.model.GF), extra)
	switch {
	case k.restart:
		if err := s.applyWithRestart(ctx); err != nil {
			return err
		}
	case k.interrupt != "":
		if err := s.applyInterrupted(ctx, r, k.interrupt, d.Creates-before.Creates, d.Rotations-before.Rotations); err != nil {
			return err
		}
	default:
		if err := s.converge(s.mainDir, nil); err != nil {
			return err
		}
	}
	if err := s.checkAll(ctx, r); err != nil {
		return err
	}
	if k.glowRace {
		if err := s.concurrent(ctx, r, k.glowSaved); err != nil {
			return err
		}
	}
	if k.gateflowRace {
		if err := s.gateflowRace(ctx, r); err != nil {
			return err
		}
	}
	if k.adoptionProbe {
		return s.adoptionProbe(r)
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

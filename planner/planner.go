package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// Deps are what a plan reads from.
type Deps struct {
	Clients dump.Clients
	// Secrets resolves vault() references to metadata; nil when the
	// configuration has none.
	Secrets MetadataReader
	// Vault describes the Vault the references are resolved in, for the
	// binding; nil when there is none.
	Vault *planfile.VaultBinding
}

// Options are the command-line knobs of a plan.
type Options struct {
	Targets []string
	Destroy bool
	Rotate  []string
	// Baseline is the desired digests of the last applied plan, for drift
	// detection; nil when unknown.
	Baseline map[string]string
	// Parallelism bounds the Glow and Gateflow calls in flight.
	Parallelism int
	// VaultParallelism bounds the Vault metadata reads in flight; 0 is
	// what Deps.Secrets says (a *secrets.Resolver's Parallelism: vault {
	// parallelism }), else secrets.DefaultParallelism. It is Vault's own
	// so that a plan can read many secrets at once without the APIs
	// drawing 429s.
	VaultParallelism int
	Now              time.Time
}

// Result is a plan and everything it was made from: what a plan file
// records, so that apply can re-derive the plan and execute exactly it.
type Result struct {
	Plan          *plan.Plan
	Desired       objects.Snapshot
	Live          objects.Snapshot
	Binding       planfile.Binding
	VaultMetadata []planfile.SecretVersion
	Options       planfile.Options
	Config        *config.Config
}

// Make reads the desired state (configuration plus Vault metadata) and the
// live state (both services) and compares them. It makes no change and no
// decrypt call.
func Make(ctx context.Context, cfg *config.Config, deps Deps, opts Options) (*Result, error) {
	targets, err := addresses(opts.Targets, "--target")
	if err != nil {
		return nil, err
	}
	rotate, err := addresses(opts.Rotate, "--rotate")
	if err != nil {
		return nil, err
	}
	// The Vault metadata and the live state come from different services:
	// they are read at the same time, so that a plan costs the longer of
	// the two, not their sum. A failure cancels the other read; the
	// configuration's (Vault's) error is reported first, as when the reads
	// ran one after the other, unless it is only that cancellation.
	var (
		desired, live       objects.Snapshot
		versions            []planfile.SecretVersion
		errDesired, errLive error
		wg                  sync.WaitGroup
	)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if desired, versions, errDesired = resolveDesired(rctx, cfg, deps.Secrets, vaultParallelism(opts, deps.Secrets)); errDesired != nil {
			cancel()
		}
	}()
	readAt := time.Now()
	live, errLive = dump.Read(rctx, deps.Clients, dump.Options{Parallelism: opts.Parallelism})
	if errLive != nil {
		cancel()
	}
	wg.Wait()
	switch {
	case errDesired != nil && (errLive == nil || ctx.Err() != nil || !errors.Is(errDesired, context.Canceled)):
		return nil, errDesired
	case errLive != nil:
		return nil, errLive
	}
	res := &Result{
		Desired: desired,
		Live:    live,
		Options: planfile.Options{Targets: opts.Targets, Destroy: opts.Destroy, Rotate: opts.Rotate, Baseline: opts.Baseline},
		Config:  cfg,
	}
	if deps.Secrets != nil {
		res.VaultMetadata = versions
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	p, err := diff.Diff(desired, live, diffOptions(cfg, live, targets, rotate, opts.Destroy, opts.Baseline, now))
	if err != nil {
		return nil, err
	}
	if inUse := destroyedInUse(p); len(inUse) > 0 && deps.Clients.Glow != nil {
		// The live snapshot records the names, so that a plan file replays
		// to the same plan; planning again is cheaper than patching the
		// changes and their warnings in two places.
		if res.Live.GlowModels, err = dump.Models(ctx, deps.Clients.Glow, inUse); err != nil {
			return nil, err
		}
		if p, err = diff.Diff(desired, res.Live, diffOptions(cfg, res.Live, targets, rotate, opts.Destroy, opts.Baseline, now)); err != nil {
			return nil, err
		}
	}
	p.LiveReadAt = readAt.UTC()
	res.Plan = p
	res.Binding = NewBinding(cfg, live.GlowScope, deps.Vault)
	return res, nil
}

// vaultParallelism is opts.VaultParallelism, else the reader's own, else
// secrets.DefaultParallelism.
func vaultParallelism(opts Options, meta MetadataReader) int {
	if opts.VaultParallelism > 0 {
		return opts.VaultParallelism
	}
	if p, ok := meta.(interface{ Parallelism() int }); ok && p.Parallelism() > 0 {
		return p.Parallelism()
	}
	return secrets.DefaultParallelism
}

// destroyedInUse are the ids of the Glow providers the plan destroys that
// models use.
func destroyedInUse(p *plan.Plan) map[string]bool {
	ids := map[string]bool{}
	for _, c := range p.Changes {
		if c.Action() == plan.ActionDelete && c.Type == objects.TypeGlowProvider && c.ModelUsageCount > 0 {
			ids[c.ID] = true
		}
	}
	return ids
}

func diffOptions(cfg *config.Config, live objects.Snapshot, targets, rotate []objects.Address, destroy bool, baseline map[string]string, now time.Time) diff.Options {
	dopts := diff.Options{
		Targets:        targets,
		Destroy:        destroy,
		Rotate:         rotate,
		Baseline:       baseline,
		ConfigChecksum: ConfigChecksum(cfg),
		Owner:          Owner(cfg),
		Scope:          live.GlowScope,
		Now:            now,
	}
	if cfg.Glow != nil {
		dopts.PruneDepartments = cfg.Glow.PruneDepartments
	}
	if cfg.Gateflow != nil {
		dopts.PruneGateflow = cfg.Gateflow.Prune
	}
	return dopts
}

// Owner is the configuration's owner identity: the owner, and its
// environment when it has one (objects.OwnerIdentity), so that two
// environments of one owner never take each other's objects for their own.
func Owner(cfg *config.Config) string {
	if cfg.Glow != nil && cfg.Glow.Owner != "" {
		return objects.OwnerIdentity(cfg.Glow.Owner, cfg.Glow.Environment)
	}
	return config.DefaultOwner
}

// ConfigChecksum identifies a configuration in plans and plan files, in the
// "sha256:<hex>" form of every digest the plan format carries.
func ConfigChecksum(cfg *config.Config) string { return "sha256:" + cfg.Checksum }

// NewBinding describes what a plan of cfg is made against: the services'
// URLs (normalized), what the Glow token sees, the Vault, the owner and the
// variables.
func NewBinding(cfg *config.Config, scope *objects.TokenScope, vault *planfile.VaultBinding) planfile.Binding {
	b := planfile.Binding{Owner: Owner(cfg), Salt: planfile.NewSalt()}
	if cfg.Glow != nil {
		b.Glow = &planfile.ServiceBinding{URL: planfile.NormalizeURL(cfg.Glow.URL)}
		if scope != nil {
			b.Glow.Actor, b.Glow.ScopeKnown, b.Glow.Scoped = scope.Actor, scope.Known, scope.Scoped
			b.Glow.Scope = slices.Clone(scope.Departments.Normalized())
		}
	}
	if cfg.Gateflow != nil {
		b.Gateflow = &planfile.ServiceBinding{URL: planfile.NormalizeURL(cfg.Gateflow.URL)}
	}
	if vault != nil {
		v := *vault
		v.Address = planfile.NormalizeURL(v.Address)
		b.Vault = &v
	}
	for _, v := range cfg.Variables {
		bv := planfile.Variable{Name: v.Name, Sensitive: v.Sensitive, CredentialOnly: v.CredentialOnly}
		switch {
		case !v.Sensitive:
			bv.Plain = v.Value
		case !v.CredentialOnly:
			bv.Digest = planfile.Digest(b.Salt, v.Secret)
		}
		b.Variables = append(b.Variables, bv)
	}
	return b
}

// BindingDifferences compares a recorded binding with the one cfg and the
// current connections give; empty means the plan is bound to where this
// apply points.
func BindingDifferences(recorded planfile.Binding, cfg *config.Config, scope *objects.TokenScope, vault *planfile.VaultBinding) []string {
	return bindingDifferences(recorded, cfg, scope, vault, false)
}

// ReviewedBindingDifferences is BindingDifferences for apply --reviewed:
// the variables are not compared, since the merge commit may declare or
// default them differently, and what they change in the plan is compared
// change by change (ReviewedDifferences).
func ReviewedBindingDifferences(recorded planfile.Binding, cfg *config.Config, scope *objects.TokenScope, vault *planfile.VaultBinding) []string {
	return bindingDifferences(recorded, cfg, scope, vault, true)
}

func bindingDifferences(recorded planfile.Binding, cfg *config.Config, scope *objects.TokenScope, vault *planfile.VaultBinding, skipVariables bool) []string {
	current := NewBinding(cfg, scope, vault)
	if skipVariables {
		recorded.Variables, current.Variables = nil, nil
	}
	secret := map[string]config.Variable{}
	for _, v := range cfg.Variables {
		secret[v.Name] = v
	}
	return recorded.Differences(current, func(name, digest string) bool {
		v, ok := secret[name]
		return ok && planfile.Digest(recorded.Salt, v.Secret) == digest
	})
}

// NewPayload is what `plan --out` writes for res.
func NewPayload(res *Result) *planfile.Payload {
	pl := &planfile.Payload{
		WrittenBy:     version.Version,
		Plan:          res.Plan,
		Binding:       res.Binding,
		Live:          res.Live,
		VaultMetadata: res.VaultMetadata,
		Options:       res.Options,
	}
	if res.Config != nil {
		pl.Configuration.Dir = res.Config.Dir
		pl.Configuration.Prefix = res.Config.Prefix
		for _, f := range res.Config.Files {
			pl.Configuration.Files = append(pl.Configuration.Files, planfile.NewFile(f.Name, f.Content))
		}
	}
	return pl
}

// EmbeddedFiles are a plan file's configuration files, for config.Load.
func EmbeddedFiles(pl *planfile.Payload) []config.SourceFile {
	out := make([]config.SourceFile, len(pl.Configuration.Files))
	for i, f := range pl.Configuration.Files {
		out[i] = config.SourceFile{Name: f.Name, Content: f.Content()}
	}
	return out
}

// EmbeddedDirFiles are the embedded files of the configuration directory
// itself, named relative to it (with a prefix, the files outside it, the
// shared modules, are left out): what render.DeclaredAtInFiles reads.
func EmbeddedDirFiles(pl *planfile.Payload) []config.SourceFile {
	files := EmbeddedFiles(pl)
	p := pl.Configuration.Prefix
	if p == "" {
		return files
	}
	out := files[:0]
	for _, f := range files {
		if rest, ok := strings.CutPrefix(f.Name, p+"/"); ok {
			f.Name = rest
			out = append(out, f)
		}
	}
	return out
}

// PlannedVars are the non-sensitive variable values a plan file recorded,
// in the form config.LoadOptions.PlannedVars takes.
func PlannedVars(pl *planfile.Payload) map[string]string {
	out := map[string]string{}
	for _, v := range pl.Binding.Variables {
		if !v.Sensitive {
			out[v.Name] = v.Plain
		}
	}
	return out
}

// ErrTampered matches every *TamperedError.
var ErrTampered = errors.New("the plan file does not follow from its own configuration and live snapshot")

// TamperedError says that a plan file's plan is not what its configuration,
// live snapshot and Vault metadata give: the file was edited after it was
// written, or was written by a Switchboard that plans differently.
type TamperedError struct {
	// Address is the first change that differs; empty when the difference
	// is in the plan's top level.
	Address string
	Detail  string
}

func (e *TamperedError) Error() string {
	where := "the plan"
	if e.Address != "" {
		where = e.Address
	}
	return fmt.Sprintf("%s: at %s, %s. Nothing was changed. Make a new plan and review it", ErrTampered, where, e.Detail)
}

// Is matches ErrTampered.
func (e *TamperedError) Is(target error) bool { return target == ErrTampered }

// Replay re-derives a plan file's plan from cfg (its embedded
// configuration, loaded again), its live snapshot and its Vault metadata,
// and returns it when it equals the recorded plan: the typed changes apply
// executes are then exactly the ones `show` renders. Any difference is a
// *TamperedError naming the first change that differs.
func Replay(ctx context.Context, cfg *config.Config, pl *planfile.Payload) (*Result, error) {
	if pl.Redactions > 0 {
		return nil, fmt.Errorf("this plan file had %d occurrences of credentials of the run cut out when it was written "+
			"(the configuration puts a credential where the plan prints it), so it cannot be applied; fix the configuration and plan again", pl.Redactions)
	}
	targets, err := addresses(pl.Options.Targets, "targets")
	if err != nil {
		return nil, err
	}
	rotate, err := addresses(pl.Options.Rotate, "rotate")
	if err != nil {
		return nil, err
	}
	meta := recordedReader{}
	for _, s := range pl.VaultMetadata {
		meta[vaultOrigin(s.Path, s.Key, s.Pinned)] = s
	}
	desired, err := Desired(ctx, cfg, meta, 1)
	if err != nil {
		return nil, &TamperedError{Detail: "its configuration cannot be resolved with its recorded Vault metadata: " + err.Error()}
	}
	p, err := diff.Diff(desired, pl.Live, diffOptions(cfg, pl.Live, targets, rotate, pl.Options.Destroy, pl.Options.Baseline, pl.Plan.CreatedAt))
	if err != nil {
		return nil, &TamperedError{Detail: "its configuration and live snapshot give no plan: " + err.Error()}
	}
	p.LiveReadAt = pl.Plan.LiveReadAt
	if err := samePlan(pl.Plan, p); err != nil {
		return nil, err
	}
	return &Result{Plan: p, Desired: desired, Live: pl.Live, Binding: pl.Binding, VaultMetadata: pl.VaultMetadata, Options: pl.Options, Config: cfg}, nil
}

// samePlan compares the recorded plan with the re-derived one through their
// JSON, which is what show renders and what the file holds.
func samePlan(recorded, derived *plan.Plan) error {
	rc, dc := recorded.Changes, derived.Changes
	for i := 0; i < max(len(rc), len(dc)); i++ {
		switch {
		case i >= len(rc):
			return &TamperedError{Address: dc[i].Address, Detail: "the configuration plans a change the file does not show"}
		case i >= len(dc):
			return &TamperedError{Address: rc[i].Address, Detail: "the file shows a change the configuration does not plan"}
		}
		a, b := mustJSON(rc[i]), mustJSON(dc[i])
		if !bytes.Equal(a, b) {
			addr := rc[i].Address
			if rc[i].Address != dc[i].Address {
				return &TamperedError{Address: addr, Detail: fmt.Sprintf("the file shows %s where the configuration plans %s", rc[i].Address, dc[i].Address)}
			}
			return &TamperedError{Address: addr, Detail: "the file shows " + firstDifference(a, b)}
		}
	}
	r, d := *recorded, *derived
	r.Changes, d.Changes = nil, nil
	if a, b := mustJSON(r), mustJSON(d); !bytes.Equal(a, b) {
		return &TamperedError{Detail: "the file shows " + firstDifference(a, b)}
	}
	return nil
}

func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("planner: encoding a plan: " + err.Error()) // plain JSON values only
	}
	return b.Bytes()
}

// firstDifference names the first top-level JSON field where a and b
// differ, without printing values (they may be long; show prints them).
func firstDifference(a, b []byte) string {
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return "other content than the configuration plans"
	}
	for _, k := range slices.Sorted(maps.Keys(union(ma, mb))) {
		if !bytes.Equal(ma[k], mb[k]) {
			return fmt.Sprintf("another %q than the configuration plans", k)
		}
	}
	return "other content than the configuration plans"
}

// addresses checks addresses given on the command line with the
// configuration's own parser, so that `glow_provider.x["cs"]` means the
// same on the command line as in a diagnostic.
func addresses(in []string, flag string) ([]objects.Address, error) {
	out := make([]objects.Address, 0, len(in))
	for _, s := range in {
		if rest, ok := strings.CutPrefix(s, objects.UndeclaredPrefix); ok {
			a, err := undeclaredAddress(rest)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", flag, s, err)
			}
			out = append(out, a)
			continue
		}
		t, err := config.ParseTarget(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		out = append(out, objects.Address(t.String()))
	}
	return out, nil
}

// undeclaredAddress reads the part after "undeclared.": a type, which
// selects every prune of that type, or a type and a quoted id.
func undeclaredAddress(rest string) (objects.Address, error) {
	typ, key, hasKey := strings.Cut(rest, "[")
	if typ != objects.TypeGlowProvider && typ != objects.TypeGateflowProvider {
		return "", fmt.Errorf("after %q comes %s or %s", objects.UndeclaredPrefix, objects.TypeGlowProvider, objects.TypeGateflowProvider)
	}
	if !hasKey {
		return objects.Address(objects.UndeclaredPrefix + typ), nil
	}
	var id string
	if !strings.HasSuffix(key, "]") || json.Unmarshal([]byte(strings.TrimSuffix(key, "]")), &id) != nil || id == "" {
		return "", fmt.Errorf(`an undeclared object is addressed as %s%s["ID"]`, objects.UndeclaredPrefix, typ)
	}
	return objects.UndeclaredAddress(typ, id), nil
}

// recordedReader answers from a plan file's metadata only: replaying a
// plan reads nothing from Vault.
type recordedReader map[secretOrigin]planfile.SecretVersion

func (r recordedReader) Metadata(_ context.Context, ref secretref.VaultRef) (secrets.Metadata, error) {
	v, ok := r[vaultOrigin(ref.Path, ref.Key, ref.Version)]
	if !ok {
		return secrets.Metadata{}, fmt.Errorf("the plan file records no Vault metadata for %s", ref)
	}
	return secrets.Metadata{Version: v.Version, CurrentVersion: v.Version, CreatedTime: v.CreatedTime}, nil
}

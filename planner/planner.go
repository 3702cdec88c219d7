package planner

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner/diff"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/state"
)

// Deps are what a plan reads from.
type Deps struct {
	Clients dump.Clients
	// Secrets resolves vault() references to metadata; nil when the
	// configuration has none.
	Secrets MetadataReader
}

// Options are the command-line knobs of a plan.
type Options struct {
	Targets []string
	Destroy bool
	Rotate  []string
	// Baseline is the desired digests of the last applied plan, for drift
	// detection; nil when unknown.
	Baseline    map[string]string
	Parallelism int
	Now         time.Time
}

// Result is a plan and the desired snapshot it was made from, which a saved
// plan file carries so that apply executes exactly what was shown.
type Result struct {
	Plan    *plan.Plan
	Desired state.Snapshot
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
	desired, err := Desired(ctx, cfg, deps.Secrets, opts.Parallelism)
	if err != nil {
		return nil, err
	}
	readAt := time.Now()
	live, err := dump.Read(ctx, deps.Clients, dump.Options{Parallelism: opts.Parallelism})
	if err != nil {
		return nil, err
	}
	dopts := diff.Options{
		Targets:        targets,
		Destroy:        opts.Destroy,
		Rotate:         rotate,
		Baseline:       opts.Baseline,
		ConfigChecksum: ConfigChecksum(cfg),
		Now:            opts.Now,
	}
	if cfg.Glow != nil {
		dopts.PruneDepartments = cfg.Glow.PruneDepartments
	}
	if cfg.Gateflow != nil {
		dopts.PruneGateway = cfg.Gateflow.Prune
	}
	p, err := diff.Diff(desired, live, dopts)
	if err != nil {
		return nil, err
	}
	p.LiveReadAt = readAt.UTC()
	return &Result{Plan: p, Desired: desired}, nil
}

// ConfigChecksum identifies a configuration in plans and plan files, in the
// "sha256:<hex>" form of every digest the plan format carries.
func ConfigChecksum(cfg *config.Config) string { return "sha256:" + cfg.Checksum }

// addresses checks addresses given on the command line with the
// configuration's own parser, so that `glow_provider.x["cs"]` means the
// same on the command line as in a diagnostic.
func addresses(in []string, flag string) ([]state.Address, error) {
	out := make([]state.Address, 0, len(in))
	for _, s := range in {
		a, err := config.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		out = append(out, state.Address(a.String()))
	}
	return out, nil
}

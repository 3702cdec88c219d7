package planner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/planfile"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// MetadataReader resolves a Vault reference to its version and creation
// time without reading the value, so that a plan runs with a Vault token
// that may only read metadata. *secrets.Resolver implements it.
type MetadataReader interface {
	Metadata(ctx context.Context, ref secretref.VaultRef) (secrets.Metadata, error)
}

// Desired converts a loaded configuration into the planner's desired
// snapshot. Every vault() reference is resolved to its Vault metadata,
// parallelism secrets at a time; the resolver reads each secret's metadata
// once however many references share it.
func Desired(ctx context.Context, cfg *config.Config, meta MetadataReader, parallelism int) (objects.Snapshot, error) {
	snap, _, err := resolveDesired(ctx, cfg, meta, parallelism)
	return snap, err
}

// resolveDesired is Desired that also returns what Vault said of each reference,
// in the order of the plan file's vault_metadata, so that a plan records
// its metadata without holding a second map of every secret.
func resolveDesired(ctx context.Context, cfg *config.Config, meta MetadataReader, parallelism int) (objects.Snapshot, []planfile.SecretVersion, error) {
	table, err := resolveSources(ctx, cfg, meta, parallelism)
	if err != nil {
		return objects.Snapshot{}, nil, err
	}
	var snap objects.Snapshot
	if len(cfg.GlowProviders) > 0 {
		snap.Glow = make([]objects.GlowProvider, 0, len(cfg.GlowProviders))
	}
	for _, p := range cfg.GlowProviders {
		keys := make(objects.Keys, 0, len(p.Keys))
		for _, k := range p.Keys {
			keys.Set(objects.KeyState{Label: k.Name, Source: table.source(originOf(k.Value))})
		}
		snap.Glow = append(snap.Glow, objects.GlowProvider{
			Address:        objects.Address(p.Address.String()),
			ID:             p.ID,
			Name:           p.Name,
			Description:    p.Description,
			Departments:    objects.NewSet(p.Departments...),
			Endpoints:      objects.NewSet(p.Endpoints...),
			Values:         p.Values,
			Keys:           keys,
			PreventDestroy: p.PreventDestroy,
			Adopt:          p.Adopt,
		})
	}
	for _, p := range cfg.GateflowProviders {
		settings, err := objects.NormalizeSettings(p.Settings)
		if err != nil {
			return objects.Snapshot{}, nil, fmt.Errorf("%s: settings: %w", p.Address, err)
		}
		creds := make(map[string]secretref.Source, len(p.Credentials))
		for name, s := range p.Credentials {
			creds[name] = table.source(originOf(s))
		}
		snap.Gateflow = append(snap.Gateflow, objects.GateflowProvider{
			Address:        objects.Address(p.Address.String()),
			ProviderID:     p.ProviderID,
			Configured:     true,
			Enabled:        p.Enabled,
			Settings:       settings,
			Credentials:    creds,
			PreventDestroy: p.PreventDestroy,
		})
	}
	return snap, table.versions(), nil
}

// versions is the metadata read for each reference, in the order of the
// table: by path, key and pinned version.
func (t secretTable) versions() []planfile.SecretVersion {
	var out []planfile.SecretVersion
	for _, e := range t {
		if e.ref == nil {
			continue
		}
		out = append(out, planfile.SecretVersion{
			Path: e.ref.Path, Key: e.ref.Key, Pinned: e.ref.Version, Version: e.src.Version, CreatedTime: e.src.CreatedTime,
		})
	}
	return out
}

// secretOrigin identifies a secret's origin, never its value: two keys that
// use the same reference share one metadata read and one source. It is a
// struct, not a formatted string, because a plan builds one per key twice
// (100,000 Sprintf calls each time at 100,000 providers).
type secretOrigin struct {
	vault          bool
	path, key, env string
	version        int
}

func originOf(s config.Secret) secretOrigin {
	if s.Ref != nil {
		return vaultOrigin(s.Ref.Path, s.Ref.Key, s.Ref.Version)
	}
	return secretOrigin{env: s.Source}
}

// vaultOrigin is a Vault reference's origin: its path, key and pinned
// version, as a plan file's vault_metadata records them too.
func vaultOrigin(path, key string, pinned int) secretOrigin {
	return secretOrigin{vault: true, path: path, key: key, version: pinned}
}

// secretTable is every distinct secret origin of a configuration, sorted
// by compareOrigins, with what its metadata read found. One sorted slice
// holds what were three maps (sources, references, paths): at 100,000
// secrets those maps were 61 MB of the heap while Vault was read, which
// is when a plan's heap peaks.
type secretTable []secretEntry

type secretEntry struct {
	origin secretOrigin
	// ref is the configuration's reference; nil for an env() secret.
	ref *secretref.VaultRef
	// seq is the secret's place in the configuration: of the secrets that
	// share an origin, the table keeps the first, whose vault() call the
	// errors of its read point to.
	seq int
	src secretref.Source
	err error
}

// compareOrigins orders env() secrets first, then references by path, key
// and pinned version, the order of a plan file's vault_metadata.
func compareOrigins(a, b secretOrigin) int {
	if a.vault != b.vault {
		if a.vault {
			return 1
		}
		return -1
	}
	return cmp.Or(strings.Compare(a.path, b.path), strings.Compare(a.key, b.key), cmp.Compare(a.version, b.version), strings.Compare(a.env, b.env))
}

// source is the source of the secret with origin o, which the table holds.
func (t secretTable) source(o secretOrigin) secretref.Source {
	i, ok := slices.BinarySearchFunc(t, o, func(e secretEntry, o secretOrigin) int { return compareOrigins(e.origin, o) })
	if !ok {
		return secretref.Source{}
	}
	return t[i].src
}

// resolveSources maps every secret of the desired providers to its source,
// reading Vault metadata for references. Errors of all references are
// returned together, as validate does, so a user fixes them in one pass.
func resolveSources(ctx context.Context, cfg *config.Config, meta MetadataReader, parallelism int) (secretTable, error) {
	var t secretTable
	add := func(s config.Secret) {
		e := secretEntry{origin: originOf(s), ref: s.Ref, seq: len(t)}
		if s.Ref == nil {
			e.src = secretref.Source{Env: envName(s.Source)}
		}
		t = append(t, e)
	}
	for i := range cfg.GlowProviders {
		for _, k := range cfg.GlowProviders[i].Keys {
			add(k.Value)
		}
	}
	for _, p := range cfg.GateflowProviders {
		for _, s := range p.Credentials {
			add(s)
		}
	}
	slices.SortFunc(t, func(a, b secretEntry) int {
		return cmp.Or(compareOrigins(a.origin, b.origin), cmp.Compare(a.seq, b.seq))
	})
	t = slices.CompactFunc(t, func(a, b secretEntry) bool { return a.origin == b.origin })
	first := slices.IndexFunc(t, func(e secretEntry) bool { return e.ref != nil })
	if first < 0 {
		return t, nil
	}
	if meta == nil {
		return nil, errors.New("the configuration uses vault() but no Vault is configured: set VAULT_ADDR or a vault block")
	}

	// One task per secret path, not per reference: the references to one
	// secret (its other keys, pinned versions) share its one metadata
	// read, and a task waiting for another's read would hold a slot that
	// a read of another secret could use. N secrets then cost about
	// ⌈N/parallelism⌉ round trips. The table is sorted by path, so a
	// task is a run of its entries.
	type span struct{ from, to int }
	var tasks []span
	for i := first; i < len(t); i++ {
		p := strings.Trim(t[i].ref.Path, "/")
		if n := len(tasks); n > 0 && strings.Trim(t[tasks[n-1].from].ref.Path, "/") == p {
			tasks[n-1].to = i + 1
			continue
		}
		tasks = append(tasks, span{i, i + 1})
	}
	// parallelism workers, each reading one path after another, rather
	// than a goroutine per path: every new goroutine grew its stack again
	// through the Vault client's call depth (stack copying was 3% of a
	// 10,000-secret plan's CPU). Each entry is written by the one worker
	// that reads it, so the table needs no lock.
	work := make(chan span)
	var wg sync.WaitGroup
	for range min(max(parallelism, 1), len(tasks)) {
		wg.Go(func() {
			for sp := range work {
				for i := sp.from; i < sp.to; i++ {
					t[i].read(ctx, meta)
				}
			}
		})
	}
	for _, sp := range tasks {
		work <- sp
	}
	close(work)
	wg.Wait()
	var errs []error
	for _, e := range t {
		if e.err != nil {
			errs = append(errs, e.err)
		}
	}
	if len(errs) > 0 {
		// Messages in a stable order read better and keep golden output
		// stable.
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// read reads the metadata of e's reference.
func (e *secretEntry) read(ctx context.Context, meta MetadataReader) {
	md, err := meta.Metadata(ctx, *e.ref)
	if err != nil {
		e.err = err
		return
	}
	e.src = secretref.Source{
		VaultPath:   e.ref.Path,
		VaultKey:    e.ref.Key,
		Version:     md.Version,
		CreatedTime: md.CreatedTime,
	}
}

// envName turns a config.Secret source ("env:NAME", "var.NAME") into what
// the applier looks up again at apply time.
func envName(source string) string {
	if name, ok := strings.CutPrefix(source, "env:"); ok {
		return name
	}
	return source
}

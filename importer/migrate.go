package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Vault is what a migration needs of Vault: a create-only write, and a read
// to recognize a value an earlier, interrupted run already stored.
// *secrets.Resolver implements it.
type Vault interface {
	WriteNew(ctx context.Context, path, key string, value sensitive.String) (int, error)
	Value(ctx context.Context, ref secretref.VaultRef) (sensitive.String, secrets.Metadata, error)
}

// MigrationPlan is what Migrate will do, for the confirmation question.
type MigrationPlan struct {
	// Keys are the Glow keys to decrypt, one decrypt each.
	Keys []Secret
	// Providers are the addresses whose keys are replaced.
	Providers []string
	// Credentials are the Gateflow credentials nobody can read.
	Credentials []Secret
}

// MigrateHooks hear what Migrate does, as it does it; Migrate never
// prints. The command line's import view implements them.
type MigrateHooks interface {
	// KeyStored: the value of Glow key keyID is in Vault at path, version.
	KeyStored(keyID, path string, version int)
	// KeysReplaced: the provider at address now uses marked copies of its
	// keys; n of total providers to migrate are done.
	KeysReplaced(address string, created, deleted []string, n, total int)
}

type noMigrateHooks struct{}

func (noMigrateHooks) KeyStored(string, string, int)                     {}
func (noMigrateHooks) KeysReplaced(string, []string, []string, int, int) {}

// PlanMigration lists what Migrate would do with im.
func PlanMigration(im *Import) MigrationPlan {
	var mp MigrationPlan
	for _, s := range im.Secrets {
		if s.GlowKey != "" {
			mp.Keys = append(mp.Keys, s)
		} else {
			mp.Credentials = append(mp.Credentials, s)
		}
	}
	for _, p := range im.Glow {
		if slices.ContainsFunc(p.Keys, func(k Key) bool { return k.Origin == OriginUnknown }) {
			mp.Providers = append(mp.Providers, p.Address())
		}
	}
	return mp
}

// Migrate moves every Glow key of unknown origin into Vault, so that the
// configuration import wrote plans no change:
//
//  1. decrypt the key, once however many providers share it (each decrypt
//     is in Glow's audit log);
//  2. store the value at the key's Vault path with WriteNew, which never
//     overwrites: a secret already there is used only if it holds the same
//     value (an earlier run that stopped after this step), and is otherwise
//     an error that leaves the key alone;
//  3. replace the key, on each provider that uses it, by a new key with the
//     same label and value whose name carries the origin marker of the
//     version just written: one update guarded by the version import read,
//     and the old key deleted once no provider uses it. This is
//     crud.Update's rotation, so no provider is ever without a key.
//
// Glow cannot rename a key, and the marker is what tells the planner where
// a value came from; without step 3 the next plan would rotate every such
// key ("origin unknown"). The configuration's reference is unpinned and
// names the same path before and after, so the files do not depend on the
// outcome.
//
// Migrate stops at the first failure and reports what it finished: every
// provider it got to is consistent, and running import again resumes, since
// a migrated key carries its marker and a stored value is recognized.
// Values are held only between their decrypt and their last provider's
// publish, and are never written anywhere but Vault and Glow.
//
// held, when set, is told every value as soon as it is decrypted, so that
// the caller can cut it out of everything it prints.
func Migrate(ctx context.Context, im *Import, g *glow.Client, v Vault, hooks MigrateHooks, held func(name string, value sensitive.String)) error {
	if hooks == nil {
		hooks = noMigrateHooks{}
	}
	m := &migration{
		g: g, v: v, ops: crud.NewGlow(g, nil), hooks: hooks, held: held,
		total:    len(PlanMigration(im).Providers),
		done:     map[string]storedKey{},
		secretOf: map[string]Secret{},
	}
	for _, s := range im.Secrets {
		if s.GlowKey != "" {
			m.secretOf[s.GlowKey] = s
		}
	}
	defer clear(m.done)

	for i := range im.Glow {
		p := &im.Glow[i]
		keys, migrating, err := m.keysOf(ctx, p)
		if err != nil {
			return err
		}
		if !migrating {
			continue
		}
		if err := m.replaceKeys(ctx, p, keys); err != nil {
			return err
		}
	}
	for i := range im.Secrets {
		if _, ok := m.done[im.Secrets[i].GlowKey]; ok {
			im.Secrets[i].State = SecretPresent
		}
	}
	return nil
}

// migration is one Migrate run: its clients and hooks, and the keys it has
// stored in Vault so far.
type migration struct {
	g     *glow.Client
	v     Vault
	ops   *crud.Glow
	hooks MigrateHooks
	held  func(name string, value sensitive.String)
	// n of total providers are migrated.
	n, total int
	// done holds the value and Vault version of each Glow key stored, by
	// key ID, so that a key shared by providers is decrypted once.
	done     map[string]storedKey
	secretOf map[string]Secret // by Glow key ID
}

type storedKey struct {
	value   sensitive.String
	version int
}

// keysOf is p's key list after the migration: its keys of known origin
// as they are, the others with their value, stored in Vault, and the
// version written. migrating is false when p has no key to migrate.
func (m *migration) keysOf(ctx context.Context, p *GlowProvider) (keys []crud.Key, migrating bool, err error) {
	for _, k := range p.Keys {
		if k.Origin != OriginUnknown {
			keys = append(keys, crud.Key{Label: k.Label, ID: k.KeyID})
			continue
		}
		migrating = true
		st, err := m.storeKey(ctx, p, k)
		if err != nil {
			return nil, false, err
		}
		keys = append(keys, crud.Key{
			Label:  k.Label,
			Source: secretref.Source{VaultPath: k.Ref.VaultPath, VaultKey: k.Ref.VaultKey, Version: st.version},
			Value:  st.value,
		})
	}
	return keys, migrating, nil
}

// storeKey decrypts Glow key k of p and stores its value in Vault, once
// per key however many providers share it.
func (m *migration) storeKey(ctx context.Context, p *GlowProvider, k Key) (storedKey, error) {
	if st, ok := m.done[k.KeyID]; ok {
		return st, nil
	}
	s := m.secretOf[k.KeyID]
	d, err := m.g.Decrypt(ctx, p.Live.ID, k.KeyID)
	if err != nil {
		return storedKey{}, fmt.Errorf("%s: decrypting Glow key %s: %w", p.Address(), k.KeyID, err)
	}
	if m.held != nil {
		m.held("Glow key "+k.KeyID, d.Value)
	}
	version, err := store(ctx, m.v, s, d.Value)
	if err != nil {
		return storedKey{}, fmt.Errorf("%s key %q: %w", p.Address(), k.Label, err)
	}
	st := storedKey{value: d.Value, version: version}
	m.done[k.KeyID] = st
	m.hooks.KeyStored(k.KeyID, s.Path, version)
	return st, nil
}

// replaceKeys gives p the keys in one update guarded by the version import
// read, and records in p that its migrated keys now come from Vault.
func (m *migration) replaceKeys(ctx context.Context, p *GlowProvider, keys []crud.Key) error {
	a, err := m.ops.Update(ctx, crud.Update{
		ID:              p.Live.ID,
		Name:            p.Live.Name,
		ExpectedVersion: p.Live.Version,
		Keys:            &keys,
		PreviousKeyIDs:  liveKeyIDs(p.Live),
	})
	if err != nil {
		if errors.Is(err, crud.ErrConflict) {
			return fmt.Errorf("%s: %w; run import again to read it anew", p.Address(), err)
		}
		return fmt.Errorf("%s: replacing its keys: %w", p.Address(), err)
	}
	m.n++
	m.hooks.KeysReplaced(p.Address(), a.CreatedKeys, a.DeletedKeys, m.n, m.total)
	for j := range p.Keys {
		k := &p.Keys[j]
		if k.Origin == OriginUnknown {
			k.Origin = OriginVault
			k.KeyID = a.Keys[k.Label]
			k.Note = fmt.Sprintf("Moved into Vault by `switchboard import --migrate-keys-to-vault` from Glow key %q; Glow key %s now carries the marker.", k.Name, k.KeyID)
		}
	}
	return nil
}

// store writes value at s's path, or accepts what is there if it is the
// same value.
func store(ctx context.Context, v Vault, s Secret, value sensitive.String) (int, error) {
	version, err := v.WriteNew(ctx, s.Path, s.Key, value)
	if err == nil || !errors.Is(err, secrets.ErrExists) {
		return version, err
	}
	have, md, rerr := v.Value(ctx, secretref.VaultRef{Path: s.Path, Key: s.Key})
	if rerr != nil || !have.Equal(value) {
		return 0, fmt.Errorf("%s already holds another secret, which import never overwrites: move it, or import with another --vault-prefix", s.Path)
	}
	return md.Version, nil
}

func liveKeyIDs(p objects.GlowProvider) []string {
	ids := make([]string, 0, len(p.Keys))
	for _, k := range p.Keys {
		ids = append(ids, k.KeyID)
	}
	slices.Sort(ids)
	return ids
}

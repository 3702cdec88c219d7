package applier

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// SecretReader reads a secret's value from Vault. *secrets.Resolver
// implements it.
type SecretReader interface {
	Value(ctx context.Context, ref secretref.VaultRef) (sensitive.String, secrets.Metadata, error)
}

// MetadataReader reads a secret's metadata without its value, for the stale
// check. *secrets.Resolver implements it.
type MetadataReader interface {
	Metadata(ctx context.Context, ref secretref.VaultRef) (secrets.Metadata, error)
}

// secretCache reads each secret once per apply, whatever number of objects
// use it, and at exactly the version the plan recorded: a newer version
// written since the plan is not what the reviewer approved.
type secretCache struct {
	vault  SecretReader
	lookup func(string) (string, bool)
	sink   CredentialSink

	mu      sync.Mutex
	entries map[secretref.Source]*secretEntry
}

type secretEntry struct {
	once  sync.Once
	value sensitive.String
	err   error
}

func newSecretCache(vault SecretReader, lookup func(string) (string, bool), sink CredentialSink) *secretCache {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &secretCache{vault: vault, lookup: lookup, sink: sink, entries: map[secretref.Source]*secretEntry{}}
}

func (c *secretCache) get(ctx context.Context, src secretref.Source) (sensitive.String, error) {
	key := secretref.Source{VaultPath: src.VaultPath, VaultKey: src.VaultKey, Version: src.Version, Env: src.Env}
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &secretEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.value, e.err = c.read(ctx, key)
		if e.err == nil && c.sink != nil {
			// Named by its reference, so that the marker that replaces
			// it says where the value came from.
			c.sink.Add(key.String(), e.value)
		}
	})
	return e.value, e.err
}

func (c *secretCache) read(ctx context.Context, src secretref.Source) (sensitive.String, error) {
	switch {
	case src.Env != "":
		v, ok := c.lookup(src.Env)
		if !ok || v == "" {
			return sensitive.String{}, fmt.Errorf("%s: the environment variable %s is not set (apply reads env() secrets again; set it as it was set for the plan)", src, src.Env)
		}
		return sensitive.New(v), nil
	case src.VaultPath != "":
		if c.vault == nil {
			return sensitive.String{}, fmt.Errorf("%s: no Vault is configured", src)
		}
		v, md, err := c.vault.Value(ctx, secretref.VaultRef{Path: src.VaultPath, Key: src.VaultKey, Version: src.Version})
		if err != nil {
			return sensitive.String{}, err
		}
		if src.Version > 0 && md.Version != src.Version {
			return sensitive.String{}, fmt.Errorf("%s: Vault answered version %d", src, md.Version)
		}
		if v.IsZero() {
			return sensitive.String{}, fmt.Errorf("%s: the secret is empty", src)
		}
		return v, nil
	default:
		return sensitive.String{}, fmt.Errorf("a secret of unknown origin cannot be written")
	}
}

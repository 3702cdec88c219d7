package crud

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
)

// newKey is one key to create in a batch: its name and value, and where
// its id goes.
type newKey struct {
	input glow.KeyInput
	id    *string
}

// createKeys creates keys in as few calls as Glow allows (glow.MaxItems
// each) and sets each one's id. The answer is per chunk: a chunk that
// failed leaves its ids empty and its error in errs (by position).
//
// A lost answer is resolved by name: a key's name records its label, the
// secret it holds (path, key and version, or env) and its owner, so an
// unattached key with the same name holds the same value and serves just
// as well. The chunk's keys that the lost call did not create are then
// created again.
func (g *Glow) createKeys(ctx context.Context, keys []newKey) []error {
	errs := make([]error, len(keys))
	for start := 0; start < len(keys); start += glow.MaxItems {
		chunk := keys[start:min(start+glow.MaxItems, len(keys))]
		err := g.createKeyChunk(ctx, chunk)
		for i := range chunk {
			if err != nil && *chunk[i].id == "" {
				errs[start+i] = err
			}
		}
	}
	return errs
}

func (g *Glow) createKeyChunk(ctx context.Context, chunk []newKey) error {
	in := make([]glow.KeyInput, len(chunk))
	for i, k := range chunk {
		in[i] = k.input
	}
	out, err := g.Client.CreateKeys(ctx, in)
	if err == nil {
		return assignKeys(chunk, out)
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return err
	}
	found, ferr := g.unattachedKeys(ctx)
	if ferr != nil {
		return errors.Join(err, fmt.Errorf("looking for the keys the lost create may have made: %w", ferr))
	}
	var rest []newKey
	for _, k := range chunk {
		if ids := found[k.input.Name]; len(ids) > 0 {
			*k.id, found[k.input.Name] = ids[0], ids[1:]
			continue
		}
		rest = append(rest, k)
	}
	if len(rest) == 0 {
		return nil
	}
	in = in[:0]
	for _, k := range rest {
		in = append(in, k.input)
	}
	out, err = g.Client.CreateKeys(ctx, in)
	if err != nil {
		return err
	}
	return assignKeys(rest, out)
}

func assignKeys(chunk []newKey, out []glow.Key) error {
	if len(out) != len(chunk) {
		return fmt.Errorf("glow: create keys answered %d keys for %d", len(out), len(chunk))
	}
	for i, k := range out {
		if k.Name != chunk[i].input.Name {
			return fmt.Errorf("glow: create keys answered key %s named %q at position %d, want %q", k.ID, k.Name, i, chunk[i].input.Name)
		}
		*chunk[i].id = k.ID
	}
	return nil
}

// unattachedKeys maps key names to the ids of keys no visible provider
// uses, oldest first.
func (g *Glow) unattachedKeys(ctx context.Context) (map[string][]string, error) {
	used := map[string]bool{}
	for p, err := range g.Client.Search(ctx, glow.SearchRequest{}) {
		if err != nil {
			return nil, err
		}
		for _, id := range p.KeyIDs {
			used[id] = true
		}
	}
	keys, err := api.Collect(g.Client.ListKeys(ctx))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(keys, func(a, b glow.Key) int { return a.CreatedAt.Compare(b.CreatedAt) })
	out := map[string][]string{}
	for _, k := range keys {
		if !used[k.ID] {
			out[k.Name] = append(out[k.Name], k.ID)
		}
	}
	return out, nil
}

// discard deletes keys created for an operation that failed before any
// provider used them, unless the failure leaves it unknown whether one now
// does (Glow refuses to delete a key in use anyway, and the next plan lists
// what is left as an orphan).
func (g *Glow) discard(ctx context.Context, ids []string, cause error) []string {
	if len(ids) == 0 || errors.Is(cause, api.ErrOutcomeUnknown) {
		return nil
	}
	deleted, _, _ := g.DeleteKeys(context.WithoutCancel(ctx), ids)
	return deleted
}

package crud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
)

// DeleteProviders deletes providers by explicit id, in as few calls as Glow
// allows (glow.MaxItems ids each), and checks every item's result. The
// answer has one entry per id: nil when the provider is gone (not_found
// counts as gone: a replayed call reports the ones the lost attempt
// deleted), the item's failure otherwise. Never a selector: a filter could
// match providers the plan never saw. The calls are independent, so up to
// Parallelism of them are in flight.
func (g *Glow) DeleteProviders(ctx context.Context, ids []string) map[string]error {
	out := make(map[string]error, len(ids))
	ids = dedupe(ids)
	if len(ids) == 0 {
		return out
	}
	chunks := slices.Collect(slices.Chunk(ids, glow.MaxItems))
	parts := make([]map[string]error, len(chunks))
	g.eachChunk(len(chunks), func(i int) { parts[i] = g.deleteProviderChunk(ctx, chunks[i]) })
	for _, part := range parts {
		maps.Copy(out, part)
	}
	return out
}

// eachChunk runs one(i) for i in [0, n), Parallelism at a time. Each call
// writes only its own slot, so the results come out in chunk order
// whatever order the calls finish in.
func (g *Glow) eachChunk(n int, one func(i int)) {
	if n == 1 {
		one(0)
		return
	}
	var grp errgroup.Group
	grp.SetLimit(max(g.Parallelism, 1))
	for i := range n {
		grp.Go(func() error { one(i); return nil })
	}
	_ = grp.Wait()
}

func (g *Glow) deleteProviderChunk(ctx context.Context, ids []string) map[string]error {
	out := make(map[string]error, len(ids))
	results, err := g.Client.DeleteProviders(ctx, ids)
	for _, r := range results {
		switch {
		case r.Success, r.Code == api.CodeNotFound:
			out[r.ProviderID] = nil
		default:
			out[r.ProviderID] = &api.Error{Service: "glow", Operation: "delete provider", ID: r.ProviderID,
				StatusCode: statusOf(r.Code), Code: r.Code, Message: r.Message}
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if err == nil {
			err = fmt.Errorf("glow: delete providers: the answer has no result for %s", id)
		}
		out[id] = err
	}
	return out
}

// statusOf gives a per-item failure the status its code has as a whole
// answer, so that errors.Is works on it like on any other API error.
func statusOf(code string) int {
	switch code {
	case api.CodeNotFound:
		return 404
	case api.CodeVersionConflict, api.CodeNameConflict, api.CodeInUse:
		return 409
	case "forbidden":
		return 403
	default:
		return 400
	}
}

// DeleteKeys deletes keys by id. A key still in use (another provider uses
// it) is left in place and returned in inUse; a key already gone counts as
// deleted. err joins every other failure.
func (g *Glow) DeleteKeys(ctx context.Context, ids []string) (deleted, inUse []string, err error) {
	return g.deleteIDs(ctx, "delete key", g.Client.DeleteKeys, ids)
}

// DeleteEndpoints deletes endpoints by id, like DeleteKeys: the server
// answers in_use for an endpoint another provider uses, which is fine.
func (g *Glow) DeleteEndpoints(ctx context.Context, ids []string) (deleted, inUse []string, err error) {
	return g.deleteIDs(ctx, "delete endpoint", g.Client.DeleteEndpoints, ids)
}

// deleteIDs sends the chunks of a key or endpoint delete, Parallelism at a
// time, and reports them in chunk order.
func (g *Glow) deleteIDs(ctx context.Context, op string, del func(context.Context, []string) ([]glow.IDResult, error), ids []string) (deleted, inUse []string, err error) {
	type part struct {
		deleted, inUse []string
		errs           []error
	}
	chunks := slices.Collect(slices.Chunk(dedupe(ids), glow.MaxItems))
	parts := make([]part, len(chunks))
	g.eachChunk(len(chunks), func(i int) {
		p, chunk := &parts[i], chunks[i]
		results, cerr := del(ctx, chunk)
		if cerr != nil {
			p.errs = append(p.errs, cerr)
			return
		}
		seen := make(map[string]bool, len(results))
		for _, r := range results {
			seen[r.ID] = true
			switch {
			case r.Success, r.Code == api.CodeNotFound:
				p.deleted = append(p.deleted, r.ID)
			case r.Code == api.CodeInUse:
				p.inUse = append(p.inUse, r.ID)
			default:
				p.errs = append(p.errs, &api.Error{Service: "glow", Operation: op, ID: r.ID, StatusCode: statusOf(r.Code), Code: r.Code, Message: r.Message})
			}
		}
		for _, id := range chunk {
			if !seen[id] {
				p.errs = append(p.errs, fmt.Errorf("glow: %s %s: the answer has no result for it", op, id))
			}
		}
	})
	var errs []error
	for _, p := range parts {
		deleted = append(deleted, p.deleted...)
		inUse = append(inUse, p.inUse...)
		errs = append(errs, p.errs...)
	}
	return deleted, inUse, errors.Join(errs...)
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Guarded is a provider id with the version the caller read.
type Guarded struct {
	ID              string
	ExpectedVersion int64
}

// BulkUpdate applies one patch to several providers with explicit ids, each
// guarded by its expected version, in calls of at most glow.MaxItems. Never
// `all: true`: a selector could reach providers the plan never saw. The
// answer has one entry per id: the new version, or the item's error (a
// *ConflictError for a provider changed since it was read).
//
// A lost answer is resolved by sending the same guarded call again: items
// that did not land are applied, items that did answer version_conflict and
// are then read to tell "already applied" from "changed by someone else".
// Each chunk is its own guarded call, so up to Parallelism are in flight.
func (g *Glow) BulkUpdate(ctx context.Context, items []Guarded, patch glow.Patch) map[string]BulkResult {
	out := make(map[string]BulkResult, len(items))
	if len(items) == 0 {
		return out
	}
	chunks := slices.Collect(slices.Chunk(items, glow.MaxItems))
	parts := make([]map[string]BulkResult, len(chunks))
	g.eachChunk(len(chunks), func(i int) {
		parts[i] = make(map[string]BulkResult, len(chunks[i]))
		g.bulkChunk(ctx, chunks[i], patch, parts[i])
	})
	for _, part := range parts {
		maps.Copy(out, part)
	}
	return out
}

// BulkResult is one provider's outcome in BulkUpdate.
type BulkResult struct {
	Version int64
	Err     error
}

func (g *Glow) bulkChunk(ctx context.Context, items []Guarded, patch glow.Patch, out map[string]BulkResult) {
	req := glow.BulkUpdateRequest{
		Selector:         glow.Selector{ProviderIDs: make([]string, len(items))},
		ExpectedVersions: make(map[string]int64, len(items)),
		Patch:            patch,
	}
	for i, it := range items {
		req.ProviderIDs[i] = it.ID
		req.ExpectedVersions[it.ID] = it.ExpectedVersion
	}
	results, err := g.Client.BulkUpdate(ctx, req)
	retried := false
	if errors.Is(err, api.ErrOutcomeUnknown) {
		retried = true
		results, err = g.Client.BulkUpdate(ctx, req)
	}
	if err != nil {
		for _, it := range items {
			out[it.ID] = BulkResult{Err: err}
		}
		return
	}
	byID := make(map[string]glow.ItemResult, len(results))
	for _, r := range results {
		byID[r.ProviderID] = r
	}
	for _, it := range items {
		obj := glowObject("", it.ID)
		r, ok := byID[it.ID]
		switch {
		case !ok:
			out[it.ID] = BulkResult{Err: fmt.Errorf("glow: bulk update: the answer has no result for %s", it.ID)}
		case r.Success:
			out[it.ID] = BulkResult{Version: r.Version}
		case r.Code == api.CodeVersionConflict && retried:
			out[it.ID] = g.landed(ctx, it, patch, r)
		case r.Code == api.CodeVersionConflict:
			out[it.ID] = BulkResult{Err: &ConflictError{Object: obj, Detail: r.Message}}
		default:
			out[it.ID] = BulkResult{Err: &api.Error{Service: "glow", Operation: "update provider", ID: it.ID,
				StatusCode: statusOf(r.Code), Code: r.Code, Message: r.Message}}
		}
	}
}

// landed decides a version conflict met when repeating a lost bulk update:
// one version later with the patch live means the lost call applied it.
func (g *Glow) landed(ctx context.Context, it Guarded, patch glow.Patch, r glow.ItemResult) BulkResult {
	obj := glowObject("", it.ID)
	d, err := g.Client.GetProvider(ctx, it.ID)
	if err != nil {
		return BulkResult{Err: fmt.Errorf("%s: the bulk update answer was lost, and reading the provider failed: %w", obj, err)}
	}
	if d.Provider.Version == it.ExpectedVersion+1 && formHas(formOf(d.Provider), patch) {
		return BulkResult{Version: d.Provider.Version}
	}
	return BulkResult{Err: &ConflictError{Object: glowObject(d.Provider.Name, it.ID), Detail: r.Message}}
}

// Package dump reads the live state of Glow and Gateflow into the planner's
// snapshot, the way decK's dump step reads Kong: a full, stateless read
// that costs ⌈N/page_size⌉ searches for N Glow providers plus one listing of
// endpoints and of keys, and one get per configured Gateflow provider.
package dump

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// Clients are the services to read. A nil client is not read: a
// configuration without Glow providers and without Glow pruning has no use
// for Glow's state.
type Clients struct {
	Glow     *glow.Client
	Gateflow *gateflow.Client
}

// Options tune the read.
type Options struct {
	// Parallelism bounds the calls in flight; 0 means
	// api.DefaultParallelism.
	Parallelism int
	// Search and Departments narrow the Glow read with Glow's own search
	// filters (text on name and description; any of the departments), for
	// import. A plan reads everything: pruning and unmanaged listing need
	// the whole picture.
	Search      string
	Departments []string
}

// Read returns every provider of both services. Glow's search results carry
// every field the planner compares, so no per-provider get is needed; the
// endpoint and key lists turn ids into URLs and key names. The snapshot
// also holds those lists, the caller's open drafts and the token's scope,
// which the plan needs to find what is attached to nothing and what it
// cannot see.
func Read(ctx context.Context, c Clients, opts Options) (objects.Snapshot, error) {
	par := opts.Parallelism
	if par <= 0 {
		par = api.DefaultParallelism
	}
	var snap objects.Snapshot
	g, gctx := errgroup.WithContext(ctx)
	if c.Glow != nil {
		g.Go(func() error {
			return readGlow(gctx, c.Glow, glow.SearchRequest{Search: opts.Search, FilterDepartmentIDs: opts.Departments}, &snap)
		})
	}
	if c.Gateflow != nil {
		g.Go(func() error {
			var err error
			snap.Gateflow, err = readGateflow(gctx, c.Gateflow, par)
			return err
		})
	}
	return snap, g.Wait()
}

func readGlow(ctx context.Context, c *glow.Client, filter glow.SearchRequest, snap *objects.Snapshot) error {
	var (
		providers []glow.Provider
		endpoints []glow.Endpoint
		keys      []glow.Key
		drafts    []glow.Draft
	)
	// Providers first, then the lists: an endpoint or key a provider uses
	// cannot be deleted (Glow answers in_use), so lists read after the
	// providers contain every id they reference. The lists are read even
	// when there is no provider: keys and endpoints an interrupted apply
	// left behind are attached to nothing.
	providers, err := api.Collect(c.Search(ctx, filter))
	if err != nil {
		return fmt.Errorf("reading Glow: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		endpoints, err = api.Collect(c.ListEndpoints(gctx))
		return err
	})
	g.Go(func() (err error) {
		keys, err = api.Collect(c.ListKeys(gctx))
		return err
	})
	g.Go(func() (err error) {
		drafts, err = api.Collect(c.ListDrafts(gctx))
		return err
	})
	g.Go(func() error {
		info, err := c.Self(gctx)
		switch {
		case errors.Is(err, api.ErrNotFound):
			// A Glow without the call: what the token sees is unknown,
			// and the plan says so.
			snap.GlowScope = &objects.TokenScope{}
		case err != nil:
			return err
		default:
			snap.GlowScope = &objects.TokenScope{Known: true, Actor: info.ActorName, Scoped: info.Scoped,
				Departments: objects.NewSet(info.DepartmentIDs...)}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return fmt.Errorf("reading Glow: %w", err)
	}

	urls := make(map[string]string, len(endpoints))
	for _, e := range endpoints {
		urls[e.ID] = e.URL
		snap.GlowEndpoints = append(snap.GlowEndpoints, objects.LiveEndpoint{ID: e.ID, URL: e.URL, Name: e.Name})
	}
	byID := make(map[string]glow.Key, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
		snap.GlowKeys = append(snap.GlowKeys, objects.LiveKey{ID: k.ID, Name: k.Name})
	}
	for _, d := range drafts {
		_, own := objects.SplitMarker(d.FormState.Values)
		snap.GlowDrafts = append(snap.GlowDrafts, objects.LiveDraft{ID: d.DraftID, ProviderID: d.ProviderID, Name: d.FormState.Name, Ownership: own})
	}
	snap.Glow = make([]objects.GlowProvider, 0, len(providers))
	for i := range providers {
		sp, err := objects.GlowFromLive(providers[i], urls, byID)
		if err != nil {
			return fmt.Errorf("reading Glow: %w", err)
		}
		snap.Glow = append(snap.Glow, sp)
		// The answer is garbage once converted: at 100,000 providers the
		// answers and their conversions together were the heap's peak.
		providers[i] = glow.Provider{}
	}
	if len(snap.Glow) == 0 {
		snap.Glow = nil
	}
	return nil
}

func readGateflow(ctx context.Context, c *gateflow.Client, par int) ([]objects.GateflowProvider, error) {
	list, err := c.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading Gateflow: %w", err)
	}
	// The list lacks settings and timestamps; get the configured ones only.
	var ids []string
	for _, p := range list {
		if p.Configured {
			ids = append(ids, p.ID)
		}
	}
	out := make([]objects.GateflowProvider, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	for i, id := range ids {
		g.Go(func() error {
			p, err := c.Get(gctx, id)
			if err != nil {
				return err
			}
			out[i], err = objects.GateflowFromLive(*p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading Gateflow: %w", err)
	}
	return out, nil
}

// Models reads the models that use the given Glow providers, for a plan
// that destroys them: the provider list has the models' ids only, and a
// reviewer needs their names. One paginated search, made only when such a
// plan needs it.
func Models(ctx context.Context, c *glow.Client, providerIDs map[string]bool) ([]objects.LiveModel, error) {
	var out []objects.LiveModel
	for m, err := range c.SearchModels(ctx) {
		if err != nil {
			return nil, fmt.Errorf("reading Glow models: %w", err)
		}
		if providerIDs[m.ProviderID] {
			out = append(out, objects.LiveModel{ID: m.ID, Name: m.Name, ProviderID: m.ProviderID})
		}
	}
	return out, nil
}

// Package dump reads the live state of Glow and Gateflow into the planner's
// snapshot, the way decK's dump step reads Kong: a full, stateless read
// that costs ⌈N/page_size⌉ searches for N Glow providers plus one listing of
// endpoints and of keys, and one get per configured Gateflow provider.
package dump

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/state"
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
	// Parallelism bounds the calls in flight; 0 means 10.
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
// endpoint and key lists turn ids into URLs and key names.
func Read(ctx context.Context, c Clients, opts Options) (state.Snapshot, error) {
	par := opts.Parallelism
	if par <= 0 {
		par = 10
	}
	var snap state.Snapshot
	g, gctx := errgroup.WithContext(ctx)
	if c.Glow != nil {
		g.Go(func() error {
			var err error
			snap.Glow, err = readGlow(gctx, c.Glow, glow.SearchRequest{Search: opts.Search, FilterDepartmentIDs: opts.Departments})
			return err
		})
	}
	if c.Gateflow != nil {
		g.Go(func() error {
			var err error
			snap.Gateway, err = readGateflow(gctx, c.Gateflow, par)
			return err
		})
	}
	return snap, g.Wait()
}

func readGlow(ctx context.Context, c *glow.Client, filter glow.SearchRequest) ([]state.GlowProvider, error) {
	var (
		providers []glow.Provider
		endpoints []glow.Endpoint
		keys      []glow.Key
	)
	// Providers first, then the lists: an endpoint or key a provider uses
	// cannot be deleted (Glow answers in_use), so lists read after the
	// providers contain every id they reference.
	providers, err := api.Collect(c.Search(ctx, filter))
	if err != nil {
		return nil, fmt.Errorf("reading Glow: %w", err)
	}
	if len(providers) == 0 {
		return nil, nil
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
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading Glow: %w", err)
	}

	urls := make(map[string]string, len(endpoints))
	for _, e := range endpoints {
		urls[e.ID] = e.URL
	}
	byID := make(map[string]glow.Key, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
	}
	out := make([]state.GlowProvider, 0, len(providers))
	for _, p := range providers {
		sp, err := state.GlowFromLive(p, urls, byID)
		if err != nil {
			return nil, fmt.Errorf("reading Glow: %w", err)
		}
		out = append(out, sp)
	}
	return out, nil
}

func readGateflow(ctx context.Context, c *gateflow.Client, par int) ([]state.GatewayProvider, error) {
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
	out := make([]state.GatewayProvider, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	for i, id := range ids {
		g.Go(func() error {
			p, err := c.Get(gctx, id)
			if err != nil {
				return err
			}
			out[i], err = state.GatewayFromLive(*p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reading Gateflow: %w", err)
	}
	return out, nil
}

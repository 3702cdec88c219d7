package importer

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/state"
)

// Filter selects what Read imports.
type Filter struct {
	// Departments keeps the Glow providers in any of these departments
	// (Glow's filter_department_ids); empty keeps all.
	Departments []string
	// Search is Glow's search text: it matches name and description,
	// case-insensitively.
	Search string
	// Parallelism bounds the Gateflow calls in flight; 0 means 10.
	Parallelism int
}

// Read reads the live objects to import. The filters are Glow's own search
// filters, so what import selects is exactly what a user sees in Glow's UI
// with the same filters; Gateflow has no departments or search and is read
// whole. A nil client is not read.
func Read(ctx context.Context, c dump.Clients, f Filter) (state.Snapshot, error) {
	var snap state.Snapshot
	g, gctx := errgroup.WithContext(ctx)
	if c.Glow != nil {
		g.Go(func() (err error) {
			snap.Glow, err = readGlow(gctx, c.Glow, f)
			return err
		})
	}
	if c.Gateflow != nil {
		g.Go(func() error {
			gw, err := dump.Read(gctx, dump.Clients{Gateflow: c.Gateflow}, dump.Options{Parallelism: f.Parallelism})
			snap.Gateway = gw.Gateway
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return state.Snapshot{}, err
	}
	slices.SortFunc(snap.Glow, func(a, b state.GlowProvider) int { return compareIDs(a.ID, b.ID) })
	slices.SortFunc(snap.Gateway, func(a, b state.GatewayProvider) int { return compareIDs(a.ProviderID, b.ProviderID) })
	return snap, nil
}

func readGlow(ctx context.Context, c *glow.Client, f Filter) ([]state.GlowProvider, error) {
	// Providers before the lists, as in dump: a key or endpoint in use
	// cannot be deleted, so lists read afterwards hold every id referenced.
	providers, err := api.Collect(c.Search(ctx, glow.SearchRequest{Search: f.Search, FilterDepartmentIDs: f.Departments}))
	if err != nil {
		return nil, fmt.Errorf("reading Glow: %w", err)
	}
	if len(providers) == 0 {
		return nil, nil
	}
	var (
		endpoints []glow.Endpoint
		keys      []glow.Key
	)
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

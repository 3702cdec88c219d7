package importer

import (
	"context"
	"slices"

	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// Filter selects what Read imports.
type Filter struct {
	// Departments keeps the Glow providers in any of these departments
	// (Glow's filter_department_ids); empty keeps all.
	Departments []string
	// Search is Glow's search text: it matches name and description,
	// case-insensitively.
	Search string
	// Parallelism bounds the Gateflow calls in flight; 0 means
	// api.DefaultParallelism.
	Parallelism int
}

// Read reads the live objects to import. The filters are Glow's own search
// filters, so what import selects is exactly what a user sees in Glow's UI
// with the same filters; Gateflow has no departments or search and is read
// whole. A nil client is not read. Objects come sorted by id, so that two
// imports of the same state write the same files.
func Read(ctx context.Context, c dump.Clients, f Filter) (objects.Snapshot, error) {
	snap, err := dump.Read(ctx, c, dump.Options{Parallelism: f.Parallelism, Search: f.Search, Departments: f.Departments})
	if err != nil {
		return objects.Snapshot{}, err
	}
	slices.SortFunc(snap.Glow, func(a, b objects.GlowProvider) int { return compareIDs(a.ID, b.ID) })
	slices.SortFunc(snap.Gateflow, func(a, b objects.GateflowProvider) int { return compareIDs(a.ProviderID, b.ProviderID) })
	return snap, nil
}

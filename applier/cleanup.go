package applier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/internal/english"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

func (r *run) cleanupPending(ops []*op) bool {
	if len(r.plan.Orphans) > 0 {
		return true
	}
	for _, o := range ops {
		if len(o.keyIDs) > 0 || len(o.freedEndpoints) > 0 {
			return true
		}
	}
	return false
}

// cleanup deletes what the changes left attached to nothing and the
// orphans the plan listed. Glow refuses to delete a key or endpoint that a
// provider still uses (in_use), which covers one used by a provider the
// token cannot see: those stay.
func (r *run) cleanup(ctx context.Context, ops []*op) {
	var keyIDs, endpointIDs, draftIDs []string
	for _, o := range ops {
		keyIDs = append(keyIDs, o.keyIDs...)
		for _, id := range o.freedEndpoints {
			// Only endpoints this owner created: one made by hand may be
			// meant for providers that do not exist yet.
			if r.plan.Owner != "" && objects.EndpointOwner(r.endpointNames[id]) == r.plan.Owner {
				endpointIDs = append(endpointIDs, id)
			}
		}
	}
	for _, orphan := range r.plan.Orphans {
		switch orphan.Kind {
		case plan.OrphanKey:
			keyIDs = append(keyIDs, orphan.ID)
		case plan.OrphanEndpoint:
			endpointIDs = append(endpointIDs, orphan.ID)
		case plan.OrphanDraft:
			draftIDs = append(draftIDs, orphan.ID)
		}
	}
	if len(keyIDs) == 0 && len(endpointIDs) == 0 && len(draftIDs) == 0 {
		return
	}
	r.message("Cleaning up: " + cleanupWords(len(dedupe(keyIDs)), len(dedupe(endpointIDs)), len(dedupe(draftIDs))))
	// Drafts first: a draft may hold the last reference to a key.
	for _, id := range dedupe(draftIDs) {
		if err := r.glow.Client.DiscardDraft(ctx, id); err != nil && !errors.Is(err, api.ErrNotFound) {
			r.warn(fmt.Sprintf("draft %s was not discarded: %v", id, err))
		}
	}
	if ids := dedupe(keyIDs); len(ids) > 0 {
		_, inUse, err := r.glow.DeleteKeys(ctx, ids)
		if err != nil {
			r.warn(fmt.Sprintf("keys left behind were not all deleted: %v", err))
		}
		if len(inUse) > 0 {
			r.note(fmt.Sprintf("keys still used by another provider were left in place: %s", strings.Join(inUse, ", ")))
		}
	}
	if ids := dedupe(endpointIDs); len(ids) > 0 {
		if _, _, err := r.glow.DeleteEndpoints(ctx, ids); err != nil {
			r.warn(fmt.Sprintf("endpoints left behind were not all deleted: %v", err))
		}
	}
	r.message("Cleanup complete")
}

func cleanupWords(keys, endpoints, drafts int) string {
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, english.Count(n, one, many))
		}
	}
	add(keys, "key", "keys")
	add(endpoints, "endpoint", "endpoints")
	add(drafts, "draft", "drafts")
	return strings.Join(parts, ", ") + " attached to nothing"
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

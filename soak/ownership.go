package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
)

// orphan is a key, endpoint or open draft that carries the configuration's
// ownership marker and is attached to nothing (docs/ownership.md).
type orphan struct {
	Kind string // "key", "endpoint" or "draft", as the plan's orphans say
	ID   string
	Name string
}

func (o orphan) String() string { return fmt.Sprintf("%s %s (%q)", o.Kind, o.ID, o.Name) }

// glowView is what the soak reads of Glow for the ownership checks.
type glowView struct {
	Providers []glow.Provider
	Keys      []glow.Key
	Endpoints []glow.Endpoint
	// Drafts are Switchboard's actor's open drafts: Glow lists a caller's
	// own drafts only, so they are read with Switchboard's token.
	Drafts []glow.Draft
}

// readGlow reads everything the ownership checks need; the Glow clients
// retry faults on their own.
func (s *soak) readGlow(ctx context.Context) (glowView, error) {
	var v glowView
	var err error
	if v.Providers, err = api.Collect(s.checker.Search(ctx, glow.SearchRequest{})); err != nil {
		return v, fmt.Errorf("search: %w", err)
	}
	if v.Keys, err = api.Collect(s.checker.ListKeys(ctx)); err != nil {
		return v, fmt.Errorf("list keys: %w", err)
	}
	if v.Endpoints, err = api.Collect(s.checker.ListEndpoints(ctx)); err != nil {
		return v, fmt.Errorf("list endpoints: %w", err)
	}
	if v.Drafts, err = api.Collect(s.sbReader.ListDrafts(ctx)); err != nil {
		return v, fmt.Errorf("list drafts: %w", err)
	}
	return v, nil
}

// findOrphans lists what owner made that nothing uses: keys no provider
// holds, endpoints no provider routes to, and open drafts whose form
// carries owner's marker. It is computed from the live objects alone,
// independently of the planner, with the parsing helpers of planner/objects.
func findOrphans(owner string, v glowView) []orphan {
	keys, endpoints := map[string]bool{}, map[string]bool{}
	for _, p := range v.Providers {
		for _, id := range p.KeyIDs {
			keys[id] = true
		}
		for _, id := range p.EndpointIDs {
			endpoints[id] = true
		}
	}
	var out []orphan
	for _, k := range v.Keys {
		if _, _, o, ok := secretref.ParseOwnedKeyName(k.Name); ok && o == owner && !keys[k.ID] {
			out = append(out, orphan{Kind: "key", ID: k.ID, Name: k.Name})
		}
	}
	for _, e := range v.Endpoints {
		if objects.EndpointOwner(e.Name) == owner && !endpoints[e.ID] {
			out = append(out, orphan{Kind: "endpoint", ID: e.ID, Name: e.Name})
		}
	}
	for _, d := range v.Drafts {
		if _, own := objects.SplitMarker(d.FormState.Values); own.OwnedBy(owner) {
			out = append(out, orphan{Kind: "draft", ID: d.DraftID, Name: d.FormState.Name})
		}
	}
	slices.SortFunc(out, func(a, b orphan) int { return strings.Compare(a.Kind+"\x00"+a.ID, b.Kind+"\x00"+b.ID) })
	return out
}

// countKinds counts orphans by kind.
func countKinds(os []orphan) (keys, endpoints, drafts int) {
	for _, o := range os {
		switch o.Kind {
		case "key":
			keys++
		case "endpoint":
			endpoints++
		case "draft":
			drafts++
		}
	}
	return keys, endpoints, drafts
}

// handMade is a provider the soak makes by hand (through the checker's own
// token, without a marker) in one of the configuration's departments. No
// plan may adopt, change or destroy it.
type handMade struct {
	ID      string
	Name    string
	Version int64
}

// markerViolations checks that every provider a block declares carries
// that block's marker, that no provider carries owner's marker for an
// address no block declares (a removed block's provider must be destroyed),
// that every key of a declared provider names owner, and that the
// hand-made provider is still there, unmarked and unchanged.
// declared maps a block label to the live provider bound to it.
func markerViolations(owner string, declared map[string]glow.Provider, keyNames map[string][]string, all []glow.Provider, hand *handMade) []string {
	var v []string
	bound := map[string]bool{}
	for _, l := range slices.Sorted(maps.Keys(declared)) {
		p := declared[l]
		bound[p.ID] = true
		want := "glow_provider." + l
		_, own := objects.SplitMarker(p.Values)
		switch {
		case own.Marker == nil:
			v = append(v, fmt.Sprintf("%s: provider %s has no ownership marker (%s)", want, p.ID, own.Describe()))
		case own.Marker.Owner != owner || string(own.Marker.Address) != want:
			v = append(v, fmt.Sprintf("%s: provider %s carries the marker of %s, want owner %q and address %s", want, p.ID, own.Describe(), owner, want))
		}
		for _, name := range keyNames[l] {
			if _, _, o, ok := secretref.ParseOwnedKeyName(name); !ok || o != owner {
				v = append(v, fmt.Sprintf("%s: key %q does not name owner %q", want, name, owner))
			}
		}
	}
	handSeen := false
	for _, p := range all {
		if hand != nil && p.ID == hand.ID {
			handSeen = true
			_, own := objects.SplitMarker(p.Values)
			if !own.Unmarked() || p.Version != hand.Version || p.Name != hand.Name {
				v = append(v, fmt.Sprintf("the hand-made provider %s was changed: version %d (made at %d), name %q, owner %s",
					p.ID, p.Version, hand.Version, p.Name, own.Describe()))
			}
			continue
		}
		if bound[p.ID] {
			continue
		}
		if _, own := objects.SplitMarker(p.Values); own.OwnedBy(owner) {
			v = append(v, fmt.Sprintf("provider %s (%q) carries the marker of %s, which no block declares: a removed block's provider was not destroyed", p.ID, p.Name, own.Marker.Address))
		}
	}
	if hand != nil && !handSeen {
		v = append(v, fmt.Sprintf("the hand-made provider %s (%q) is gone: Switchboard deleted a provider it does not own", hand.ID, hand.Name))
	}
	return v
}

// makeHandMade creates the hand-made provider through the checker's token.
// A create whose answer is lost is found again by name.
func (s *soak) makeHandMade(ctx context.Context) error {
	const name = "Soak Hand-made"
	for attempt := 0; attempt < 5; attempt++ {
		live, err := api.Collect(s.checker.Search(ctx, glow.SearchRequest{}))
		if err != nil {
			continue
		}
		for _, p := range live {
			if p.Name == name {
				s.hand = &handMade{ID: p.ID, Name: name, Version: p.Version}
				return s.closeHandDrafts(ctx)
			}
		}
		_, _ = s.checker.CreateProviders(ctx, []glow.ProviderInput{{
			Name: name, Description: "made by hand, not by Switchboard",
			DepartmentIDs: []string{departments[1]}, Values: map[string]string{"made_by": "hand"},
		}})
	}
	return fmt.Errorf("could not create the hand-made provider %q", name)
}

// closeHandDrafts discards the checker's drafts that the create opened, and
// reads the provider's version afterwards.
func (s *soak) closeHandDrafts(ctx context.Context) error {
	drafts, err := api.Collect(s.checker.ListDrafts(ctx))
	if err != nil {
		return err
	}
	for _, d := range drafts {
		if err := s.checker.DiscardDraft(ctx, d.DraftID); err != nil && !errors.Is(err, api.ErrNotFound) {
			return err
		}
	}
	d, err := s.checker.GetProvider(ctx, s.hand.ID)
	if err != nil {
		return err
	}
	s.hand.Version = d.Provider.Version
	return nil
}

// adoptionProbe applies the configuration plus a block whose name matches
// the hand-made provider in its department, without adopt: the plan must
// refuse it (no silent adoption), apply must change nothing, and the next
// checks find the hand-made provider untouched.
func (s *soak) adoptionProbe(r int) error {
	if s.hand == nil {
		return nil
	}
	m := s.model.clone()
	m.Glow["by_hand"] = &glowProv{
		Label: "by_hand", Name: s.hand.Name, Desc: "claims the hand-made provider",
		Depts: []string{departments[1]}, Endpoints: []string{endpointPool[0]},
		Values: map[string]string{"tier": "gold"},
	}
	if err := m.write(s.otherDir); err != nil {
		return err
	}
	s.adoptionProbes++
	var last run
	for range 4 {
		res, err := s.cli("apply", "--no-color", "--auto-approve", s.otherDir)
		if err != nil {
			return err
		}
		last = res
		switch {
		case res.Exit == 0:
			s.violate("round %d: a block named like the hand-made provider %s was applied without adopt: %s", r, s.hand.ID, firstLine(tail(res.Stdout, 300)))
			return nil
		case adoptionRefusedRe.MatchString(res.output()):
			s.adoptionRefused++
			return nil
		}
	}
	s.violate("round %d: the plan of a block named like the hand-made provider kept failing without refusing the adoption: %s", r, firstLine(failureLine(last.output())))
	return nil
}

var adoptionRefusedRe = regexp.MustCompile(`(?s)` + regexp.QuoteMeta("glow_provider.by_hand") + `.*not\s+made\s+by\s+this\s+configuration`)

package crud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
)

// Endpoints maps endpoint URLs to Glow endpoint ids for one run, creating an
// endpoint only for a URL no existing endpoint has. It is shared by every
// operation of the run, so a new URL used by several providers is created
// once even when those providers are applied in parallel.
type Endpoints struct {
	client *glow.Client
	// name is given to the endpoints this run creates (the owner's
	// marker); empty for none.
	name string

	mu      sync.Mutex
	byURL   map[string]*endpointEntry
	created []glow.Endpoint
}

type endpointEntry struct {
	mu sync.Mutex // held while the endpoint is being created
	id string
}

// NewEndpoints starts from the endpoints the caller already read (id → URL).
// When several endpoints share a URL, the smallest id is used, so that runs
// agree.
func NewEndpoints(client *glow.Client, known map[string]string) *Endpoints {
	e := &Endpoints{client: client, byURL: make(map[string]*endpointEntry, len(known))}
	for id, url := range known {
		if cur, ok := e.byURL[url]; !ok || id < cur.id {
			e.byURL[url] = &endpointEntry{id: id}
		}
	}
	return e
}

// Known returns the id of the endpoint with url, if one is known.
func (e *Endpoints) Known(url string) (string, bool) {
	e.mu.Lock()
	ent, ok := e.byURL[url]
	e.mu.Unlock()
	if !ok {
		return "", false
	}
	ent.mu.Lock()
	defer ent.mu.Unlock()
	return ent.id, ent.id != ""
}

// Created returns the endpoints this run created, in order.
func (e *Endpoints) Created() []glow.Endpoint {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]glow.Endpoint(nil), e.created...)
}

// EnsureAll creates the endpoints of urls that do not exist yet, in as few
// calls as Glow allows (glow.MaxItems each), so that many providers that
// need new endpoints cost one call per chunk, not one per URL. After a lost
// answer the endpoint list is read: an endpoint is identified by its URL
// alone. It returns, per URL, the error of the chunk that failed to create
// it.
func (e *Endpoints) EnsureAll(ctx context.Context, urls []string) map[string]error {
	urls = dedupe(urls)
	slices.Sort(urls)
	var missing []*endpointEntry
	var missingURLs []string
	// Entries are locked in URL order, so that two EnsureAll calls never
	// wait for each other in a cycle.
	for _, u := range urls {
		e.mu.Lock()
		ent, ok := e.byURL[u]
		if !ok {
			ent = &endpointEntry{}
			e.byURL[u] = ent
		}
		e.mu.Unlock()
		ent.mu.Lock()
		if ent.id != "" {
			ent.mu.Unlock()
			continue
		}
		missing = append(missing, ent)
		missingURLs = append(missingURLs, u)
	}
	defer func() {
		for _, ent := range missing {
			ent.mu.Unlock()
		}
	}()
	errs := map[string]error{}
	for start := 0; start < len(missingURLs); start += glow.MaxItems {
		end := min(start+glow.MaxItems, len(missingURLs))
		eps, err := e.createMany(ctx, missingURLs[start:end])
		for i := start; i < end; i++ {
			ep, ok := eps[missingURLs[i]]
			if !ok {
				if err == nil {
					err = fmt.Errorf("glow: create endpoints: the answer has no endpoint for %s", missingURLs[i])
				}
				errs[missingURLs[i]] = err
				continue
			}
			missing[i].id = ep.ID
			e.mu.Lock()
			e.created = append(e.created, ep)
			e.mu.Unlock()
		}
	}
	return errs
}

// createMany creates one chunk of endpoints, resolving a lost answer by the
// endpoint list.
func (e *Endpoints) createMany(ctx context.Context, urls []string) (map[string]glow.Endpoint, error) {
	in := make([]glow.EndpointInput, len(urls))
	for i, u := range urls {
		in[i] = glow.EndpointInput{URL: u, Name: e.name}
	}
	out := map[string]glow.Endpoint{}
	eps, err := e.client.CreateEndpoints(ctx, in)
	if err == nil {
		for _, ep := range eps {
			out[ep.URL] = ep
		}
		return out, nil
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return out, err
	}
	all, lerr := api.Collect(e.client.ListEndpoints(ctx))
	if lerr != nil {
		return out, errors.Join(err, fmt.Errorf("reading the endpoint list to find out: %w", lerr))
	}
	want := map[string]bool{}
	for _, u := range urls {
		want[u] = true
	}
	for _, ep := range all {
		if cur, ok := out[ep.URL]; want[ep.URL] && (!ok || ep.ID < cur.ID) {
			out[ep.URL] = ep
		}
	}
	var rest []glow.EndpointInput
	for _, u := range urls {
		if _, ok := out[u]; !ok {
			rest = append(rest, glow.EndpointInput{URL: u, Name: e.name})
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	eps, err = e.client.CreateEndpoints(ctx, rest)
	for _, ep := range eps {
		out[ep.URL] = ep
	}
	return out, err
}

// IDs returns the endpoint ids for urls, in the same order, creating the
// endpoints that do not exist yet.
func (e *Endpoints) IDs(ctx context.Context, urls []string) ([]string, error) {
	ids := make([]string, 0, len(urls))
	for _, u := range urls {
		id, err := e.ensure(ctx, u)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (e *Endpoints) ensure(ctx context.Context, url string) (string, error) {
	e.mu.Lock()
	ent, ok := e.byURL[url]
	if !ok {
		ent = &endpointEntry{}
		e.byURL[url] = ent
	}
	e.mu.Unlock()

	ent.mu.Lock()
	defer ent.mu.Unlock()
	if ent.id != "" {
		return ent.id, nil
	}
	ep, err := e.create(ctx, url)
	if err != nil {
		return "", err
	}
	ent.id = ep.ID
	e.mu.Lock()
	e.created = append(e.created, ep)
	e.mu.Unlock()
	return ep.ID, nil
}

// create makes one endpoint. After a lost answer the endpoint list is read:
// an endpoint is identified by its URL alone, so one found there is as good
// as the one the lost call may have made.
func (e *Endpoints) create(ctx context.Context, url string) (glow.Endpoint, error) {
	eps, err := e.client.CreateEndpoints(ctx, []glow.EndpointInput{{URL: url, Name: e.name}})
	if err == nil {
		if len(eps) != 1 {
			return glow.Endpoint{}, fmt.Errorf("glow: create endpoint %s: answer has %d endpoints, want 1", url, len(eps))
		}
		return eps[0], nil
	}
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		return glow.Endpoint{}, err
	}
	found, lerr := e.find(ctx, url)
	if lerr != nil {
		return glow.Endpoint{}, errors.Join(err, fmt.Errorf("reading the endpoint list to find out: %w", lerr))
	}
	if found != nil {
		return *found, nil
	}
	eps, err = e.client.CreateEndpoints(ctx, []glow.EndpointInput{{URL: url, Name: e.name}})
	if err != nil {
		return glow.Endpoint{}, err
	}
	if len(eps) != 1 {
		return glow.Endpoint{}, fmt.Errorf("glow: create endpoint %s: answer has %d endpoints, want 1", url, len(eps))
	}
	return eps[0], nil
}

func (e *Endpoints) find(ctx context.Context, url string) (*glow.Endpoint, error) {
	var best *glow.Endpoint
	for ep, err := range e.client.ListEndpoints(ctx) {
		if err != nil {
			return nil, err
		}
		if ep.URL == url && (best == nil || ep.ID < best.ID) {
			c := ep
			best = &c
		}
	}
	return best, nil
}

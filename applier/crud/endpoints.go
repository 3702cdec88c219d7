package crud

import (
	"context"
	"errors"
	"fmt"
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

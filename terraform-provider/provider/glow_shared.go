package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// glowShared is what every Glow resource of one provider instance shares.
// Terraform applies resources in parallel (10 at a time by default), each
// in its own call, so anything that must happen once per run, such as
// creating an endpoint that several providers use, is decided here.
type glowShared struct {
	epMu sync.Mutex
	// epByURL caches endpoint ids by URL. It is filled by listing the
	// endpoints, which happens only when a URL is not in it yet (a miss),
	// never on a create or update that does not touch endpoints.
	epByURL map[string]string
	// epURL serializes the resolution of one URL, so that concurrent
	// creates that share it make one endpoint, not one each.
	epURL  map[string]*sync.Mutex
	epList sync.Mutex
	// epUsers counts the creates and updates under way that resolved a
	// URL and have not sent it yet: its endpoint must not be deleted under
	// them by a destroy running in parallel.
	epUsers map[string]int

	scopeMu    sync.Mutex
	scopeKnown bool
	scope      glow.TokenInfo
}

// endpointIDs returns id → URL for urls, creating (named with the owner's
// marker) the endpoints no existing one has.
func (c *Clients) endpointIDs(ctx context.Context, urls []string) (map[string]string, error) {
	out := make(map[string]string, len(urls))
	sorted := slices.Clone(urls)
	slices.Sort(sorted)
	for _, u := range slices.Compact(sorted) {
		id, err := c.endpointID(ctx, u)
		if err != nil {
			c.releaseEndpoints(slices.Collect(maps.Values(out)))
			return nil, err
		}
		out[id] = u
	}
	return out, nil
}

func (c *Clients) endpointID(ctx context.Context, url string) (string, error) {
	c.epMu.Lock()
	if c.epURL == nil {
		c.epURL = map[string]*sync.Mutex{}
	}
	l := c.epURL[url]
	if l == nil {
		l = &sync.Mutex{}
		c.epURL[url] = l
	}
	c.epMu.Unlock()

	l.Lock()
	defer l.Unlock()
	id, err := c.resolveEndpoint(ctx, url)
	if err == nil {
		c.epMu.Lock()
		if c.epUsers == nil {
			c.epUsers = map[string]int{}
		}
		c.epUsers[url]++
		c.epMu.Unlock()
	}
	return id, err
}

// releaseEndpoints ends the use endpointIDs began for urls.
func (c *Clients) releaseEndpoints(urls []string) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	sorted := slices.Clone(urls)
	slices.Sort(sorted)
	for _, u := range slices.Compact(sorted) {
		if c.epUsers[u]--; c.epUsers[u] <= 0 {
			delete(c.epUsers, u)
		}
	}
}

// dropEndpoints deletes the endpoints of urls that this owner created
// (named with its marker) once no provider uses them, after a destroy or
// an endpoint switch, as the CLI does: nothing it made is left orphaned.
// Glow refuses one still in use (in_use), which is kept; endpoints made by
// hand or by another owner are never deleted. A URL a create or update of
// this run is about to send is kept too.
func (c *Clients) dropEndpoints(ctx context.Context, urls []string) error {
	sorted := slices.Clone(urls)
	slices.Sort(sorted)
	var errs []error
	for _, u := range slices.Compact(sorted) {
		if err := c.dropEndpoint(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Clients) dropEndpoint(ctx context.Context, url string) error {
	c.epMu.Lock()
	if c.epURL == nil {
		c.epURL = map[string]*sync.Mutex{}
	}
	l := c.epURL[url]
	if l == nil {
		l = &sync.Mutex{}
		c.epURL[url] = l
	}
	busy := c.epUsers[url] > 0
	c.epMu.Unlock()
	if busy {
		return nil
	}
	// Under the URL's lock no create resolves it meanwhile; one that
	// comes after finds it gone and makes a new one.
	l.Lock()
	defer l.Unlock()
	c.epMu.Lock()
	busy = c.epUsers[url] > 0
	c.epMu.Unlock()
	if busy {
		return nil
	}
	mine := objects.EndpointName(c.Owner)
	var ids []string
	for ep, err := range c.Glow.ListEndpoints(ctx) {
		if err != nil {
			return fmt.Errorf("listing Glow endpoints: %w", err)
		}
		if ep.URL == url && ep.Name == mine {
			ids = append(ids, ep.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	deleted, _, err := crud.NewGlow(c.Glow, nil).DeleteEndpoints(ctx, ids)
	if len(deleted) > 0 {
		c.forgetEndpoints([]string{url})
	}
	if err != nil {
		return fmt.Errorf("deleting the endpoint %s: %w", url, err)
	}
	return nil
}

// resolveEndpoint finds or creates the endpoint of url; the caller holds
// url's lock.
func (c *Clients) resolveEndpoint(ctx context.Context, url string) (string, error) {
	if id, ok := c.cachedEndpoint(url); ok {
		return id, nil
	}
	// A miss: the endpoint may have been made since the cache was filled
	// (by another run, or by hand), so look before creating.
	if err := c.listEndpoints(ctx); err != nil {
		return "", err
	}
	if id, ok := c.cachedEndpoint(url); ok {
		return id, nil
	}
	// crud creates it, resolving a lost answer by the endpoint list.
	ids, err := crud.NewOwnedGlow(c.Glow, map[string]string{}, c.Owner).Endpoints.IDs(ctx, []string{url})
	if err != nil {
		return "", fmt.Errorf("creating the endpoint %s: %w", url, err)
	}
	c.epMu.Lock()
	c.epByURL[url] = ids[0]
	c.epMu.Unlock()
	return ids[0], nil
}

func (c *Clients) cachedEndpoint(url string) (string, bool) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	id, ok := c.epByURL[url]
	return id, ok
}

// forgetEndpoints drops urls from the cache after Glow refused one of
// their ids (an endpoint deleted since it was listed), so that the next
// apply lists again instead of sending the dead id.
func (c *Clients) forgetEndpoints(urls []string) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	for _, u := range urls {
		delete(c.epByURL, u)
	}
}

// staleEndpoint reports whether err is Glow refusing an endpoint id.
func staleEndpoint(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && errors.Is(err, api.ErrNotFound) && strings.Contains(ae.Field, "endpoint")
}

// listEndpoints refills the cache. When several URLs miss at once, one
// list serves them all.
func (c *Clients) listEndpoints(ctx context.Context) error {
	c.epList.Lock()
	defer c.epList.Unlock()
	byURL := map[string]string{}
	for ep, err := range c.Glow.ListEndpoints(ctx) {
		if err != nil {
			return fmt.Errorf("listing Glow endpoints: %w", err)
		}
		// Several endpoints may share a URL; the smallest id wins, as in
		// crud, so that runs agree.
		if cur, ok := byURL[ep.URL]; !ok || ep.ID < cur {
			byURL[ep.URL] = ep.ID
		}
	}
	c.epMu.Lock()
	defer c.epMu.Unlock()
	if c.epByURL == nil {
		c.epByURL = map[string]string{}
	}
	for u, id := range byURL {
		if _, ok := c.epByURL[u]; !ok {
			c.epByURL[u] = id
		}
	}
	return nil
}

// tokenScope is what Glow says about its token (POST /token/self), read
// once per run. known is false when Glow has no such call.
func (c *Clients) tokenScope(ctx context.Context) (info glow.TokenInfo, known bool, err error) {
	c.scopeMu.Lock()
	defer c.scopeMu.Unlock()
	if c.scopeKnown {
		return c.scope, true, nil
	}
	info, err = c.Glow.Self(ctx)
	if errors.Is(err, api.ErrNotFound) {
		return glow.TokenInfo{}, false, nil
	}
	if err != nil {
		return glow.TokenInfo{}, false, err
	}
	c.scope, c.scopeKnown = info, true
	return info, true, nil
}

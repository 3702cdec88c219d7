package crud_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// overlapGate holds the calls to one path in an apitest.InFlight gate of
// two, so that chunks sent one after another are seen as such (the first
// waits out the gate's timeout alone) without any timing assertion.
type overlapGate struct {
	next http.Handler

	mu   sync.Mutex
	path string
	gate *apitest.InFlight
}

func (g *overlapGate) watch(path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.path, g.gate = path, apitest.NewInFlight(2, 5*time.Second)
}

func (g *overlapGate) maxInFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gate.Max()
}

func (g *overlapGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	gate := g.gate
	if r.URL.Path != g.path {
		gate = nil
	}
	g.mu.Unlock()
	if gate != nil {
		// Past the timeout, calls went one at a time: the test fails on
		// maxInFlight.
		_, done := gate.Hold(r.Context())
		defer done()
	}
	g.next.ServeHTTP(w, r)
}

// A bulk update and a destroy of 1,201 providers send their three chunks
// each concurrently (Parallelism at a time), still one call per chunk; an
// entry Glow refuses (read before someone else's change) fails alone.
func TestBulkChunksGoOutConcurrently(t *testing.T) {
	srv, err := emulator.New(emulator.Config{GlowTokens: []emulator.GlowToken{{Token: applyToken, ActorName: applyActor}}})
	if err != nil {
		t.Fatal(err)
	}
	gate := &overlapGate{next: srv.Handler()}
	hs := httptest.NewServer(gate)
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	client, err := glow.New(hs.URL, sensitive.New(applyToken), api.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 2*glow.MaxItems + 201
	var items []crud.Guarded
	for start := 0; start < n; start += glow.MaxItems {
		var in []glow.ProviderInput
		for i := start; i < min(start+glow.MaxItems, n); i++ {
			in = append(in, glow.ProviderInput{Name: fmt.Sprintf("p-%04d", i)})
		}
		created, err := client.CreateProviders(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range created {
			items = append(items, crud.Guarded{ID: c.ProviderID, ExpectedVersion: c.Version})
		}
	}
	g := crud.NewGlow(client, nil)
	g.Parallelism = 4
	ops := func(name string) int64 { return srv.Stats().Operations[name] }

	const stale = 700
	items[stale].ExpectedVersion--
	gate.watch("/provider/update")
	desc := "bulk"
	res := g.BulkUpdate(ctx, items, glow.Patch{Description: &desc})
	if m := gate.maxInFlight(); m < 2 {
		t.Errorf("bulk update: at most %d chunk in flight, want the chunks concurrently", m)
	}
	if got := ops("glow.provider.update"); got != 3 {
		t.Errorf("bulk update calls = %d, want 3", got)
	}
	for i, it := range items {
		r := res[it.ID]
		switch {
		case i == stale && !errors.Is(r.Err, crud.ErrConflict):
			t.Errorf("stale entry: %+v, want a conflict", r)
		case i != stale && (r.Err != nil || r.Version != it.ExpectedVersion+1):
			t.Errorf("entry %d: %+v", i, r)
		}
	}
	if len(res) != n {
		t.Errorf("%d results for %d entries", len(res), n)
	}

	ids := make([]string, n)
	for i, it := range items {
		ids[i] = it.ID
	}
	gate.watch("/provider/delete")
	for id, err := range g.DeleteProviders(ctx, ids) {
		if err != nil {
			t.Errorf("delete %s: %v", id, err)
		}
	}
	if m := gate.maxInFlight(); m < 2 {
		t.Errorf("destroy: at most %d chunk in flight, want the chunks concurrently", m)
	}
	if got := ops("glow.provider.delete"); got != 3 {
		t.Errorf("delete calls = %d, want 3", got)
	}
	left, err := api.Collect(client.Search(ctx, glow.SearchRequest{}))
	if err != nil || len(left) != 0 {
		t.Errorf("%d providers left (%v)", len(left), err)
	}
}

package transport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-hq/switchboard/api/apitest"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Calls made parallelism at a time reuse their connections, and never
// open more than parallelism: the client keeps as many connections as calls
// in flight, where Go's default transport keeps 2 idle ones and so dials
// again for most calls (1,000 creates at parallelism 10 opened over 400
// connections). No slack: the transport's MaxConnsPerHost makes the bound
// exact, dials included.
func TestParallelCallsReuseConnections(t *testing.T) {
	t.Parallel()
	for _, par := range []int{4, 10, 32} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		l := &apitest.CountingListener{Listener: srv.Listener}
		srv.Listener = l
		srv.Start()
		c, err := New("glow", srv.URL, sensitive.New("t"), api.NewConfig(api.WithParallelism(par)))
		if err != nil {
			t.Fatal(err)
		}
		const calls = 1000
		var (
			wg   sync.WaitGroup
			next atomic.Int64
		)
		for range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= calls {
					var out map[string]any
					if err := c.Do(context.Background(), Call{Operation: "get", Method: http.MethodGet, Path: "/x", Out: &out}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		srv.Close()
		got := l.Accepted()
		t.Logf("parallelism %d: %d calls over %d connections", par, calls, got)
		if limit := int64(par); got > limit {
			t.Errorf("parallelism %d: %d calls opened %d connections, want at most %d", par, calls, got, limit)
		}
	}
}

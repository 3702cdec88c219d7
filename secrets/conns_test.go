package secrets_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api/apitest"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// Reads made vault { parallelism } at a time reuse their connections to
// Vault: the Vault client's own transport keeps GOMAXPROCS+1 idle ones (3
// on 2 cores), and so dialed again for most reads of every round. No slack: Connect bounds the
// connections too, so a dial racing a freed connection adds none.
func TestConnectReusesParallelismConnections(t *testing.T) {
	addr, token := vaulttest.Start(t)
	root := vaulttest.Client(t, addr, token)
	const (
		par   = 32
		reads = 6 * par
	)
	prefix := fmt.Sprintf("conns-%p", t)
	var paths []string
	for i := range reads {
		p := fmt.Sprintf("%s/s%d", prefix, i)
		if _, err := root.KVv2("secret").Put(context.Background(), p, map[string]any{"api_key": "v"}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "secret/"+p)
	}
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(u))
	l := &apitest.CountingListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	t.Setenv("VAULT_TOKEN", token)
	r, err := secrets.Connect(context.Background(), &secretref.VaultSettings{Address: srv.URL, Parallelism: par}, secrets.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Parallelism() != par {
		t.Errorf("Parallelism() = %d, want %d", r.Parallelism(), par)
	}
	// Rounds of par reads that all end before the next round begins, as
	// a plan's batches do: between rounds every connection is idle at
	// once, which is when a small pool closes all but a few.
	for round := 0; round < reads/par; round++ {
		var wg sync.WaitGroup
		for i := range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.Metadata(context.Background(), secretref.VaultRef{Path: paths[round*par+i], Key: "api_key"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	got := l.Accepted()
	t.Logf("%d reads at parallelism %d (and Connect's checks) over %d connections", reads, par, got)
	if got > par {
		t.Errorf("%d connections to Vault, want at most %d", got, par)
	}
}

package planner_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/apitest"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// proxy forwards to target and calls hook before each request; hook may
// block, or answer itself by returning false.
func proxy(t *testing.T, target string, hook func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hook(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A plan reads Vault metadata with Vault's own parallelism, not the APIs'
// (here 1), one read per secret path however many keys use it, and reads
// the live state at the same time. The Vault stand-in holds every metadata
// answer until parallelism reads are in flight together and the live read
// has begun: a plan that read metadata one at a time, or before the live
// state, would never get its answers (the hold gives up after a minute, and
// the plan then fails).
func TestPlanReadsVaultMetadataInParallelWithTheLiveState(t *testing.T) {
	t.Parallel()
	const (
		vaultPar = 4
		secretsN = 3 * vaultPar
	)
	vaultAddr, token := vaulttest.Start(t)
	cfg := load(t, []config.SourceFile{{Name: "main.hcl", Content: writeParallelSecrets(t, vaultAddr, token, secretsN)}}, nil)

	gate := newMetadataGate(vaultPar)
	vaultURL := proxy(t, vaultAddr, gate.hold)
	_, emuURL := emulatortest.Start(t, emulator.Config{})
	glowURL := proxy(t, emuURL, func(http.ResponseWriter, *http.Request) bool {
		gate.liveOnce.Do(func() { close(gate.liveStarted) })
		return true
	})
	gc, err := glow.New(glowURL, sensitive.New(emulatortest.GlowToken), api.WithParallelism(1))
	if err != nil {
		t.Fatal(err)
	}
	client := vaulttest.Client(t, vaultURL, token)
	client.SetMaxRetries(0)
	r := secrets.NewResolver(client)

	res, err := planner.Make(context.Background(), cfg, planner.Deps{Clients: dump.Clients{Glow: gc}, Secrets: r},
		planner.Options{Parallelism: 1, VaultParallelism: vaultPar})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Plan.Changes); got != secretsN {
		t.Errorf("%d changes, want %d creates", got, secretsN)
	}
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if m := gate.inFlight.Max(); m != vaultPar {
		t.Errorf("at most %d metadata reads were in flight together, want exactly the Vault parallelism %d", m, vaultPar)
	}
	if len(gate.reads) != secretsN {
		t.Errorf("metadata of %d paths read, want %d", len(gate.reads), secretsN)
	}
	for p, n := range gate.reads {
		if n != 1 {
			t.Errorf("metadata of %s read %d times, want once", p, n)
		}
	}
	if s := r.Stats(); s.MountLookups != 1 || s.MetadataReads != secretsN {
		t.Errorf("resolver stats %+v, want 1 mount lookup and %d metadata reads", s, secretsN)
	}
}

// writeParallelSecrets writes n secrets to Vault and returns a
// configuration with one Glow provider per secret, each with two keys and a
// pinned version of that one secret: one metadata read per provider.
func writeParallelSecrets(t *testing.T, vaultAddr, token string, n int) []byte {
	t.Helper()
	root := vaulttest.Client(t, vaultAddr, token)
	prefix := "planpar-" + strings.ToLower(rand.Text()[:8])
	var hcl strings.Builder
	for i := range n {
		p := fmt.Sprintf("%s/s%d", prefix, i)
		if _, err := root.KVv2("secret").Put(context.Background(), p, map[string]any{"api_key": "k" + rand.Text(), "org": "o"}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&hcl, `
glow_provider "p%d" {
  name = "P%d"
  key "primary" { value = vault("secret/%s", "api_key") }
  key "org"     { value = vault("secret/%s", "org") }
  key "pinned"  { value = vault("secret/%s", "api_key", 1) }
}
`, i, i, p, p, p)
	}
	hcl.WriteString(`glow { url = "https://glow.example" }` + "\n")
	return []byte(hcl.String())
}

// metadataGate holds every Vault metadata read until parallelism of them
// are in flight together and the live read has begun (liveStarted closed),
// and counts the reads per path.
type metadataGate struct {
	inFlight    *apitest.InFlight
	mu          sync.Mutex
	reads       map[string]int
	liveStarted chan struct{}
	liveOnce    sync.Once
}

func newMetadataGate(parallelism int) *metadataGate {
	return &metadataGate{inFlight: apitest.NewInFlight(parallelism, time.Minute), reads: map[string]int{}, liveStarted: make(chan struct{})}
}

// hold is the Vault proxy's hook: true passes the request on to Vault.
func (g *metadataGate) hold(w http.ResponseWriter, r *http.Request) bool {
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/secret/metadata/")
	if !ok {
		return true
	}
	g.mu.Lock()
	g.reads[path]++
	g.mu.Unlock()
	reached, done := g.inFlight.Hold(r.Context())
	defer done()
	if !reached {
		http.Error(w, "never had the parallelism's metadata reads in flight together", http.StatusGatewayTimeout)
		return false
	}
	select {
	case <-g.liveStarted:
	case <-time.After(time.Minute):
		http.Error(w, "the live read did not start while metadata was read", http.StatusGatewayTimeout)
		return false
	}
	return true
}

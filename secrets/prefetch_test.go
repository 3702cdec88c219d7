package secrets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// A prefetch reads each secret's metadata once, references added before
// and after it starts alike; the caller's own reads then find every answer,
// a missing secret's error too, reported at the caller's reference, and
// Vault is asked nothing more.
func TestPrefetchReadsEachSecretOnceForTheCaller(t *testing.T) {
	e := newEnv(t)
	a, b, missing := e.twoAndMissing()
	r := e.resolver()
	ctx := context.Background()

	p := secrets.NewPrefetch()
	before := []secretref.VaultRef{ref(a, "api_key", 0), ref(b, "api_key", 0)}
	after := []secretref.VaultRef{ref(a, "org", 0), ref(missing, "api_key", 0), ref(a, "api_key", 1)}
	for _, rf := range before {
		p.Add(rf)
	}
	p.Start(ctx, r)
	for _, rf := range after {
		p.Add(rf)
	}
	p.Wait()
	p.Close()
	prefetched := r.Stats()
	if prefetched.MetadataReads != 3 || prefetched.DataReads != 0 {
		t.Fatalf("after the prefetch: Stats = %+v, want 3 metadata reads (a, b, missing) and no data read", prefetched)
	}

	for _, rf := range append(before, after...) {
		md, err := r.Metadata(ctx, rf)
		if rf.Path == missing {
			e.wantErr(err, secrets.ErrNotFound, rf)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", rf, err)
		}
		if md.Version != 1 {
			t.Errorf("%s: version %d, want 1", rf, md.Version)
		}
	}
	if s := r.Stats(); s != prefetched {
		t.Errorf("the caller's reads asked Vault again: Stats %+v after, %+v before", s, prefetched)
	}
}

// A prefetch stopped before its Resolver exists reads nothing, and one
// whose context has ended leaves the caller nothing to inherit: the
// caller reads for itself.
func TestPrefetchStopped(t *testing.T) {
	e := newEnv(t)
	a := e.put("a", map[string]interface{}{"api_key": e.secret()})
	r := e.resolver()

	p := secrets.NewPrefetch()
	p.Add(ref(a, "api_key", 0))
	p.Stop()
	p.Start(context.Background(), r)
	p.Add(ref(a, "api_key", 0))
	if s := r.Stats(); s.MetadataReads != 0 {
		t.Errorf("a stopped prefetch read: %+v", s)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := secrets.NewPrefetch()
	q.Add(ref(a, "api_key", 0))
	q.Start(ctx, r)
	q.Wait()
	q.Stop()
	if _, err := r.Metadata(context.Background(), ref(a, "api_key", 0)); err != nil {
		if errors.Is(err, context.Canceled) {
			t.Fatalf("the caller inherited the prefetch's cancellation: %v", err)
		}
		t.Fatal(err)
	}
}

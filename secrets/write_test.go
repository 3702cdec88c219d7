package secrets_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

func TestWriteNewKV2CreatesOnceAndNeverOverwrites(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.resolver()
	path := "secret/" + e.prefix + "/imported"

	// An existence check first, as import makes: its "not found" must not
	// outlive the write.
	if _, err := r.Metadata(ctx, ref(path, "value", 0)); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("before the write: %v, want ErrNotFound", err)
	}
	first := e.secret()
	e.values = append(e.values, first)
	v, err := r.WriteNew(ctx, path, "value", sensitive.New(first))
	if err != nil || v != 1 {
		t.Fatalf("WriteNew: version %d, %v; want 1", v, err)
	}
	got, md, err := r.Value(ctx, ref(path, "value", 0))
	if err != nil || got.Reveal() != first || md.Version != 1 {
		t.Fatalf("read back: version %d, %v", md.Version, err)
	}

	second := e.secret()
	e.values = append(e.values, second)
	_, err = r.WriteNew(ctx, path, "value", sensitive.New(second))
	if !errors.Is(err, secrets.ErrExists) {
		t.Fatalf("second WriteNew: %v, want ErrExists", err)
	}
	e.noLeak(err.Error())
	got, md, err = e.resolver().Value(ctx, ref(path, "value", 0))
	if err != nil || got.Reveal() != first || md.CurrentVersion != 1 {
		t.Errorf("the existing secret changed: version %d, %v", md.CurrentVersion, err)
	}
}

func TestWriteNewKV2ConcurrentWritersOneWins(t *testing.T) {
	e := newEnv(t)
	path := "secret/" + e.prefix + "/race"
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		refused int
	)
	for range n {
		wg.Go(func() {
			s := e.secret()
			_, err := e.resolver().WriteNew(context.Background(), path, "value", sensitive.New(s))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, secrets.ErrExists):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 || refused != n-1 {
		t.Errorf("%d writes won and %d were refused; want 1 and %d", won, refused, n-1)
	}
}

func TestWriteNewKV1CreateOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mnt := "kv1-" + randomHex(4)
	if err := e.root.Sys().Mount(mnt, &vaultapi.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}); err != nil {
		t.Fatal(err)
	}
	path := mnt + "/imported"
	first, second := e.secret(), e.secret()
	e.values = append(e.values, first, second)
	r := e.resolver()
	if v, err := r.WriteNew(ctx, path, "value", sensitive.New(first)); err != nil || v != 0 {
		t.Fatalf("WriteNew: version %d, %v; want 0 (KV v1)", v, err)
	}
	_, err := r.WriteNew(ctx, path, "value", sensitive.New(second))
	if !errors.Is(err, secrets.ErrExists) {
		t.Fatalf("second WriteNew: %v, want ErrExists", err)
	}
	e.noLeak(err.Error())
	if got, _, err := r.Value(ctx, ref(path, "value", 0)); err != nil || got.Reveal() != first {
		t.Errorf("the existing secret changed (%v)", err)
	}
}

func TestWriteNewPermissionDenied(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A token that may read but not write: import must say so rather than
	// report a secret as stored.
	if err := e.root.Sys().PutPolicy("read-only-"+e.prefix, `path "secret/*" { capabilities = ["read", "list"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	tok, err := e.root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"read-only-" + e.prefix}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.root.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(tok.Auth.ClientToken)
	s := e.secret()
	e.values = append(e.values, s)
	_, err = secrets.NewResolver(c).WriteNew(ctx, "secret/"+e.prefix+"/denied", "value", sensitive.New(s))
	if !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("%v, want ErrPermissionDenied", err)
	}
	e.noLeak(err.Error())
}

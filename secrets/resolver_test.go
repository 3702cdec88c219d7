package secrets_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// env is one test's Vault: a root client, and the secret values and token
// that must never show up in an error.
type env struct {
	t      *testing.T
	addr   string
	token  string
	root   *vaultapi.Client
	prefix string // under secret/, unique to the test
	values []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	addr, token := vaulttest.Start(t)
	return &env{
		t: t, addr: addr, token: token,
		root:   vaulttest.Client(t, addr, token),
		prefix: "t-" + randomHex(6),
	}
}

// put writes a new KV v2 version under the test's prefix and returns the
// path as a reference would name it.
func (e *env) put(name string, data map[string]interface{}) string {
	e.t.Helper()
	for _, v := range data {
		if s, ok := v.(string); ok {
			e.values = append(e.values, s)
		}
	}
	p := e.prefix + "/" + name
	if _, err := e.root.KVv2("secret").Put(context.Background(), p, data); err != nil {
		e.t.Fatalf("writing secret/%s: %v", p, err)
	}
	return "secret/" + p
}

// twoAndMissing writes secrets a (fields api_key and org) and b (api_key),
// and names a third that does not exist.
func (e *env) twoAndMissing() (a, b, missing string) {
	e.t.Helper()
	a = e.put("a", map[string]interface{}{"api_key": e.secret(), "org": e.secret()})
	b = e.put("b", map[string]interface{}{"api_key": e.secret()})
	return a, b, "secret/" + e.prefix + "/missing"
}

// secret is a value distinctive enough that finding it in a message cannot
// be a coincidence.
func (e *env) secret() string { return "sk-test-" + randomHex(12) }

func (e *env) resolver() *secrets.Resolver {
	return secrets.NewResolver(vaulttest.Client(e.t, e.addr, e.token))
}

func ref(path, key string, version int) secretref.VaultRef {
	return secretref.VaultRef{
		Path: path, Key: key, Version: version,
		Range: hcl.Range{Filename: "providers.hcl", Start: hcl.Pos{Line: 12, Column: 15}},
	}
}

// wantErr checks the properties every resolution error must have: the
// sentinel, the reference with its file:line, no secret, no token.
func (e *env) wantErr(err error, kind error, r secretref.VaultRef) {
	e.t.Helper()
	if err == nil {
		e.t.Fatalf("%s: got no error, want %v", r, kind)
	}
	if !errors.Is(err, kind) {
		e.t.Fatalf("%s: got %v, want errors.Is %v", r, err, kind)
	}
	var se *secrets.Error
	if !errors.As(err, &se) || se.Ref != r {
		e.t.Errorf("error is not a *secrets.Error for %s: %#v", r, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, r.String()+": ") || !strings.Contains(msg, "providers.hcl:12,15") {
		e.t.Errorf("message does not start with the reference and its position: %q", msg)
	}
	e.noLeak(msg)
	e.t.Logf("%v", msg)
}

func (e *env) noLeak(msg string) {
	e.t.Helper()
	for _, v := range e.values {
		if strings.Contains(msg, v) {
			e.t.Errorf("message contains the secret value %q: %q", v, msg)
		}
	}
	if strings.Contains(msg, e.token) {
		e.t.Errorf("message contains the Vault token: %q", msg)
	}
}

func TestLatestVersion(t *testing.T) {
	e := newEnv(t)
	old, cur := e.secret(), e.secret()
	e.put("openai", map[string]interface{}{"api_key": old})
	p := e.put("openai", map[string]interface{}{"api_key": cur, "org": "acme"})
	r := e.resolver()
	ctx := context.Background()

	md, err := r.Metadata(ctx, ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	if md.Mount != "secret/" {
		t.Errorf("Metadata Mount = %q, want %q", md.Mount, "secret/")
	}
	if want := e.prefix + "/openai"; md.Path != want {
		t.Errorf("Metadata Path = %q, want %q", md.Path, want)
	}
	if md.KVVersion != 2 {
		t.Errorf("Metadata KVVersion = %d, want 2", md.KVVersion)
	}
	if md.Version != 2 {
		t.Errorf("Metadata Version = %d, want 2", md.Version)
	}
	if md.CurrentVersion != 2 {
		t.Errorf("Metadata CurrentVersion = %d, want 2", md.CurrentVersion)
	}
	if md.Deleted {
		t.Errorf("Metadata Deleted = true, want false")
	}
	if md.Destroyed {
		t.Errorf("Metadata Destroyed = true, want false")
	}
	if time.Since(md.CreatedTime) > time.Minute {
		t.Errorf("CreatedTime = %v, want just now", md.CreatedTime)
	}

	v, vmd, err := r.Value(ctx, ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	if v.Reveal() != cur {
		t.Errorf("Value = %q, want the current version's", v.Reveal())
	}
	if vmd.Version != 2 || vmd.CurrentVersion != 2 || !vmd.CreatedTime.Equal(md.CreatedTime) {
		t.Errorf("Value metadata = %+v, want %+v", vmd, md)
	}
	if s := r.Stats(); s.MetadataReads != 1 || s.DataReads != 1 || s.MountLookups != 1 {
		t.Errorf("Stats = %+v, want one of each", s)
	}
}

func TestPinnedVersion(t *testing.T) {
	e := newEnv(t)
	first := e.secret()
	e.put("anthropic", map[string]interface{}{"api_key": first})
	p := e.put("anthropic", map[string]interface{}{"api_key": e.secret()})
	r := e.resolver()
	ctx := context.Background()

	md, err := r.Metadata(ctx, ref(p, "api_key", 1))
	if err != nil {
		t.Fatal(err)
	}
	if md.Version != 1 || md.CurrentVersion != 2 {
		t.Errorf("Metadata = %+v, want version 1 of 2", md)
	}
	v, vmd, err := r.Value(ctx, ref(p, "api_key", 1))
	if err != nil {
		t.Fatal(err)
	}
	if v.Reveal() != first || vmd.Version != 1 {
		t.Errorf("Value = %q (version %d), want version 1", v.Reveal(), vmd.Version)
	}

	r9 := ref(p, "api_key", 9)
	_, err = r.Metadata(ctx, r9)
	e.wantErr(err, secrets.ErrVersionNotFound, r9)
	_, _, err = r.Value(ctx, r9)
	e.wantErr(err, secrets.ErrVersionNotFound, r9)
}

// A reference pinned to the version that is current shares the read of an
// unpinned one.
func TestPinnedCurrentSharesLatestRead(t *testing.T) {
	e := newEnv(t)
	p := e.put("shared", map[string]interface{}{"api_key": e.secret()})
	r := e.resolver()
	ctx := context.Background()
	a, _, err := r.Value(ctx, ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := r.Value(ctx, ref(p, "api_key", 1))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Error("latest and pinned-current differ")
	}
	if s := r.Stats(); s.DataReads != 1 {
		t.Errorf("DataReads = %d, want 1", s.DataReads)
	}
}

func TestKVv1(t *testing.T) {
	e := newEnv(t)
	mnt := "kv1-" + randomHex(4)
	if err := e.root.Sys().Mount(mnt, &vaultapi.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}); err != nil {
		t.Fatal(err)
	}
	val := e.secret()
	e.values = append(e.values, val)
	if _, err := e.root.Logical().Write(mnt+"/llm/mistral", map[string]interface{}{"api_key": val}); err != nil {
		t.Fatal(err)
	}
	p := mnt + "/llm/mistral"
	r := e.resolver()
	ctx := context.Background()

	md, err := r.Metadata(ctx, ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	want := secrets.Metadata{Mount: mnt + "/", Path: "llm/mistral", KVVersion: 1}
	if md != want {
		t.Errorf("Metadata = %+v, want %+v", md, want)
	}
	v, vmd, err := r.Value(ctx, ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	if v.Reveal() != val || vmd != want {
		t.Errorf("Value = %q, %+v", v.Reveal(), vmd)
	}
	if s := r.Stats(); s.MetadataReads != 0 || s.DataReads != 1 {
		t.Errorf("Stats = %+v, want no metadata read and one data read", s)
	}

	pinned := ref(p, "api_key", 2)
	_, err = r.Metadata(ctx, pinned)
	e.wantErr(err, secrets.ErrVersionNotFound, pinned)
	_, _, err = r.Value(ctx, pinned)
	e.wantErr(err, secrets.ErrVersionNotFound, pinned)

	missing := ref(mnt+"/llm/nope", "api_key", 0)
	_, _, err = r.Value(ctx, missing)
	e.wantErr(err, secrets.ErrNotFound, missing)
}

func TestMissingPath(t *testing.T) {
	e := newEnv(t)
	r := e.resolver()
	ctx := context.Background()
	for _, rf := range []secretref.VaultRef{
		ref("secret/"+e.prefix+"/nope", "api_key", 0),
		ref("secret/"+e.prefix+"/nope", "api_key", 3),
		ref("secret/", "api_key", 0),
	} {
		_, err := r.Metadata(ctx, rf)
		e.wantErr(err, secrets.ErrNotFound, rf)
		_, _, err = r.Value(ctx, rf)
		e.wantErr(err, secrets.ErrNotFound, rf)
	}
}

func TestMissingKeyAndNotString(t *testing.T) {
	e := newEnv(t)
	p := e.put("openai", map[string]interface{}{"api_key": e.secret(), "org": e.secret(), "rpm": 500})
	r := e.resolver()
	ctx := context.Background()

	rf := ref(p, "apikey", 0)
	if _, err := r.Metadata(ctx, rf); err != nil {
		t.Errorf("Metadata cannot know keys, yet failed: %v", err)
	}
	_, _, err := r.Value(ctx, rf)
	e.wantErr(err, secrets.ErrKeyNotFound, rf)
	if !strings.Contains(err.Error(), `"api_key", "org", "rpm"`) {
		t.Errorf("message does not list the keys: %v", err)
	}

	rf = ref(p, "rpm", 0)
	_, _, err = r.Value(ctx, rf)
	e.wantErr(err, secrets.ErrNotString, rf)
}

func TestDeletedVersion(t *testing.T) {
	e := newEnv(t)
	first := e.secret()
	e.put("gone", map[string]interface{}{"api_key": first})
	p := e.put("gone", map[string]interface{}{"api_key": e.secret()})
	if err := e.root.KVv2("secret").Delete(context.Background(), e.prefix+"/gone"); err != nil {
		t.Fatal(err)
	}
	r := e.resolver()
	ctx := context.Background()

	latest := ref(p, "api_key", 0)
	md, err := r.Metadata(ctx, latest)
	e.wantErr(err, secrets.ErrVersionDeleted, latest)
	if !md.Deleted || md.Version != 2 {
		t.Errorf("Metadata with the error = %+v, want version 2 deleted", md)
	}
	_, _, err = r.Value(ctx, latest)
	e.wantErr(err, secrets.ErrVersionDeleted, latest)
	pinned2 := ref(p, "api_key", 2)
	_, _, err = r.Value(ctx, pinned2)
	e.wantErr(err, secrets.ErrVersionDeleted, pinned2)

	v, _, err := r.Value(ctx, ref(p, "api_key", 1))
	if err != nil || v.Reveal() != first {
		t.Errorf("version 1 should still resolve: %q, %v", v.Reveal(), err)
	}
}

func TestDestroyedVersion(t *testing.T) {
	e := newEnv(t)
	e.put("burnt", map[string]interface{}{"api_key": e.secret()})
	p := e.put("burnt", map[string]interface{}{"api_key": e.secret()})
	if err := e.root.KVv2("secret").Destroy(context.Background(), e.prefix+"/burnt", []int{1}); err != nil {
		t.Fatal(err)
	}
	r := e.resolver()
	ctx := context.Background()

	rf := ref(p, "api_key", 1)
	md, err := r.Metadata(ctx, rf)
	e.wantErr(err, secrets.ErrVersionDestroyed, rf)
	if !md.Destroyed {
		t.Errorf("Metadata with the error = %+v, want destroyed", md)
	}
	_, _, err = r.Value(ctx, rf)
	e.wantErr(err, secrets.ErrVersionDestroyed, rf)
	if _, _, err := r.Value(ctx, ref(p, "api_key", 0)); err != nil {
		t.Errorf("the current version should still resolve: %v", err)
	}
}

// A plan runs with a token that may read metadata but no values.
func TestMetadataOnlyToken(t *testing.T) {
	e := newEnv(t)
	p := e.put("openai", map[string]interface{}{"api_key": e.secret()})
	policy := "plan-" + randomHex(4)
	if err := e.root.Sys().PutPolicy(policy, `
path "secret/metadata/*" { capabilities = ["read"] }
`); err != nil {
		t.Fatal(err)
	}
	tok, err := e.root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{policy}})
	if err != nil {
		t.Fatal(err)
	}
	planToken := tok.Auth.ClientToken
	r := secrets.NewResolver(vaulttest.Client(t, e.addr, planToken))
	e.token = planToken // must not leak either
	ctx := context.Background()

	rf := ref(p, "api_key", 0)
	md, err := r.Metadata(ctx, rf)
	if err != nil {
		t.Fatalf("Metadata with a metadata-only token: %v", err)
	}
	if md.Version != 1 {
		t.Errorf("Metadata = %+v", md)
	}
	_, _, err = r.Value(ctx, rf)
	e.wantErr(err, secrets.ErrPermissionDenied, rf)

	other := ref("cubbyhole/x", "k", 0)
	_, err = r.Metadata(ctx, other)
	if err == nil {
		t.Fatal("cubbyhole resolved")
	}
}

func TestNotKV(t *testing.T) {
	e := newEnv(t)
	r := e.resolver()
	rf := ref("cubbyhole/llm", "api_key", 0)
	_, err := r.Metadata(context.Background(), rf)
	e.wantErr(err, secrets.ErrNotKV, rf)

	rf = ref("nomount-"+randomHex(3)+"/llm", "api_key", 0)
	_, err = r.Metadata(context.Background(), rf)
	e.wantErr(err, secrets.ErrPermissionDenied, rf)
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	addr := vaulttest.DownAddr(t)
	e := &env{t: t, addr: addr, token: "s.unreachable-token"}
	r := e.resolver()
	rf := ref("secret/llm/openai", "api_key", 0)
	_, err := r.Metadata(context.Background(), rf)
	e.wantErr(err, secrets.ErrUnreachable, rf)
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("message does not name the address: %v", err)
	}
	_, _, err = r.Value(context.Background(), rf)
	e.wantErr(err, secrets.ErrUnreachable, rf)
	// Once Vault is found unreachable, other secrets of the run fail at
	// once instead of each waiting through its own retries.
	other := ref("secret/llm/anthropic", "api_key", 0)
	_, err = r.Metadata(context.Background(), other)
	e.wantErr(err, secrets.ErrUnreachable, other)
	if !strings.Contains(err.Error(), "not retried") || !strings.Contains(err.Error(), addr) {
		t.Errorf("a later reference: %v", err)
	}
}

func TestSealed(t *testing.T) {
	t.Parallel()
	addr, token := vaulttest.StartIsolated(t)
	e := &env{t: t, addr: addr, token: token, root: vaulttest.Client(t, addr, token), prefix: "sealed"}
	p := e.put("openai", map[string]interface{}{"api_key": e.secret()})
	if err := e.root.Sys().Seal(); err != nil {
		t.Fatal(err)
	}
	r := e.resolver()
	rf := ref(p, "api_key", 0)
	_, err := r.Metadata(context.Background(), rf)
	e.wantErr(err, secrets.ErrSealed, rf)
	_, _, err = r.Value(context.Background(), rf)
	e.wantErr(err, secrets.ErrSealed, rf)
}

// The planner resolves references in parallel; each secret is still read
// once, and every reference gets its own error naming its own position.
func TestEachSecretReadOnce(t *testing.T) {
	e := newEnv(t)
	a, b, missing := e.twoAndMissing()
	r := e.resolver()
	ctx := context.Background()

	const callers = 16
	var wg sync.WaitGroup
	errs := make(chan error, 10*callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, rf := range []secretref.VaultRef{ref(a, "api_key", 0), ref(a, "org", 0), ref(b, "api_key", 0)} {
				if _, err := r.Metadata(ctx, rf); err != nil {
					errs <- err
				}
				if _, _, err := r.Value(ctx, rf); err != nil {
					errs <- err
				}
			}
			rf := ref(missing, "api_key", 0)
			rf.Range.Start.Line = 100 + i
			_, _, err := r.Value(ctx, rf)
			if !errors.Is(err, secrets.ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("providers.hcl:%d,", 100+i)) {
				errs <- fmt.Errorf("caller %d: want ErrNotFound at its own line, got %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Concurrent callers wait for the first mount lookup; reads of
	// metadata and data are exactly once each.
	s := r.Stats()
	if s.MetadataReads != 2 || s.DataReads != 3 || s.MountLookups != 1 {
		t.Errorf("Stats = %+v, want 1 mount lookup, 2 metadata and 3 data reads", s)
	}

	// A new Resolver (a new run) reads again.
	r2 := e.resolver()
	if _, _, err := r2.Value(ctx, ref(a, "api_key", 0)); err != nil {
		t.Fatal(err)
	}
	if s := r2.Stats(); s.DataReads != 1 {
		t.Errorf("second run: %+v", s)
	}
}

// An abandoned read is not remembered: the next caller reads again.
func TestCanceledReadNotCached(t *testing.T) {
	e := newEnv(t)
	p := e.put("openai", map[string]interface{}{"api_key": e.secret()})
	r := e.resolver()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rf := ref(p, "api_key", 0)
	_, _, err := r.Value(ctx, rf)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, _, err := r.Value(context.Background(), rf); err != nil {
		t.Fatalf("after a canceled read: %v", err)
	}
}

func TestSensitiveFormatting(t *testing.T) {
	e := newEnv(t)
	val := e.secret()
	p := e.put("openai", map[string]interface{}{"api_key": val})
	v, md, err := e.resolver().Value(context.Background(), ref(p, "api_key", 0))
	if err != nil {
		t.Fatal(err)
	}
	e.noLeak(fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v))
	e.noLeak(fmt.Sprintf("%+v", md))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Vault refuses overlapping mounts, so every path under a mount already
// found is on it: many secrets under secret/ cost one mount lookup.
func TestOneMountLookupPerMount(t *testing.T) {
	e := newEnv(t)
	r := e.resolver()
	for i := range 5 {
		p := e.put(fmt.Sprintf("many/%d", i), map[string]interface{}{"api_key": e.secret()})
		if _, err := r.Metadata(context.Background(), ref(p, "api_key", 0)); err != nil {
			t.Fatal(err)
		}
	}
	if s := r.Stats(); s.MountLookups != 1 || s.MetadataReads != 5 {
		t.Errorf("Stats = %+v, want 1 mount lookup and 5 metadata reads", s)
	}
}

// Parallel callers that start before the first mount lookup is answered
// wait for it instead of each asking: the stand-in holds that answer until
// every caller has started, so without the wait each would send its own.
func TestOneMountLookupUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	const callers = 10
	var paths []string
	for i := range callers {
		paths = append(paths, e.put(fmt.Sprintf("c/%d", i), map[string]interface{}{"api_key": e.secret()}))
	}
	var (
		started sync.WaitGroup
		mu      sync.Mutex
		asked   int
	)
	started.Add(callers)
	r := e.resolverBehind(t, func(w http.ResponseWriter, r *http.Request, vault http.Handler) {
		if strings.HasPrefix(r.URL.Path, "/v1/sys/internal/ui/mounts/") {
			mu.Lock()
			asked++
			mu.Unlock()
			started.Wait()
		}
		vault.ServeHTTP(w, r)
	})
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			if _, err := r.Metadata(context.Background(), ref(p, "api_key", 0)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if s := r.Stats(); asked != 1 || s.MountLookups != 1 || s.MetadataReads != callers {
		t.Errorf("%d mount lookups reached Vault, stats %+v; want 1 lookup and %d metadata reads", asked, s, callers)
	}
}

// A path under another mount that shares the first segment ("kv/a/" and
// "kv/b/") waits for the first lookup, finds it does not cover it, and
// looks up its own.
func TestMountLookupSameFirstSegmentOtherMount(t *testing.T) {
	e := newEnv(t)
	seg := "m" + randomHex(4)
	for _, m := range []string{seg + "/a", seg + "/b"} {
		if err := e.root.Sys().Mount(m, &vaultapi.MountInput{Type: "kv", Options: map[string]string{"version": "2"}}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.resolver()
	var wg sync.WaitGroup
	for _, m := range []string{seg + "/a", seg + "/b"} {
		if _, err := e.root.KVv2(m).Put(context.Background(), "x", map[string]interface{}{"api_key": e.secret()}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			md, err := r.Metadata(context.Background(), ref(m+"/x", "api_key", 0))
			if err != nil {
				t.Error(err)
				return
			}
			if md.Mount != m+"/" || md.Path != "x" {
				t.Errorf("%s/x resolved to mount %q path %q", m, md.Mount, md.Path)
			}
		}()
	}
	wg.Wait()
	if s := r.Stats(); s.MountLookups != 2 {
		t.Errorf("stats %+v, want 2 mount lookups", s)
	}
}

// A metadata answer is input like any other: one larger than the resolver
// reads is refused, saying so, instead of being buffered whole.
func TestMetadataAnswerIsBounded(t *testing.T) {
	e := newEnv(t)
	path := e.put("big", map[string]interface{}{"api_key": e.secret()})
	r := e.resolverBehind(t, func(w http.ResponseWriter, r *http.Request, vault http.Handler) {
		if strings.Contains(r.URL.Path, "/metadata/") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data":{"custom_metadata":{"x":"`+strings.Repeat("a", 5<<20)+`"}}}`)
			return
		}
		vault.ServeHTTP(w, r)
	})
	_, err := r.Metadata(context.Background(), ref(path, "api_key", 0))
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("a 5 MiB metadata answer gave %v", err)
	}
}

// resolverBehind is a resolver whose Vault is a stand-in: handle answers
// each request, and may pass it on to the environment's Vault.
func (e *env) resolverBehind(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, vault http.Handler)) *secrets.Resolver {
	t.Helper()
	u, err := url.Parse(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	vault := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handle(w, r, vault) }))
	t.Cleanup(srv.Close)
	return secrets.NewResolver(vaulttest.Client(t, srv.URL, e.token))
}

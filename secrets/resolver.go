// Package secrets resolves secretref.VaultRef values against HashiCorp Vault's
// KV secrets engine, version 1 or 2, the way `vault kv get` does: the mount
// and its KV version are found through sys/internal/ui/mounts, so a
// reference is written as the user would type it ("secret/llm/openai"),
// never with the API's "data/" segment.
//
// A Resolver is meant to live for one run (a plan or an apply): it reads
// each secret at most once, however many references use it and however
// many goroutines ask, and so every reference to a secret sees the same
// version within the run.
package secrets

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Metadata describes the secret version a reference resolves to, without
// its value.
type Metadata struct {
	// Mount is the KV mount the path is on, with a trailing slash: "secret/".
	Mount string
	// Path is the secret's path inside the mount: "llm/openai".
	Path string
	// KVVersion is the engine's version, 1 or 2.
	KVVersion int
	// Version is the secret version the reference resolves to: the pinned
	// one, else the current one. KV v1 has no versions: it is 0 there.
	Version int
	// CurrentVersion is the secret's latest version, when known (always
	// after Metadata; after Value only for an unpinned reference); 0
	// otherwise and on KV v1.
	CurrentVersion int
	// CreatedTime is when Version was written; zero on KV v1.
	CreatedTime time.Time
	// DeletionTime is when Version was (or is scheduled to be) deleted.
	DeletionTime time.Time
	// Deleted and Destroyed are Version's state. Resolution fails for such
	// a version; they are set on the Metadata returned with that error.
	Deleted   bool
	Destroyed bool
}

// Stats counts the requests a Resolver sent to Vault, so tests can check
// that each secret is read once.
type Stats struct {
	// MountLookups are sys/internal/ui/mounts requests: at most one per
	// distinct path, and none for a path under a mount already found.
	MountLookups int64
	// MetadataReads are KV v2 <mount>/metadata/<path> requests.
	MetadataReads int64
	// DataReads are requests that return secret values.
	DataReads int64
}

// Resolver resolves references for one run. It is safe for concurrent use.
type Resolver struct {
	client *vaultapi.Client

	mounts onceMap[string, mount]
	// known holds the KV mounts found so far. Vault refuses overlapping
	// mounts, so a path under a known mount is on it: a plan of 10,000
	// secrets under secret/ looks the mount up once, not 10,000 times.
	knownMu sync.RWMutex
	known   []mount
	// finding holds, per first path segment, a mount lookup in flight:
	// callers with a path that begins the same way wait for it before
	// looking up their own, since the answer usually covers them too
	// ("secret/" for every "secret/..."). Without it, parallel callers
	// that start before the first answer each ask (10 lookups at
	// parallelism 10 where 1 is needed).
	findingMu sync.Mutex
	finding   map[string]chan struct{}
	meta      onceMap[secretKey, *v2Metadata]
	data      onceMap[dataKey, *secretData]

	mountLookups, metadataReads, dataReads atomic.Int64

	// lookup is the token's lookup-self, made at most once per run.
	lookup onceMap[struct{}, tokenState]
	// tokenSource says where the token came from, for messages: never
	// the token.
	tokenSource string
	// agent is set when requests go through a Vault Agent.
	agent bool
	// parallelism is how many requests callers should run at once.
	parallelism int
	// down is the first request that found Vault unreachable after the
	// client's retries: later requests fail at once with it instead of
	// each waiting through retries of its own.
	down atomic.Pointer[failure]
}

func (r *Resolver) isDown() error {
	if f := r.down.Load(); f != nil {
		return &failure{kind: ErrUnreachable, cause: f.cause, msg: f.msg + " (not retried: an earlier request of this run found Vault unreachable)"}
	}
	return nil
}

// NewResolver uses client as is: its address, token, namespace, timeout and
// retry settings.
func NewResolver(client *vaultapi.Client) *Resolver {
	return &Resolver{client: client}
}

// NewResolverFromEnv builds a client the way the Vault CLI does: VAULT_ADDR,
// VAULT_TOKEN (else the token `vault login` stored in ~/.vault-token),
// VAULT_NAMESPACE, VAULT_CACERT and the rest of Vault's environment. A
// non-empty address (the configuration's `vault { address = ... }`)
// overrides VAULT_ADDR.
//
// Unlike Connect it sends no request, and knows no login block: it is for
// commands that may go on without Vault.
func NewResolverFromEnv(address string) (*Resolver, error) {
	cfg := vaultapi.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client configuration: %w", cfg.Error)
	}
	if address != "" {
		cfg.Address = address
	}
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	source := "VAULT_TOKEN"
	if client.Token() == "" {
		tok, src, err := helperToken(context.Background())
		if err != nil {
			return nil, err
		}
		client.SetToken(tok)
		source = src
	}
	if client.Token() == "" {
		return nil, errors.New("no Vault token: set VAULT_TOKEN or run `vault login`")
	}
	r := NewResolver(client)
	r.tokenSource = source
	return r, nil
}

// Fresh returns a Resolver on the same client and token that remembers
// the mounts found but no secret read: for a second look at the same
// run's secrets (apply's stale check after a prompt), which must see what
// Vault holds now, not what this Resolver read before.
func (r *Resolver) Fresh() *Resolver {
	f := &Resolver{client: r.client, tokenSource: r.tokenSource, agent: r.agent, parallelism: r.parallelism}
	r.knownMu.RLock()
	f.known = append([]mount(nil), r.known...)
	r.knownMu.RUnlock()
	return f
}

// Parallelism is how many requests the Resolver's callers should run at
// once: vault { parallelism }, else DefaultParallelism. Its transport
// keeps that many connections.
func (r *Resolver) Parallelism() int {
	if r.parallelism <= 0 {
		return DefaultParallelism
	}
	return r.parallelism
}

// Stats reports the requests sent so far.
func (r *Resolver) Stats() Stats {
	return Stats{
		MountLookups:  r.mountLookups.Load(),
		MetadataReads: r.metadataReads.Load(),
		DataReads:     r.dataReads.Load(),
	}
}

// Metadata resolves ref without reading the secret's value, so that a plan
// works with a token that may only read metadata. On KV v2 it reads
// <mount>/metadata/<path>; on KV v1, which keeps no metadata, it reads
// nothing but the mount and returns Version 0. It cannot tell whether ref's
// key exists: only Value can.
func (r *Resolver) Metadata(ctx context.Context, ref secretref.VaultRef) (Metadata, error) {
	loc, err := r.locate(ctx, ref)
	if err != nil {
		return Metadata{}, r.wrap(ref, err)
	}
	if loc.mount.kvVersion == 1 {
		if ref.Version > 0 {
			return Metadata{}, r.wrap(ref, unversioned(ref, loc))
		}
		return loc.metadata(), nil
	}
	m, err := r.v2Metadata(ctx, loc)
	if err != nil {
		return Metadata{}, r.wrap(ref, err)
	}
	md, err := m.resolve(ref, loc)
	return md, r.wrap(ref, err)
}

// Value reads the secret ref points to and returns its key's value, with
// the metadata of the version read.
func (r *Resolver) Value(ctx context.Context, ref secretref.VaultRef) (sensitive.String, Metadata, error) {
	loc, err := r.locate(ctx, ref)
	if err != nil {
		return sensitive.String{}, Metadata{}, r.wrap(ref, err)
	}
	if loc.mount.kvVersion == 1 && ref.Version > 0 {
		return sensitive.String{}, Metadata{}, r.wrap(ref, unversioned(ref, loc))
	}
	d, err := r.data.do(ctx, dataKey{loc.secretKey, ref.Version}, func() (*secretData, error) {
		return r.readData(ctx, loc, ref.Version)
	})
	if err != nil {
		if errors.Is(err, errNoData) {
			err = r.explainMissing(ctx, ref, loc)
		}
		var md Metadata
		if d != nil {
			md = d.md
		}
		return sensitive.String{}, md, r.wrap(ref, err)
	}
	f, ok := d.fields[ref.Key]
	if !ok {
		return sensitive.String{}, d.md, r.wrap(ref, &failure{kind: ErrKeyNotFound, msg: fmt.Sprintf(
			"%s has no key %q; its keys are: %s", describe(ref.Path, d.md), ref.Key, keyList(d.fields))})
	}
	if f.notString != "" {
		return sensitive.String{}, d.md, r.wrap(ref, &failure{kind: ErrNotString, msg: fmt.Sprintf(
			"key %q of %s holds %s, not a string", ref.Key, describe(ref.Path, d.md), f.notString)})
	}
	return f.value, d.md, nil
}

// mount is what sys/internal/ui/mounts says about a path.
type mount struct {
	path      string // "secret/"; empty when Vault predates the endpoint
	kvVersion int
}

type secretKey struct {
	mount, path string
}

type dataKey struct {
	secretKey
	version int // 0: latest
}

type location struct {
	secretKey
	mount mount
}

func (l location) metadata() Metadata {
	return Metadata{Mount: l.mount.path, Path: l.path, KVVersion: l.mount.kvVersion}
}

// locate finds the mount ref's path is on, as the Vault CLI's
// kvPreflightVersionRequest does.
func (r *Resolver) locate(ctx context.Context, ref secretref.VaultRef) (location, error) {
	p := strings.Trim(ref.Path, "/")
	if p == "" {
		return location{}, &failure{kind: ErrNotFound, msg: "the path is empty"}
	}
	m, found := r.knownMount(p)
	var err error
	if !found {
		m, err = r.lookupMount(ctx, p)
	}
	if err != nil {
		return location{}, err
	}
	rest := strings.Trim(strings.TrimPrefix(p+"/", m.path), "/")
	if rest == "" {
		return location{}, &failure{kind: ErrNotFound, msg: fmt.Sprintf(
			"%s is the mount itself, not a secret in it", ref.Path)}
	}
	return location{secretKey: secretKey{mount: m.path, path: rest}, mount: m}, nil
}

func (r *Resolver) knownMount(p string) (mount, bool) {
	r.knownMu.RLock()
	defer r.knownMu.RUnlock()
	for _, m := range r.known {
		if strings.HasPrefix(p+"/", m.path) {
			return m, true
		}
	}
	return mount{}, false
}

func (r *Resolver) lookupMount(ctx context.Context, p string) (mount, error) {
	seg, _, _ := strings.Cut(p, "/")
	r.findingMu.Lock()
	wait, busy := r.finding[seg]
	if !busy {
		if r.finding == nil {
			r.finding = map[string]chan struct{}{}
		}
		done := make(chan struct{})
		r.finding[seg] = done
		defer func() {
			r.findingMu.Lock()
			delete(r.finding, seg)
			r.findingMu.Unlock()
			close(done)
		}()
	}
	r.findingMu.Unlock()
	if busy {
		select {
		case <-wait:
		case <-ctx.Done():
			return mount{}, ctx.Err()
		}
		if m, ok := r.knownMount(p); ok {
			return m, nil
		}
		// Another mount under the same first segment, or a lookup
		// that failed: ask for this path, without waiting again, so
		// that a denied mount does not make its secrets ask one at a
		// time.
	}
	return r.lookupPath(ctx, p)
}

func (r *Resolver) lookupPath(ctx context.Context, p string) (mount, error) {
	m, err := r.mounts.do(ctx, p, func() (mount, error) {
		if err := r.isDown(); err != nil {
			return mount{}, err
		}
		r.mountLookups.Add(1)
		s, err := r.client.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+p)
		if err != nil {
			var re *vaultapi.ResponseError
			if errors.As(err, &re) && re.StatusCode == 403 {
				// Vault also answers 403 when no engine is mounted there,
				// so as not to reveal which mounts exist.
				return mount{}, r.denied(ctx, err, "looking up the secrets engine for "+p+" (sys/internal/ui/mounts/"+p+")",
					", or no secrets engine is mounted there")
			}
			return mount{}, r.classify(ctx, err, "looking up the secrets engine for "+p)
		}
		if s == nil {
			// A Vault older than the endpoint (0.10): the CLI assumes
			// KV v1 with the path used whole, and so do we.
			return mount{kvVersion: 1}, nil
		}
		mp, _ := s.Data["path"].(string)
		if typ, _ := s.Data["type"].(string); typ != "kv" && typ != "generic" {
			return mount{}, &failure{kind: ErrNotKV, msg: fmt.Sprintf(
				"%s is on the %q secrets engine mounted at %s, not on a KV engine", p, typ, mp)}
		}
		version := 1
		if opts, ok := s.Data["options"].(map[string]interface{}); ok {
			if v, _ := opts["version"].(string); v == "2" {
				version = 2
			}
		}
		return mount{path: mp, kvVersion: version}, nil
	})
	// The pre-0.10 fallback has no mount path to match others against.
	if err == nil && m.path != "" {
		r.knownMu.Lock()
		r.known = append(r.known, m)
		r.knownMu.Unlock()
	}
	return m, err
}

// v2Metadata is a KV v2 metadata response, reduced to what resolution needs.
type v2Metadata struct {
	current int
	oldest  int
	// versions is sorted by number. The resolver keeps one v2Metadata per
	// secret path for the whole run: a slice of one version costs a tenth
	// of a map of one (60 MB at 100,000 secrets).
	versions []numberedVersion
}

type numberedVersion struct {
	n int
	versionInfo
}

// version is the metadata of version n, if Vault listed it.
func (m *v2Metadata) version(n int) (versionInfo, bool) {
	i, ok := slices.BinarySearchFunc(m.versions, n, func(v numberedVersion, n int) int { return cmp.Compare(v.n, n) })
	if !ok {
		return versionInfo{}, false
	}
	return m.versions[i].versionInfo, true
}

type versionInfo struct {
	created, deletion time.Time
	destroyed         bool
}

func (v versionInfo) deleted(now time.Time) bool {
	return !v.deletion.IsZero() && !v.deletion.After(now)
}

// setVersion records which version md resolved to and its state, the same
// whether it was read from the metadata or along with the data.
func (md *Metadata) setVersion(v int, info versionInfo, now time.Time) {
	md.Version = v
	md.CreatedTime = info.created
	md.DeletionTime = info.deletion
	md.Destroyed = info.destroyed
	md.Deleted = info.deleted(now)
}

func (r *Resolver) v2Metadata(ctx context.Context, loc location) (*v2Metadata, error) {
	return r.meta.do(ctx, loc.secretKey, func() (*v2Metadata, error) {
		if err := r.isDown(); err != nil {
			return nil, err
		}
		r.metadataReads.Add(1)
		m, s, err := r.readMetadata(ctx, loc.mount.path+"metadata/"+loc.path)
		if err != nil {
			return nil, r.classify(ctx, err, "reading the metadata of "+loc.mount.path+loc.path)
		}
		if m != nil {
			return m, nil
		}
		if s == nil || s.Data == nil {
			return nil, &failure{kind: ErrNotFound, msg: fmt.Sprintf(
				"no secret at %s (KV v2 mount %s)", loc.mount.path+loc.path, loc.mount.path)}
		}
		var d v2MetadataData
		if err := redecode(s.Data, &d); err != nil {
			return nil, fmt.Errorf("reading the metadata of %s: %w", loc.mount.path+loc.path, err)
		}
		return d.metadata(), nil
	})
}

// v2MetadataJSON is the part of a KV v2 metadata response that resolution
// reads. Both ways of reading one decode into it: straight from the body
// (readMetadata's common case) and from the generic map of
// api.ParseSecret (redecode).
type v2MetadataJSON struct {
	Data *v2MetadataData `json:"data"`
}

type v2MetadataData struct {
	CurrentVersion int                    `json:"current_version"`
	OldestVersion  int                    `json:"oldest_version"`
	Versions       map[string]versionJSON `json:"versions"`
}

// versionJSON is one version's metadata, in a metadata response's versions
// and in a data response's metadata.
type versionJSON struct {
	Version      int    `json:"version"`
	CreatedTime  string `json:"created_time"`
	DeletionTime string `json:"deletion_time"`
	Destroyed    bool   `json:"destroyed"`
}

func (v versionJSON) info() versionInfo {
	var info versionInfo
	if v.CreatedTime != "" {
		info.created, _ = time.Parse(time.RFC3339Nano, v.CreatedTime)
	}
	if v.DeletionTime != "" {
		info.deletion, _ = time.Parse(time.RFC3339Nano, v.DeletionTime)
	}
	info.destroyed = v.Destroyed
	return info
}

func (d *v2MetadataData) metadata() *v2Metadata {
	m := &v2Metadata{current: d.CurrentVersion, oldest: d.OldestVersion, versions: make([]numberedVersion, 0, len(d.Versions))}
	for k, v := range d.Versions {
		if n, err := strconv.Atoi(k); err == nil {
			m.versions = append(m.versions, numberedVersion{n: n, versionInfo: v.info()})
		}
	}
	slices.SortFunc(m.versions, func(a, b numberedVersion) int { return cmp.Compare(a.n, b.n) })
	return m
}

// redecode decodes a generic map of api.ParseSecret (numbers as
// json.Number) into out, a typed struct of the same JSON.
func redecode(data any, out any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// maxMetadataAnswer bounds the body of a metadata answer, which is a few
// KiB: KV v2 keeps 10 versions of a secret unless told otherwise.
const maxMetadataAnswer = 4 << 20

// readMetadata is Logical().ReadWithContext(path) for a KV v2 metadata
// path, made cheaper for the common answer: a plan of 10,000 secrets reads
// 10,000 of them, and api.ParseSecret's generic decoding (a map per
// version, json.Number, the body buffered twice) was most of their CPU.
// A response with a "data" object of the expected shape is decoded into
// m directly; anything else is handed to api.ParseSecret and returned as
// s, exactly as ReadWithContext would return it.
func (r *Resolver) readMetadata(ctx context.Context, path string) (m *v2Metadata, s *vaultapi.Secret, err error) {
	if t := r.client.ClientTimeout(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	resp, err := r.client.Logical().ReadRawWithContext(ctx, path)
	if resp != nil {
		defer resp.Body.Close()
	}
	// As Logical().ParseRawResponseAndCloseBody: a 404 is no secret, unless
	// its body carries data or warnings.
	notFound := resp != nil && resp.StatusCode == 404
	if err != nil && !notFound {
		return nil, nil, err
	}
	if resp == nil {
		return nil, nil, errors.New("no response from Vault")
	}
	// Bounded, since an answer is input like any other; sized by
	// Content-Length, since io.ReadAll's growth from 512 bytes was a fifth
	// of what a metadata read allocates.
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxMetadataAnswer {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxMetadataAnswer+1)); err != nil {
		return nil, nil, err
	}
	if buf.Len() > maxMetadataAnswer {
		return nil, nil, fmt.Errorf("the answer to reading %s is larger than %d MiB", path, maxMetadataAnswer>>20)
	}
	body := buf.Bytes()
	var typed v2MetadataJSON
	if !notFound && json.Unmarshal(body, &typed) == nil && typed.Data != nil {
		return typed.Data.metadata(), nil, nil
	}
	s, err = vaultapi.ParseSecret(bytes.NewReader(body))
	if notFound {
		switch {
		case err == io.EOF:
			return nil, nil, nil
		case err != nil:
			return nil, nil, err
		case s != nil && (len(s.Warnings) > 0 || len(s.Data) > 0):
			return nil, s, nil
		}
		return nil, nil, nil
	}
	return nil, s, err
}

func (m *v2Metadata) resolve(ref secretref.VaultRef, loc location) (Metadata, error) {
	md := loc.metadata()
	md.CurrentVersion = m.current
	full := loc.mount.path + loc.path
	v := ref.Version
	if v == 0 {
		v = m.current
		if v == 0 {
			return md, &failure{kind: ErrNotFound, msg: fmt.Sprintf("%s has no versions", full)}
		}
	}
	info, ok := m.version(v)
	if !ok {
		msg := fmt.Sprintf("%s has no version %d; its current version is %d", full, v, m.current)
		if v < m.oldest {
			msg += fmt.Sprintf(" and versions before %d were pruned (max_versions)", m.oldest)
		}
		return md, &failure{kind: ErrVersionNotFound, msg: msg}
	}
	md.setVersion(v, info, time.Now())
	return md, versionState(ref, md)
}

// versionState fails for a deleted or destroyed version, telling the user
// what they can do about it.
func versionState(ref secretref.VaultRef, md Metadata) error {
	which := fmt.Sprintf("version %d of %s", md.Version, md.Mount+md.Path)
	if ref.Version == 0 {
		which = fmt.Sprintf("the current version (%d) of %s", md.Version, md.Mount+md.Path)
	}
	switch {
	case md.Destroyed:
		return &failure{kind: ErrVersionDestroyed, msg: which + " was destroyed; write a new version or pin an earlier one"}
	case md.Deleted:
		return &failure{kind: ErrVersionDeleted, msg: fmt.Sprintf(
			"%s was deleted at %s; `vault kv undelete -versions=%d %s` restores it",
			which, md.DeletionTime.UTC().Format(time.RFC3339), md.Version, ref.Path)}
	}
	return nil
}

// secretData is one version of a secret. It holds values, so it never
// leaves this package other than as a sensitive.String.
type secretData struct {
	md     Metadata
	fields map[string]field
}

type field struct {
	value sensitive.String
	// notString names the JSON type of a value that is not a string ("a
	// number"); empty for a string.
	notString string
}

// errNoData marks a data read that found nothing, for Value to explain.
var errNoData = &failure{kind: ErrNotFound, msg: "no data"}

func (r *Resolver) readData(ctx context.Context, loc location, version int) (*secretData, error) {
	if err := r.isDown(); err != nil {
		return nil, err
	}
	r.dataReads.Add(1)
	full := loc.mount.path + loc.path
	apiPath := full
	var params map[string][]string
	if loc.mount.kvVersion == 2 {
		apiPath = loc.mount.path + "data/" + loc.path
		if version > 0 {
			params = map[string][]string{"version": {strconv.Itoa(version)}}
		}
	}
	s, err := r.client.Logical().ReadWithDataWithContext(ctx, apiPath, params)
	if err != nil {
		return nil, r.classify(ctx, err, "reading "+full)
	}
	if s == nil || s.Data == nil {
		return nil, errNoData
	}
	if loc.mount.kvVersion == 1 {
		return &secretData{md: loc.metadata(), fields: fields(s.Data)}, nil
	}

	md := loc.metadata()
	var vm versionJSON
	if raw, ok := s.Data["metadata"].(map[string]interface{}); ok {
		if err := redecode(raw, &vm); err != nil {
			return nil, fmt.Errorf("reading the metadata of %s: %w", full, err)
		}
	}
	md.setVersion(vm.Version, vm.info(), time.Now())
	if version == 0 {
		md.CurrentVersion = md.Version
	}
	values, _ := s.Data["data"].(map[string]interface{})
	if values == nil {
		// Vault answers 404 with the version's metadata for a deleted or
		// destroyed version.
		if err := versionState(secretref.VaultRef{Path: full, Version: version}, md); err != nil {
			return &secretData{md: md}, err
		}
		return nil, errNoData
	}
	d := &secretData{md: md, fields: fields(values)}
	if version == 0 && md.Version > 0 {
		// A reference pinned to the version that is current shares this
		// read.
		r.data.add(dataKey{loc.secretKey, md.Version}, d)
	}
	return d, nil
}

// explainMissing turns an empty data read into the most precise error it
// can: for a pinned version, the (cached) metadata tells a missing version
// from a missing secret.
func (r *Resolver) explainMissing(ctx context.Context, ref secretref.VaultRef, loc location) error {
	full := loc.mount.path + loc.path
	notFound := &failure{kind: ErrNotFound, msg: fmt.Sprintf(
		"no secret at %s (KV v%d mount %s)", full, loc.mount.kvVersion, loc.mount.path)}
	if loc.mount.kvVersion == 1 || ref.Version == 0 {
		return notFound
	}
	m, err := r.v2Metadata(ctx, loc)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return notFound
		}
		return &failure{kind: ErrVersionNotFound, msg: fmt.Sprintf(
			"%s has no version %d, or does not exist", full, ref.Version)}
	}
	_, err = m.resolve(ref, loc)
	if err == nil {
		// The version appeared between the two reads.
		return &failure{kind: ErrVersionNotFound, msg: fmt.Sprintf("%s had no version %d when read", full, ref.Version)}
	}
	return err
}

func unversioned(ref secretref.VaultRef, loc location) error {
	return &failure{kind: ErrVersionNotFound, msg: fmt.Sprintf(
		"version %d is pinned, but %s is on KV v1 mount %s, which keeps no versions",
		ref.Version, strings.Trim(ref.Path, "/"), loc.mount.path)}
}

// failure is an error not yet attributed to a reference: results are shared
// by every reference to a secret, and each reports its own file:line.
type failure struct {
	kind  error
	msg   string
	cause error
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() []error {
	if f.cause == nil {
		return []error{f.kind}
	}
	return []error{f.kind, f.cause}
}

func (r *Resolver) wrap(ref secretref.VaultRef, err error) error {
	if err == nil {
		return nil
	}
	var f *failure
	if errors.As(err, &f) {
		return &Error{Ref: ref, Kind: f.kind, msg: scrub(f.msg, r.client.Token()), cause: f.cause}
	}
	if isContextErr(err) {
		return &Error{Ref: ref, Kind: err, msg: err.Error(), cause: nil}
	}
	return &Error{Ref: ref, Kind: ErrVault, msg: scrub(err.Error(), r.client.Token()), cause: err}
}

// classify maps a failed request to a sentinel, summarizing Vault's
// multi-line API error in one line.
func (r *Resolver) classify(ctx context.Context, err error, doing string) error {
	if ctx.Err() != nil {
		return &failure{kind: ctx.Err(), msg: doing + ": " + ctx.Err().Error(), cause: err}
	}
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		detail := strings.Join(re.Errors, "; ")
		switch {
		case re.StatusCode == 403:
			return r.denied(ctx, err, doing, "")
		case re.StatusCode == 503 && strings.Contains(strings.ToLower(detail), "sealed"):
			return &failure{kind: ErrSealed, cause: err, msg: fmt.Sprintf(
				"Vault at %s is sealed (%s); unseal it and retry", r.client.Address(), doing)}
		}
		return &failure{kind: ErrVault, cause: err, msg: fmt.Sprintf(
			"Vault answered %d %s: %s", re.StatusCode, doing, detail)}
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) || isContextErr(err) {
		f := &failure{kind: ErrUnreachable, cause: err, msg: fmt.Sprintf(
			"cannot reach Vault at %s (%s): %s", r.client.Address(), doing, rootCause(err))}
		r.down.CompareAndSwap(nil, f)
		return f
	}
	return &failure{kind: ErrVault, cause: err, msg: doing + ": " + err.Error()}
}

// rootCause drops url.Error's restatement of the request ("Get \"http://…\"")
// which the message already says in words.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}

func describe(path string, md Metadata) string {
	if md.KVVersion == 2 && md.Version > 0 {
		return fmt.Sprintf("%s (version %d)", strings.Trim(path, "/"), md.Version)
	}
	return strings.Trim(path, "/")
}

func keyList(fs map[string]field) string {
	if len(fs) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, strconv.Quote(k))
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func fields(data map[string]interface{}) map[string]field {
	fs := make(map[string]field, len(data))
	for k, v := range data {
		switch v := v.(type) {
		case string:
			fs[k] = field{value: sensitive.New(v)}
		case json.Number, float64, int, int64:
			fs[k] = field{notString: "a number"}
		case bool:
			fs[k] = field{notString: "a boolean"}
		case nil:
			fs[k] = field{notString: "null"}
		case []interface{}:
			fs[k] = field{notString: "a list"}
		default:
			fs[k] = field{notString: "an object"}
		}
	}
	return fs
}

func toInt(v interface{}) int {
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

// Package emulator is a real HTTP server of both vendor APIs Switchboard
// manages, on one address: Glow (/provider/…, /endpoint/…, /key/…,
// /model/…) and the Gateflow Management API (/v1/management/providers…).
// It implements docs/api.md, persists its state in an embedded database
// when given a data directory, injects faults on demand, and counts what it
// is asked, so that users can run demos and tests against it and
// Switchboard's own tests can run without the vendors.
//
// Its own endpoints, outside both APIs, need no auth and never see faults:
//
//	GET  /_emulator/stats   calls per operation, decrypts, injected faults
//	GET  /_emulator/audit   the decrypt audit log
//	POST /_emulator/faults  script the next faults (see FaultScript)
package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/emulator/store"
)

// Config configures a Server.
type Config struct {
	// GlowTokens are the accepted Glow bearer tokens.
	GlowTokens []GlowToken `json:"glow_tokens"`
	// GateflowAdminKeys are the accepted Gateflow admin keys; each must start
	// with "gw_admin_".
	GateflowAdminKeys []AdminKey `json:"gateflow_admin_keys"`
	// DataDir holds the database; "" keeps everything in memory.
	DataDir string `json:"-"`
	// Latency is added before every API call is handled.
	Latency time.Duration `json:"-"`
	// FailRate is the share of API calls answered 503 without processing.
	FailRate float64 `json:"-"`
	// DropRate is the share of API calls processed and then answered by
	// closing the connection.
	DropRate float64 `json:"-"`
	// RateLimit is the accepted API calls per second (token bucket with a
	// burst of one second's worth); 0 is no limit. Excess calls get 429.
	RateLimit float64 `json:"-"`
	// SeedFile is a JSON file loaded into an empty state at start (see
	// Seed).
	SeedFile string `json:"-"`
	// FaultSeed seeds the random fault decisions, so that a run is
	// repeatable.
	FaultSeed int64 `json:"-"`
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger `json:"-"`

	// Limits (docs/api.md, "Emulator", "Limits"); zero is the default.
	// ReadHeaderTimeout bounds reading a request's headers
	// (DefaultReadHeaderTimeout; applied by HTTPServer).
	ReadHeaderTimeout time.Duration `json:"-"`
	// ReadTimeout bounds reading a request's body, from the end of its
	// headers: a body that has not arrived by then is answered 408
	// (DefaultReadTimeout; applied by Handler).
	ReadTimeout time.Duration `json:"-"`
	// MaxBody is the largest request body in bytes, at most MaxBodyLimit;
	// a larger one is answered 413 (DefaultMaxBody; applied by Handler).
	MaxBody int64 `json:"-"`
	// MaxConnections bounds the connections served at once; more wait to
	// be accepted (DefaultMaxConnections; applied by HTTPServer).
	MaxConnections int `json:"-"`
}

// GlowToken is an accepted Glow token and who it speaks for.
type GlowToken struct {
	Token string `json:"token"`
	// ActorName is written to the decrypt audit log and names the owner of
	// drafts.
	ActorName string `json:"actor_name"`
	// Departments scopes the token (docs/api.md, "Department scoping");
	// empty is unscoped.
	Departments []string `json:"departments"`
}

// AdminKey is an accepted Gateflow admin key.
type AdminKey struct {
	Key      string `json:"key"`
	ReadOnly bool   `json:"read_only"`
}

// AdminKeyPrefix starts every Gateflow admin key.
const AdminKeyPrefix = "gw_admin_"

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	glow    map[string]*GlowToken
	admin   map[string]AdminKey
	handler http.Handler
	limits  limits

	closeOnce sync.Once
	closeErr  error

	mu sync.RWMutex // guards st
	st *state

	faults *faults
	stats  *counters
}

// New builds a server: it opens the data directory, loads the state and, if
// the state is empty, the seed file.
func New(cfg Config) (*Server, error) {
	s := &Server{
		cfg:   cfg,
		log:   cfg.Logger,
		glow:  map[string]*GlowToken{},
		admin: map[string]AdminKey{},
		stats: newCounters(),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for i := range cfg.GlowTokens {
		t := cfg.GlowTokens[i]
		if t.Token == "" {
			return nil, fmt.Errorf("emulator: glow token %d is empty", i)
		}
		if t.ActorName == "" {
			t.ActorName = "glow-user"
		}
		s.glow[t.Token] = &t
	}
	for i, k := range cfg.GateflowAdminKeys {
		if !strings.HasPrefix(k.Key, AdminKeyPrefix) {
			return nil, fmt.Errorf("emulator: gateflow admin key %d does not start with %q", i, AdminKeyPrefix)
		}
		s.admin[k.Key] = k
	}
	if cfg.FailRate < 0 || cfg.FailRate > 1 || cfg.DropRate < 0 || cfg.DropRate > 1 {
		return nil, errors.New("emulator: fail and drop rates are between 0 and 1")
	}
	if cfg.RateLimit < 0 || cfg.Latency < 0 {
		return nil, errors.New("emulator: rate limit and latency must not be negative")
	}
	s.faults = newFaults(cfg, s.stats)
	var err error
	if s.limits, err = newLimits(cfg); err != nil {
		return nil, err
	}
	if cfg.DataDir == "" {
		s.store, err = store.Memory()
	} else {
		s.store, err = store.Open(cfg.DataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if s.st, err = loadState(s.store); err != nil {
		_ = s.store.Close()
		return nil, fmt.Errorf("emulator: loading %s: %w", cfg.DataDir, err)
	}
	if cfg.SeedFile != "" && s.st.empty() {
		if err := s.LoadSeedFile(cfg.SeedFile); err != nil {
			_ = s.store.Close()
			return nil, err
		}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler answers both APIs and the emulator's own endpoints. It applies
// the body limit and the body read timeout; HTTPServer adds the limits that
// need the server.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the database. Stop serving before closing. Closing twice
// is harmless.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.store.Close() })
	return s.closeErr
}

// Stats is the answer of GET /_emulator/stats.
type Stats struct {
	// Operations counts the API calls received per operation name
	// ("glow.provider.create", "gateflow.providers.get", …), faulted ones
	// included.
	Operations map[string]int64 `json:"operations"`
	// Decrypts counts the decrypt calls processed (each wrote an audit
	// entry).
	Decrypts int64 `json:"decrypts"`
	// Faults counts the injected faults by kind.
	Faults FaultCounts `json:"faults"`
}

// FaultCounts counts injected faults.
type FaultCounts struct {
	Failed      int64 `json:"failed"`
	RateLimited int64 `json:"rate_limited"`
	Dropped     int64 `json:"dropped"`
}

// Stats returns what GET /_emulator/stats answers.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// AuditEntry is one decrypt call.
type AuditEntry struct {
	Time       time.Time `json:"time"`
	ActorName  string    `json:"actor_name"`
	ProviderID string    `json:"provider_id"`
	KeyID      string    `json:"key_id"`
	Success    bool      `json:"success"`
}

// Audit returns the decrypt audit log, oldest first, as GET /_emulator/audit
// does.
func (s *Server) Audit() []AuditEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]AuditEntry{}, s.st.audit...)
}

// caller is who makes a Glow call.
type caller struct {
	actor  string
	scope  map[string]bool // nil: unscoped
	scoped bool
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{} // pattern path → methods, for 405
	glow := func(method, path, op string, h func(*http.Request, *caller) (any, error)) {
		allowed[path] = append(allowed[path], method)
		mux.Handle(method+" "+path, s.api(op, func(w http.ResponseWriter, r *http.Request) {
			c, err := s.glowCaller(r)
			if err != nil {
				writeError(w, err)
				return
			}
			v, err := h(r, c)
			respond(w, v, err)
		}))
	}
	gate := func(method, path, op string, h func(*http.Request) (any, error)) {
		allowed[path] = append(allowed[path], method)
		mux.Handle(method+" "+path, s.api(op, func(w http.ResponseWriter, r *http.Request) {
			if err := s.gateflowAuth(r); err != nil {
				writeError(w, err)
				return
			}
			v, err := h(r)
			respond(w, v, err)
		}))
	}

	glow("POST", "/provider/create", "glow.provider.create", s.glowCreate)
	glow("POST", "/provider/get", "glow.provider.get", s.glowGet)
	glow("POST", "/provider/update", "glow.provider.update", s.glowUpdate)
	glow("POST", "/provider/duplicate", "glow.provider.duplicate", s.glowDuplicate)
	glow("POST", "/provider/delete", "glow.provider.delete", s.glowDelete)
	glow("POST", "/provider/decrypt", "glow.provider.decrypt", s.glowDecrypt)
	glow("POST", "/provider/export", "glow.provider.export", s.glowExport)
	glow("POST", "/provider/search", "glow.provider.search", s.glowSearch)
	glow("PATCH", "/provider/draft", "glow.provider.draft", s.glowDraft)
	glow("POST", "/provider/publish", "glow.provider.publish", s.glowPublish)
	glow("POST", "/provider/drafts", "glow.provider.drafts", s.glowDrafts)
	glow("POST", "/provider/draft/discard", "glow.provider.draft_discard", s.glowDiscardDraft)
	glow("POST", "/token/self", "glow.token.self", s.glowTokenSelf)
	glow("POST", "/endpoint/create", "glow.endpoint.create", s.glowEndpointCreate)
	glow("POST", "/endpoint/list", "glow.endpoint.list", s.glowEndpointList)
	glow("POST", "/endpoint/delete", "glow.endpoint.delete", s.glowEndpointDelete)
	glow("POST", "/key/create", "glow.key.create", s.glowKeyCreate)
	glow("POST", "/key/list", "glow.key.list", s.glowKeyList)
	glow("POST", "/key/delete", "glow.key.delete", s.glowKeyDelete)
	glow("POST", "/model/create", "glow.model.create", s.glowModelCreate)
	glow("POST", "/model/search", "glow.model.search", s.glowModelSearch)
	glow("POST", "/model/delete", "glow.model.delete", s.glowModelDelete)

	const gp = "/v1/management/providers"
	gate("GET", gp, "gateflow.providers.list", s.gateList)
	gate("POST", gp, "gateflow.providers.configure", s.gateConfigure)
	gate("GET", gp+"/{id}", "gateflow.providers.get", s.gateGet)
	gate("PATCH", gp+"/{id}", "gateflow.providers.update", s.gateUpdate)
	gate("DELETE", gp+"/{id}", "gateflow.providers.delete", s.gateDelete)
	gate("POST", gp+"/{id}/credentials", "gateflow.providers.credentials", s.gateCredentials)
	gate("POST", gp+"/{id}/test", "gateflow.providers.test", s.gateTest)
	gate("POST", gp+"/{id}/disable", "gateflow.providers.disable", s.gateDisable)
	gate("POST", gp+"/{id}/enable", "gateflow.providers.enable", s.gateEnable)

	mux.HandleFunc("GET /_emulator/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /_emulator/audit", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"entries": s.Audit()})
	})
	mux.HandleFunc("POST /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var fs FaultScript
		if _, err := decodeBody(r, &fs, "invalid_field"); err != nil {
			writeError(w, err)
			return
		}
		if err := s.ScriptFaults(fs); err != nil {
			writeError(w, badInput("invalid_field", "status", "%v", err))
			return
		}
		writeJSON(w, http.StatusOK, s.faults.script())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if rest, ok := strings.CutPrefix(path, gp+"/"); ok && rest != "" {
			id, action, _ := strings.Cut(rest, "/")
			if id != "" {
				path = gp + "/{id}"
				if action != "" {
					path += "/" + action
				}
			}
		}
		if methods, ok := allowed[path]; ok {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, errf(http.StatusMethodNotAllowed, "method_not_allowed", "", "%s takes %s", r.URL.Path, strings.Join(methods, " or ")))
			return
		}
		writeError(w, notFound("", "no such operation: %s %s", r.Method, r.URL.Path))
	})
	return s.logged(mux)
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (s *Server) glowCaller(r *http.Request) (*caller, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, errf(http.StatusUnauthorized, "unauthorized", "", "missing bearer token")
	}
	t, ok := s.glow[tok]
	if !ok {
		return nil, errf(http.StatusUnauthorized, "unauthorized", "", "unknown token")
	}
	c := &caller{actor: t.ActorName}
	if len(t.Departments) > 0 {
		c.scoped = true
		c.scope = map[string]bool{}
		for _, d := range t.Departments {
			c.scope[d] = true
		}
	}
	return c, nil
}

func (s *Server) gateflowAuth(r *http.Request) error {
	tok, ok := bearer(r)
	if !ok {
		return errf(http.StatusUnauthorized, "unauthorized", "", "missing bearer admin key")
	}
	if !strings.HasPrefix(tok, AdminKeyPrefix) {
		return errf(http.StatusUnauthorized, "unauthorized", "", "admin keys start with %q", AdminKeyPrefix)
	}
	k, ok := s.admin[tok]
	if !ok {
		return errf(http.StatusUnauthorized, "unauthorized", "", "invalid admin key")
	}
	if k.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errf(http.StatusForbidden, "forbidden", "", "this admin key is read-only")
	}
	return nil
}

// rawBody is a non-JSON answer (the CSV export).
type rawBody struct {
	contentType string
	data        []byte
}

// tagged is an answer with an entity tag (Gateflow's ETag header).
type tagged struct {
	v    any
	etag string
}

func respond(w http.ResponseWriter, v any, err error) {
	if tv, ok := v.(tagged); ok && err == nil {
		w.Header().Set("ETag", tv.etag)
		v = tv.v
	}
	switch {
	case err != nil:
		writeError(w, err)
	case v == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		if rb, ok := v.(rawBody); ok {
			w.Header().Set("Content-Type", rb.contentType)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(rb.data)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, fmt.Errorf("encoding the answer: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errf(http.StatusInternalServerError, "internal", "", "%v", err)
	}
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Field = ae.code, ae.message, ae.field
	if ae.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, ae.status, b)
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logged logs every request and reads its body within the limits before
// h sees it.
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = -1 // dropped
			}
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "duration", time.Since(start).Round(time.Microsecond))
		}()
		if !s.readBodyLimited(w, sw, r) {
			return
		}
		h.ServeHTTP(sw, r)
	})
}

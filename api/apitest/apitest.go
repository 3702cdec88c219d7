// Package apitest is the scaffolding the API clients' tests share: a
// recording fake server, a server that never answers, a server that answers
// with fuzzed input, the check every fuzzed answer must pass, a listener
// that counts connections and a gate that shows whether calls overlap.
// Tests of the clients and of their callers import it.
package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
)

// Request is what a Recorder saw.
type Request struct {
	Method string
	// Path is the decoded path (r.URL.Path), EscapedPath the path as sent
	// (r.URL.EscapedPath()): "/a/b" and "/a%2Fb" differ only in the latter.
	Path, EscapedPath string
	Header            http.Header
	// Body is Raw decoded as a JSON object, nil when Raw is empty or not one.
	Body map[string]any
	Raw  string
}

// Handler answers a request; n counts requests from 1.
type Handler func(w http.ResponseWriter, r *http.Request, req Request, n int)

// Recorder is a fake server whose answers each test scripts; it records
// every request it gets.
type Recorder struct {
	// URL is the server's base URL.
	URL    string
	handle Handler
	mu     sync.Mutex
	reqs   []Request
}

// NewRecorder starts a Recorder that answers with handle; it stops when
// the test ends.
func NewRecorder(t testing.TB, handle Handler) *Recorder {
	t.Helper()
	rec := &Recorder{handle: handle}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		req := Request{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Header: r.Header.Clone(), Raw: string(raw)}
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &req.Body)
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, req)
		n := len(rec.reqs)
		rec.mu.Unlock()
		rec.handle(w, r, req, n)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Requests returns a copy of the requests seen so far, in order.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.reqs...)
}

// WriteJSON answers with status and v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Drop closes the connection after reading the request: the server may have
// acted, the client gets no answer.
func Drop(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

// StalledServer accepts connections and never answers on them, like a
// server whose process is stopped or a black-holing proxy. It returns the
// server's base URL and stops, closing every connection, when the test ends.
func StalledServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// FuzzStatuses are the statuses a fuzzed answer comes with.
var FuzzStatuses = []int{200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504}

// FuzzServer answers every request with the current input.
type FuzzServer struct {
	// URL is the server's base URL.
	URL    string
	mu     sync.Mutex
	status int
	body   []byte
}

// NewFuzzServer starts a FuzzServer; it stops when the test ends.
func NewFuzzServer(t testing.TB) *FuzzServer {
	s := &FuzzServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Set makes status and body the answer to every request from now on.
func (s *FuzzServer) Set(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// CheckFuzzError is what every answer must lead to: no panic (the fuzzer
// catches those), a success only for a 2xx, and otherwise an *api.Error
// that names the service and the status and quotes none of secrets. A hang
// fails too: the attempt timeout turns one into an error without a status.
func CheckFuzzError(t testing.TB, service, op string, status int, body []byte, err error, secrets ...string) {
	t.Helper()
	ok := status >= 200 && status <= 299
	if err == nil {
		if !ok {
			t.Fatalf("%s: status %d answered success", op, status)
		}
		return
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s: status %d: error %T is not an *api.Error: %v", op, status, err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, service+": ") {
		t.Errorf("%s: message does not name the service: %q", op, msg)
	}
	if len(msg) > 2000 {
		t.Errorf("%s: message of %d bytes", op, len(msg))
	}
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Fatalf("%s: message quotes a secret: %q", op, msg)
		}
	}
	if ok {
		if !errors.Is(err, api.ErrDecode) || !strings.Contains(msg, "could not be decoded") {
			t.Errorf("%s: status %d with body %.100q: want a decode error, got %q", op, status, body, msg)
		}
		return
	}
	if errors.Is(err, api.ErrDecode) {
		t.Errorf("%s: status %d is not a decode error: %q", op, status, msg)
	}
	if !strings.Contains(msg, strconv.Itoa(status)) {
		t.Errorf("%s: status %d not in the message %q", op, status, msg)
	}
}

// CountingListener counts the TCP connections a server accepts, for tests
// that bound how many connections a client opens.
type CountingListener struct {
	net.Listener
	accepted atomic.Int64
}

// Accept counts each connection it hands out.
func (l *CountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// Accepted is the number of connections accepted so far.
func (l *CountingListener) Accepted() int64 { return l.accepted.Load() }

// InFlight holds each request a test's server passes to it until n
// requests are in flight together, so that a test sees calls overlap
// without any timing assertion: calls sent one after another never reach
// n, and each is let go only after the timeout. It records the most that
// were ever in flight together.
type InFlight struct {
	n       int
	timeout time.Duration

	mu      sync.Mutex
	current int
	max     int
	reached chan struct{}
	once    sync.Once
}

// NewInFlight returns a gate for n requests in flight together.
func NewInFlight(n int, timeout time.Duration) *InFlight {
	return &InFlight{n: n, timeout: timeout, reached: make(chan struct{})}
}

// Hold waits, for a request of ctx, until n are in flight together or the
// timeout passes (then false), or ctx ends (then true: the request is
// gone anyway). The request is in flight until done is called.
func (g *InFlight) Hold(ctx context.Context) (reached bool, done func()) {
	g.mu.Lock()
	g.current++
	g.max = max(g.max, g.current)
	if g.current == g.n {
		g.once.Do(func() { close(g.reached) })
	}
	g.mu.Unlock()
	done = func() {
		g.mu.Lock()
		g.current--
		g.mu.Unlock()
	}
	select {
	case <-g.reached:
		return true, done
	case <-ctx.Done():
		return true, done
	case <-time.After(g.timeout):
		return false, done
	}
}

// Max is the most requests that were in flight together.
func (g *InFlight) Max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

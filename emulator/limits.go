package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Defaults of the limits (docs/api.md, "Emulator", "Limits"). They let the
// largest calls Switchboard makes through with room to spare: a 500-entry
// create is about 200 KB.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultMaxBody           = 8 << 20
	DefaultMaxConnections    = 256
	// MaxBodyLimit is the largest MaxBody accepted: the request decoder's
	// own ceiling.
	MaxBodyLimit = maxBody
	// IdleTimeout closes keep-alive connections idle that long.
	IdleTimeout = 60 * time.Second
)

// limits are a Config's limits with the defaults filled in.
type limits struct {
	readHeader, read time.Duration
	maxBody          int64
	maxConns         int
}

func newLimits(cfg Config) (limits, error) {
	l := limits{readHeader: cfg.ReadHeaderTimeout, read: cfg.ReadTimeout, maxBody: cfg.MaxBody, maxConns: cfg.MaxConnections}
	if l.readHeader < 0 || l.read < 0 || l.maxBody < 0 || l.maxConns < 0 {
		return l, errors.New("emulator: timeouts, the body limit and the connection limit must not be negative")
	}
	if l.maxBody > MaxBodyLimit {
		return l, fmt.Errorf("emulator: the body limit is at most %d bytes", MaxBodyLimit)
	}
	if l.readHeader == 0 {
		l.readHeader = DefaultReadHeaderTimeout
	}
	if l.read == 0 {
		l.read = DefaultReadTimeout
	}
	if l.maxBody == 0 {
		l.maxBody = DefaultMaxBody
	}
	if l.maxConns == 0 {
		l.maxConns = DefaultMaxConnections
	}
	return l, nil
}

func tooLarge(max int64) *apiError {
	return errf(http.StatusRequestEntityTooLarge, "payload_too_large", "", "the request body is larger than %d bytes", max)
}

// readBodyLimited reads the whole request body before any handler runs,
// within the body limit and the body read timeout, and gives the handler
// the bytes read. raw is the server's own ResponseWriter (the read deadline
// and the limit's connection handling need it); errors are answered on w.
// It reports whether the request may go on.
//
// A declared Content-Length over the limit is answered 413 without reading
// a byte; an undeclared one is read up to the limit. Either way net/http
// then reads at most a small bounded remainder (256 KiB) or closes the
// connection. A body that does not arrive within the timeout (counted from
// the end of the headers) is answered 408 and the connection closed.
func (s *Server) readBodyLimited(raw, w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if r.ContentLength > s.limits.maxBody {
		writeError(w, tooLarge(s.limits.maxBody))
		return false
	}
	rc := http.NewResponseController(raw)
	deadline := rc.SetReadDeadline(time.Now().Add(s.limits.read)) == nil
	data, err := io.ReadAll(http.MaxBytesReader(raw, r.Body, s.limits.maxBody))
	if deadline && err == nil {
		// The handler must not inherit the deadline: net/http's
		// background read would cancel the request's context at it. (On
		// an error it stays, so that net/http's own reading of what is
		// left of the body stops at once too.)
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		var big *http.MaxBytesError
		switch {
		case errors.As(err, &big):
			writeError(w, tooLarge(s.limits.maxBody))
		case errors.Is(err, os.ErrDeadlineExceeded):
			w.Header().Set("Connection", "close")
			writeError(w, errf(http.StatusRequestTimeout, "request_timeout", "", "the request body did not arrive within %s", s.limits.read))
		default:
			w.Header().Set("Connection", "close")
			writeError(w, badInput("invalid_json", "", "reading the request body: %v", err))
		}
		return false
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(data))
	return true
}

// HTTPServer returns an http.Server for Handler and ln wrapped to bound
// the connections: the limits a Handler alone cannot apply (the header
// read timeout, the idle timeout and the connection bound; the body limit
// and the body read timeout are the Handler's). Serve the server on the
// returned listener:
//
//	hs, l := srv.HTTPServer(ln)
//	go hs.Serve(l)
//
// Connections beyond the bound wait to be accepted until one closes; while
// one waits, idle keep-alive connections are closed to make room.
func (s *Server) HTTPServer(ln net.Listener) (*http.Server, net.Listener) {
	l := &limitListener{
		Listener: ln,
		sem:      make(chan struct{}, s.limits.maxConns),
		done:     make(chan struct{}),
		idle:     map[net.Conn]uint64{},
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.limits.readHeader,
		IdleTimeout:       IdleTimeout,
		ConnState:         l.track,
	}
	return hs, l
}

// limitListener serves at most cap(sem) connections at once. Accept takes
// the next connection and then waits for a free slot, so that the others
// wait in the kernel's backlog.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	idle    map[net.Conn]uint64 // idle keep-alive connections, by when they became idle
	seq     uint64
	waiting bool // a connection waits for a slot
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.sem <- struct{}{}:
	default:
		l.mu.Lock()
		l.waiting = true
		l.closeOldestIdle()
		l.mu.Unlock()
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			l.setWaiting(false)
			_ = c.Close()
			return nil, net.ErrClosed
		}
		l.setWaiting(false)
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) setWaiting(w bool) {
	l.mu.Lock()
	l.waiting = w
	l.mu.Unlock()
}

// closeOldestIdle closes the connection idle the longest. l.mu is held.
func (l *limitListener) closeOldestIdle() {
	var oldest net.Conn
	for c, at := range l.idle {
		if oldest == nil || at < l.idle[oldest] {
			oldest = c
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
		_ = oldest.Close()
	}
}

// track is the server's ConnState hook: it keeps the idle connections,
// and closes one that becomes idle while another waits for its slot.
func (l *limitListener) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateIdle:
		if l.waiting {
			_ = c.Close()
			return
		}
		l.seq++
		l.idle[c] = l.seq
	default:
		delete(l.idle, c)
	}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

package contract

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// serveLimited runs the emulator as `switchboard emulator` does: on
// HTTPServer and its bounded listener, on a free port.
func serveLimited(t *testing.T, cfg emulator.Config) (*emulator.Server, string) {
	t.Helper()
	srv, err := emulator.New(withCreds(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs, limited := srv.HTTPServer(ln)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(limited) }()
	t.Cleanup(func() {
		_ = hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, ln.Addr().String()
}

// failsafe bounds every wait of these tests; a server that applies its
// limits answers well within it.
const failsafe = 20 * time.Second

// countingBody is an endless request body that counts the bytes taken
// from it and says when the transport closed it.
type countingBody struct {
	n      atomic.Int64
	limit  int64
	once   sync.Once
	closed chan struct{}
}

func newCountingBody(limit int64) *countingBody {
	return &countingBody{limit: limit, closed: make(chan struct{})}
}

func (b *countingBody) Read(p []byte) (int, error) {
	left := b.limit - b.n.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), left)]
	for i := range p {
		p[i] = ' '
	}
	b.n.Add(int64(len(p)))
	return len(p), nil
}

func (b *countingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

func decodeError(t *testing.T, r io.Reader) (code, message string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		t.Fatalf("the answer is not the standard error body: %v", err)
	}
	return body.Error.Code, body.Error.Message
}

// A body over --max-body is answered 413 payload_too_large with the
// standard error body, and the server reads hardly any of it: with a
// declared length none, without one up to the limit, and net/http at most
// a bounded remainder before closing. (Socket buffers hold a few MiB more
// of what the client wrote; the 512 MiB body is never read.)
func TestBodyOverTheLimitIs413WithoutReadingIt(t *testing.T) {
	t.Parallel()
	const limit, size = 1 << 20, 512 << 20
	_, addr := serveLimited(t, emulator.Config{MaxBody: limit})
	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("declared=%v", declared), func(t *testing.T) {
			body := newCountingBody(size)
			req, err := http.NewRequest("POST", "http://"+addr+"/provider/create", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+glowToken)
			if declared {
				req.ContentLength = size
			} else {
				req.ContentLength = -1 // chunked
			}
			c := &http.Client{Timeout: failsafe, Transport: &http.Transport{}}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			code, msg := decodeError(t, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || code != "payload_too_large" || !strings.Contains(msg, fmt.Sprint(limit)) {
				t.Errorf("answer %d %s %q, want 413 payload_too_large naming the limit", resp.StatusCode, code, msg)
			}
			select {
			case <-body.closed:
			case <-time.After(failsafe):
				t.Fatal("the transport never stopped sending the body")
			}
			if n := body.n.Load(); n >= 32<<20 {
				t.Errorf("%d MiB of the body were sent: the server read it", n>>20)
			}
		})
	}
	// A body within the limit is served.
	e := &env{t: t, url: "http://" + addr}
	g := e.glowAs(glowToken)
	must(g.CreateProviders(ctx, []glow.ProviderInput{{Name: "small"}}))(t)
}

// The defaults let Switchboard's largest calls through: 500 providers in
// one create.
func TestDefaultLimitsTakeA500ProviderCreate(t *testing.T) {
	t.Parallel()
	_, addr := serveLimited(t, emulator.Config{})
	e := &env{t: t, url: "http://" + addr}
	g := e.glowAs(glowToken)
	in := make([]glow.ProviderInput, 500)
	for i := range in {
		in[i] = glow.ProviderInput{
			Name: fmt.Sprintf("provider-%04d", i), Description: strings.Repeat("d", 200), DepartmentIDs: []string{"cs", "math"},
			Values: map[string]string{"owner": "switchboard:team", "region": "eu-west-1", "tier": "gold"},
		}
	}
	if got := must(g.CreateProviders(ctx, in))(t); len(got) != 500 {
		t.Fatalf("created %d", len(got))
	}
}

// rawRequest opens a connection and writes a request's start.
func rawRequest(t *testing.T, addr, start string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // the test may have closed it
	if _, err := io.WriteString(conn, start); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(failsafe))
	return conn
}

const stalledBody = "POST /provider/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + glowToken +
	"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"search\":"

// A body that stops arriving is cut off after --read-timeout: 408
// request_timeout with the standard error body, and the connection is
// closed. It holds for the Handler alone (emulatortest serves it on a
// plain httptest server) and for HTTPServer.
func TestStalledBodyIsCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	cfg := emulator.Config{ReadTimeout: timeout}
	_, handlerURL := emulatortest.Start(t, withCreds(cfg))
	_, addr := serveLimited(t, cfg)
	for name, addr := range map[string]string{"Handler": strings.TrimPrefix(handlerURL, "http://"), "HTTPServer": addr} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			conn := rawRequest(t, addr, stalledBody)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer to a stalled body: %v", err)
			}
			waited := time.Since(began)
			code, _ := decodeError(t, resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || code != "request_timeout" || !resp.Close {
				t.Errorf("answer %d %s (close %v), want 408 request_timeout and a closed connection", resp.StatusCode, code, resp.Close)
			}
			if waited < timeout {
				t.Errorf("cut off after %s, before the timeout of %s", waited, timeout)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("the connection stays open after the 408: %v", err)
			}
		})
	}
}

// Headers that stop arriving are cut off after --read-header-timeout: the
// connection is closed.
func TestStalledHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	_, addr := serveLimited(t, emulator.Config{ReadHeaderTimeout: timeout})
	began := time.Now()
	conn := rawRequest(t, addr, "POST /provider/search HTTP/1.1\r\nHost: x\r\n")
	n, err := io.Copy(io.Discard, conn)
	if err != nil {
		t.Fatalf("the connection was not closed: %v", err)
	}
	if waited := time.Since(began); waited < timeout {
		t.Errorf("closed after %s, before the timeout of %s (%d bytes)", waited, timeout, n)
	}
}

// With --max-connections N, N stalled clients hold every slot: an N+1th
// client's connection waits to be accepted until the timeouts free a slot,
// and its request is then served. It does not fail, and it is served only
// once the timeout has passed since the stalled clients connected (so the
// bound held). The timeout is measured from before the first stalled
// client dialled, not from when a goroutine saw its connection close:
// that goroutine may be scheduled after the waiting client's answer.
func TestMaxConnectionsQueuesBehindStalledClients(t *testing.T) {
	t.Parallel()
	const n, timeout = 4, 500 * time.Millisecond
	_, addr := serveLimited(t, emulator.Config{MaxConnections: n, ReadHeaderTimeout: timeout, ReadTimeout: timeout})
	var wg sync.WaitGroup
	began := time.Now()
	for i := range n {
		start := "POST /provider/search HTTP/1.1\r\nHost: x\r\n" // stalled in its headers
		if i%2 == 1 {
			start = stalledBody // stalled in its body
		}
		conn := rawRequest(t, addr, start)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(io.Discard, conn) // until the server closes it
		}()
	}
	// The stalled connections are accepted first: the backlog is FIFO,
	// and the bounded listener takes one connection at a time.
	c := &http.Client{Timeout: failsafe, Transport: &http.Transport{}}
	req, _ := http.NewRequest("POST", "http://"+addr+"/provider/search", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+glowToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("the request behind %d stalled clients failed: %v", n, err)
	}
	waited := time.Since(began)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	wg.Wait()
	if waited < timeout {
		t.Errorf("answered %s after the stalled clients connected, before their timeout of %s could free a slot: the connection bound did not hold", waited, timeout)
	}
}

// Idle keep-alive connections do not keep a waiting client out: at the
// bound, they are closed to make room.
func TestIdleConnectionsYieldTheirSlots(t *testing.T) {
	t.Parallel()
	const n = 2
	// Long timeouts: only the reclaiming of idle connections can free a
	// slot within the failsafe.
	_, addr := serveLimited(t, emulator.Config{MaxConnections: n, ReadHeaderTimeout: time.Hour, ReadTimeout: time.Hour})
	call := func(c *http.Client) error {
		req, _ := http.NewRequest("POST", "http://"+addr+"/token/self", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+glowToken)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for range n {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		ok(t, call(&http.Client{Timeout: failsafe, Transport: tr})) // leaves one idle keep-alive connection
	}
	ok(t, call(&http.Client{Timeout: failsafe, Transport: &http.Transport{}}))
}

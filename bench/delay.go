package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// delayProxy is a loopback TCP proxy that holds every byte the client
// sends for latency before passing it on, as a network link with that
// one-way delay would: a request and its answer then take latency more.
// It parses nothing and counts nothing, so it costs the measured run
// next to no CPU (the counting proxy, vaultCounter, parses HTTP and is
// used only in the untimed counting runs). Bytes sent back to back are
// delayed together, not one after another, so a request written in two
// pieces still costs one latency.
type delayProxy struct {
	Addr    string
	latency time.Duration
	target  string
	ln      net.Listener
	wg      sync.WaitGroup
}

func startDelayProxy(target string, latency time.Duration) (*delayProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &delayProxy{Addr: ln.Addr().String(), latency: latency, target: target, ln: ln}
	p.wg.Go(p.serve)
	return p, nil
}

func (p *delayProxy) URL() string { return "http://" + p.Addr }

func (p *delayProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *delayProxy) handle(client net.Conn) {
	// Closing a connection either side hung up on has nothing to report.
	defer func() { _ = client.Close() }()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer func() { _ = server.Close() }()
	done := make(chan struct{})
	go func() {
		// Answers go back at once: the delay is all on the way in.
		// The server hung up: so does the client side, which also ends
		// the delayed copy's read.
		_, _ = io.Copy(client, server)
		_ = client.Close()
		close(done)
	}()
	delayCopy(server, client, p.latency)
	if tc, ok := server.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}

// chunk is bytes read at a time.
type chunk struct {
	b  []byte
	at time.Time
}

// delayCopy copies src to dst, writing each piece read latency after it
// was read.
func delayCopy(dst io.Writer, src io.Reader, latency time.Duration) {
	if latency <= 0 {
		_, _ = io.Copy(dst, src)
		return
	}
	ch := make(chan chunk, 256)
	go func() {
		defer close(ch)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{b: append([]byte(nil), buf[:n]...), at: time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	failed := false
	for c := range ch {
		if failed {
			continue // drain, so that the reader can end
		}
		if d := time.Until(c.at.Add(latency)); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.b); err != nil {
			failed = true
		}
	}
}

func (p *delayProxy) close() {
	_ = p.ln.Close()
	p.wg.Wait()
}

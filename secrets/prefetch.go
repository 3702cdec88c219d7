package secrets

import (
	"context"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/secretref"
)

// A Prefetch reads the metadata of Vault references before the caller that
// resolves them asks, so that the reads' round trips overlap the work that
// finds the references (the decoding of a configuration) instead of
// following it. It hands nothing back: the Resolver keeps every answer (see
// onceMap), and the caller's own Metadata call finds it, or waits for the
// read in flight. No request is made twice, and none more than the caller
// would make, as long as it adds only references the caller resolves.
//
// References can be added before the Resolver exists (logging in is a
// round trip of its own) and until Close; Add never blocks on Vault.
type Prefetch struct {
	mu       sync.Mutex
	wake     sync.Cond
	refs     []secretref.VaultRef
	next     int
	inFlight int
	closed   bool
	started  bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewPrefetch returns a Prefetch with nothing queued and no reader.
func NewPrefetch() *Prefetch {
	p := &Prefetch{cancel: func() {}}
	p.wake.L = &p.mu
	return p
}

// Add queues the read of ref's metadata.
func (p *Prefetch) Add(ref secretref.VaultRef) {
	// The position is for diagnostics, which a prefetch never gives: a
	// read's failure is the caller's to report, with its own reference.
	ref.Range = hcl.Range{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.refs = append(p.refs, ref)
	p.wake.Broadcast()
}

// Start reads the queued references, and those added later, through r:
// r.Parallelism() readers, each one reference after another. Vault's
// limit on requests in flight is r's transport's (see poolConnections),
// shared with the caller's own reads, so a prefetch running beside them
// adds none.
func (p *Prefetch) Start(ctx context.Context, r *Resolver) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(ctx)
	for range r.Parallelism() {
		p.wg.Go(func() {
			for {
				ref, ok := p.take()
				if !ok {
					return
				}
				// The error is the caller's to meet again: the Resolver
				// keeps it, except a cancellation, which it forgets.
				_, _ = r.Metadata(ctx, ref)
				p.mu.Lock()
				p.inFlight--
				p.wake.Broadcast()
				p.mu.Unlock()
			}
		})
	}
}

// take waits for the next reference; false once Close was called.
func (p *Prefetch) take() (secretref.VaultRef, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.next == len(p.refs) && !p.closed {
		p.wake.Wait()
	}
	if p.closed {
		return secretref.VaultRef{}, false
	}
	ref := p.refs[p.next]
	p.refs[p.next] = secretref.VaultRef{}
	p.next++
	p.inFlight++
	return ref, true
}

// Wait returns once every reference added so far has been read, or at once
// when the prefetch was never started or is closed.
func (p *Prefetch) Wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.started && !p.closed && (p.next < len(p.refs) || p.inFlight > 0) {
		p.wake.Wait()
	}
}

// Close ends the prefetch's part: no reference is added or read any more,
// the reads in flight finish (into the Resolver's cache), and the caller
// reads what is left itself, in its own order. A caller's readers and the
// prefetch's drawing on the same connections would only take turns.
func (p *Prefetch) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.refs, p.next = nil, 0
	p.wake.Broadcast()
}

// Stop is Close that also cancels the reads in flight, and returns once
// every reader has.
func (p *Prefetch) Stop() {
	p.Close()
	p.mu.Lock()
	cancel := p.cancel
	p.mu.Unlock()
	cancel()
	p.wg.Wait()
}

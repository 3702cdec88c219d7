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
	mu     sync.Mutex
	wake   sync.Cond
	refs   []secretref.VaultRef
	next   int
	closed bool
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewPrefetch returns a Prefetch with nothing queued and no reader.
func NewPrefetch() *Prefetch {
	p := &Prefetch{}
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
	p.wake.Signal()
}

// Start reads the queued references, and those added later, through r:
// r.Parallelism() readers, each one reference after another. Vault's
// limit on requests in flight is r's transport's (see poolConnections),
// shared with the caller's own reads, so a prefetch running beside them
// adds none.
func (p *Prefetch) Start(ctx context.Context, r *Resolver) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil || p.closed && p.next == len(p.refs) {
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	for range r.Parallelism() {
		p.wg.Go(func() {
			for {
				ref, ok := p.take()
				if !ok || ctx.Err() != nil {
					return
				}
				// The error is the caller's to meet again: the Resolver
				// keeps it, except a cancellation, which it forgets.
				_, _ = r.Metadata(ctx, ref)
			}
		})
	}
}

// take waits for the next reference; false when there is none and none
// can come.
func (p *Prefetch) take() (secretref.VaultRef, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.next == len(p.refs) && !p.closed {
		p.wake.Wait()
	}
	if p.next == len(p.refs) {
		return secretref.VaultRef{}, false
	}
	ref := p.refs[p.next]
	p.refs[p.next] = secretref.VaultRef{}
	p.next++
	if p.next == len(p.refs) && p.closed {
		p.refs, p.next = nil, 0
	}
	return ref, true
}

// Close says that no reference is added any more: the readers end once
// the queue is read.
func (p *Prefetch) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.wake.Broadcast()
}

// Wait returns once the readers are done: after Close, when every queued
// reference is read. It returns at once when none was started.
func (p *Prefetch) Wait() {
	p.wg.Wait()
}

// Stop ends the prefetch: nothing more is read, the reads in flight are
// cancelled, and Stop returns once every reader has.
func (p *Prefetch) Stop() {
	p.mu.Lock()
	p.closed = true
	p.refs, p.next = nil, 0
	cancel := p.cancel
	if cancel == nil {
		// A later Start reads nothing.
		p.cancel = func() {}
	}
	p.wake.Broadcast()
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.wg.Wait()
}

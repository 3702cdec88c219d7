package secrets

import (
	"context"
	"errors"
	"sync"
)

// onceMap runs a function at most once per key and hands every caller, even
// a concurrent one, the same result. It is what makes "each secret is read
// once per run" hold while the planner resolves references in parallel.
type onceMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceEntry[V]
}

type onceEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (m *onceMap[K, V]) do(ctx context.Context, k K, f func() (V, error)) (V, error) {
	for {
		m.mu.Lock()
		if m.m == nil {
			m.m = make(map[K]*onceEntry[V])
		}
		e, ok := m.m[k]
		if !ok {
			e = &onceEntry[V]{done: make(chan struct{})}
			m.m[k] = e
			m.mu.Unlock()
			m.run(k, e, f)
			return e.v, e.err
		}
		m.mu.Unlock()

		select {
		case <-e.done:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		// The caller that ran f gave up (its context ended); this one has
		// not, so it takes over rather than inherit someone else's
		// cancellation.
		if isContextErr(e.err) && ctx.Err() == nil {
			continue
		}
		return e.v, e.err
	}
}

func (m *onceMap[K, V]) run(k K, e *onceEntry[V], f func() (V, error)) {
	defer close(e.done)
	defer func() {
		// Forget results that say nothing about the secret, so that a
		// later caller reads again; a panic leaves e.err nil, hence the
		// recover check.
		r := recover()
		if r != nil || isContextErr(e.err) {
			m.mu.Lock()
			delete(m.m, k)
			m.mu.Unlock()
		}
		if r != nil {
			e.err = errors.New("secrets: read panicked")
			panic(r)
		}
	}()
	e.v, e.err = f()
}

// add records a result obtained another way (a "latest" read that revealed
// its version number), unless the key already has one.
func (m *onceMap[K, V]) add(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[K]*onceEntry[V])
	}
	if _, ok := m.m[k]; ok {
		return
	}
	e := &onceEntry[V]{done: make(chan struct{}), v: v}
	close(e.done)
	m.m[k] = e
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

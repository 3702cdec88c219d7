package childproc

import "sync"

// Buffer collects a child's output while it runs. It is safe for the
// goroutines exec starts to copy output and for the harness to read it at
// the same time.
//
// With Max > 0 it keeps only the last Max bytes: enough to explain a
// failure without holding a 10,000-line plan in memory. With Max == 0 it
// keeps everything, for when every byte must be checked (the soak scans
// all output for leaked secrets).
type Buffer struct {
	Max int

	mu sync.Mutex
	b  []byte
}

func (t *Buffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if t.Max > 0 && len(t.b) > t.Max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.Max:]...)
	}
	return len(p), nil
}

func (t *Buffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

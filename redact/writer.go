package redact

import (
	"io"
	"sync"
)

// Writer redacts a stream. A credential split across two or more Write
// calls is still cut out: Writer holds back the last bytes of a write while
// they may be the beginning of a credential (at most MinLen-1 bytes, and
// only then), and passes everything else on at once, so that a prompt
// without a newline appears before its answer is read and memory stays
// bounded however long a line is. Call Flush at the end of the stream to
// write what is held back.
//
// Writer is safe for concurrent use; each Write is redacted and passed on
// whole, in the order the calls took the lock.
type Writer struct {
	mu  sync.Mutex
	r   *Registry
	out io.Writer
	s   scanner
	buf []byte
}

// Writer returns a Writer that writes to w what is written to it, with
// every credential of r cut out, including those added later.
func (r *Registry) Writer(w io.Writer) *Writer {
	return &Writer{r: r, out: w}
}

// Write redacts p and passes it on. It returns len(p) unless the
// underlying writer fails; the bytes held back are then lost with the rest.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.r.mu.RLock()
	out := w.s.write(w.r, w.buf[:0], p)
	out = w.s.release(w.r, out)
	w.r.mu.RUnlock()
	if err := w.pass(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the bytes held back. A credential that begins before Flush
// and ends after it is cut out in two parts, each with its own marker,
// except for a part shorter than MinLen bytes, which is left.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pass(w.s.finish(w.buf[:0]))
}

// Redacted is how many markers the Writer has written.
func (w *Writer) Redacted() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.s.markers
}

func (w *Writer) pass(out []byte) error {
	// Keep a buffer of ordinary size for the next write, not one that
	// grew to hold a huge one.
	if cap(out) <= 64<<10 {
		w.buf = out
	}
	if len(out) == 0 {
		return nil
	}
	_, err := w.out.Write(out)
	return err
}

// Package redact cuts credentials out of output, the way GitHub Actions
// masks secrets in a log: every value registered in a Registry is replaced,
// whole or as any substring of MinLen bytes or more, by a marker naming the
// credential, "(redacted: GLOW_TOKEN)".
//
// The rule is exact and independent of how output is split into writes:
// every maximal run of bytes covered by occurrences of any MinLen-byte
// window of a registered value becomes one marker, naming the credential
// whose window starts the run. Runs of two credentials that touch are one
// run; a window that two credentials share names the one registered first.
//
// It imports only the standard library and sensitive, so that every layer
// may use it.
package redact

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/sensitive"
)

// MinLen is the shortest value, and the shortest substring of one, that is
// cut out. Shorter values are ignored by Add: a one- or two-letter
// credential would shred every output, and a substring of seven bytes or
// fewer of a random token tells an attacker too little to matter, as in
// GitHub Actions.
const MinLen = 8

// A window of MinLen bytes is read as a big-endian uint64, which is why
// MinLen is 8: a filter test per byte, and a map lookup for the few bytes
// that pass it, is the whole cost of scanning.
const (
	filterLog  = 16
	filterBits = 1 << filterLog
)

// Registry holds named credentials. Its zero value is empty and ready to
// use; it is safe for concurrent use, and Add may be called while Writers
// are streaming (bytes already written are not revisited).
type Registry struct {
	mu sync.RWMutex
	// windows maps each MinLen-byte window of every registered form to the
	// credential first registered with it.
	windows map[uint64]int32
	// filter and prefixFilter are one-hash Bloom filters: the first keeps
	// the map lookup off the path of almost every byte; the second tells a
	// Writer whether the end of a write may be the beginning of a window
	// (a false positive only delays a few bytes until the next write).
	filter, prefixFilter [filterBits / 64]uint64
	names                [][]byte // markers, by credential index
	values               map[string]struct{}
}

// Add registers value under name. name says where the credential came
// from ("GLOW_TOKEN", "glow token (vault:secret/glow#token)") and appears in
// the marker: it must never be the value. Values shorter than MinLen bytes
// are ignored (see MinLen), and so is a value already registered: its first
// name stays.
//
// Besides the value itself, Add registers the forms the value takes when
// quoted as a JSON string (with and without HTML escaping) or by Go's %q,
// when they differ, so that a value containing a quote, a backslash or a
// control character is still caught inside JSON or a quoted message.
func (r *Registry) Add(name string, value sensitive.String) {
	v := value.Reveal()
	if len(v) < MinLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.values[v]; ok {
		return
	}
	if r.windows == nil {
		r.windows = map[uint64]int32{}
		r.values = map[string]struct{}{}
	}
	r.values[v] = struct{}{}
	id := int32(len(r.names))
	r.names = append(r.names, []byte("(redacted: "+cleanName(name)+")"))
	for _, form := range forms(v) {
		for i := 0; i+MinLen <= len(form); i++ {
			w := load(form[i:])
			if _, ok := r.windows[w]; !ok {
				r.windows[w] = id
			}
			setBit(&r.filter, hash(w))
			for k := 1; k < MinLen; k++ {
				setBit(&r.prefixFilter, hash(prefixKey(w>>(8*(MinLen-k)), k)))
			}
		}
	}
}

// Len is the number of distinct credentials registered (values of at least
// MinLen bytes).
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.names)
}

// Redact returns b with every credential cut out. When there is nothing to
// cut, it returns b itself, not a copy.
func (r *Registry) Redact(b []byte) []byte {
	out, _ := r.RedactCount(b)
	return out
}

// RedactCount is Redact that also says how many markers it wrote, so that
// a command can warn that a file it wrote had credentials cut out.
func (r *Registry) RedactCount(b []byte) ([]byte, int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	first := r.firstMatch(b)
	if first < 0 {
		return b, 0
	}
	var s scanner
	out := make([]byte, first, len(b))
	copy(out, b[:first])
	out = s.write(r, out, b[first:])
	out = s.finish(out)
	return out, s.markers
}

// String is Redact for a string.
func (r *Registry) String(s string) string {
	out, n := r.RedactCount([]byte(s))
	if n == 0 {
		return s
	}
	return string(out)
}

// firstMatch is the start of the first window of b that is a credential's,
// or -1: most output holds none, and is returned without a copy.
func (r *Registry) firstMatch(b []byte) int {
	if len(r.names) == 0 || len(b) < MinLen {
		return -1
	}
	w := load(b)
	for i := MinLen; ; i++ {
		if r.match(w) >= 0 {
			return i - MinLen
		}
		if i == len(b) {
			return -1
		}
		w = w<<8 | uint64(b[i])
	}
}

func (r *Registry) match(w uint64) int32 {
	if !hasBit(&r.filter, hash(w)) {
		return -1
	}
	if id, ok := r.windows[w]; ok {
		return id
	}
	return -1
}

// mayStart reports whether the last k bytes seen, the low k bytes of w, may
// be the first k bytes of a window.
func (r *Registry) mayStart(w uint64, k int) bool {
	return hasBit(&r.prefixFilter, hash(prefixKey(w&(1<<(8*k)-1), k)))
}

// scanner is the state of a stream between writes. Each byte is decided
// (kept, or covered) once the window starting at it is complete, when every
// window that can cover it is known; until then it waits in w, so at most
// MinLen-1 bytes are ever held.
type scanner struct {
	w       uint64 // the last bytes seen, newest lowest
	pending int    // how many low bytes of w are undecided
	cover   int    // how many of the undecided bytes, oldest first, are covered
	inRun   bool   // the last decided byte was covered
	owner   int32  // credential of the run that starts at the oldest undecided byte
	markers int
	names   [][]byte
}

// write appends to dst what src decides and returns it.
func (s *scanner) write(r *Registry, dst, src []byte) []byte {
	s.names = r.names
	for _, c := range src {
		s.w = s.w<<8 | uint64(c)
		if s.pending < MinLen-1 {
			s.pending++
			continue
		}
		// The window of the oldest undecided byte is now complete.
		if id := r.match(s.w); id >= 0 {
			if s.cover == 0 {
				s.owner = id
			}
			s.cover = MinLen
		}
		dst = s.decide(dst, byte(s.w>>(8*(MinLen-1))))
	}
	return dst
}

// release decides the undecided bytes that cannot begin a window whatever
// comes next, so that a prompt without a newline is shown at once.
func (s *scanner) release(r *Registry, dst []byte) []byte {
	for s.pending > 0 && !r.mayStart(s.w, s.pending) {
		s.pending--
		dst = s.decide(dst, byte(s.w>>(8*s.pending)))
	}
	return dst
}

// finish decides every undecided byte: no window can start at them any
// more, so only the windows already seen cover them.
func (s *scanner) finish(dst []byte) []byte {
	for s.pending > 0 {
		s.pending--
		dst = s.decide(dst, byte(s.w>>(8*s.pending)))
	}
	*s = scanner{markers: s.markers}
	return dst
}

func (s *scanner) decide(dst []byte, c byte) []byte {
	if s.cover == 0 {
		s.inRun = false
		return append(dst, c)
	}
	s.cover--
	if !s.inRun {
		s.inRun = true
		s.markers++
		dst = append(dst, s.names[s.owner]...)
	}
	return dst
}

// forms are the spellings of v that output may contain.
func forms(v string) []string {
	out := []string{v}
	add := func(f string) {
		for _, o := range out {
			if o == f {
				return
			}
		}
		out = append(out, f)
	}
	var buf bytes.Buffer
	for _, html := range []bool{true, false} {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			q := strings.TrimSuffix(buf.String(), "\n")
			add(q[1 : len(q)-1])
		}
	}
	q := strconv.Quote(v)
	add(q[1 : len(q)-1])
	return out
}

// cleanName keeps a marker from breaking the JSON string or the quoted
// message it replaces a value in.
func cleanName(name string) string {
	if name == "" {
		return "credential"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '\uFFFD' {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(name, "_"))
}

func load[T string | []byte](b T) uint64 {
	_ = b[MinLen-1]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// prefixKey tells a k-byte prefix from a window or a prefix of another
// length with the same low bytes.
func prefixKey(p uint64, k int) uint64 { return p | uint64(k)<<56 }

func hash(w uint64) uint32 { return uint32((w * 0x9E3779B97F4A7C15) >> (64 - filterLog)) }

func setBit(f *[filterBits / 64]uint64, h uint32) { f[h>>6] |= 1 << (h & 63) }
func hasBit(f *[filterBits / 64]uint64, h uint32) bool {
	return f[h>>6]&(1<<(h&63)) != 0
}

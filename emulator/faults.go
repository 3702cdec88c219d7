package emulator

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FaultScript scripts the next faults, for deterministic tests. It is the
// body of POST /_emulator/faults and replaces the previous script. The next
// RateLimitNext matching calls get 429, then the next FailNext get Status,
// then the next DropNext are processed and their connection closed without
// an answer. OnlyOps restricts the script to those operation names (see
// Stats); empty matches every API call.
type FaultScript struct {
	FailNext      int      `json:"fail_next"`
	Status        int      `json:"status"` // 502, 503 (default) or 504
	RateLimitNext int      `json:"rate_limit_next"`
	DropNext      int      `json:"drop_next"`
	OnlyOps       []string `json:"only_ops"`
}

// ScriptFaults replaces the fault script, as POST /_emulator/faults does.
func (s *Server) ScriptFaults(fs FaultScript) error {
	switch fs.Status {
	case 0:
		fs.Status = http.StatusServiceUnavailable
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return errors.New("status must be 502, 503 or 504")
	}
	if fs.FailNext < 0 || fs.RateLimitNext < 0 || fs.DropNext < 0 {
		return errors.New("fault counts must not be negative")
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	fs.OnlyOps = slices.Clone(fs.OnlyOps)
	s.faults.scripted = fs
	return nil
}

type faultKind int

const (
	noFault faultKind = iota
	faultFail
	faultRateLimit
	faultDrop
)

type faults struct {
	cfg   Config
	stats *counters

	mu       sync.Mutex
	rng      *rand.Rand
	scripted FaultScript
	tokens   float64
	last     time.Time
}

func newFaults(cfg Config, stats *counters) *faults {
	seed := uint64(cfg.FaultSeed)
	return &faults{
		cfg:    cfg,
		stats:  stats,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tokens: burst(cfg.RateLimit),
		last:   time.Now(),
	}
}

func burst(rate float64) float64 { return max(1, rate) }

func (f *faults) script() FaultScript {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scripted
}

// decide picks the fault for one call of op, scripted faults first.
func (f *faults) decide(op string) (faultKind, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sc := &f.scripted
	if len(sc.OnlyOps) == 0 || slices.Contains(sc.OnlyOps, op) {
		switch {
		case sc.RateLimitNext > 0:
			sc.RateLimitNext--
			return faultRateLimit, 0
		case sc.FailNext > 0:
			sc.FailNext--
			return faultFail, sc.Status
		case sc.DropNext > 0:
			sc.DropNext--
			return faultDrop, 0
		}
	}
	if rate := f.cfg.RateLimit; rate > 0 {
		now := time.Now()
		f.tokens = min(burst(rate), f.tokens+now.Sub(f.last).Seconds()*rate)
		f.last = now
		if f.tokens < 1 {
			return faultRateLimit, 0
		}
		f.tokens--
	}
	if f.cfg.FailRate > 0 && f.rng.Float64() < f.cfg.FailRate {
		return faultFail, http.StatusServiceUnavailable
	}
	if f.cfg.DropRate > 0 && f.rng.Float64() < f.cfg.DropRate {
		return faultDrop, 0
	}
	return noFault, 0
}

// api wraps an API operation with counting, latency and faults.
func (s *Server) api(op string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.call(op)
		if d := s.cfg.Latency; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		kind, status := s.faults.decide(op)
		switch kind {
		case faultRateLimit:
			s.stats.fault(faultRateLimit)
			writeError(w, errf(http.StatusTooManyRequests, "rate_limited", "", "rate limit exceeded; retry after 1 second"))
		case faultFail:
			s.stats.fault(faultFail)
			writeError(w, errf(status, "unavailable", "", "the service is unavailable; the request was not processed"))
		case faultDrop:
			s.stats.fault(faultDrop)
			h(&discardWriter{header: http.Header{}}, r)
			dropConnection(w)
		default:
			h(w, r)
		}
	})
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: the server resets the stream
	}
	_ = conn.Close()
}

// discardWriter takes the answer of a call whose connection is dropped.
type discardWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return d.body.Write(b) }
func (d *discardWriter) WriteHeader(int)             {}

type counters struct {
	mu       sync.Mutex
	ops      map[string]int64
	decrypts int64
	faults   FaultCounts
}

func newCounters() *counters { return &counters{ops: map[string]int64{}} }

func (c *counters) call(op string) {
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
}

func (c *counters) decrypt() {
	c.mu.Lock()
	c.decrypts++
	c.mu.Unlock()
}

func (c *counters) fault(k faultKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch k {
	case faultFail:
		c.faults.Failed++
	case faultRateLimit:
		c.faults.RateLimited++
	case faultDrop:
		c.faults.Dropped++
	}
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := make(map[string]int64, len(c.ops))
	for k, v := range c.ops {
		ops[k] = v
	}
	return Stats{Operations: ops, Decrypts: c.decrypts, Faults: c.faults}
}

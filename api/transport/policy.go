package transport

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/switchboard-hq/switchboard/api"
)

// The retry policy: which failures are retried (decide), how long to wait
// before the next attempt (wait, backoff, jitter, Retry-After), when to
// give up, and the gate that holds every call of a client back once the
// service said to wait.

func (c *Client) checkRetry(ctx context.Context, call *Call, st *attempt, resp *http.Response, err error) bool {
	st.status, st.err, st.retryAfter, st.hasRetryAfter, st.wait = 0, nil, 0, false, 0
	retry, ambiguous := c.decide(ctx, call, st, resp, err)
	st.ambiguous, st.retryable = ambiguous, retry
	now := time.Now()
	if st.hasRetryAfter && st.retryAfter <= c.cfg.RetryAfterMax {
		c.raiseGate(now.Add(st.retryAfter))
	}

	attrs := c.callAttrs(call, st)
	attrs = append(attrs, slog.Duration("duration", now.Sub(st.start)))
	if err != nil {
		attrs = append(attrs, slog.String("error", c.scrub(call, cause(err).Error())))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if st.hasRetryAfter {
			attrs = append(attrs, slog.Duration("retry_after", st.retryAfter))
		}
	}
	if ambiguous {
		attrs = append(attrs, slog.String("outcome", "unknown"))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "request", attrs...)
	if resp != nil {
		c.traceAnswer(st, call, resp)
		if resp.StatusCode == http.StatusTooManyRequests {
			c.log.LogAttrs(ctx, slog.LevelDebug, "rate limited", append(c.callAttrs(call, st),
				slog.Duration("retry_after", st.retryAfter), slog.Bool("has_retry_after", st.hasRetryAfter),
				slog.Duration("elapsed", now.Sub(st.begun)))...)
		}
	}
	if !retry {
		if st.hasRetryAfter && st.retryAfter > c.cfg.RetryAfterMax {
			c.giveUp(call, st, "Retry-After is longer than the client waits by itself")
		}
		return false
	}
	if st.n > c.cfg.RetryMax {
		c.giveUp(call, st, "no retries left")
		return false
	}
	st.wait = c.wait(st, now)
	// The budget counts from the call's start, so that many short waits
	// cannot add up to more than a long one would be allowed.
	if now.Add(st.wait).Sub(st.begun) > c.cfg.RetryBudget {
		c.giveUp(call, st, "the retry budget would be exceeded")
		return false
	}
	// Waiting past the caller's deadline would only end in a deadline
	// error, which says less than the answer at hand.
	if dl, ok := ctx.Deadline(); ok && now.Add(st.wait).After(dl) {
		c.giveUp(call, st, "the wait would end after the caller's deadline")
		return false
	}
	return true
}

func (c *Client) giveUp(call *Call, st *attempt, why string) {
	c.log.LogAttrs(st.ctx, slog.LevelDebug, "giving up", append(c.callAttrs(call, st),
		slog.String("reason", why), slog.Duration("elapsed", time.Since(st.begun)))...)
}

// raiseGate moves the client's gate to t unless it is already later.
func (c *Client) raiseGate(t time.Time) {
	n := t.UnixNano()
	for {
		old := c.gate.Load()
		if old >= n || c.gate.CompareAndSwap(old, n) {
			return
		}
	}
}

// gateWait is how long a call must still wait for the gate.
func (c *Client) gateWait(now time.Time) time.Duration {
	return time.Duration(c.gate.Load() - now.UnixNano())
}

// waitGate holds a call back until the service said it takes calls again.
// The waits are jittered so that the calls held back together do not all
// arrive in the same instant.
func (c *Client) waitGate(ctx context.Context, call *Call) error {
	d := c.gateWait(time.Now())
	if d <= 0 {
		return nil
	}
	d += jitter(c.cfg.RetryWaitMin)
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
		// Waiting would only end in a deadline error. The service's own
		// answer is what the caller needs: a 429 with the wait it asked
		// for.
		c.log.LogAttrs(ctx, slog.LevelDebug, "giving up",
			slog.String("service", c.service), slog.String("operation", call.Operation),
			slog.String("reason", "the rate-limit wait would end after the caller's deadline"), slog.Duration("wait", d))
		return &api.Error{
			StatusCode: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: d.Round(time.Second),
			Message: "not sent: the service asked this client's calls to wait past this call's deadline",
		}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "waiting for rate limit",
		slog.String("service", c.service), slog.String("operation", call.Operation),
		slog.String("method", call.Method), slog.String("path", c.scrub(call, call.Path)),
		slog.Duration("wait", d))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// decide is the retry policy: it answers whether to retry and whether the
// failure leaves the outcome unknown.
func (c *Client) decide(ctx context.Context, call *Call, st *attempt, resp *http.Response, err error) (retry, ambiguous bool) {
	if err != nil {
		st.err = err
		sent := st.sent.Load()
		if ctx.Err() != nil {
			return false, sent && call.Replay == NotIdempotent
		}
		// retryablehttp knows the errors no retry cures (bad TLS
		// certificate, unsupported scheme, invalid header).
		if ok, _ := retryablehttp.ErrorPropagatedRetryPolicy(context.Background(), nil, err); !ok {
			return false, sent && call.Replay == NotIdempotent
		}
		if !sent || call.Replay == Idempotent {
			st.replayedAfterLoss = st.replayedAfterLoss || sent
			return true, false
		}
		return false, true
	}
	st.status = resp.StatusCode
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// The server says it did not process the request.
		st.retryAfter, st.hasRetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		if st.hasRetryAfter && st.retryAfter > c.cfg.RetryAfterMax {
			return false, false
		}
		return true, false
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		// A gateway or proxy in between may have passed the request on before failing.
		if call.Replay == Idempotent {
			st.replayedAfterLoss = true
			return true, false
		}
		return false, true
	}
	return false, false
}

// wait is the pause before the next attempt. It honours Retry-After (and
// the gate another call's Retry-After set) and otherwise backs off
// exponentially, with jitter in both cases so that clients throttled
// together do not return together.
func (c *Client) wait(st *attempt, now time.Time) time.Duration {
	lo, hi := c.cfg.RetryWaitMin, c.cfg.RetryWaitMax
	gate := max(c.gateWait(now), 0)
	if st.hasRetryAfter {
		return max(st.retryAfter, gate) + jitter(lo)
	}
	n := st.n - 1 // retries made so far
	exp := hi
	if n < 30 && lo<<n > 0 && lo<<n < hi {
		exp = lo << n
	}
	return max(exp/2+jitter(exp/2+1), gate)
}

// backoff reports the retry about to happen and returns the wait checkRetry
// chose.
func (c *Client) backoff(call *Call, st *attempt) time.Duration {
	wait := st.wait
	ev := api.RetryEvent{
		Service: c.service, Operation: call.Operation, Retry: st.n,
		StatusCode: st.status, Wait: wait,
	}
	attrs := append(c.callAttrs(call, st), slog.Int("retry", ev.Retry), slog.Duration("wait", wait),
		slog.Duration("elapsed", time.Since(st.begun)))
	if st.err != nil {
		ev.Err = scrubbedError(c.scrub(call, cause(st.err).Error()), cause(st.err))
		attrs = append(attrs, slog.String("error", ev.Err.Error()))
	} else {
		attrs = append(attrs, slog.Int("status", ev.StatusCode))
	}
	c.log.LogAttrs(st.ctx, slog.LevelDebug, "retry", attrs...)
	if c.cfg.OnRetry != nil {
		c.cfg.OnRetry(ev)
	}
	return wait
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}

// retryAfter parses delay-seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

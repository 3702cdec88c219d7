// Package api holds what the Glow and Gateflow clients share with their
// callers: the options both constructors take, the typed error every call
// returns and the sentinels to test it with. The HTTP machinery itself lives
// in api/transport so that callers never depend on it.
package api

import (
	"iter"
	"log/slog"
	"net/http"
	"time"
)

// Defaults. The per-attempt timeout bounds a hung server; the retries and
// their time budget are sized so that a short outage (a deploy) or a rate
// limit shared by many parallel calls is ridden out within a minute without
// the caller noticing, while a service that is down fails the call within
// that minute.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultRetryMax      = 8
	DefaultRetryBudget   = time.Minute
	DefaultRetryWaitMin  = 500 * time.Millisecond
	DefaultRetryWaitMax  = 15 * time.Second
	DefaultRetryAfterMax = time.Minute
	DefaultPageSize      = 500
	// DefaultParallelism bounds the calls a command keeps in flight (plan's
	// reads, apply's writes, import's reads) unless told otherwise, like
	// Terraform's -parallelism; a client keeps as many idle connections.
	DefaultParallelism = 10
)

// Config is the resolved set of options. It is exported so that
// api/transport can read it; callers set it through Options.
type Config struct {
	// HTTPClient is copied, never modified, so a caller may share one
	// between clients.
	HTTPClient *http.Client
	// Timeout bounds one attempt (connect, send, read the whole answer), not
	// the call: the caller's context bounds the call, retries included.
	Timeout time.Duration
	// RetryMax is the number of retries after the first attempt.
	RetryMax int
	// RetryBudget bounds the time one call spends, from its first attempt
	// to the start of its last: a retry whose wait would end past it is not
	// made, and the call ends with the last answer. 0 or less allows no
	// retry at all.
	RetryBudget time.Duration
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// attempts; each wait is jittered so that many clients do not return in
	// step.
	RetryWaitMin, RetryWaitMax time.Duration
	// RetryAfterMax is the longest Retry-After the client waits out by
	// itself. A longer one ends the call with ErrRateLimited and the
	// duration in Error.RetryAfter, so the caller decides.
	RetryAfterMax time.Duration
	// Logger receives a record of every attempt, retry and wait: at
	// slog.LevelDebug one line per attempt with its answer and timing, per
	// retry with its wait, per 429; at LevelTrace also a line before each
	// attempt with the headers that carry no secret. Records never carry
	// bodies, the Authorization header or a secret. Nil means no logging.
	Logger *slog.Logger
	// UserAgent holds product tokens sent after the client's own
	// ("switchboard/VERSION terraform/1.11.4"), so that the services' logs
	// tell which tool made a call.
	UserAgent []string
	// OnRetry is called before every retry, for soak tests and progress
	// output. It must be safe for concurrent use.
	OnRetry func(RetryEvent)
	// PageSize is the page size iterators ask for; larger pages mean fewer
	// calls for a full read.
	PageSize int
	// Parallelism is how many calls the caller runs at once (the CLI's
	// --parallelism). The client keeps that many connections to the
	// service and no more: a call beyond them waits for one to be free,
	// so that --parallelism bounds what the service sees. 0 sets no bound
	// and keeps DefaultParallelism idle connections (the Terraform
	// provider, whose calls Terraform's -parallelism bounds).
	Parallelism int
}

// Option changes a Config.
type Option func(*Config)

// NewConfig applies opts to the defaults.
func NewConfig(opts ...Option) Config {
	c := Config{
		Timeout:       DefaultTimeout,
		RetryMax:      DefaultRetryMax,
		RetryBudget:   DefaultRetryBudget,
		RetryWaitMin:  DefaultRetryWaitMin,
		RetryWaitMax:  DefaultRetryWaitMax,
		RetryAfterMax: DefaultRetryAfterMax,
		PageSize:      DefaultPageSize,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithHTTPClient sets the underlying HTTP client (for proxies, custom TLS or
// test transports). Its Timeout is replaced by the per-attempt timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Config) { c.HTTPClient = hc } }

// WithTimeout sets the per-attempt timeout.
func WithTimeout(d time.Duration) Option { return func(c *Config) { c.Timeout = d } }

// WithRetryMax sets how many times a call is retried; 0 disables retries.
func WithRetryMax(n int) Option { return func(c *Config) { c.RetryMax = n } }

// WithRetryBudget sets the time one call may spend retrying (see
// Config.RetryBudget).
func WithRetryBudget(d time.Duration) Option { return func(c *Config) { c.RetryBudget = d } }

// WithUserAgent adds product tokens ("terraform/1.11.4") to the User-Agent.
func WithUserAgent(products ...string) Option {
	return func(c *Config) { c.UserAgent = append(c.UserAgent, products...) }
}

// WithRetryWait sets the backoff bounds.
func WithRetryWait(min, max time.Duration) Option {
	return func(c *Config) { c.RetryWaitMin, c.RetryWaitMax = min, max }
}

// WithRetryAfterMax sets the longest Retry-After waited out automatically.
func WithRetryAfterMax(d time.Duration) Option { return func(c *Config) { c.RetryAfterMax = d } }

// LevelTrace is below slog.LevelDebug: the records a client writes at it
// (one before each attempt, with headers) are for tracing one call.
const LevelTrace = slog.Level(-8)

// WithLogger enables logging of attempts, retries and waits (see
// Config.Logger).
func WithLogger(l *slog.Logger) Option { return func(c *Config) { c.Logger = l } }

// WithRetryHook sets a function called before every retry.
func WithRetryHook(f func(RetryEvent)) Option { return func(c *Config) { c.OnRetry = f } }

// WithParallelism says how many calls the caller runs at once (see
// Config.Parallelism); 0 or less sets no bound.
func WithParallelism(n int) Option {
	return func(c *Config) { c.Parallelism = max(n, 0) }
}

// WithPageSize sets the page size iterators ask for.
func WithPageSize(n int) Option { return func(c *Config) { c.PageSize = n } }

// RetryEvent describes one retry about to happen.
type RetryEvent struct {
	Service   string
	Operation string
	// Retry counts from 1 for the first retry.
	Retry int
	// StatusCode is the answer that caused the retry, 0 for a connection
	// error.
	StatusCode int
	// Err is the connection error that caused the retry, if any.
	Err error
	// Wait is how long the client sleeps before the retry.
	Wait time.Duration
}

// Stats counts a client's traffic since it was made.
type Stats struct {
	// Attempts is the number of HTTP requests tried, retries included.
	Attempts int64
	// Retries is the number of attempts that were retries.
	Retries int64
	// OutcomeUnknown is the number of calls that ended with
	// ErrOutcomeUnknown.
	OutcomeUnknown int64
}

// Collect drains an iterator into a slice, stopping at the first error. The
// items read before the error are returned with it.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Package transport is the HTTP machinery the Glow and Gateflow clients
// share: authentication, the User-Agent, per-attempt timeouts, retries
// through go-retryablehttp with a policy that knows which calls may be
// replayed, error decoding into *api.Error and secret scrubbing. Callers of
// the clients never import it.
package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/redact"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Replay says whether a call may be sent again when its outcome is unknown.
type Replay int

const (
	// Idempotent calls (reads, delete by id, Gateflow's PATCH and state
	// changes) are replayed on any transient failure: a second execution
	// leaves the same state as the first.
	Idempotent Replay = iota
	// NotIdempotent calls (creates, drafts, publishes, updates guarded by a
	// version) are replayed only when the server certainly did not act: a
	// 429 or 503, or no connection at all. A replay of one that did act
	// would create a duplicate or answer a false 409, so an ambiguous
	// failure ends the call with api.ErrOutcomeUnknown instead.
	NotIdempotent
)

const (
	// errorBodyLimit bounds what is read of an error answer: enough for any
	// JSON error, small enough that a misbehaving proxy's HTML page does not
	// fill memory.
	errorBodyLimit = 64 << 10
	// snippetLimit bounds the part of a non-JSON error body shown in an
	// error message.
	snippetLimit = 200
	// answerLimit bounds a decoded JSON answer (a 500-provider page is well
	// under a megabyte).
	answerLimit = 64 << 20
)

// Client sends calls to one service.
type Client struct {
	service string
	baseURL string
	token   sensitive.String
	hc      *http.Client
	cfg     api.Config
	log     *slog.Logger
	ua      string

	// gate is when (unix nanoseconds) the service last said, by a 429 or
	// 503 with Retry-After, that it takes calls again. Every call of the
	// client waits for it, not only the one that was told: parallel calls
	// share the service's rate limit, and each would otherwise spend its
	// own retries learning the same thing.
	gate atomic.Int64

	attempts, retries, unknown atomic.Int64
}

// New makes a client for service ("glow", "gateflow") at baseURL, which is
// joined to every call's path as a string so that a base with a path prefix
// works.
func New(service, baseURL string, token sensitive.String, cfg api.Config) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL must be an absolute http or https URL", service)
	}
	if u.User != nil {
		// The token is the only credential; one in the URL would end up in
		// logs and error messages.
		return nil, fmt.Errorf("%s: base URL must not carry credentials", service)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: base URL must not have a query or fragment", service)
	}
	if token.IsZero() {
		return nil, fmt.Errorf("%s: no token", service)
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// http.DefaultTransport keeps 2 idle connections per host: with 10
		// calls in flight, 8 of every 10 that finish close theirs and the
		// next calls dial again (1,000 creates opened over 400
		// connections). Keeping one per call in flight reuses them all.
		// The bound on connections makes that exact: without it, a call
		// that dials while the pool fills can be handed a connection
		// another call just freed, and its own dial then adds one more.
		// Every call reads its answer to the end before it returns, so a
		// call waiting for a connection waits for one answer, never for
		// itself.
		n := cfg.Parallelism
		if n <= 0 {
			n = api.DefaultParallelism
		} else {
			t.MaxConnsPerHost = n
		}
		t.MaxIdleConnsPerHost = n
		t.MaxIdleConns = max(t.MaxIdleConns, n)
		hc.Transport = t
	}
	hc.Timeout = cfg.Timeout
	if hc.CheckRedirect == nil {
		// Neither API redirects. Following one would turn a POST into a GET
		// and might carry the token to another host.
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := version.UserAgent()
	for _, p := range cfg.UserAgent {
		// A product token is one word of visible ASCII; anything else would
		// make every request invalid.
		p = strings.Map(func(r rune) rune {
			if r <= ' ' || r > '~' {
				return -1
			}
			return r
		}, p)
		if p != "" {
			ua += " " + p
		}
	}
	return &Client{
		service: service,
		baseURL: strings.TrimRight(u.String(), "/"),
		token:   token,
		hc:      &hc,
		cfg:     cfg,
		log:     log,
		ua:      ua,
	}, nil
}

// Config returns the options the client was made with.
func (c *Client) Config() api.Config { return c.cfg }

// Service returns the service name errors and logs carry.
func (c *Client) Service() string { return c.service }

// Stats returns the client's counters.
func (c *Client) Stats() api.Stats {
	return api.Stats{
		Attempts:       c.attempts.Load(),
		Retries:        c.retries.Load(),
		OutcomeUnknown: c.unknown.Load(),
	}
}

// Call is one API operation.
type Call struct {
	// Operation names the call in errors and logs ("update provider").
	Operation string
	// Name and ID are the call's subject, when known.
	Name, ID string

	Method string
	// Path is appended to the base URL; path parameters must be escaped.
	Path string
	// Body is encoded as JSON; nil sends no body.
	Body any
	// Out receives the decoded JSON answer; nil discards it.
	Out any
	// Writer, when set, receives the raw answer instead of Out (CSV export).
	Writer io.Writer
	// Accept overrides the Accept header (default application/json).
	Accept string
	// Header holds extra request headers (If-Match). They must not carry
	// secrets: only the token and Secrets are scrubbed from errors.
	Header http.Header
	// AnswerHeader, when set, receives the headers of the 2xx answer (the
	// ETag of a Gateflow write).
	AnswerHeader *http.Header
	// EmptyOK makes a 2xx answer without a body (a 204, or nothing but
	// white space) a success that leaves Out as it is: for writes whose
	// answer only reports what the caller can read again. Without it, an
	// empty answer to a call with Out is undecodable.
	EmptyOK bool

	Replay Replay

	// Secrets are values the request carries that must never appear in an
	// error or a log, even if the server echoes them. The token is always
	// scrubbed.
	Secrets []string
	// NameForField, when set, names the subject of a bad-input error from
	// its field path, so that "providers[2].name" reports that entry's name.
	NameForField func(field string) string
}

// attempt is the per-call state shared by the retry hooks.
type attempt struct {
	// ctx is the call's context: log records go to it, so that a logger
	// that reads it (the Terraform provider's tflog) sees the call's.
	ctx context.Context
	// begun is when the call started, for its retry budget.
	begun time.Time
	// n counts the attempts made so far.
	n     int
	start time.Time
	// sent is set once the attempt got a connection; before that, nothing
	// can have reached the server and any call may be retried.
	sent atomic.Bool
	// ambiguous is set when the call ends with a failure after which the
	// server may have acted.
	ambiguous bool
	// replayedAfterLoss is set when an attempt that reached the server lost
	// its answer and the call was replayed: a conditional write's replay
	// then meets its own first attempt as a changed precondition.
	replayedAfterLoss bool
	status            int
	err               error
	retryAfter        time.Duration
	hasRetryAfter     bool
	// wait is the pause before the next attempt, chosen with the decision
	// to retry so that the budget can be checked against it.
	wait time.Duration
	// retryable is the policy's verdict on the last answer: whether it is
	// one the call would have been retried after, budget and retries left.
	retryable bool
}

// Do sends call, retrying as its Replay allows, and decodes the answer. Every
// failure is an *api.Error.
func (c *Client) Do(ctx context.Context, call Call) error {
	st := &attempt{ctx: ctx, begun: time.Now()}
	var body []byte
	if call.Body != nil {
		b, err := json.Marshal(call.Body)
		if err != nil {
			return c.finish(st, &call, &api.Error{Err: fmt.Errorf("%w: encode request: %w", api.ErrInvalid, err)})
		}
		body = b
	}
	if err := c.waitGate(ctx, &call); err != nil {
		// Nothing was sent: the outcome is known.
		var ae *api.Error
		if !errors.As(err, &ae) {
			ae = &api.Error{Err: err}
		}
		return c.finish(st, &call, ae)
	}

	req, err := c.newRequest(ctx, st, &call, body)
	if err != nil {
		return c.finish(st, &call, &api.Error{Err: fmt.Errorf("%w: build request: %w", api.ErrInvalid, cause(err))})
	}
	resp, err := c.retrying(st, &call).Do(req)
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		e := &api.Error{Err: cause(err), OutcomeUnknown: st.ambiguous}
		return c.finish(st, &call, e)
	}
	defer drain(resp.Body)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if err := ctx.Err(); err != nil && st.retryable {
			// The caller stopped waiting while the answer arrived, and
			// the answer was one the call would have been retried after:
			// the cancellation is what ended the call, as it is when it
			// comes a moment before the answer.
			return c.finish(st, &call, &api.Error{Err: err})
		}
		return c.finish(st, &call, c.statusError(&call, st, resp))
	}
	if call.AnswerHeader != nil {
		*call.AnswerHeader = resp.Header.Clone()
	}
	return c.readAnswer(st, &call, resp)
}

// newRequest builds the request of call with its encoded body (nil for
// none) and headers, its context traced so that st knows when an attempt
// got a connection.
func (c *Client) newRequest(ctx context.Context, st *attempt, call *Call, body []byte) (*retryablehttp.Request, error) {
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { st.sent.Store(true) },
	})
	// A nil reader in the interface would be taken for a body.
	var rawBody any
	if body != nil {
		// A []byte reader lets retryablehttp rewind the body for each
		// attempt.
		rawBody = bytes.NewReader(body)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, call.Method, c.baseURL+call.Path, rawBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("User-Agent", c.ua)
	if call.Accept != "" {
		req.Header.Set("Accept", call.Accept)
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range call.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req, nil
}

// retrying is the retryablehttp client for one call: its hooks count and
// trace each attempt into st and decide retries and waits by the call's
// Replay.
func (c *Client) retrying(st *attempt, call *Call) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   c.hc,
		RetryMax:     max(c.cfg.RetryMax, 0),
		RetryWaitMin: c.cfg.RetryWaitMin,
		RetryWaitMax: c.cfg.RetryWaitMax,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, i int) {
			st.sent.Store(false)
			st.start = time.Now()
			st.n = i + 1
			c.attempts.Add(1)
			if i > 0 {
				c.retries.Add(1)
			}
			c.traceRequest(st, call, r)
		},
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			return c.checkRetry(ctx, call, st, resp, err), nil
		},
		Backoff: func(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
			return c.backoff(call, st)
		},
		// The last answer comes back as it is, so that an exhausted retry
		// of a 503 still reports the server's error body.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// readAnswer hands a 2xx answer to call's Writer as it is, or decodes it
// into call's Out.
func (c *Client) readAnswer(st *attempt, call *Call, resp *http.Response) error {
	switch {
	case call.Writer != nil:
		if _, err := io.Copy(call.Writer, resp.Body); err != nil {
			return c.finish(st, call, &api.Error{StatusCode: resp.StatusCode, Err: fmt.Errorf("read answer: %w", err)})
		}
	case call.Out != nil:
		// The body is never quoted in the error: a 2xx may carry a secret
		// (decrypt) that the client cannot know in advance to scrub.
		b, err := io.ReadAll(io.LimitReader(resp.Body, answerLimit))
		if err != nil {
			// The answer was cut off (a stall past the attempt timeout, a
			// dropped connection): a transport failure, not an answer of
			// the wrong shape, and after a 2xx the server did act, so a
			// call that must not be replayed blindly has an unknown
			// outcome.
			return c.finish(st, call, &api.Error{
				Err:            fmt.Errorf("reading the %d answer: %w", resp.StatusCode, err),
				OutcomeUnknown: call.Replay == NotIdempotent,
			})
		}
		if call.EmptyOK && len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		if err := json.Unmarshal(b, call.Out); err != nil {
			return c.finish(st, call, &api.Error{StatusCode: resp.StatusCode, Err: fmt.Errorf("decode answer: %w", err)})
		}
	}
	return nil
}

// callAttrs are the attributes every record of a call carries. The path
// holds ids and names, never a secret; it is scrubbed all the same.
func (c *Client) callAttrs(call *Call, st *attempt) []slog.Attr {
	return []slog.Attr{
		slog.String("service", c.service), slog.String("operation", call.Operation),
		slog.String("method", call.Method), slog.String("path", c.scrub(call, call.Path)),
		slog.Int("attempt", st.n),
	}
}

// traceRequest logs an attempt about to be sent, with the headers that carry
// no secret: never Authorization, never a body.
func (c *Client) traceRequest(st *attempt, call *Call, r *http.Request) {
	if !c.log.Enabled(st.ctx, api.LevelTrace) {
		return
	}
	attrs := append(c.callAttrs(call, st),
		slog.String("user_agent", r.Header.Get("User-Agent")),
		slog.Int64("content_length", r.ContentLength))
	if v := r.Header.Get("If-Match"); v != "" {
		attrs = append(attrs, slog.String("if_match", v))
	}
	c.log.LogAttrs(st.ctx, api.LevelTrace, "sending request", attrs...)
}

// traceAnswer logs the headers of an answer that say how the service
// treated it.
func (c *Client) traceAnswer(st *attempt, call *Call, resp *http.Response) {
	if !c.log.Enabled(st.ctx, api.LevelTrace) {
		return
	}
	attrs := append(c.callAttrs(call, st), slog.Int("status", resp.StatusCode))
	for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Retry-After", "X-Request-Id"} {
		if v := resp.Header.Get(h); v != "" {
			attrs = append(attrs, slog.String(strings.ToLower(strings.ReplaceAll(h, "-", "_")), c.scrub(call, v)))
		}
	}
	c.log.LogAttrs(st.ctx, api.LevelTrace, "answer headers", attrs...)
}

func (c *Client) statusError(call *Call, st *attempt, resp *http.Response) *api.Error {
	e := &api.Error{StatusCode: resp.StatusCode, OutcomeUnknown: st.ambiguous}
	if resp.StatusCode == http.StatusPreconditionFailed && st.replayedAfterLoss {
		// Perhaps only our own lost attempt changed the object: the caller
		// must read it to know.
		e.OutcomeUnknown = true
	}
	if st.hasRetryAfter {
		e.RetryAfter = st.retryAfter
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	if err != nil {
		e.Err = fmt.Errorf("read error answer: %w", err)
	}
	var w api.ErrorBody
	if json.Unmarshal(b, &w) == nil && (w.Error.Code != "" || w.Error.Message != "") {
		e.Code, e.Message, e.Field = w.Error.Code, w.Error.Message, w.Error.Field
	} else if s := snippet(b); s != "" {
		e.Message = s
	}
	if e.Field != "" && call.Name == "" && call.NameForField != nil {
		e.Name = call.NameForField(e.Field)
	}
	return e
}

// finish fills in the subject, scrubs secrets, counts and logs a failure.
func (c *Client) finish(st *attempt, call *Call, e *api.Error) error {
	e.Service, e.Operation = c.service, call.Operation
	if e.Name == "" {
		e.Name = call.Name
	}
	if e.ID == "" {
		e.ID = call.ID
	}
	e.Message = c.scrub(call, e.Message)
	e.Field = c.scrub(call, e.Field)
	e.Code = c.scrub(call, e.Code)
	if e.Err != nil {
		if s := e.Err.Error(); c.scrub(call, s) != s {
			e.Err = scrubbedError(c.scrub(call, s), e.Err)
		}
	}
	if e.OutcomeUnknown {
		c.unknown.Add(1)
	}
	c.log.LogAttrs(st.ctx, slog.LevelDebug, "call failed",
		slog.String("service", c.service), slog.String("operation", call.Operation),
		slog.Int("attempts", st.n), slog.Duration("elapsed", time.Since(st.begun)),
		slog.String("error", e.Error()))
	return e
}

// scrub replaces every secret the call knows of with the redaction marker.
// A value of redact.MinLen bytes or more is replaced wherever it occurs. A
// shorter one is replaced only where it stands as a word of its own: as a
// substring it would shred unrelated text ("extra" holds the credential
// "x"), and a few bytes inside a longer word reveal nothing.
func (c *Client) scrub(call *Call, s string) string {
	if s == "" {
		return s
	}
	s = scrubValue(s, c.token.Reveal())
	for _, v := range call.Secrets {
		s = scrubValue(s, v)
	}
	return s
}

func scrubValue(s, v string) string {
	if v == "" || !strings.Contains(s, v) {
		return s
	}
	if len(v) >= redact.MinLen {
		return strings.ReplaceAll(s, v, sensitive.Redacted)
	}
	var b strings.Builder
	last := 0
	for i := 0; i <= len(s)-len(v); {
		k := strings.Index(s[i:], v)
		if k < 0 {
			break
		}
		k += i
		end := k + len(v)
		// A value that begins or ends with punctuation is a word of its own
		// on that side whatever is next to it.
		startsWord := !isWordByte(v[0]) || k == 0 || !isWordByte(s[k-1])
		endsWord := !isWordByte(v[len(v)-1]) || end == len(s) || !isWordByte(s[end])
		if startsWord && endsWord {
			b.WriteString(s[last:k])
			b.WriteString(sensitive.Redacted)
			last, i = end, end
			continue
		}
		i = k + 1
	}
	b.WriteString(s[last:])
	return b.String()
}

// isWordByte reports whether c can be part of a word: a letter, a digit,
// '_', '-', or a byte of a multi-byte character.
func isWordByte(c byte) bool {
	return c >= 0x80 || c == '_' || c == '-' ||
		('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// snippet makes a short, printable excerpt of a body that is not the
// documented error JSON (an HTML page from a proxy, a truncated answer).
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "�")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > snippetLimit {
		r := []rune(s)
		s = string(r[:snippetLimit]) + "…"
	}
	return s
}

// cause strips *url.Error, whose text repeats the method and URL.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// scrubbedErr keeps the cause's identity for errors.Is while replacing its
// text.
type scrubbedErr struct {
	msg string
	err error
}

func (s *scrubbedErr) Error() string { return s.msg }
func (s *scrubbedErr) Unwrap() error { return s.err }

func scrubbedError(msg string, err error) error {
	if msg == err.Error() {
		return err
	}
	return &scrubbedErr{msg: msg, err: err}
}

func drain(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, errorBodyLimit))
	_ = rc.Close()
}

// Pages hides page tokens: it calls fetch with the token of each next page
// until a page has none, yielding items one by one. An error is yielded once
// and ends the sequence.
func Pages[T any](ctx context.Context, c *Client, operation string, fetch func(ctx context.Context, token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		token := ""
		seen := map[string]bool{}
		for {
			items, next, err := fetch(ctx, token)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if seen[next] {
				// A server that hands out a token twice would loop forever.
				yield(zero, c.finish(&attempt{ctx: ctx, begun: time.Now()}, &Call{Operation: operation}, &api.Error{
					StatusCode: http.StatusOK,
					Err:        errors.New("page token repeated: the server is paging in a loop"),
				}))
				return
			}
			seen[next] = true
			token = next
		}
	}
}

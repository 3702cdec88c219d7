package transport

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// arrival is one request as the server saw it.
type arrival struct {
	at        time.Time
	userAgent string
	auth      string
}

// scripted is a server that answers the nth request (from 0) with
// answer(n, w) and records when each arrived.
type scripted struct {
	mu       sync.Mutex
	arrivals []arrival
	srv      *httptest.Server
}

func newScripted(t *testing.T, answer func(n int, w http.ResponseWriter)) *scripted {
	t.Helper()
	s := &scripted{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.arrivals)
		s.arrivals = append(s.arrivals, arrival{at: time.Now(), userAgent: r.UserAgent(), auth: r.Header.Get("Authorization")})
		s.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) seen() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.arrivals...)
}

func rateLimited(w http.ResponseWriter, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}`))
}

func ok(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func testClient(t *testing.T, url string, opts ...api.Option) *Client {
	t.Helper()
	base := []api.Option{api.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
	c, err := New("glow", url, sensitive.New("tok-test-secret-1234"), api.NewConfig(append(base, opts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get() Call {
	return Call{Operation: "get provider", Method: http.MethodGet, Path: "/provider", Replay: Idempotent, Out: new(map[string]any)}
}

// TestRetryAfterIsHonoured: a 429 with Retry-After in seconds or as an HTTP
// date is retried no sooner than the server asked, and then succeeds.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for name, header := range map[string]func() string{
		"seconds": func() string { return "1" },
		// An HTTP date has a resolution of one second: two seconds ahead
		// is at least one second ahead once formatted.
		"http-date": func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var told time.Time
			s := newScripted(t, func(n int, w http.ResponseWriter) {
				if n == 0 {
					h := header()
					told, _ = http.ParseTime(h)
					if told.IsZero() {
						told = time.Now().Add(time.Second)
					}
					rateLimited(w, h)
					return
				}
				ok(w)
			})
			c := testClient(t, s.srv.URL)
			if err := c.Do(context.Background(), get()); err != nil {
				t.Fatal(err)
			}
			a := s.seen()
			if len(a) != 2 {
				t.Fatalf("%d attempts, want 2", len(a))
			}
			// The server's own clock: the retry arrived no sooner than the
			// time it named (an HTTP date is truncated to the second).
			if name == "seconds" && a[1].at.Sub(a[0].at) < time.Second {
				t.Errorf("retried after %s, before Retry-After: 1", a[1].at.Sub(a[0].at))
			}
			if name == "http-date" && a[1].at.Before(told) {
				t.Errorf("retried at %s, before the Retry-After date %s", a[1].at, told)
			}
			if st := c.Stats(); st.Retries != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestRetryBudgetIsEnforced: a call keeps honouring Retry-After only within
// its budget, however many retries it has left, and then reports the last
// answer with its Retry-After.
func TestRetryBudgetIsEnforced(t *testing.T) {
	t.Parallel()
	t.Run("waits that add up past the budget", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, func(_ int, w http.ResponseWriter) { rateLimited(w, "1") })
		c := testClient(t, s.srv.URL, api.WithRetryMax(100), api.WithRetryBudget(2500*time.Millisecond))
		start := time.Now()
		err := c.Do(context.Background(), get())
		var ae *api.Error
		if !errors.As(err, &ae) || !errors.Is(err, api.ErrRateLimited) || ae.RetryAfter != time.Second {
			t.Fatalf("err %v", err)
		}
		// Attempts at about 0 s, 1 s and 2 s; a fourth would start after
		// 3 s, past the budget.
		if n := len(s.seen()); n != 3 {
			t.Errorf("%d attempts within a 2.5 s budget of 1 s waits, want 3", n)
		}
		if el := time.Since(start); el < 2*time.Second {
			t.Errorf("gave up after %s: the two waits were not honoured", el)
		}
	})
	t.Run("one wait longer than the budget", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, func(_ int, w http.ResponseWriter) { rateLimited(w, "30") })
		var logs bytes.Buffer
		c := testClient(t, s.srv.URL, api.WithRetryBudget(5*time.Second),
			api.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		err := c.Do(context.Background(), get())
		var ae *api.Error
		if !errors.As(err, &ae) || !errors.Is(err, api.ErrRateLimited) || ae.RetryAfter != 30*time.Second {
			t.Fatalf("err %v", err)
		}
		if n := len(s.seen()); n != 1 {
			t.Errorf("%d attempts, want 1: waiting 30 s cannot fit a 5 s budget", n)
		}
		if !strings.Contains(logs.String(), `msg="giving up"`) || !strings.Contains(logs.String(), "retry budget") {
			t.Errorf("log does not say why the call gave up:\n%s", logs.String())
		}
	})
	t.Run("no budget, no retry", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, func(_ int, w http.ResponseWriter) { rateLimited(w, "0") })
		c := testClient(t, s.srv.URL, api.WithRetryBudget(0))
		if err := c.Do(context.Background(), get()); !errors.Is(err, api.ErrRateLimited) {
			t.Fatalf("err %v", err)
		}
		if n := len(s.seen()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
}

// TestRetryAfterHoldsBackTheClientsOtherCalls: the service's rate limit is
// shared by the client's calls, so a call that starts after another was
// told to wait waits too, instead of drawing its own 429.
func TestRetryAfterHoldsBackTheClientsOtherCalls(t *testing.T) {
	t.Parallel()
	s := newScripted(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			rateLimited(w, "1")
			return
		}
		ok(w)
	})
	c := testClient(t, s.srv.URL, api.WithRetryMax(0))
	if err := c.Do(context.Background(), get()); !errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("first call: %v", err)
	}
	if err := c.Do(context.Background(), get()); err != nil {
		t.Fatalf("second call: %v", err)
	}
	a := s.seen()
	if len(a) != 2 {
		t.Fatalf("%d requests", len(a))
	}
	if d := a[1].at.Sub(a[0].at); d < time.Second {
		t.Errorf("the second call arrived %s after the 429 that said to wait 1 s", d)
	}
	// A cancelled wait sends nothing and is no unknown outcome.
	c.raiseGate(time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	create := Call{Operation: "create provider", Method: http.MethodPost, Path: "/create", Body: map[string]any{}, Replay: NotIdempotent}
	if err := c.Do(ctx, create); !errors.Is(err, context.Canceled) || errors.Is(err, api.ErrOutcomeUnknown) {
		t.Errorf("err %v", err)
	}
	if n := len(s.seen()); n != 2 {
		t.Errorf("%d requests after a cancelled wait", n)
	}
	// A wait that would outlast the caller's deadline is not started: the
	// call ends at once as rate limited, before its deadline.
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Do(ctx, get())
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Errorf("err %v is not an *api.Error", err)
	} else if ae.RetryAfter < 59*time.Minute {
		t.Errorf("RetryAfter = %v, want at least 59m", ae.RetryAfter)
	}
	if !errors.Is(err, api.ErrRateLimited) {
		t.Errorf("err %v is not api.ErrRateLimited", err)
	}
	if ctx.Err() != nil {
		t.Errorf("context %v, want it still live", ctx.Err())
	}
	if n := len(s.seen()); n != 2 {
		t.Errorf("%d requests: the call was sent", n)
	}
}

// TestNotIdempotentCallIsNeverReplayedBlindly: a create that drew a 429 is
// retried (the server did not act), one whose answer was a 502 is not.
func TestNotIdempotentCallIsNeverReplayedBlindly(t *testing.T) {
	t.Parallel()
	s := newScripted(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			rateLimited(w, "0")
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	c := testClient(t, s.srv.URL, api.WithRetryMax(5))
	create := Call{Operation: "create provider", Method: http.MethodPost, Path: "/create", Body: map[string]any{}, Replay: NotIdempotent}
	err := c.Do(context.Background(), create)
	if !errors.Is(err, api.ErrOutcomeUnknown) {
		t.Fatalf("err %v", err)
	}
	if n := len(s.seen()); n != 2 {
		t.Errorf("%d attempts, want 2 (the 429, then the 502 that ends it)", n)
	}
}

// TestLogsTellEveryAttemptAndNoSecret: each attempt, its answer, the 429,
// the retry and its wait are logged with timings; the token, a credential
// of the call and bodies are not.
func TestLogsTellEveryAttemptAndNoSecret(t *testing.T) {
	t.Parallel()
	const credential = "sk-credential-abcdef-0001"
	s := newScripted(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 0:
			rateLimited(w, "0")
		default:
			// A server that echoes the credential in its error.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"error":{"code":"invalid_credentials","message":"key ` + credential + ` is invalid"}}`))
		}
	})
	var logs bytes.Buffer
	c := testClient(t, s.srv.URL,
		api.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: api.LevelTrace}))),
		api.WithUserAgent("terraform/1.11.4"))
	call := Call{
		Operation: "configure provider", Name: "openai", Method: http.MethodPost, Path: "/providers",
		Body: map[string]any{"api_key": credential}, Secrets: []string{credential}, Replay: NotIdempotent,
	}
	err := c.Do(context.Background(), call)
	if !errors.Is(err, api.ErrInvalidCredentials) || strings.Contains(err.Error(), credential) {
		t.Fatalf("err %v", err)
	}
	out := logs.String()
	for _, want := range []string{
		`msg="sending request"`, `msg=request`, `status=429`, `msg="rate limited"`, `msg=retry`, `wait=`,
		`status=422`, `duration=`, `msg="call failed"`, `method=POST`, `path=/providers`, `attempt=2`,
		`user_agent="switchboard/` + version.Version + ` terraform/1.11.4"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{credential, "tok-test-secret-1234", "Bearer", "api_key"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	for _, a := range s.seen() {
		if a.userAgent != "switchboard/"+version.Version+" terraform/1.11.4" {
			t.Errorf("User-Agent %q", a.userAgent)
		}
	}
}

// TestScrubOnlyCutsWholeShortValues: a long secret is cut wherever it
// occurs; a short one only where it is a word of its own.
func TestScrubOnlyCutsWholeShortValues(t *testing.T) {
	for _, tc := range []struct{ in, secret, want string }{
		{"extra field x is wrong", "x", "extra field (sensitive value) is wrong"},
		{"extra", "x", "extra"},
		{"x", "x", "(sensitive value)"},
		{"'ab1' and ab12 and 1ab1", "ab1", "'(sensitive value)' and ab12 and 1ab1"},
		{"key=abc;", "abc", "key=(sensitive value);"},
		{"prefix-sk-12345678-suffix", "sk-12345678", "prefix-(sensitive value)-suffix"},
		{"xsk-12345678x", "sk-12345678", "x(sensitive value)x"},
		{"a.b", ".b", "a(sensitive value)"},
		{"", "x", ""},
	} {
		if got := scrubValue(tc.in, tc.secret); got != tc.want {
			t.Errorf("scrubValue(%q, %q) = %q, want %q", tc.in, tc.secret, got, tc.want)
		}
	}
}

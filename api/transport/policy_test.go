package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// TestPolicyTable is the retry policy of docs and the report, row by row.
func TestPolicyTable(t *testing.T) {
	c := &Client{cfg: api.NewConfig()}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	dropped := io.EOF
	type outcome struct{ retry, ambiguous bool }
	rows := []struct {
		name   string
		status int
		err    error
		sent   bool
		idem   outcome
		nonIdm outcome
	}{
		{"200", 200, nil, true, outcome{}, outcome{}},
		{"400", 400, nil, true, outcome{}, outcome{}},
		{"409", 409, nil, true, outcome{}, outcome{}},
		{"412", 412, nil, true, outcome{}, outcome{}},
		{"500", 500, nil, true, outcome{}, outcome{}},
		{"429", 429, nil, true, outcome{retry: true}, outcome{retry: true}},
		{"503", 503, nil, true, outcome{retry: true}, outcome{retry: true}},
		{"502", 502, nil, true, outcome{retry: true}, outcome{ambiguous: true}},
		{"504", 504, nil, true, outcome{retry: true}, outcome{ambiguous: true}},
		{"dial refused", 0, refused, false, outcome{retry: true}, outcome{retry: true}},
		{"dropped after send", 0, dropped, true, outcome{retry: true}, outcome{ambiguous: true}},
	}
	for _, r := range rows {
		for _, replay := range []Replay{Idempotent, NotIdempotent} {
			st := &attempt{}
			st.sent.Store(r.sent)
			var resp *http.Response
			if r.err == nil {
				resp = &http.Response{StatusCode: r.status, Header: http.Header{}}
			}
			retry, amb := c.decide(context.Background(), &Call{Replay: replay}, st, resp, r.err)
			want := r.idem
			if replay == NotIdempotent {
				want = r.nonIdm
			}
			if (outcome{retry, amb}) != want {
				t.Errorf("%s, replay %d: retry=%v ambiguous=%v, want %+v", r.name, replay, retry, amb, want)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"0", 0, true}, {"3", 3 * time.Second, true}, {" 7 ", 7 * time.Second, true},
		{"-1", 0, false}, {"soon", 0, false}, {past, 0, true},
		{"99999999999", 24 * time.Hour, true},
	} {
		got, ok := retryAfter(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := retryAfter(future); !ok || got < 85*time.Second || got > 90*time.Second {
		t.Errorf("date: %v %v", got, ok)
	}
}

func TestBackoffIsJitteredAndBounded(t *testing.T) {
	lo, hi := 10*time.Millisecond, 100*time.Millisecond
	c := &Client{cfg: api.NewConfig(api.WithRetryWait(lo, hi)), log: discard()}
	now := time.Now()
	for n := range 40 {
		exp := lo << min(n, 20)
		if exp > hi || exp <= 0 {
			exp = hi
		}
		for range 20 {
			w := c.wait(&attempt{n: n + 1}, now)
			if w < exp/2 || w > exp {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", n, w, exp/2, exp)
			}
		}
	}
	st := &attempt{hasRetryAfter: true, retryAfter: 2 * time.Second, n: 1}
	if w := c.wait(st, now); w < 2*time.Second || w >= 2*time.Second+lo {
		t.Errorf("Retry-After wait %v", w)
	}
	// Another call's Retry-After holds back a backoff that would be
	// shorter.
	c.raiseGate(now.Add(3 * time.Second))
	if w := c.wait(&attempt{n: 1}, now); w < 3*time.Second {
		t.Errorf("wait %v ends before the gate", w)
	}
}

func TestNewValidates(t *testing.T) {
	tok := sensitive.New("t")
	for _, u := range []string{"", "api.example.com", "ftp://x", "http://user:pw@x", "http://x?token=1", "http:///path"} {
		if _, err := New("glow", u, tok, api.NewConfig()); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := New("glow", "http://x", sensitive.String{}, api.NewConfig()); err == nil {
		t.Error("empty token accepted")
	}
	// The caller's HTTP client is copied, never changed.
	hc := &http.Client{}
	c, err := New("glow", "https://x/base/", tok, api.NewConfig(api.WithHTTPClient(hc), api.WithTimeout(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 {
		t.Errorf("caller's Timeout = %v, want 0 (untouched)", hc.Timeout)
	}
	if hc.CheckRedirect != nil {
		t.Errorf("caller's CheckRedirect is set, want nil (untouched)")
	}
	if c.hc.Timeout != time.Second {
		t.Errorf("client Timeout = %v, want %v", c.hc.Timeout, time.Second)
	}
	if c.baseURL != "https://x/base" {
		t.Errorf("baseURL = %q, want %q", c.baseURL, "https://x/base")
	}
}

// TestCancelledCreateIsOutcomeUnknown: a caller that gives up on a create
// in flight cannot know whether it happened.
func TestCancelledCreateIsOutcomeUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.ReadAll(r.Body)
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := New("glow", srv.URL, sensitive.New("t"), api.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(ctx, Call{Operation: "create provider", Method: "POST", Path: "/provider/create", Body: map[string]any{}, Replay: NotIdempotent})
	if !errors.Is(err, api.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// The same cancellation on a read is a plain cancellation.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	err = c.Do(ctx, Call{Operation: "get provider", Method: "POST", Path: "/provider/get", Replay: Idempotent})
	if errors.Is(err, api.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
)

func TestErrorIsMapsStatuses(t *testing.T) {
	all := []error{api.ErrNotFound, api.ErrConflict, api.ErrPreconditionFailed, api.ErrUnauthorized, api.ErrForbidden, api.ErrInvalid,
		api.ErrInvalidCredentials, api.ErrRateLimited, api.ErrUnavailable, api.ErrDecode, api.ErrOutcomeUnknown}
	for _, tc := range []struct {
		err  *api.Error
		want []error
	}{
		{&api.Error{StatusCode: 400}, []error{api.ErrInvalid}},
		{&api.Error{StatusCode: 401}, []error{api.ErrUnauthorized}},
		{&api.Error{StatusCode: 403}, []error{api.ErrForbidden}},
		{&api.Error{StatusCode: 404}, []error{api.ErrNotFound}},
		{&api.Error{StatusCode: 409, Code: api.CodeVersionConflict}, []error{api.ErrConflict}},
		{&api.Error{StatusCode: 412, Code: api.CodePreconditionFailed}, []error{api.ErrPreconditionFailed, api.ErrConflict}},
		{&api.Error{StatusCode: 422}, []error{api.ErrInvalidCredentials}},
		{&api.Error{StatusCode: 429}, []error{api.ErrRateLimited}},
		{&api.Error{StatusCode: 500}, nil},
		{&api.Error{StatusCode: 502, OutcomeUnknown: true}, []error{api.ErrUnavailable, api.ErrOutcomeUnknown}},
		{&api.Error{StatusCode: 503}, []error{api.ErrUnavailable}},
		{&api.Error{StatusCode: 504}, []error{api.ErrUnavailable}},
		{&api.Error{StatusCode: 200, Err: io.ErrUnexpectedEOF}, []error{api.ErrDecode}},
		{&api.Error{Err: io.EOF}, []error{api.ErrUnavailable}},
		{&api.Error{Err: io.EOF, OutcomeUnknown: true}, []error{api.ErrUnavailable, api.ErrOutcomeUnknown}},
		{&api.Error{Err: context.Canceled}, nil},
		{&api.Error{Err: context.DeadlineExceeded}, []error{api.ErrUnavailable}},
	} {
		for _, s := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == s
			}
			err := fmt.Errorf("wrapped: %w", tc.err)
			if got := errors.Is(err, s); got != want {
				t.Errorf("%d/%v: Is(%v) = %v, want %v", tc.err.StatusCode, tc.err.Err, s, got, want)
			}
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  api.Error
		want string
	}{
		{api.Error{Service: "glow", Operation: "update provider", Name: "OpenAI Production", ID: "5f1c", StatusCode: 409, Code: "version_conflict", Message: "expected version 3, server has 4"},
			`glow: update provider "OpenAI Production" (id 5f1c): 409 version conflict: expected version 3, server has 4`},
		{api.Error{Service: "gateflow", Operation: "configure provider", Name: "openai", StatusCode: 422, Code: "invalid_credentials", Message: `credentials.api_key must start with "sk-"`, Field: "credentials.api_key"},
			`gateflow: configure provider "openai": 422 invalid credentials: credentials.api_key must start with "sk-"`},
		{api.Error{Service: "glow", Operation: "get provider", ID: "p1", StatusCode: 502},
			`glow: get provider id p1: 502 bad gateway`},
		{api.Error{Service: "glow", Operation: "create provider", Name: "A", Err: io.EOF, OutcomeUnknown: true},
			`glow: create provider "A": outcome unknown, the request was sent but its answer was lost (EOF); check the current state before retrying`},
		{api.Error{Service: "glow", Operation: "create provider", Name: "A", StatusCode: 504, OutcomeUnknown: true},
			`glow: create provider "A": outcome unknown, the request was sent but its answer was lost (504 gateway timeout); check the current state before retrying`},
		{api.Error{Service: "glow", Operation: "search providers", StatusCode: 200, Err: io.ErrUnexpectedEOF},
			`glow: search providers: 200 answer could not be decoded: unexpected EOF`},
		{api.Error{Service: "glow", Operation: "list keys", Err: errors.New("dial tcp: connection refused")},
			`glow: list keys: dial tcp: connection refused`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("\n got %s\nwant %s", got, tc.want)
		}
	}
}

func TestCollect(t *testing.T) {
	boom := errors.New("boom")
	seq := func(yield func(int, error) bool) {
		for i := range 3 {
			if !yield(i, nil) {
				return
			}
		}
		yield(0, boom)
	}
	got, err := api.Collect(iter.Seq2[int, error](seq))
	if len(got) != 3 || err != boom {
		t.Errorf("%v %v", got, err)
	}
}

func TestNewConfigDefaults(t *testing.T) {
	c := api.NewConfig(nil, api.WithRetryMax(0))
	if c.Timeout != api.DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, api.DefaultTimeout)
	}
	if c.RetryMax != 0 {
		t.Errorf("RetryMax = %v, want 0", c.RetryMax)
	}
	if c.PageSize != api.DefaultPageSize {
		t.Errorf("PageSize = %v, want %v", c.PageSize, api.DefaultPageSize)
	}
	if c.RetryAfterMax != api.DefaultRetryAfterMax {
		t.Errorf("RetryAfterMax = %v, want %v", c.RetryAfterMax, api.DefaultRetryAfterMax)
	}
}

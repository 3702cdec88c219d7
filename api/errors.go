package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinels for errors.Is. Every error a client returns for a failed call is
// an *Error, and *Error matches the sentinels below according to its status,
// so callers branch on meaning rather than on numbers.
var (
	ErrNotFound           = errors.New("not found")           // 404
	ErrConflict           = errors.New("conflict")            // 409 and 412; Error.Code tells version from name conflicts and failed preconditions
	ErrPreconditionFailed = errors.New("precondition failed") // 412: an If-Match tag is stale (Gateflow)
	ErrUnauthorized       = errors.New("unauthorized")        // 401
	ErrForbidden          = errors.New("forbidden")           // 403
	ErrInvalid            = errors.New("invalid request")     // 400
	ErrInvalidCredentials = errors.New("invalid credentials") // 422 (Gateflow)
	ErrRateLimited        = errors.New("rate limited")        // 429
	ErrUnavailable        = errors.New("service unavailable") // 502, 503, 504 and connection failures
	ErrDecode             = errors.New("undecodable answer")  // a 2xx whose body is not what the API promises
	ErrOutcomeUnknown     = errors.New("outcome unknown")     // see Error.OutcomeUnknown
)

// Error codes of docs/api.md that callers branch on.
const (
	CodeVersionConflict    = "version_conflict"
	CodeNameConflict       = "name_conflict"
	CodeAlreadyConfigured  = "already_configured"
	CodeTooManyItems       = "too_many_items"
	CodeInvalidCredentials = "invalid_credentials"
	CodeNotFound           = "not_found"
	CodeInUse              = "in_use"
	CodePreconditionFailed = "precondition_failed"
)

// ErrorBody is the body of every non-2xx answer of both services
// (docs/api.md): the clients decode it and the emulator writes it.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code, a message for people
// and, for bad input, the JSON path of the offending field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error is a failed call. It says which service and operation failed, on what
// subject, and what the server answered, in a sentence fit for a terminal.
// It never holds a token or a secret value: the transport scrubs every known
// secret from server-provided text before building it.
type Error struct {
	Service   string // "glow" or "gateflow"
	Operation string // "update provider", "configure provider", …
	// Name and ID are the subject when the call knows them.
	Name string
	ID   string

	StatusCode int    // 0 when no answer arrived
	Code       string // the answer's error.code, when it had one
	Message    string // the answer's error.message, or a snippet of a non-JSON body
	Field      string // the answer's error.field: the JSON path of bad input

	// RetryAfter is the Retry-After of the last 429 or 503: the client
	// waited out earlier ones itself, and gives up on one longer than
	// Config.RetryAfterMax.
	RetryAfter time.Duration
	// OutcomeUnknown is set when a call that must not be replayed blindly
	// (a create, a draft, a publish, an update) lost its answer after the
	// request was sent: the server may or may not have acted. Look before
	// retrying.
	OutcomeUnknown bool

	// Err is the underlying cause: a connection error, a context error or a
	// decode error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Service)
	b.WriteString(": ")
	b.WriteString(e.Operation)
	switch {
	case e.Name != "" && e.ID != "":
		fmt.Fprintf(&b, " %q (id %s)", e.Name, e.ID)
	case e.Name != "":
		fmt.Fprintf(&b, " %q", e.Name)
	case e.ID != "":
		fmt.Fprintf(&b, " id %s", e.ID)
	}
	b.WriteString(": ")

	if e.OutcomeUnknown {
		b.WriteString("outcome unknown, the request was sent but its answer was lost")
		if e.StatusCode != 0 {
			fmt.Fprintf(&b, " (%d %s)", e.StatusCode, strings.ToLower(http.StatusText(e.StatusCode)))
		} else if e.Err != nil {
			fmt.Fprintf(&b, " (%v)", e.Err)
		}
		b.WriteString("; check the current state before retrying")
		return b.String()
	}

	if e.StatusCode == 0 {
		if e.Err != nil {
			b.WriteString(e.Err.Error())
		} else {
			b.WriteString("no answer")
		}
		return b.String()
	}

	if e.StatusCode >= 200 && e.StatusCode < 300 {
		fmt.Fprintf(&b, "%d answer could not be decoded", e.StatusCode)
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, " (body: %s)", e.Message)
		}
		return b.String()
	}

	fmt.Fprintf(&b, "%d ", e.StatusCode)
	if e.Code != "" {
		b.WriteString(strings.ReplaceAll(e.Code, "_", " "))
	} else {
		b.WriteString(strings.ToLower(http.StatusText(e.StatusCode)))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Field != "" && !strings.Contains(e.Message, e.Field) {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap exposes the cause, so errors.Is(err, context.DeadlineExceeded)
// works.
func (e *Error) Unwrap() error { return e.Err }

// Is maps the error to the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrOutcomeUnknown:
		return e.OutcomeUnknown
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		// A failed precondition is a conflict too: someone changed the
		// object since it was read, which is what callers that branch on
		// ErrConflict mean.
		return e.StatusCode == http.StatusConflict || e.StatusCode == http.StatusPreconditionFailed
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrInvalid:
		return e.StatusCode == http.StatusBadRequest
	case ErrInvalidCredentials:
		return e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnavailable:
		switch e.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		case 0:
			// No answer at all: the service could not be reached or did not
			// answer in time. A cancellation is the caller's doing, not the
			// service's.
			// A request the client could not even build (ErrInvalid in
			// the cause) is the caller's too.
			return e.Err != nil && !errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, ErrInvalid)
		}
	case ErrDecode:
		return e.StatusCode >= 200 && e.StatusCode < 300 && e.Err != nil
	}
	return false
}

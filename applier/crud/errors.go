package crud

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConflict matches every *ConflictError.
var ErrConflict = errors.New("changed since it was read")

// ConflictError says that an object was changed by someone else since the
// plan (or the Terraform state) read it, so the operation stopped without
// overwriting anything.
type ConflictError struct {
	// Object names the object: `glow provider "openai" (id p-1)`.
	Object string
	// Detail is what the server or the re-read showed.
	Detail string
	Err    error
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s was changed by someone else since it was read", e.Object)
	if e.Detail != "" {
		fmt.Fprintf(&b, " (%s)", e.Detail)
	}
	b.WriteString("; nothing was overwritten: run plan again to see the current state")
	return b.String()
}

// Unwrap exposes the API error, when there is one.
func (e *ConflictError) Unwrap() error { return e.Err }

// Is matches ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// StepError is an operation that failed after it changed something: it says
// which step failed and what is already done, so that the caller can report
// it and a re-plan finishes the rest.
type StepError struct {
	Object string
	Step   string
	// Done lists what the operation completed before the failure, in order
	// (`created provider p-1`, `created key k-3`).
	Done []string
	Err  error
}

func (e *StepError) Error() string {
	s := fmt.Sprintf("%s: %s: %v", e.Object, e.Step, e.Err)
	if len(e.Done) > 0 {
		s += " (already done: " + strings.Join(e.Done, ", ") + ")"
	}
	return s
}

// Unwrap exposes the cause.
func (e *StepError) Unwrap() error { return e.Err }

func glowObject(name, id string) string {
	switch {
	case id != "" && name != "":
		return fmt.Sprintf("glow provider %q (id %s)", name, id)
	case id != "":
		return "glow provider " + id
	default:
		return fmt.Sprintf("glow provider %q", name)
	}
}

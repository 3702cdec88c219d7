// Package sensitive holds the one type every layer uses for a secret value
// (an API key, a token, a credential) so that it cannot leak by accident
// through fmt, logs, errors or panics. It imports nothing of the project and
// may be imported by every package.
package sensitive

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what every formatting path prints instead of the value.
const Redacted = "(sensitive value)"

// String is a secret. Formatting it with any fmt verb, logging it with slog,
// encoding it as JSON or text, or including it in a struct printed with %+v
// shows Redacted. The value is only reachable through Reveal: a client that
// must send it builds its private request body from Reveal, so no generic
// encoder (a JSON log handler, a plan file writer) can ever write it.
type String struct {
	v string
}

// New wraps a secret value.
func New(v string) String { return String{v: v} }

// Reveal returns the secret. Call it only where the value is sent to the
// service that needs it.
func (s String) Reveal() string { return s.v }

// IsZero reports whether no secret is set.
func (s String) IsZero() bool { return s.v == "" }

// Equal compares two secrets without exposing either.
func (s String) Equal(o String) bool { return s.v == o.v }

// String and GoString print Redacted, whatever the verb or the depth at
// which the value is printed.
func (s String) String() string { return Redacted }

// GoString is what %#v prints: Redacted too.
func (s String) GoString() string { return Redacted }

// Format covers every verb, including %x and %q, which would otherwise
// bypass String for a struct field.
func (s String) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue keeps slog from printing the value.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON writes Redacted: see the type comment.
func (s String) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// UnmarshalJSON reads a value from a response body (Glow's decrypt).
func (s *String) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &s.v) }

// MarshalText writes Redacted, for encoders other than JSON.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

package views

import (
	"fmt"
	"io"
	"time"
)

// Error reports the error that ends a command. A person reads "Error: ..."
// on stderr. With jsonOut a program reads a diagnostic event on stdout,
// the line apply --json ends with (docs/apply-json.md), unless stdout
// already holds the command's document (plan --json, then a denied
// policy): a second JSON value there would break every parser of the
// first, so the error goes to stderr as for a person.
func Error(s *Stream, err error, jsonOut bool) {
	if !jsonOut || s.OutWritten() {
		fmt.Fprintln(s.Err, "Error:", err)
		return
	}
	writeEvent(s, time.Now(), diagnosticEvent(Diagnostic{Severity: "error", Summary: err.Error()}))
}

// Panic reports a panic and its stack on stderr. Through the stream, it
// is redacted like every other output; the runtime's own report would not
// be.
func Panic(s *Stream, p any, stack []byte) {
	fmt.Fprintf(s.Err, "panic: %v\n\n%s", p, stack)
}

// OutputFailed reports that the output could not be written (a closed
// pipe, a full disk), on w, the process's own stderr: the stream's writers
// are what failed. msg is already redacted.
func OutputFailed(w io.Writer, msg string) {
	fmt.Fprintln(w, "Error: writing the output: "+msg)
}

package views

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Validate is the view of validate.
type Validate interface {
	// Result reports the diagnostics of the configuration.
	Result(hcl.Diagnostics) error
}

// NewValidate returns the human view (diagnostics on stderr, "Success!" on
// stdout), or with jsonOut the JSON document on stdout.
func NewValidate(s *Stream, jsonOut, noColor bool) Validate {
	if jsonOut {
		return validateJSON{s}
	}
	return validateHuman{s, noColor}
}

type validateHuman struct {
	stream  *Stream
	noColor bool
}

func (v validateHuman) Result(diags hcl.Diagnostics) error {
	if err := Diagnostics(v.stream, diags, DiagnosticOptions{NoColor: v.noColor}); err != nil {
		return err
	}
	if diags.HasErrors() {
		return nil
	}
	msg := "Success! The configuration is valid."
	if len(diags) > 0 {
		msg = "Success! The configuration is valid, but there were some validation warnings as shown above."
	}
	if v.stream.OutColor(v.noColor) {
		msg = ansiGreen + msg + ansiReset
	}
	_, err := fmt.Fprintln(v.stream.Out, msg)
	return err
}

type validateJSON struct{ stream *Stream }

func (v validateJSON) Result(diags hcl.Diagnostics) error {
	return writeValidateJSON(v.stream.Out, diags)
}

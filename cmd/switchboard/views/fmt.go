package views

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/config"
)

// Fmt is the view of fmt. Close ends the output (the JSON view writes its
// document then).
type Fmt interface {
	// File reports a file fmt read; changed when it was not in canonical
	// style, with its unified diff under --diff.
	File(name string, changed bool, diff string)
	// Stdin reports fmt -: the diff under --diff, and the formatted text
	// unless --check or --diff (nil then).
	Stdin(changed bool, diff string, formatted []byte)
	// Diagnostics reports files with syntax errors; read gives the source
	// when it is not a file on disk (standard input).
	Diagnostics(diags hcl.Diagnostics, read func(string) ([]byte, error)) error
	// Error reports the error that ends fmt.
	Error(error)
	Close() error
}

// NewFmt returns the human view (the names of the files changed, and
// their diffs, on stdout; syntax errors on stderr) or, with jsonOut, the
// JSON view: one document on stdout.
func NewFmt(s *Stream, jsonOut, noColor bool) Fmt {
	if jsonOut {
		return &fmtJSON{stream: s, doc: FmtDocument{Files: []FmtFile{}, Diagnostics: []config.JSONDiagnostic{}}}
	}
	return &fmtHuman{stream: s, noColor: noColor}
}

type fmtHuman struct {
	stream  *Stream
	noColor bool
}

func (v *fmtHuman) File(name string, changed bool, diff string) {
	if !changed {
		return
	}
	fmt.Fprintln(v.stream.Out, name)
	fmt.Fprint(v.stream.Out, diff)
}

func (v *fmtHuman) Stdin(_ bool, diff string, formatted []byte) {
	fmt.Fprint(v.stream.Out, diff)
	_, _ = v.stream.Out.Write(formatted)
}

func (v *fmtHuman) Diagnostics(diags hcl.Diagnostics, read func(string) ([]byte, error)) error {
	return Diagnostics(v.stream, diags, DiagnosticOptions{NoColor: v.noColor, ReadFile: read})
}

// Error is left to the command line's "Error: ..." on stderr.
func (v *fmtHuman) Error(error) {}

func (v *fmtHuman) Close() error { return nil }

// FmtDocument is what `fmt --json` prints.
type FmtDocument struct {
	// Success is false when Diagnostics has an error (a file that does not
	// parse, one that cannot be read or written).
	Success bool `json:"success"`
	// Files are the files fmt read, in order; "-" is standard input.
	Files       []FmtFile               `json:"files"`
	Diagnostics []config.JSONDiagnostic `json:"diagnostics"`
}

// FmtFile is a file fmt read.
type FmtFile struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
	// Diff is the unified diff, with --diff.
	Diff string `json:"diff,omitempty"`
	// Formatted is the formatted text of fmt - (without --check or --diff).
	Formatted *string `json:"formatted,omitempty"`
}

type fmtJSON struct {
	stream  *Stream
	doc     FmtDocument
	written bool
}

func (v *fmtJSON) File(name string, changed bool, diff string) {
	v.doc.Files = append(v.doc.Files, FmtFile{Name: name, Changed: changed, Diff: diff})
}

func (v *fmtJSON) Stdin(changed bool, diff string, formatted []byte) {
	f := FmtFile{Name: "-", Changed: changed, Diff: diff}
	if formatted != nil {
		s := string(formatted)
		f.Formatted = &s
	}
	v.doc.Files = append(v.doc.Files, f)
}

func (v *fmtJSON) Diagnostics(diags hcl.Diagnostics, _ func(string) ([]byte, error)) error {
	v.doc.Diagnostics = append(v.doc.Diagnostics, config.NewValidateJSON(diags).Diagnostics...)
	return nil
}

func (v *fmtJSON) Error(err error) {
	v.doc.Diagnostics = append(v.doc.Diagnostics, config.JSONDiagnostic{Severity: "error", Summary: err.Error()})
}

func (v *fmtJSON) Close() error {
	if v.written {
		return nil
	}
	v.written = true
	v.doc.Success = true
	for _, d := range v.doc.Diagnostics {
		if d.Severity == "error" {
			v.doc.Success = false
		}
	}
	b, err := json.MarshalIndent(v.doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = v.stream.Out.Write(append(b, '\n'))
	return err
}

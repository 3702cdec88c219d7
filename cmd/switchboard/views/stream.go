// Package views is where the command line prints. A command decides what
// happened; its view, over the run's Stream, decides how that reads for a
// person (colour, width, progress lines) or for a program (one JSON object
// per line). The applier and the importer never print: they report through
// their own small hook interfaces, which the views here implement.
package views

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/term"
)

// Terminal says which ends of a run are a terminal, and how wide it is.
// Tests build one to declare an interactive run without a real terminal.
type Terminal struct {
	In, Out, Err bool
	// Width is the width in columns of stdout, or of stderr when only
	// stderr is a terminal (plan > file, with its diagnostics on the
	// screen); 0 when unknown.
	Width int
}

// Detect looks at the descriptors behind in, out and errOut. Writers that
// wrap a file (the redacting writers in front of stdout and stderr) expose
// it with an Fd method. A character-device check is not enough: /dev/null
// is one.
func Detect(in io.Reader, out, errOut io.Writer) Terminal {
	t := Terminal{In: isTerminal(in), Out: isTerminal(out), Err: isTerminal(errOut)}
	for _, w := range []struct {
		tty bool
		f   any
	}{{t.Out, out}, {t.Err, errOut}} {
		if w.tty {
			if n, _, err := term.GetSize(int(w.f.(interface{ Fd() uintptr }).Fd())); err == nil {
				t.Width = n
				break
			}
		}
	}
	return t
}

func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && f.Fd() != ^uintptr(0) && term.IsTerminal(int(f.Fd()))
}

// ColorMode is the --color flag: auto (a terminal, unless NO_COLOR,
// TERM=dumb or --no-color), always (CI logs that render ANSI) or never.
type ColorMode string

// Colour modes.
const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// ParseColorMode reads the value of --color.
func ParseColorMode(s string) (ColorMode, error) {
	switch m := ColorMode(s); m {
	case ColorAuto, ColorAlways, ColorNever:
		return m, nil
	case "":
		return ColorAuto, nil
	}
	return "", fmt.Errorf("--color must be auto, always or never, got %q", s)
}

// Stream is one run's standard input, output and error, and what is known
// about them. Out and Err are what the command writes to (already
// redacted); the terminal-ness is that of the files behind them.
type Stream struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	term   Terminal
	getenv func(string) string

	mu    sync.Mutex
	mode  ColorMode
	input *bufio.Reader
	out   *countingWriter
}

// countingWriter remembers whether anything was written through it.
type countingWriter struct {
	w       io.Writer
	written atomic.Bool
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		c.written.Store(true)
	}
	return c.w.Write(p)
}

// OutWritten reports whether anything was written to Out.
func (s *Stream) OutWritten() bool { return s.out.written.Load() }

// NewStream builds a stream; getenv reads the environment (os.Getenv, or a
// test's map).
func NewStream(in io.Reader, out, errOut io.Writer, t Terminal, getenv func(string) string) *Stream {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &countingWriter{w: out}
	return &Stream{In: in, Out: c, Err: errOut, term: t, getenv: getenv, mode: ColorAuto, out: c}
}

// SetColorMode records --color.
func (s *Stream) SetColorMode(m ColorMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

// Interactive reports whether a person can answer a prompt: standard input
// is a terminal.
func (s *Stream) Interactive() bool { return s.term.In }

// Width is the width of the terminal in columns: the terminal's, else
// COLUMNS, else 80.
func (s *Stream) Width() int {
	if s.term.Width > 0 {
		return s.term.Width
	}
	if n, err := strconv.Atoi(s.getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// OutColor reports whether what goes to stdout may be coloured; noColor is
// the command's --no-color.
func (s *Stream) OutColor(noColor bool) bool { return s.color(noColor, s.term.Out) }

// ErrColor is OutColor for stderr.
func (s *Stream) ErrColor(noColor bool) bool { return s.color(noColor, s.term.Err) }

// color decides in this order: the flags (--no-color, --color=never, then
// --color=always), then the environment (NO_COLOR, then FORCE_COLOR, then
// TERM=dumb), then whether the output is a terminal. An explicit flag wins
// over the environment, as a CI job's own command line should.
func (s *Stream) color(noColor, tty bool) bool {
	s.mu.Lock()
	mode := s.mode
	s.mu.Unlock()
	switch {
	case noColor || mode == ColorNever:
		return false
	case mode == ColorAlways:
		return true
	case s.getenv("NO_COLOR") != "":
		return false
	case forced(s.getenv("FORCE_COLOR")):
		return true
	case s.getenv("TERM") == "dumb":
		return false
	}
	return tty
}

// forced reads FORCE_COLOR as Node and most CI tools do: set and not
// "0" or "false".
func forced(v string) bool {
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// Confirm asks question as Terraform does and reports whether the answer
// was exactly "yes". Only a person can answer: piping "yes" into a pipeline
// is exactly the unreviewed change this tool exists to stop, so without an
// interactive input it refuses and says what to do instead (hint).
func (s *Stream) Confirm(question, hint string) (bool, error) {
	if !s.Interactive() {
		return false, errors.New("no terminal to confirm on: " + hint)
	}
	fmt.Fprintf(s.Out, "\n%s Only 'yes' will be accepted: ", question)
	s.mu.Lock()
	if s.input == nil {
		s.input = bufio.NewReader(s.In)
	}
	r := s.input
	s.mu.Unlock()
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

// Standard is the process's standard input, output and error: the one
// place outside tests that names them, so that everything else prints
// through a Stream.
func Standard() (in io.Reader, out, errOut io.Writer) { return os.Stdin, os.Stdout, os.Stderr }

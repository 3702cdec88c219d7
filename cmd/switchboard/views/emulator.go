package views

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"sync"
)

// EmulatorCredentials says where the credentials the emulator accepts came
// from, never what they are: Source is "default", "GLOW_TOKEN" or
// "GATEFLOW_ADMIN_KEY" (the environment), or "" when Count were
// configured with flags or --config.
type EmulatorCredentials struct {
	GlowSource     string
	GlowCount      int
	GateflowSource string
	GateflowCount  int
}

// Emulator is the view of emulator: a banner when it listens, a line when
// it stops, and the loggers of its requests and of net/http.
type Emulator interface {
	Credentials(EmulatorCredentials)
	// Listening says where it listens; dataDir is --data ("" in memory).
	Listening(url, dataDir string)
	Stopped()
	// Logger logs each request on stderr (nowhere when quiet).
	Logger(quiet bool) *slog.Logger
	// ErrorLog takes net/http's own messages (bad requests, TLS errors).
	ErrorLog() *log.Logger
}

// NewEmulator returns the human view, or with jsonOut the JSON view: one
// JSON object per line on stdout, and the request log as JSON on stderr.
func NewEmulator(s *Stream, jsonOut bool) Emulator {
	if jsonOut {
		return &emulatorJSON{stream: s}
	}
	return emulatorHuman{s}
}

type emulatorHuman struct{ stream *Stream }

func (v emulatorHuman) Credentials(c EmulatorCredentials) {
	out := v.stream.Out
	switch c.GlowSource {
	case "":
		fmt.Fprintf(out, "Glow tokens: %d configured\n", c.GlowCount)
	case "default":
		fmt.Fprintln(out, `Glow token: the default "glow-dev-token" (actor glow-user, unscoped)`)
	default:
		fmt.Fprintf(out, "Glow token: $%s (actor glow-user, unscoped)\n", c.GlowSource)
	}
	switch c.GateflowSource {
	case "":
		fmt.Fprintf(out, "Gateflow admin keys: %d configured\n", c.GateflowCount)
	case "default":
		fmt.Fprintln(out, `Gateflow admin key: the default "gw_admin_dev"`)
	default:
		fmt.Fprintf(out, "Gateflow admin key: $%s\n", c.GateflowSource)
	}
}

func (v emulatorHuman) Listening(url, dataDir string) {
	state := "in memory"
	if dataDir != "" {
		state = "in " + dataDir
	}
	fmt.Fprintf(v.stream.Out, "Switchboard emulator listening on %s (state %s)\n", url, state)
	fmt.Fprintf(v.stream.Out, "  export GLOW_INSTANCE_URL=%s GATEFLOW_URL=%s\n", url, url)
}

func (v emulatorHuman) Stopped() { fmt.Fprintln(v.stream.Out, "Switchboard emulator stopped") }

func (v emulatorHuman) Logger(quiet bool) *slog.Logger {
	return slog.New(slog.NewTextHandler(logTo(v.stream, quiet), nil))
}

func (v emulatorHuman) ErrorLog() *log.Logger { return log.New(v.stream.Err, "emulator: ", 0) }

func logTo(s *Stream, quiet bool) io.Writer {
	if quiet {
		return io.Discard
	}
	return s.Err
}

// EmulatorEvent is one line of `emulator --json`.
type EmulatorEvent struct {
	// Type is "credentials", "listening" or "stopped".
	Type string `json:"type"`
	// URL and State are those of "listening": State is "memory" or the
	// directory of the database.
	URL   string `json:"url,omitempty"`
	State string `json:"state,omitempty"`
	// Credentials are those of "credentials". Not "gateflow_admin_keys":
	// "w_admin_" is 8 bytes of every admin key, so the redaction of the
	// run's key would cut the name itself.
	GlowTokens   *CredentialCount `json:"glow_tokens,omitempty"`
	GateflowKeys *CredentialCount `json:"gateflow_keys,omitempty"`
}

// CredentialCount is how many credentials of a kind the emulator accepts
// and where they came from ("default", an environment variable's name, or
// "configured").
type CredentialCount struct {
	Count  int    `json:"count"`
	Source string `json:"source"`
}

type emulatorJSON struct {
	stream *Stream
	mu     sync.Mutex
}

func (v *emulatorJSON) emit(e EmulatorEvent) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = v.stream.Out.Write(append(b, '\n'))
}

func (v *emulatorJSON) Credentials(c EmulatorCredentials) {
	source := func(s string) string {
		if s == "" {
			return "configured"
		}
		return s
	}
	v.emit(EmulatorEvent{Type: "credentials",
		GlowTokens:   &CredentialCount{Count: c.GlowCount, Source: source(c.GlowSource)},
		GateflowKeys: &CredentialCount{Count: c.GateflowCount, Source: source(c.GateflowSource)}})
}

func (v *emulatorJSON) Listening(url, dataDir string) {
	state := "memory"
	if dataDir != "" {
		state = dataDir
	}
	v.emit(EmulatorEvent{Type: "listening", URL: url, State: state})
}

func (v *emulatorJSON) Stopped() { v.emit(EmulatorEvent{Type: "stopped"}) }

func (v *emulatorJSON) Logger(quiet bool) *slog.Logger {
	return slog.New(slog.NewJSONHandler(logTo(v.stream, quiet), nil))
}

func (v *emulatorJSON) ErrorLog() *log.Logger { return log.New(v.stream.Err, "emulator: ", 0) }

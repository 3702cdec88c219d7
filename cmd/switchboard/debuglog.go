package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/redact"
)

// The environment variables of the debug log.
const (
	envLog     = "SWITCHBOARD_LOG"
	envLogPath = "SWITCHBOARD_LOG_PATH"
)

// debugLog is the API clients' logger that SWITCHBOARD_LOG asks for: debug
// shows each request with its answer status and timing, every 429, retry
// and wait; trace adds a line before each attempt and the headers that
// carry no secret. It writes to SWITCHBOARD_LOG_PATH (appended to) or to
// stderr, the run's stream's (already redacted, and where a test reads
// it). The clients never log a body or the Authorization
// header, and every line also passes through the run's credential
// registry, as all output does.
func debugLog(creds *redact.Registry, stderr io.Writer) (api.Option, error) {
	var level slog.Level
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(envLog))); v {
	case "", "off":
		return nil, nil
	case "debug":
		level = slog.LevelDebug
	case "trace":
		level = api.LevelTrace
	default:
		return nil, fmt.Errorf("%s=%q: use debug or trace (or leave it unset)", envLog, v)
	}
	w := stderr
	if path := os.Getenv(envLogPath); path != "" {
		f, err := logFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envLogPath, err)
		}
		w = f
	}
	h := slog.NewTextHandler(&redactingWriter{reg: creds, w: w}, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey {
				if l, ok := a.Value.Any().(slog.Level); ok && l <= api.LevelTrace {
					a.Value = slog.StringValue("TRACE")
				}
			}
			return a
		},
	})
	return api.WithLogger(slog.New(h)), nil
}

// logFiles keeps one open file per log path for the life of the process:
// every command of one run (and every run of the tests) shares it.
var logFiles = struct {
	sync.Mutex
	m map[string]*os.File
}{m: map[string]*os.File{}}

func logFile(path string) (*os.File, error) {
	logFiles.Lock()
	defer logFiles.Unlock()
	if f, ok := logFiles.m[path]; ok {
		return f, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	logFiles.m[path] = f
	return f, nil
}

// redactingWriter cuts registered credentials out of each write. A slog
// handler writes each record in one call, so no credential straddles two.
type redactingWriter struct {
	mu  sync.Mutex
	reg *redact.Registry
	w   io.Writer
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(r.reg.Redact(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

// runEmulator starts switchboard emulator with args, waits for the line
// that says where it listens, calls the API once and stops it as Ctrl-C
// would. It returns every line of stdout and stderr.
func runEmulator(t *testing.T, listening func(line string) (url string, ok bool), args ...string) (code int, lines []string, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, w := io.Pipe()
	var errOut strings.Builder
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...), w, &errOut)
		// The reader sees the end of stdout; a pipe's Close cannot fail.
		_ = w.Close()
		done <- code
	}()
	// Stdout is read on its own, so that the emulator never waits for the
	// test to read while the test waits for its answer.
	read := make(chan string)
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			read <- sc.Text()
		}
	}()
	called := false
	for line := range read {
		lines = append(lines, line)
		if url, ok := listening(line); ok && !called {
			called = true
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/management/providers", nil)
			req.Header.Set("Authorization", "Bearer gw_admin_key-7d3e0b6c")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("the emulator answered %s", resp.Status)
			}
			cancel()
		}
	}
	if !called {
		t.Fatalf("the emulator never said where it listens:\n%s\n%s", strings.Join(lines, "\n"), errOut.String())
	}
	return <-done, lines, errOut.String()
}

func TestEmulatorHumanView(t *testing.T) {
	t.Setenv("GLOW_TOKEN", "glow-tok-4b8c1e9f2a")
	t.Setenv("GATEFLOW_ADMIN_KEY", "gw_admin_key-7d3e0b6c")
	code, lines, errOut := runEmulator(t, func(l string) (string, bool) {
		url, ok := strings.CutPrefix(l, "Switchboard emulator listening on ")
		url, _, _ = strings.Cut(url, " ")
		return url, ok
	})
	out := strings.Join(lines, "\n")
	for _, want := range []string{"Glow token: $GLOW_TOKEN (actor glow-user, unscoped)", "Gateflow admin key: $GATEFLOW_ADMIN_KEY",
		"(state in memory)", "  export GLOW_INSTANCE_URL=http://127.0.0.1:", "Switchboard emulator stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "GET") {
		t.Errorf("no request logged on stderr:\n%s", errOut)
	}
	for _, cred := range []string{"4b8c1e9f2a", "7d3e0b6c"} {
		if strings.Contains(out+errOut, cred) {
			t.Errorf("credential %s… printed:\n%s\n%s", cred[:4], out, errOut)
		}
	}
}

func TestEmulatorJSONView(t *testing.T) {
	t.Setenv("GATEFLOW_ADMIN_KEY", "gw_admin_key-7d3e0b6c")
	t.Setenv("GLOW_TOKEN", "")
	code, lines, errOut := runEmulator(t, func(l string) (string, bool) {
		var e views.EmulatorEvent
		if json.Unmarshal([]byte(l), &e) != nil || e.Type != "listening" {
			return "", false
		}
		return e.URL, true
	}, "--json")
	var types []string
	for _, l := range lines {
		var e views.EmulatorEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		types = append(types, e.Type)
		switch e.Type {
		case "credentials":
			if *e.GlowTokens != (views.CredentialCount{Count: 1, Source: "default"}) ||
				*e.GateflowKeys != (views.CredentialCount{Count: 1, Source: "GATEFLOW_ADMIN_KEY"}) {
				t.Errorf("credentials: %s", l)
			}
		case "listening":
			if e.State != "memory" || !strings.HasPrefix(e.URL, "http://127.0.0.1:") {
				t.Errorf("listening: %s", l)
			}
		}
	}
	if code != 0 || strings.Join(types, " ") != "credentials listening stopped" {
		t.Errorf("exit %d, events %v", code, types)
	}
	// The request log is JSON too, without the key.
	first, _, _ := strings.Cut(errOut, "\n")
	if !json.Valid([]byte(first)) || strings.Contains(errOut, "7d3e0b6c") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

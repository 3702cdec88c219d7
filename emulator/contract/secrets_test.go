package contract

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// syncBuffer is a log destination shared by goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The failure paths that carry a token or a secret value: none of them
// shows it, in the error or in the debug logs of either side. (TestMain
// also checks every error any test recorded.)
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	var clientLog, serverLog syncBuffer
	logger := slog.New(slog.NewTextHandler(&clientLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := emulator.Config{Logger: slog.New(slog.NewTextHandler(&serverLog, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	e := start(t, cfg, api.WithLogger(logger))
	f := e.glowFixture()
	p := f.created[0].ProviderID

	var errs []error
	collect := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("expected an error")
		}
		record(t, err)
		errs = append(errs, err)
	}

	// Wrong token and admin key.
	_, err := e.glowAs(wrongToken, api.WithLogger(logger)).GetProvider(ctx, p)
	collect(err)
	_, err = e.gateflowAs(wrongAdmin, api.WithLogger(logger)).Get(ctx, catalogue.OpenAI)
	collect(err)
	// Bad key input next to a secret value, and a lost key create.
	_, err = e.glow.CreateKeys(ctx, []glow.KeyInput{{Name: "", Value: sensitive.New("sk-SEKRIT-input")}})
	collect(err)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"glow.key.create"}})
	_, err = e.glow.CreateKeys(ctx, []glow.KeyInput{{Name: "lost", Value: sensitive.New("sk-SEKRIT-lost")}})
	collect(err)
	// Decrypt failures.
	_, err = e.glow.Decrypt(ctx, f.created[1].ProviderID, f.keys[0].ID)
	collect(err)
	e.script(emulator.FaultScript{FailNext: 5, OnlyOps: []string{"glow.provider.decrypt"}})
	_, err = e.glowAs(glowToken, api.WithRetryMax(1)).Decrypt(ctx, p, f.keys[0].ID)
	collect(err)
	e.script(emulator.FaultScript{})
	// Gateflow credentials that fail validation, on configure and rotate.
	_, err = e.gw.Configure(ctx, catalogue.OpenAI, creds(map[string]string{"api_key": "bad-SEKRIT-openai"}), nil)
	collect(err)
	_, err = e.gw.Configure(ctx, catalogue.Google, creds(map[string]string{"api_key": "g-SEKRIT", "password": "pw-SEKRIT"}), nil)
	collect(err)
	must(e.gw.Configure(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": keyValue}), nil))(t)
	_, err = e.gw.UpdateCredentials(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": "sk-SEKRIT-notant"}))
	collect(err)
	_, err = e.gw.Configure(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": keyValue}), nil)
	collect(err)
	e.script(emulator.FaultScript{DropNext: 1, OnlyOps: []string{"gateflow.providers.configure"}})
	_, err = e.gw.Configure(ctx, catalogue.Cohere, creds(map[string]string{"api_key": "co-SEKRIT-lost"}), nil)
	collect(err)
	// A read-only key on a credentials write.
	_, err = e.gateflowAs(roAdminKey).UpdateCredentials(ctx, catalogue.Anthropic, creds(map[string]string{"api_key": keyValue}))
	collect(err)

	for _, err := range errs {
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, secretMark) || strings.Contains(s, keyValue) {
				t.Errorf("secret in error: %s", s)
			}
		}
	}
	for name, log := range map[string]string{"client": clientLog.String(), "emulator": serverLog.String()} {
		if log == "" {
			t.Errorf("no %s log written", name)
		}
		if strings.Contains(log, secretMark) {
			t.Errorf("secret in the %s log:\n%s", name, log)
		}
	}
}

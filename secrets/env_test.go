package secrets_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// The configuration's vault { address } wins over VAULT_ADDR; the token
// comes from VAULT_TOKEN, else from `vault login`'s ~/.vault-token.
func TestNewResolverFromEnv(t *testing.T) {
	addr, token := vaulttest.StartIsolated(t)
	val := "sk-env-" + randomHex(8)
	if _, err := vaulttest.Client(t, addr, token).KVv2("secret").Put(context.Background(), "env/openai",
		map[string]interface{}{"api_key": val}); err != nil {
		t.Fatal(err)
	}
	rf := ref("secret/env/openai", "api_key", 0)

	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", token)
	r, err := secrets.NewResolverFromEnv(addr)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := r.Value(context.Background(), rf); err != nil || v.Reveal() != val {
		t.Fatalf("with VAULT_TOKEN: %v", err)
	}

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("VAULT_TOKEN", "")
	if _, err := secrets.NewResolverFromEnv(addr); err == nil || !strings.Contains(err.Error(), "VAULT_TOKEN") {
		t.Fatalf("without a token: got %v, want an error naming VAULT_TOKEN", err)
	}
	if err := os.WriteFile(filepath.Join(home, ".vault-token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = secrets.NewResolverFromEnv(addr)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := r.Value(context.Background(), rf); err != nil || v.Reveal() != val {
		t.Fatalf("with ~/.vault-token: %v", err)
	}
}

// Whatever a server in front of Vault puts in an error body, the token
// does not reach the message.
func TestErrorScrubsToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("proxy error for token " + r.Header.Get("X-Vault-Token")))
	}))
	defer srv.Close()
	token := "hvs.scrub-me-" + randomHex(8)
	e := &env{t: t, addr: srv.URL, token: token}
	rf := ref("secret/llm/openai", "api_key", 0)
	_, err := e.resolver().Metadata(context.Background(), rf)
	e.wantErr(err, secrets.ErrVault, rf)
	if !strings.Contains(err.Error(), "502") {
		t.Errorf("message does not give the status: %v", err)
	}
	if errors.Is(err, secrets.ErrUnreachable) {
		t.Error("an answering server is not unreachable")
	}
}

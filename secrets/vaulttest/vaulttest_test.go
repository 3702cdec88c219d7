package vaulttest_test

import (
	"context"
	"testing"

	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

func TestStartIsolatedServesAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Vault server: skipped under -short; make test runs it")
	}
	var addr, token string
	t.Run("server", func(t *testing.T) {
		addr, token = vaulttest.StartIsolated(t)
		c := vaulttest.Client(t, addr, token)
		if _, err := c.KVv2("secret").Put(context.Background(), "x", map[string]interface{}{"k": "v"}); err != nil {
			t.Fatalf("secret/ is not KV v2 with a working root token: %v", err)
		}
	})
	if addr == "" {
		t.FailNow()
	}
	if _, err := vaulttest.Client(t, addr, token).Sys().Health(); err == nil {
		t.Errorf("Vault at %s still answers after its test ended", addr)
	}
}

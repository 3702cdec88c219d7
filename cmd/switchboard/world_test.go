package main

import (
	"path/filepath"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/secrets/vaulttest"
)

// world is what a user's machine has when they run switchboard: an emulator
// of both services, a real Vault, and the environment variables the
// examples read. Tests that use it cannot run in parallel (t.Setenv).
type world struct {
	emu   *emulator.Server
	url   string
	vault *vaultapi.Client
	// planted are the secret values written to Vault; no output may contain
	// any of them.
	planted []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, emulator.Config{})
}

// newWorldWith is newWorld with the emulator's own configuration: its first
// Glow token and admin key become GLOW_TOKEN and GATEFLOW_ADMIN_KEY (the
// test credentials when cfg sets none).
func newWorldWith(t *testing.T, cfg emulator.Config) *world {
	t.Helper()
	emu, url := emulatortest.Start(t, cfg)
	addr, token := vaulttest.StartIsolated(t)
	w := &world{emu: emu, url: url, vault: vaulttest.Client(t, addr, token)}
	glowToken, adminKey := emulatortest.GlowToken, emulatortest.AdminKey
	if len(cfg.GlowTokens) > 0 {
		glowToken = cfg.GlowTokens[0].Token
	}
	if len(cfg.GateflowAdminKeys) > 0 {
		adminKey = cfg.GateflowAdminKeys[0].Key
	}
	for k, v := range map[string]string{
		"GLOW_INSTANCE_URL":  url,
		"GLOW_TOKEN":         glowToken,
		"GATEFLOW_URL":       url,
		"GATEFLOW_ADMIN_KEY": adminKey,
		"VAULT_ADDR":         addr,
		"VAULT_TOKEN":        token,
	} {
		t.Setenv(k, v)
	}
	return w
}

// writes counts the calls to w's emulator that change something: every
// operation but the reads.
func (w *world) writes() int64 {
	var n int64
	for op, c := range w.emu.Stats().Operations {
		if !isRead(op) {
			n += c
		}
	}
	return n
}

func isRead(op string) bool {
	for _, suffix := range []string{".get", ".search", ".list", ".drafts", ".export", ".self", ".test"} {
		if strings.HasSuffix(op, suffix) {
			return true
		}
	}
	return false
}

// putSecret writes a KV v2 secret and remembers its values as planted.
func (w *world) putSecret(t *testing.T, path string, data map[string]string) {
	t.Helper()
	m := map[string]any{}
	for k, v := range data {
		m[k] = v
		w.planted = append(w.planted, v)
	}
	mount, rest, _ := strings.Cut(path, "/")
	if _, err := w.vault.KVv2(mount).Put(t.Context(), rest, m); err != nil {
		t.Fatal(err)
	}
}

// assertNoSecret fails when any planted secret or token appears in texts.
func (w *world) assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, p := range append(w.planted, w.vault.Token(), emulatortest.GlowToken, emulatortest.AdminKey) {
			if strings.Contains(s, p) {
				t.Errorf("output contains the secret %q:\n%s", p, s)
			}
		}
	}
}

func (w *world) decrypts() int64 { return w.emu.Stats().Decrypts }

// copyExample copies an example directory so that a test may change it.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	return copyDir(t, filepath.Join("..", "..", "examples", name))
}

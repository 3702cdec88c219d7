// Package emulatortest starts an emulator for a test: one call, a base URL,
// and everything is closed when the test ends.
package emulatortest

import (
	"net/http/httptest"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

// The credentials Start adds when the Config has none.
const (
	GlowToken = "glow-test-token"
	ActorName = "test-user"
	AdminKey  = "gw_admin_test"
)

// Start runs an emulator with cfg on 127.0.0.1 and a free port and returns
// it with its base URL (no trailing slash), which serves both Glow and
// Gateflow. When cfg has no Glow token, GlowToken (actor ActorName,
// unscoped) is accepted; when it has no admin key, AdminKey is. The server
// is stopped and its database closed by t.Cleanup.
func Start(t testing.TB, cfg emulator.Config) (*emulator.Server, string) {
	t.Helper()
	if len(cfg.GlowTokens) == 0 {
		cfg.GlowTokens = []emulator.GlowToken{{Token: GlowToken, ActorName: ActorName}}
	}
	if len(cfg.GateflowAdminKeys) == 0 {
		cfg.GateflowAdminKeys = []emulator.AdminKey{{Key: AdminKey}}
	}
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("emulatortest: closing: %v", err)
		}
	})
	return s, hs.URL
}

package emulator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
)

func TestParseGlowToken(t *testing.T) {
	cases := map[string]string{
		"tok":                 "{tok glow-user []}",
		"tok=alice":           "{tok alice []}",
		"tok=alice:cs, math,": "{tok alice [cs math]}",
	}
	for in, want := range cases {
		got, err := emulator.ParseGlowToken(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "=alice", "tok=", "tok=alice:"} {
		if _, err := emulator.ParseGlowToken(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseAdminKey(t *testing.T) {
	if k, err := emulator.ParseAdminKey("gw_admin_x:ro"); err != nil || k != (emulator.AdminKey{Key: "gw_admin_x", ReadOnly: true}) {
		t.Errorf("%+v %v", k, err)
	}
	if k, err := emulator.ParseAdminKey("gw_admin_x"); err != nil || k.ReadOnly {
		t.Errorf("%+v %v", k, err)
	}
	_, err := emulator.ParseAdminKey("secretvalue")
	if err == nil || strings.Contains(err.Error(), "secretvalue") {
		t.Errorf("bad key: %v", err)
	}
}

func TestLoadCredentialsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	body := `{"glow_tokens":[{"token":"t","actor_name":"a","departments":["cs"]}],"gateflow_admin_keys":[{"key":"gw_admin_k","read_only":true}]}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := emulator.LoadCredentialsFile(path)
	if err != nil {
		t.Fatalf("%+v %v", f, err)
	}
	if len(f.GlowTokens) != 1 {
		t.Fatalf("%d glow tokens, want 1: %+v", len(f.GlowTokens), f.GlowTokens)
	}
	if got := f.GlowTokens[0].Departments[0]; got != "cs" {
		t.Fatalf("glow token department = %q, want %q", got, "cs")
	}
	if !f.GateflowAdminKeys[0].ReadOnly {
		t.Fatalf("gateflow admin key ReadOnly = false, want true: %+v", f.GateflowAdminKeys[0])
	}
	_, g, _ := start(t, emulator.Config{GlowTokens: f.GlowTokens, GateflowAdminKeys: f.GateflowAdminKeys})
	g.as("t").post("/provider/create", `{"providers":[{"name":"x"}]}`).wantError(403, "forbidden", "providers[0].department_ids")
}

func TestParseByteSize(t *testing.T) {
	cases := map[string]int64{
		"1048576": 1 << 20, "8MiB": 8 << 20, "8mib": 8 << 20, "200KB": 200_000, "1 GiB": 1 << 30, "512B": 512, "0": 0, "3kib": 3072,
	}
	for in, want := range cases {
		got, err := emulator.ParseByteSize(in)
		if err != nil || int64(got) != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5MiB", "8 MB extra", "99999999999GiB"} {
		if _, err := emulator.ParseByteSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for in, want := range map[emulator.ByteSize]string{8 << 20: "8MiB", 200_000: "200000", 3072: "3KiB", 0: "0", 1 << 30: "1GiB"} {
		if got := in.String(); got != want {
			t.Errorf("%d prints %q, want %q", int64(in), got, want)
		}
	}
	var b emulator.ByteSize
	if err := b.Set("2MiB"); err != nil || b != 2<<20 || b.Type() != "size" {
		t.Errorf("Set: %v %d", err, b)
	}
}

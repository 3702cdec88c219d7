package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/emulator/store"
)

// serveEnv makes the test binary an emulator process (see TestMain).
const serveEnv = "EMULATOR_TEST_SERVE_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveEnv); dir != "" {
		serve(dir)
		return
	}
	os.Exit(m.Run())
}

// serve runs an emulator on dir until killed, printing its URL.
func serve(dir string) {
	s, err := emulator.New(emulator.Config{
		DataDir:           dir,
		GlowTokens:        []emulator.GlowToken{{Token: emulatortest.GlowToken, ActorName: emulatortest.ActorName}},
		GateflowAdminKeys: []emulator.AdminKey{{Key: emulatortest.AdminKey}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	_ = http.Serve(ln, s.Handler())
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	cfg := emulator.Config{DataDir: dir}
	s1, base := emulatortest.Start(t, cfg)
	g := &client{t, base, emulatortest.GlowToken}
	gw := &client{t, base, emulatortest.AdminKey}
	ep := g.post("/endpoint/create", `{"endpoints":[{"url":"https://api.openai.com/v1"}]}`).want(200).str("endpoints", 0, "endpoint_id")
	key := g.post("/key/create", `{"keys":[{"name":"prod","value":"sk-persisted-secret"}]}`).want(200).str("keys", 0, "key_id")
	id, draft := g.createProvider(fmt.Sprintf(`{"name":"P","department_ids":["cs"],"endpoint_ids":[%q],"key_ids":[%q],"values":{"a":"b"}}`, ep, key))
	g.postf("/model/create", `{"models":[{"name":"gpt-5","provider_id":%q}]}`, id).want(200)
	g.do("PATCH", "/provider/draft", fmt.Sprintf(`{"provider_id":%q,"input_draft_id":%q,"expected_version":1,"description":"staged"}`, id, draft)).want(200)
	gone, _ := g.createProvider(`{"name":"Gone"}`)
	g.postf("/provider/delete", `{"provider_id":%q}`, gone).want(200)
	g.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, id, key).want(200)
	gw.post(gp, `{"provider":"anthropic","credentials":{"api_key":"sk-ant-1"},"settings":{"default_model":"claude-sonnet-4-5-20250929","max_retries":3}}`).want(200)
	gw.post(gp+"/anthropic/disable", "").want(200)
	before := g.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	gwBefore := gw.do("GET", gp+"/anthropic", "").want(200)

	// The key value is encrypted at rest.
	db, err := os.ReadFile(filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte("sk-persisted-secret")) || bytes.Contains(db, []byte("sk-ant-1")) {
		t.Fatal("a secret is stored in clear")
	}
	if fi, err := os.Stat(filepath.Join(dir, store.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	// A second emulator on the same directory after the first one closed.
	s1Close(t, s1)
	s2, base2 := emulatortest.Start(t, cfg)
	g2 := &client{t, base2, emulatortest.GlowToken}
	gw2 := &client{t, base2, emulatortest.AdminKey}
	after := g2.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	if string(before.raw) != string(after.raw) {
		t.Fatalf("provider changed across a restart:\n%s\n%s", before.raw, after.raw)
	}
	if r := g2.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, id, key).want(200); r.str("value") != "sk-persisted-secret" {
		t.Fatalf("decrypt after restart: %s", r.raw)
	}
	g2.postf("/provider/get", `{"provider_id":%q}`, gone).wantError(404, "not_found", "provider_id")
	if d := g2.post("/provider/drafts", `{}`).want(200); !strings.Contains(string(d.raw), "staged") {
		t.Fatalf("drafts after restart: %s", d.raw)
	}
	g2.postf("/provider/publish", `{"draft_id":%q,"expected_version":2}`, draft).want(200)
	if len(s2.Audit()) != 2 {
		t.Errorf("audit after restart: %+v", s2.Audit())
	}
	gwAfter := gw2.do("GET", gp+"/anthropic", "").want(200)
	for _, f := range []string{"status", "configured_at", "updated_at", "credentials_updated_at", "disabled_at", "settings"} {
		if fmt.Sprint(gwBefore.get(f)) != fmt.Sprint(gwAfter.get(f)) {
			t.Errorf("gateflow %s: %v then %v", f, gwBefore.get(f), gwAfter.get(f))
		}
	}
	// Names stay unique after a reload (the index is rebuilt).
	g2.post("/provider/create", `{"providers":[{"name":"P","department_ids":["cs"]}]}`).wantError(409, "name_conflict", "providers[0].name")
}

// s1Close stops serving and closes the first emulator early; the cleanup
// registered by Start then finds it closed.
func s1Close(t *testing.T, s *emulator.Server) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestKillNineKeepsAcknowledgedWrites runs the emulator as a separate
// process, kills it with SIGKILL right after acknowledged writes and starts
// it again on the same directory.
func TestKillNineKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	base, kill := startProcess(t, dir)
	g := &client{t, base, emulatortest.GlowToken}
	key := g.post("/key/create", `{"keys":[{"name":"k","value":"durable-secret"}]}`).want(200).str("keys", 0, "key_id")
	id, _ := g.createProvider(fmt.Sprintf(`{"name":"Durable","key_ids":[%q]}`, key))
	v := g.postf("/provider/update", `{"provider_id":%q,"description":"acknowledged"}`, id).want(200).num("version")
	kill()

	base2, kill2 := startProcess(t, dir)
	defer kill2()
	g2 := &client{t, base2, emulatortest.GlowToken}
	p := g2.postf("/provider/get", `{"provider_id":%q}`, id).want(200)
	if p.str("provider", "description") != "acknowledged" || p.num("provider", "version") != v {
		t.Fatalf("after kill -9: %s", p.raw)
	}
	if r := g2.postf("/provider/decrypt", `{"provider_id":%q,"key_id":%q}`, id, key).want(200); r.str("value") != "durable-secret" {
		t.Fatalf("decrypt after kill -9: %s", r.raw)
	}
}

func startProcess(t *testing.T, dir string) (base string, kill func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill = func() {
		if killed {
			return
		}
		killed = true
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		cancel()
	}
	t.Cleanup(kill)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("emulator process: %v", err)
	}
	return strings.TrimSpace(line), kill
}

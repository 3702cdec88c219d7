package childproc

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadyLines(t *testing.T) {
	for _, c := range []struct {
		line string
		re   *regexp.Regexp
		want string
	}{
		{"VAULT_ADDR=http://127.0.0.1:41234", VaultReady, "http://127.0.0.1:41234"},
		{"VAULT_TOKEN=root", VaultReady, ""},
		{"  VAULT_ADDR=http://127.0.0.1:1", VaultReady, ""},
		{"Switchboard emulator listening on http://127.0.0.1:39001 (state memory)", EmulatorReady, "http://127.0.0.1:39001"},
		{"emulator starting", EmulatorReady, ""},
	} {
		got := ""
		if m := c.re.FindStringSubmatch(c.line); m != nil {
			got = m[1]
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.line, got, c.want)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0":     true,
		"127.0.0.1:39001": true,
		"[::1]:0":         true,
		"localhost:8080":  true,
		"0.0.0.0:0":       false,
		":8080":           false,
		"10.0.0.1:80":     false,
		"127.0.0.1":       false,
	} {
		if err := loopback(addr); (err == nil) != ok {
			t.Errorf("loopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestBufferKeepsTail(t *testing.T) {
	b := &Buffer{Max: 4}
	_, _ = b.Write([]byte("abc"))
	_, _ = b.Write([]byte("defg"))
	if got := b.String(); got != "defg" {
		t.Errorf("tail: got %q", got)
	}
	all := &Buffer{}
	_, _ = all.Write([]byte(strings.Repeat("x", 1<<16)))
	if got := len(all.String()); got != 1<<16 {
		t.Errorf("unbounded: kept %d bytes", got)
	}
}

func TestEnvIsMinimal(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "leak")
	t.Setenv("PATH", "/bin")
	env := Env("X=1")
	if strings.Contains(strings.Join(env, "\n"), "VAULT_TOKEN") {
		t.Errorf("Env passes the harness's VAULT_TOKEN: %q", env)
	}
	if env[len(env)-1] != "X=1" || !contains(env, "PATH=/bin") {
		t.Errorf("Env = %q", env)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func shServer(t *testing.T, script string, timeout time.Duration) (*Server, string, error) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("these tests run fake servers as sh scripts: %v", err)
	}
	return StartServer("fake", exec.Command(sh, "-c", script), EmulatorReady, timeout, 0)
}

func TestStartServerReadsAddressAndStops(t *testing.T) {
	s, addr, err := shServer(t, `echo starting; echo oops >&2; echo "fake listening on http://127.0.0.1:4242 (x)"; exec sleep 60`, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if addr != "http://127.0.0.1:4242" {
		t.Errorf("addr = %q", addr)
	}
	pid := s.cmd.Process.Pid
	s.Stop()
	if !strings.Contains(s.Stdout.String(), "starting\n") || s.Stderr.String() != "oops\n" {
		t.Errorf("output: stdout %q, stderr %q", s.Stdout, s.Stderr)
	}
	if alive(pid) {
		t.Errorf("server %d still running after Stop", pid)
	}
}

func TestStartServerExitBeforeReady(t *testing.T) {
	_, _, err := shServer(t, `echo broken >&2; exit 3`, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready: broken") {
		t.Errorf("err = %v", err)
	}
}

func TestStartServerNeverReady(t *testing.T) {
	start := time.Now()
	_, _, err := shServer(t, `echo waiting; exec sleep 60`, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not ready within") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s", d)
	}
}

func TestKillAllReachesTheGroup(t *testing.T) {
	// sh starts sleep in the background: killing the group must reach it.
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $!; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	var buf [32]byte
	n, _ := out.Read(buf[:])
	KillAll()
	_ = cmd.Wait()
	grandchild, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(grandchild) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived KillAll", grandchild)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid is running; a zombie waiting for a reaper that
// is not ours counts as dead.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || !strings.Contains(string(stat), ") Z ")
}

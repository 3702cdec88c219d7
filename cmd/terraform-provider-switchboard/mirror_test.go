package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// TestProviderMirrorInit installs the provider the way docs/terraform.md
// says: `make provider-mirror` writes a filesystem mirror and a CLI
// configuration, and the real `terraform init` installs from it, offline,
// for a configuration with a version constraint and a module called twice,
// and writes a lock file. Then a plan runs the installed provider, which
// sends the version from the VERSION file in its User-Agent.
func TestProviderMirrorInit(t *testing.T) {
	tf := terraformPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	version, parts := releaseVersion(t, root)
	home := t.TempDir()
	mirror := makeProviderMirror(ctx, t, root, filepath.Join(home, "mirror"), version)
	work := writeMirrorWorkspace(t, parts[0], parts[1])
	proxy := newAgentProxy(t)

	// The CLI configuration is the one make wrote, unchanged: the mirror for
	// this provider, `direct` for the rest, and a dead proxy so that any
	// attempt to reach a registry fails the test.
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+mirror+".tfrc",
		"HOME="+home,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"GLOW_INSTANCE_URL=", "GLOW_TOKEN=",
		"GATEFLOW_URL="+proxy.url, "GATEFLOW_ADMIN_KEY="+emulatortest.AdminKey,
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, append(args, "-no-color", "-input=false")...)
		cmd.Dir, cmd.Env = work, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	out := run("init")
	if want := "Installed switchboard-hq/switchboard v" + version; !strings.Contains(out, want) {
		t.Fatalf("terraform init did not say %q:\n%s", want, out)
	}
	checkLockFile(t, work, version)
	// A second init with the lock file in place installs the same package.
	run("init")
	if out := run("plan"); !strings.Contains(out, "count = ") {
		t.Fatalf("terraform plan:\n%s", out)
	}
	found := false
	for _, ua := range proxy.userAgents() {
		found = found || strings.Contains(ua, "/"+version)
	}
	if !found {
		t.Fatalf("the provider's requests carry no version %s in their User-Agent: %v", version, proxy.userAgents())
	}
}

// releaseVersion is the VERSION file's number and its three parts; a
// pre-release or build suffix fails the test, since Terraform would not
// select it without an exact pin.
func releaseVersion(t *testing.T, root string) (string, []string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(raw))
	parts := strings.Split(version, ".")
	if len(parts) != 3 || strings.ContainsAny(version, "-+") {
		t.Fatalf("VERSION is %q: want a release number MAJOR.MINOR.PATCH, which Terraform selects without an exact pin", version)
	}
	return version, parts
}

// makeProviderMirror runs `make provider-mirror` into mirror and checks
// that the provider is where Terraform looks for it.
func makeProviderMirror(ctx context.Context, t *testing.T, root, mirror, version string) string {
	t.Helper()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatal("make is not on PATH: this test runs `make provider-mirror`")
	}
	mk := exec.CommandContext(ctx, makeBin, "-s", "provider-mirror", "MIRROR_DIR="+mirror)
	mk.Dir = root
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make provider-mirror: %v\n%s", err, out)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	bin := filepath.Join(mirror, "registry.terraform.io", "switchboard-hq", "switchboard", version,
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-switchboard_v"+version+exe)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the mirror has no provider where Terraform looks for it: %v", err)
	}
	return mirror
}

// writeMirrorWorkspace writes a configuration that constrains the
// provider to ~> MAJOR.MINOR and calls one module twice.
func writeMirrorWorkspace(t *testing.T, major, minor string) string {
	t.Helper()
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    switchboard = {
      source  = "switchboard-hq/switchboard"
      version = "~> %s.%s"
    }
  }
}

provider "switchboard" {}

module "east" { source = "./modules/catalogue" }
module "west" { source = "./modules/catalogue" }

output "count" { value = module.east.count + module.west.count }
`, major, minor))
	if err := os.MkdirAll(filepath.Join(work, "modules", "catalogue"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(work, "modules", "catalogue", "main.tf"), `terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}

data "switchboard_gateflow_providers" "all" {}

output "count" { value = length(data.switchboard_gateflow_providers.all.providers) }
`)
	return work
}

// checkLockFile checks that terraform init locked the provider at version
// with a package hash.
func checkLockFile(t *testing.T, work, version string) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(work, ".terraform.lock.hcl"))
	if err != nil {
		t.Fatalf("terraform init wrote no lock file: %v", err)
	}
	for _, want := range []string{
		`provider "registry.terraform.io/switchboard-hq/switchboard"`,
		fmt.Sprintf(`version     = %q`, version),
		`"h1:`,
	} {
		if !bytes.Contains(lock, []byte(want)) {
			t.Fatalf(".terraform.lock.hcl lacks %s:\n%s", want, lock)
		}
	}
}

// agentProxy passes requests to an emulator and records who sent them.
type agentProxy struct {
	url    string
	mu     sync.Mutex
	agents map[string]bool
}

func newAgentProxy(t *testing.T) *agentProxy {
	t.Helper()
	_, emu := emulatortest.Start(t, emulator.Config{})
	target, err := url.Parse(emu)
	if err != nil {
		t.Fatal(err)
	}
	p := &agentProxy{agents: map[string]bool{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.agents[r.UserAgent()] = true
		p.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	ln := listen(t)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	p.url = "http://" + ln.Addr().String()
	return p
}

// userAgents is every User-Agent seen so far.
func (p *agentProxy) userAgents() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.agents))
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

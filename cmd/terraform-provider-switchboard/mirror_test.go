package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatal("make is not on PATH: this test runs `make provider-mirror`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(raw))
	parts := strings.Split(version, ".")
	if len(parts) != 3 || strings.ContainsAny(version, "-+") {
		t.Fatalf("VERSION is %q: want a release number MAJOR.MINOR.PATCH, which Terraform selects without an exact pin", version)
	}

	home := t.TempDir()
	mirror := filepath.Join(home, "mirror")
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
`, parts[0], parts[1]))
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

	// Requests reach the emulator through a proxy that records who sent them.
	_, emu := emulatortest.Start(t, emulator.Config{})
	target, err := url.Parse(emu)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		agents = map[string]bool{}
	)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.UserAgent()] = true
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	ln := listen(t)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

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
		"GATEFLOW_URL=http://"+ln.Addr().String(), "GATEFLOW_ADMIN_KEY="+emulatortest.AdminKey,
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

	// A second init with the lock file in place installs the same package.
	run("init")
	if out := run("plan"); !strings.Contains(out, "count = ") {
		t.Fatalf("terraform plan:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	found := false
	for ua := range agents {
		found = found || strings.Contains(ua, "/"+version)
	}
	if !found {
		t.Fatalf("the provider's requests carry no version %s in their User-Agent: %v", version, agents)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

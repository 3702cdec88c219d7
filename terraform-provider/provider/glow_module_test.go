package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// terraformCLI runs the real terraform in a directory of its own against
// this provider served in-process (TF_REATTACH_PROVIDERS), the way
// terraform-plugin-testing does; used where that harness can't go, such as
// configurations with modules, whose state it cannot read.
type terraformCLI struct {
	t   *testing.T
	dir string
	env []string
}

func newTerraformCLI(t *testing.T, dir string) *terraformCLI {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real Terraform: skipped under -short; make test runs it")
	}
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		newServer := NewServer(New("test"))
		_ = tf6server.Serve(Address, func() tfprotov6.ProviderServer {
			s, err := newServer()
			if err != nil {
				panic(err)
			}
			return s
		}, tf6server.WithDebug(ctx, reattach, closed), tf6server.WithoutLogStderrOverride())
	}()
	t.Cleanup(func() { cancel(); <-closed })
	rc := <-reattach
	cfg, err := json.Marshal(map[string]any{Address: map[string]any{
		"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
		"Addr": map[string]string{"Network": rc.Addr.Network(), "String": rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &terraformCLI{t: t, dir: dir, env: append(os.Environ(), "TF_REATTACH_PROVIDERS="+string(cfg), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_CLI_ARGS=-no-color")}
}

// run runs terraform and returns its exit code and output; a code other
// than the wanted ones fails the test.
func (c *terraformCLI) run(want []int, args ...string) (int, string) {
	c.t.Helper()
	tf, err := findTerraform()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(tf, args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	for _, w := range want {
		if code == w {
			return code, string(out)
		}
	}
	c.t.Fatalf("terraform %s exited %d, want %v:\n%s", strings.Join(args, " "), code, want, out)
	return code, string(out)
}

// A reusable module that manages a Glow provider, called twice with keys
// from its variables. terraform validate sees the keys as unknown, which
// used to fail with "Value Conversion Error".
func TestAccGlowProviderModuleTwice(t *testing.T) {
	e := newTestEnv(t)
	mod, err := filepath.Abs("testdata/glow_module")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := fmt.Sprintf(`
terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}

provider "switchboard" {
  glow_url   = %q
  glow_token = %q
}

variable "primary_version" {
  type = number
}

variable "api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

module "research" {
  source      = %[3]q
  name        = "Research OpenAI"
  departments = ["research"]
  keys        = { primary = var.primary_version, fallback = 1 }
  api_key     = var.api_key
}

module "support" {
  source      = %[3]q
  name        = "Support OpenAI"
  departments = ["support"]
  keys        = { primary = 1 }
  api_key     = var.api_key
}
`, e.url, emulatortest.GlowToken, mod)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o600); err != nil {
		t.Fatal(err)
	}
	tf := newTerraformCLI(t, dir)
	tf.env = append(tf.env, "TF_VAR_api_key=sk-module-secret")
	tf.run([]int{0}, "init", "-backend=false", "-input=false")
	tf.run([]int{0}, "validate")
	tf.run([]int{0}, "apply", "-auto-approve", "-var", "primary_version=1")

	keysOf := func(name string) map[string]string {
		ps := e.providersNamed(t, name)
		if len(ps) != 1 {
			t.Fatalf("%d Glow providers named %q, want 1", len(ps), name)
		}
		d, err := e.glow.GetProvider(context.Background(), ps[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range d.Keys.Current {
			out[k.Name] = k.ID
		}
		return out
	}
	research, support := keysOf("Research OpenAI"), keysOf("Support OpenAI")
	if len(research) != 2 {
		t.Errorf("after the first apply research has %d keys, want 2: %v", len(research), research)
	}
	for _, name := range []string{"primary (terraform:v1)", "fallback (terraform:v1)"} {
		if research[name] == "" {
			t.Errorf("after the first apply research has no key %q: %v", name, research)
		}
	}
	if len(support) != 1 {
		t.Errorf("after the first apply support has %d keys, want 1: %v", len(support), support)
	}
	if t.Failed() {
		t.FailNow()
	}
	// Nothing left to do: plan -detailed-exitcode exits 0 for no changes.
	tf.run([]int{0}, "plan", "-detailed-exitcode", "-var", "primary_version=1")

	// Rotating research's primary key changes that module's provider only.
	_, out := tf.run([]int{2}, "plan", "-detailed-exitcode", "-var", "primary_version=2")
	if !strings.Contains(out, "module.research.switchboard_glow_provider.this will be updated in-place") ||
		strings.Contains(out, "module.support.switchboard_glow_provider.this will be") {
		t.Errorf("plan for the rotation:\n%s", out)
	}
	tf.run([]int{0}, "apply", "-auto-approve", "-var", "primary_version=2")
	if got := keysOf("Research OpenAI"); got["primary (terraform:v2)"] == "" || got["fallback (terraform:v1)"] != research["fallback (terraform:v1)"] {
		t.Errorf("research keys after the rotation: %v (before %v)", got, research)
	}
	if got := keysOf("Support OpenAI"); fmt.Sprint(got) != fmt.Sprint(support) {
		t.Errorf("support keys changed: %v, was %v", got, support)
	}
	tf.run([]int{0}, "plan", "-detailed-exitcode", "-var", "primary_version=2")
	state, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(state), "sk-module-secret") {
		t.Error("the key value is in the state file")
	}
	tf.run([]int{0}, "destroy", "-auto-approve", "-var", "primary_version=2")
}

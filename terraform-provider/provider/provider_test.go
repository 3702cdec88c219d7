package provider

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// installHelp is what a machine without Terraform needs to run the tests.
const installHelp = `Terraform 1.11 or later is needed to run the provider's tests, and they never download it.
Install it (https://developer.hashicorp.com/terraform/install, or unzip terraform_1.11.x_linux_amd64.zip
into /usr/local/bin) and set TF_ACC_TERRAFORM_PATH to the binary if it is not on PATH.`

// TestMain points terraform-plugin-testing at a local Terraform. The
// acceptance tests run against an in-process emulator in seconds, so they
// run with every `go test` rather than only under TF_ACC: a test suite that
// skips itself quietly is how a provider rots. Without Terraform they fail,
// saying how to install it. Under -short (make test-short, the quick loop)
// they are skipped: resource.Test skips without TF_ACC.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		if err := os.Unsetenv("TF_ACC"); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	tf, err := findTerraform()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n\n%s\n", err, installHelp)
		os.Exit(1)
	}
	// With TF_ACC_TERRAFORM_PATH set and TF_ACC_TERRAFORM_VERSION unset,
	// terraform-plugin-testing uses that binary and never installs one.
	env := []error{os.Setenv("TF_ACC_TERRAFORM_PATH", tf), os.Unsetenv("TF_ACC_TERRAFORM_VERSION"),
		os.Setenv("CHECKPOINT_DISABLE", "1")}
	if os.Getenv("TF_ACC") == "" {
		env = append(env, os.Setenv("TF_ACC", "1"))
	}
	if err := errors.Join(env...); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	removeProviderBinary()
	os.Exit(code)
}

func findTerraform() (string, error) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			tf = p
		} else {
			tf = "/usr/local/bin/terraform"
		}
	}
	if _, err := os.Stat(tf); err != nil {
		return "", fmt.Errorf("terraform not found at %s", tf)
	}
	out, err := exec.Command(tf, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %v", tf, err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(out), "Terraform v%d.%d", &major, &minor); err != nil {
		return "", fmt.Errorf("%s version: unexpected output %q", tf, firstLine(string(out)))
	}
	if major < 1 || (major == 1 && minor < 11) {
		return "", fmt.Errorf("%s is %s; write-only attributes need Terraform 1.11 or later", tf, firstLine(string(out)))
	}
	return tf, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// testEnv is one emulator and clients to look at it from outside Terraform.
type testEnv struct {
	url      string
	server   *emulator.Server
	glow     *glow.Client
	gateflow *gateflow.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	s, url := emulatortest.Start(t, emulator.Config{})
	opts := []api.Option{api.WithRetryWait(10*time.Millisecond, 50*time.Millisecond)}
	gc, err := glow.New(url, sensitive.New(emulatortest.GlowToken), opts...)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := gateflow.New(url, sensitive.New(emulatortest.AdminKey), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{url: url, server: s, glow: gc, gateflow: fc}
}

// factories serves the provider in-process; Terraform reattaches to it, so
// nothing is installed. Each server is a fresh provider, as each process
// is outside the tests.
func (e *testEnv) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"switchboard": NewServer(New("test", api.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))),
	}
}

// providerBlock configures both services explicitly rather than through
// the environment, so that parallel tests with their own emulators don't
// share variables.
func (e *testEnv) providerBlock() string {
	return fmt.Sprintf(`
provider "switchboard" {
  glow_url           = %q
  glow_token         = %q
  gateflow_url       = %q
  gateflow_admin_key = %q
}
`, e.url, emulatortest.GlowToken, e.url, emulatortest.AdminKey)
}

// checkNoSecret fails when any attribute of any resource in the state
// contains one of the secrets.
func checkNoSecret(secrets ...string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for _, mod := range s.Modules {
			for addr, rs := range mod.Resources {
				if rs.Primary == nil {
					continue
				}
				for k, v := range rs.Primary.Attributes {
					for _, secret := range secrets {
						if strings.Contains(v, secret) {
							return fmt.Errorf("%s.%s holds a secret value", addr, k)
						}
					}
				}
			}
		}
		return nil
	}
}

func TestProviderSchemaValid(t *testing.T) {
	// The framework checks schemas (write-only rules, defaults) when
	// Terraform asks for them; asking directly reports a broken schema
	// without a Terraform run.
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("%s: %s: %s", d.Severity, d.Summary, d.Detail)
	}
	for _, name := range []string{"switchboard_glow_provider", "switchboard_gateflow_provider"} {
		if resp.ResourceSchemas[name] == nil {
			t.Errorf("resource %s missing", name)
		}
	}
	for _, name := range []string{"switchboard_glow_provider", "switchboard_gateflow_providers"} {
		if resp.DataSourceSchemas[name] == nil {
			t.Errorf("data source %s missing", name)
		}
	}
}

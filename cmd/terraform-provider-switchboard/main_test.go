package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// TestEndToEnd runs the real terraform CLI on examples/terraform the way a
// user would: the provider binary built with go build and found through
// dev_overrides (no terraform init, no registry), credentials in the
// environment, the key as a TF_VAR_ variable feeding write-only attributes.
func TestEndToEnd(t *testing.T) {
	tf := terraformPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Everything but the provider is refused: an empty filesystem mirror
	// instead of `direct`, and a dead proxy (in env below) for anything
	// else Terraform might reach for (Go never proxies loopback, so the
	// emulator works).
	home := t.TempDir()
	cliConfig := devOverrideConfig(ctx, t, home)

	work := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(work, "main.tf"), string(example))

	_, url := emulatortest.Start(t, emulator.Config{})
	const secret = "sk-end-to-end-secret-7f3a"
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"HOME="+home,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"GLOW_INSTANCE_URL="+url, "GLOW_TOKEN="+emulatortest.GlowToken,
		"GATEFLOW_URL="+url, "GATEFLOW_ADMIN_KEY="+emulatortest.AdminKey,
		"TF_VAR_openai_api_key="+secret,
	)
	run := func(wantCode int, sub string, args ...string) string {
		t.Helper()
		flags := []string{sub, "-no-color"}
		if sub != "output" {
			flags = append(flags, "-input=false")
		}
		args = append(flags, args...)
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir, cmd.Env = work, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("terraform %s: %v", args[0], err)
		}
		if code != wantCode {
			t.Fatalf("terraform %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out.String())
		}
		if strings.Contains(out.String(), secret) {
			t.Fatalf("terraform %s printed the key", args[0])
		}
		return out.String()
	}

	if out := run(0, "plan"); !strings.Contains(out, "Plan: 2 to add") {
		t.Fatalf("first plan:\n%s", out)
	}
	run(0, "apply", "-auto-approve")
	st, err := os.ReadFile(filepath.Join(work, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(st, []byte(secret)) {
		t.Fatal("terraform.tfstate holds the key")
	}

	// The key reached Glow.
	gc, err := glow.New(url, sensitive.New(emulatortest.GlowToken))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(run(0, "output", "-raw", "glow_provider_id"))
	if glowKeyValue(ctx, t, gc, id) != secret {
		t.Fatal("the key in Glow is not the TF_VAR_ value")
	}

	// Converged: a second plan has nothing to do.
	run(0, "plan", "-detailed-exitcode")
	run(0, "destroy", "-auto-approve")
	if _, err := gc.GetProvider(ctx, id); err == nil {
		t.Fatal("the Glow provider survived destroy")
	}
}

// devOverrideConfig builds the provider with go build and writes, under
// home, a CLI configuration that finds it through dev_overrides and has an
// empty filesystem mirror instead of `direct`; it returns the file's path.
func devOverrideConfig(ctx context.Context, t *testing.T, home string) string {
	t.Helper()
	pluginDir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-switchboard"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cliConfig := filepath.Join(home, "terraformrc")
	mirror := filepath.Join(home, "empty-mirror")
	if err := os.Mkdir(mirror, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "switchboard-hq/switchboard" = %q
  }
  filesystem_mirror {
    path = %q
  }
}
`, pluginDir, mirror))
	return cliConfig
}

// glowKeyValue is the value of provider id's one key, as Glow decrypts it.
func glowKeyValue(ctx context.Context, t *testing.T, gc *glow.Client, id string) string {
	t.Helper()
	d, err := gc.GetProvider(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Keys.Current) != 1 {
		t.Fatalf("glow keys: %+v", d.Keys.Current)
	}
	dec, err := gc.Decrypt(ctx, id, d.Keys.Current[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return dec.Value.Reveal()
}

func terraformPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real Terraform: skipped under -short; make test runs it")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			tf = p
		} else {
			tf = "/usr/local/bin/terraform"
		}
	}
	if _, err := os.Stat(tf); err != nil {
		t.Fatalf("terraform not found at %s: this test needs Terraform 1.11 or later and never downloads it. "+
			"Install it (https://developer.hashicorp.com/terraform/install) and set TF_ACC_TERRAFORM_PATH if it is not on PATH.", tf)
	}
	return tf
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

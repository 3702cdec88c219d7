package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
	"github.com/switchboard-hq/switchboard/redact"
	"github.com/switchboard-hq/switchboard/secretref"
)

// canaries are credentials no output may show, whole or as any 8-byte
// substring. Their 8-byte windows are unlike anything Switchboard prints.
var canaries = map[string]string{
	"GLOW_TOKEN":         "glow-canary-7Qx2Lp9Vz4Kd",
	"GATEFLOW_ADMIN_KEY": "gw_admin_canary-M3n8Rt5Wy1",
	"VAULT_TOKEN":        "hvs.canary-B6jT0sF3gN8q",
}

func setCanaries(t *testing.T) {
	t.Helper()
	for k, v := range canaries {
		t.Setenv(k, v)
	}
}

// runRedacted runs the command line as main does, through run: output
// redacted and flushed, errors printed as "Error: ...".
func runRedacted(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// assertNoCanary fails when any 8-byte substring of a credential is in one
// of texts.
func assertNoCanary(t *testing.T, creds map[string]string, texts ...string) {
	t.Helper()
	for name, c := range creds {
		for i := 0; i+redact.MinLen <= len(c); i++ {
			for _, s := range texts {
				if w := c[i : i+redact.MinLen]; strings.Contains(s, w) {
					t.Errorf("output shows %q of %s:\n%s", w, name, s)
					return
				}
			}
		}
	}
}

// assertMarkedWhereShown checks the places where a configuration printed a
// credential's substring right after before: each shows marker. A
// configuration's source line, quoted by a diagnostic, shows the
// expression ("${") instead; a loader that refuses the value shows no such
// place, and then the test only checks that no credential shows.
func assertMarkedWhereShown(t *testing.T, text, before, marker string) (shown int) {
	t.Helper()
	for rest := text; ; {
		i := strings.Index(rest, before)
		if i < 0 {
			return shown
		}
		rest = rest[i+len(before):]
		if strings.HasPrefix(rest, "${") {
			continue
		}
		shown++
		if !strings.HasPrefix(rest, marker) {
			t.Errorf("after %q, want %s:\n%s", before, marker, text)
		}
	}
}

func TestRedactionOfValidateOutput(t *testing.T) {
	setCanaries(t)
	// A validation message the configuration builds from substrings of
	// the environment's credentials, which nonsensitive() does not protect
	// as it protects whole credentials.
	dir := writeConfigFiles(t, map[string]string{"main.hcl": `
variable "region" {
  default = "eu"
  validation {
    condition     = var.region == "us"
    error_message = "bad region: glow=${nonsensitive(substr(env("GLOW_TOKEN"), 0, 12))}, gateflow=${nonsensitive(substr(env("GATEFLOW_ADMIN_KEY"), 3, 15))}, vault=${nonsensitive(substr(env("VAULT_TOKEN"), 4, 9))}, whole=${nonsensitive(env("GLOW_TOKEN"))}"
  }
}
`})
	code, out, errOut := runRedacted(t, "validate", "--no-color", dir)
	if code != 1 || !strings.Contains(errOut, "Error: Invalid value for variable") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	assertNoCanary(t, canaries, out, errOut)
	shown := assertMarkedWhereShown(t, errOut, "glow=", "(redacted: GLOW_TOKEN)")
	shown += assertMarkedWhereShown(t, errOut, "gateflow=", "(redacted: GATEFLOW_ADMIN_KEY)")
	shown += assertMarkedWhereShown(t, errOut, "vault=", "(redacted: VAULT_TOKEN)")
	if shown == 0 {
		t.Log("the loader showed no part of the credentials")
	}

	code, out, errOut = runRedacted(t, "validate", "--json", dir)
	assertNoCanary(t, canaries, out, errOut)
	var res config.ValidateJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || len(res.Diagnostics) == 0 {
		t.Fatalf("exit %d, %v: a redacted document must stay JSON:\n%s", code, err, out)
	}
	assertMarkedWhereShown(t, res.Diagnostics[0].Detail, "glow=", "(redacted: GLOW_TOKEN)")
}

func TestRedactionOfTheFinalError(t *testing.T) {
	setCanaries(t)
	// A credential pasted where a command name goes comes back in cobra's
	// error, which run prints.
	code, out, errOut := runRedacted(t, canaries["GLOW_TOKEN"])
	if code != 1 || errOut != "Error: unknown command \"(redacted: GLOW_TOKEN)\" for \"switchboard\"\n" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runRedacted(t, "validate", "--no-color", "--var", "x="+canaries["VAULT_TOKEN"], filepath.Join(t.TempDir(), canaries["GATEFLOW_ADMIN_KEY"][5:20]))
	if code != 1 || !strings.Contains(errOut, "(redacted: GATEFLOW_ADMIN_KEY)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	assertNoCanary(t, canaries, out, errOut)
}

func TestRedactionOfPlanOutput(t *testing.T) {
	setCanaries(t)
	// Credentials the configuration chooses: connect registers each under
	// the name of where it came from.
	own := map[string]string{
		"MY_GLOW_TOKEN": "glow-own-canary-Ra4Ke8Tn1Ux",
		"var.tok":       "glow-var-canary-Wc5Jh3Dp6Ys",
	}
	_, url := emulatortest.Start(t, emulator.Config{GlowTokens: []emulator.GlowToken{
		{Token: canaries["GLOW_TOKEN"], ActorName: "env"},
		{Token: own["MY_GLOW_TOKEN"], ActorName: "own"},
		{Token: own["var.tok"], ActorName: "var"},
	}})
	t.Setenv("GLOW_INSTANCE_URL", url)
	t.Setenv("MY_GLOW_TOKEN", own["MY_GLOW_TOKEN"])
	providers := `
glow_provider "p" {
  name        = "P"
  description = "token=${nonsensitive(substr(TOKEN, 0, 12))} and vault=${nonsensitive(substr(env("VAULT_TOKEN"), 2, 14))}"
}
`
	all := map[string]string{"own " + own["MY_GLOW_TOKEN"]: own["MY_GLOW_TOKEN"], "var " + own["var.tok"]: own["var.tok"]}
	for k, v := range canaries {
		all[k] = v
	}
	for _, tc := range []struct {
		name, glow, token, marker string
		args                      []string
	}{
		{"environment default", `glow {}`, `env("GLOW_TOKEN")`, "(redacted: GLOW_TOKEN)", nil},
		{"env()", `glow { token = env("MY_GLOW_TOKEN") }`, `env("MY_GLOW_TOKEN")`, "(redacted: glow token (env:MY_GLOW_TOKEN))", nil},
		{"sensitive variable", "variable \"tok\" {\n  sensitive = true\n}\nglow { token = var.tok }", `var.tok`, "(redacted: glow token (var.tok))", []string{"--var", "tok=" + own["var.tok"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeConfigFiles(t, map[string]string{"main.hcl": tc.glow + strings.Replace(providers, "TOKEN", tc.token, 1)})
			for _, format := range []string{"text", "json"} {
				args := append([]string{"plan", "--no-color", "--format", format, dir}, tc.args...)
				code, out, errOut := runRedacted(t, args...)
				if code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", format, code, out, errOut)
				}
				assertNoCanary(t, all, out, errOut)
				if format == "text" {
					assertMarkedWhereShown(t, out, "token=", tc.marker)
					assertMarkedWhereShown(t, out, "vault=", "(redacted: VAULT_TOKEN)")
				} else if !json.Valid([]byte(out)) {
					t.Errorf("the redacted JSON plan is not JSON:\n%s", out)
				}
			}
		})
	}
}

func TestConnectRegistersTheTokenOfVaultLogin(t *testing.T) {
	home := t.TempDir()
	const token = "hvs.login-canary-Zq8Mv3Bt6Lw"
	if err := os.WriteFile(filepath.Join(home, ".vault-token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("VAULT_TOKEN", "")
	reg := &redact.Registry{}
	// Nothing answers there: the token is registered before the first
	// request, so even the error that Vault is down cannot quote it.
	var errOut bytes.Buffer
	st := views.NewStream(nil, &errOut, &errOut, views.Terminal{}, nil)
	if _, err := connect(withStream(withCredentials(t.Context(), reg), st), &config.Config{Vault: &secretref.VaultSettings{Address: "http://127.0.0.1:1"}}); err == nil {
		t.Fatal("connected to nothing")
	}
	if got := reg.String("token " + token[3:20]); got != "token (redacted: vault token (~/.vault-token))" {
		t.Errorf("the token of ~/.vault-token is not cut out: %q", got)
	}
}

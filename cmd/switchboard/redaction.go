package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/redact"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// credentialEnv are the variables that hold a credential whenever they are
// set, whether or not the configuration reads them: a configuration that
// quotes one by mistake must not print it either.
var credentialEnv = []string{"GLOW_TOKEN", "GATEFLOW_ADMIN_KEY", "VAULT_TOKEN"}

type credentialsKey struct{}

// newCredentials is the registry of one run of the command line, with the
// credentials of the environment.
func newCredentials() *redact.Registry {
	reg := &redact.Registry{}
	for _, name := range credentialEnv {
		if v := os.Getenv(name); v != "" {
			reg.Add(name, sensitive.New(v))
		}
	}
	return reg
}

func withCredentials(ctx context.Context, reg *redact.Registry) context.Context {
	return context.WithValue(ctx, credentialsKey{}, reg)
}

// credentials is the registry of the credentials this run holds. Whatever
// reads a credential registers it here (Add) before anything could print
// it; whatever writes a file other than stdout and stderr passes its bytes
// through it (Redact, or Writer).
func credentials(cmd *cobra.Command) *redact.Registry { return credentialsIn(cmd.Context()) }

func credentialsIn(ctx context.Context) *redact.Registry {
	if reg, ok := ctx.Value(credentialsKey{}).(*redact.Registry); ok {
		return reg
	}
	// Only code that replaced the root command's context gets here. A fresh
	// registry would be one nobody prints through: what it was told to cut
	// out would be printed.
	panic("switchboard: the command's context has no credential registry: keep the context newRootCommand sets")
}

// redactedOutput is the root command's stdout or stderr.
type redactedOutput struct {
	*redact.Writer
	file *os.File // what it writes to, when that is a file
}

// Fd lets views.Detect see the terminal behind the redaction, for colors.
func (o redactedOutput) Fd() uintptr {
	if o.file == nil {
		return ^uintptr(0)
	}
	return o.file.Fd()
}

// redactOutput makes every byte root's commands write to stdout and stderr
// (cmd.OutOrStdout, cmd.ErrOrStderr) go through root's credentials. The
// returned function writes what is held back; call it before exiting.
func redactOutput(root *cobra.Command, stdout, stderr io.Writer) (flush func() error) {
	reg := credentials(root)
	wrap := func(w io.Writer) redactedOutput {
		f, _ := w.(*os.File)
		return redactedOutput{Writer: reg.Writer(w), file: f}
	}
	out, errOut := wrap(stdout), wrap(stderr)
	root.SetOut(out)
	root.SetErr(errOut)
	return func() error {
		return errors.Join(out.Flush(), errOut.Flush())
	}
}

// credentialName says where a secret came from, never what it is:
// "GLOW_TOKEN" for the environment default, "glow token (vault:PATH#KEY)",
// "glow token (env:MY_TOKEN)", "glow token (var.token)".
func credentialName(what, defaultEnv string, sec config.Secret) string {
	switch {
	case sec.Ref != nil:
		src := "vault:" + sec.Ref.Path + "#" + sec.Ref.Key
		if sec.Ref.Version > 0 {
			src += "@v" + strconv.Itoa(sec.Ref.Version)
		}
		return what + " (" + src + ")"
	case sec.Source == "env:"+defaultEnv:
		return defaultEnv
	case sec.Source != "":
		return what + " (" + sec.Source + ")"
	default:
		return what
	}
}

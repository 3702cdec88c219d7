// Command vault-dev runs an in-memory Vault server that behaves like
// `vault server -dev`: unsealed, a root token of the caller's choosing, and
// `secret/` mounted as KV version 2. It exists because the full `vault`
// command cannot be built from the module mirror, while Vault's server core
// (the same code the `vault` binary runs) can, through the helpers Vault's own
// tests use.
//
// Besides the test core's backends it has the approle, jwt, oidc and
// kubernetes auth methods, as the real server has them built in.
//
// Once it serves requests it prints, on stdout,
//
//	VAULT_ADDR=http://127.0.0.1:8200
//	VAULT_TOKEN=root
//
// and nothing else, so a test can start it on port 0 and read the address.
// Logs go to stderr. SIGINT or SIGTERM stops it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	jwtauth "github.com/hashicorp/vault-plugin-auth-jwt"
	kubeauth "github.com/hashicorp/vault-plugin-auth-kubernetes"
	kv "github.com/hashicorp/vault-plugin-secrets-kv"
	"github.com/hashicorp/vault/builtin/credential/approle"
	"github.com/hashicorp/vault/helper/namespace"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/vault"
)

func main() {
	rootID := flag.String("dev-root-token-id", "root", "ID of the root token to create")
	listen := flag.String("dev-listen-address", "127.0.0.1:8200", "address to listen on (port 0 picks a free port)")
	kvV1 := flag.Bool("dev-kv-v1", false, "mount secret/ as KV version 1 instead of 2")
	logLevel := flag.String("log-level", "warn", "log level on stderr: trace, debug, info, warn, error")
	lifeline := flag.Bool("stdin-lifeline", false, "exit when stdin is closed (for a parent that may die without stopping it)")
	flag.Parse()

	t := newTB("vault-dev")
	code := run(t, *rootID, *listen, *kvV1, *logLevel, *lifeline)
	t.runCleanups()
	os.Exit(code)
}

func run(t *tb, rootID, listen string, kvV1 bool, logLevel string, lifeline bool) int {
	if rootID == "" {
		fmt.Fprintln(os.Stderr, "vault-dev: -dev-root-token-id must not be empty")
		return 2
	}
	level := hclog.LevelFromString(logLevel)
	if level == hclog.NoLevel {
		fmt.Fprintf(os.Stderr, "vault-dev: unknown -log-level %q\n", logLevel)
		return 2
	}

	// Listen before building the core so that a busy port fails fast,
	// before the seconds it takes to initialize.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vault-dev: %v\n", err)
		return 1
	}
	addr := "http://" + ln.Addr().String()

	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "vault-dev",
		Level:  level,
		Output: os.Stderr,
	})

	// The test core already maps "kv" to this factory; registering it here
	// keeps secret/ a real KV engine (v1 and v2) even if the test defaults
	// change, as they have in earlier releases (a passthrough backend).
	//
	// The test core's credential backends are no-ops; the auth methods CI
	// and platforms log in with are registered as the real plugins, the
	// code `vault` links in as builtins, so `vault auth enable approle`
	// (jwt, oidc, kubernetes) works as on a dev server.
	conf := &vault.CoreConfig{
		Logger:          logger,
		LogicalBackends: map[string]logical.Factory{"kv": kv.Factory},
		CredentialBackends: map[string]logical.Factory{
			"approle":    approle.Factory,
			"jwt":        jwtauth.Factory,
			"oidc":       jwtauth.Factory,
			"kubernetes": kubeauth.Factory,
		},
	}
	// TestCoreWithConfig rather than TestCoreUnsealedWithConfig: the latter
	// mounts secret/ as KV v1, and turning that into v2 starts an
	// asynchronous upgrade that fails requests for a while.
	core := vault.TestCoreWithConfig(t, conf)
	initRoot, _ := vault.TestInitUnsealCore(t, core)

	ctx := namespace.RootContext(context.Background())
	token, err := devSetup(ctx, core, initRoot, rootID, kvV1)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vault-dev: %v\n", err)
		return 1
	}

	vaulthttp.TestServerWithListener(t, ln, addr, core)
	t.Cleanup(func() { _ = ln.Close() })

	if err := waitKVReady(ctx, core, token, kvV1); err != nil {
		fmt.Fprintf(os.Stderr, "vault-dev: %v\n", err)
		return 1
	}

	fmt.Printf("VAULT_ADDR=%s\nVAULT_TOKEN=%s\n", addr, token)
	fmt.Fprintf(os.Stderr, "vault-dev: ready at %s\n", addr)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	// A test binary killed by its -timeout cannot run its cleanups; the
	// pipe it held as our stdin closes with it, and that is our cue.
	orphaned := make(chan struct{})
	if lifeline {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(orphaned)
		}()
	}
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "vault-dev: %v, shutting down\n", s)
	case <-orphaned:
		fmt.Fprintln(os.Stderr, "vault-dev: stdin closed, shutting down")
	}
	return 0
}

// devSetup does what `vault server -dev` does after unsealing: replace the
// generated root token with one whose ID the caller chose, then mount
// secret/.
func devSetup(ctx context.Context, core *vault.Core, initRoot, rootID string, kvV1 bool) (string, error) {
	resp, err := core.HandleRequest(ctx, &logical.Request{
		Operation:   logical.UpdateOperation,
		ClientToken: initRoot,
		Path:        "auth/token/create",
		Data: map[string]interface{}{
			"id":                rootID,
			"policies":          []string{"root"},
			"no_parent":         true,
			"no_default_policy": true,
		},
	})
	if err := respErr(resp, err); err != nil {
		return "", fmt.Errorf("creating root token: %w", err)
	}
	if resp.Auth == nil {
		return "", errors.New("creating root token: no auth in response")
	}
	token := resp.Auth.ClientToken

	// Like the dev server, leave exactly one root token: a test that
	// expects its token to be the only way in should not be surprised.
	resp, err = core.HandleRequest(ctx, &logical.Request{
		Operation:   logical.UpdateOperation,
		ClientToken: initRoot,
		Path:        "auth/token/revoke-self",
	})
	if err := respErr(resp, err); err != nil {
		return "", fmt.Errorf("revoking the initial root token: %w", err)
	}

	version := "2"
	if kvV1 {
		version = "1"
	}
	resp, err = core.HandleRequest(ctx, &logical.Request{
		Operation:   logical.UpdateOperation,
		ClientToken: token,
		Path:        "sys/mounts/secret",
		Data: map[string]interface{}{
			"type":        "kv",
			"path":        "secret/",
			"description": "key/value secret storage",
			"options":     map[string]string{"version": version},
		},
	})
	if err := respErr(resp, err); err != nil {
		return "", fmt.Errorf("mounting secret/: %w", err)
	}
	return token, nil
}

// waitKVReady holds back the ready lines until secret/ answers: a KV v2
// mount finishes its setup in the background, and a test that writes the
// instant it reads VAULT_ADDR must not see "upgrading" errors.
func waitKVReady(ctx context.Context, core *vault.Core, token string, kvV1 bool) error {
	path := "secret/config"
	if kvV1 {
		path = "secret/"
	}
	var op logical.Operation = logical.ReadOperation
	if kvV1 {
		op = logical.ListOperation
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := core.HandleRequest(ctx, &logical.Request{
			Operation:   op,
			ClientToken: token,
			Path:        path,
		})
		err = respErr(resp, err)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("secret/ not ready after 30s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func respErr(resp *logical.Response, err error) error {
	if err != nil {
		return err
	}
	if resp != nil && resp.IsError() {
		return resp.Error()
	}
	return nil
}

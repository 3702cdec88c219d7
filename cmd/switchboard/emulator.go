package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/internal/startheap"
	"github.com/switchboard-hq/switchboard/sensitive"
)

func init() { subcommands = append(subcommands, newEmulatorCommand) }

// emulatorFlags are the emulator command's flags: most land in the
// emulator's Config directly, the credentials are parsed first.
type emulatorFlags struct {
	cfg        emulator.Config
	addr       string
	configFile string
	glowTokens []string
	adminKeys  []string
	quiet      bool
	jsonOut    bool
	maxBody    emulator.ByteSize
}

func newEmulatorCommand() *cobra.Command {
	flags := emulatorFlags{maxBody: emulator.ByteSize(emulator.DefaultMaxBody)}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local Glow and Gateflow server for demos and tests",
		Long: `Run an emulator of both APIs Switchboard manages on one address: Glow
(/provider/…, /endpoint/…, /key/…, /model/…) and the Gateflow Management API
(/v1/management/providers…), as docs/api.md specifies them. Point
GLOW_INSTANCE_URL and GATEFLOW_URL at the printed URL.

State is kept in memory, or with --data in a database in that directory that
survives restarts (key values and credentials are encrypted at rest).

Credentials:
  --glow-token TOKEN                     unscoped token, actor "glow-user"
  --glow-token TOKEN=ACTOR               unscoped token for ACTOR
  --glow-token TOKEN=ACTOR:DEPT1,DEPT2   token scoped to departments DEPT1, DEPT2
  --gateflow-admin-key gw_admin_KEY      admin key (must start with gw_admin_)
  --gateflow-admin-key gw_admin_KEY:ro   read-only admin key
  --config FILE                          JSON: {"glow_tokens": [{"token", "actor_name",
                                         "departments"}], "gateflow_admin_keys": [{"key",
                                         "read_only"}]}
Without any Glow token the emulator accepts $GLOW_TOKEN, or else
"glow-dev-token"; without any admin key, $GATEFLOW_ADMIN_KEY, or else
"gw_admin_dev".

Faults for testing clients: --latency, --fail-rate (503 without processing),
--drop-rate (processed, then the connection is closed unanswered),
--rate-limit (429 with Retry-After), repeatable with --fault-seed. Faults can
also be scripted with POST /_emulator/faults; GET /_emulator/stats and
GET /_emulator/audit report calls and decrypts.

--seed FILE loads providers, endpoints, keys, models and Gateflow
configurations into an empty state (format: emulator/testdata/seed.json).

Limits: --read-header-timeout and --read-timeout cut off clients that send
headers or a body too slowly (the body is answered 408), --max-body answers
larger bodies 413 without reading them, and --max-connections bounds the
connections served at once (more wait to be accepted; idle keep-alive
connections are closed to make room for them).

Output: where the credentials came from (never a value), the URL once it
listens, and a line when it stops, on standard output; the request log on
standard error. With --json, standard output is one JSON object per line:
{"type":"credentials","glow_tokens":{"count":1,"source":"default"},
"gateflow_keys":{"count":1,"source":"GATEFLOW_ADMIN_KEY"}} (a source is
"default", the environment variable, or "configured"),
{"type":"listening","url":"http://127.0.0.1:PORT","state":"memory"} (or
the --data directory), {"type":"stopped"}; the request log is JSON lines
(docs/json.md). Exit status: 0 once stopped by Ctrl-C, 1 when it cannot
start (a taken port, a bad flag) or fails.`,
		Example: `  switchboard emulator --addr 127.0.0.1:0
  switchboard emulator --data ./emulator-data --glow-token dev=alice:cs,math
  switchboard emulator --seed emulator/testdata/seed.json --rate-limit 50
  switchboard emulator --json --addr 127.0.0.1:0 | jq -r 'select(.type == "listening") | .url'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A server's heap lives as long as it does: collect it as
			// any long-lived Go program's.
			startheap.Reset()
			return serveFromFlags(cmd, &flags)
		},
	}
	flags.register(cmd.Flags())
	return cmd
}

func (e *emulatorFlags) register(f *pflag.FlagSet) {
	cfg := &e.cfg
	f.StringVar(&e.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	f.StringVar(&cfg.DataDir, "data", "", "directory of the database (default: in memory)")
	f.StringVar(&e.configFile, "config", "", "JSON file with glow_tokens and gateflow_admin_keys")
	f.StringArrayVar(&e.glowTokens, "glow-token", nil, "accepted Glow token: TOKEN, TOKEN=ACTOR or TOKEN=ACTOR:DEPT1,DEPT2 (repeatable)")
	f.StringArrayVar(&e.adminKeys, "gateflow-admin-key", nil, "accepted Gateflow admin key, KEY or KEY:ro for read-only (repeatable)")
	f.DurationVar(&cfg.Latency, "latency", 0, "delay added to every API call")
	f.Float64Var(&cfg.FailRate, "fail-rate", 0, "share of API calls answered 503 without processing (0 to 1)")
	f.Float64Var(&cfg.DropRate, "drop-rate", 0, "share of API calls processed and then dropped without an answer (0 to 1)")
	f.Float64Var(&cfg.RateLimit, "rate-limit", 0, "API calls per second before 429 (0: no limit)")
	f.Int64Var(&cfg.FaultSeed, "fault-seed", 0, "seed of the random fault decisions")
	f.StringVar(&cfg.SeedFile, "seed", "", "JSON seed file loaded into an empty state")
	f.BoolVar(&e.quiet, "quiet", false, "do not log requests")
	f.BoolVar(&e.jsonOut, "json", false, "print one JSON object per line (credentials, listening, stopped) and log requests as JSON")
	f.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", emulator.DefaultReadHeaderTimeout, "time a client has to send a request's headers")
	f.DurationVar(&cfg.ReadTimeout, "read-timeout", emulator.DefaultReadTimeout, "time a client has to send a request's body, after its headers (then 408)")
	f.Var(&e.maxBody, "max-body", fmt.Sprintf("largest request body, such as 8MiB or 200KB (then 413; at most %s)", emulator.ByteSize(emulator.MaxBodyLimit)))
	f.IntVar(&cfg.MaxConnections, "max-connections", emulator.DefaultMaxConnections, "connections served at once; more wait to be accepted")
}

// serveFromFlags serves until the command's context ends (Ctrl-C). Its error
// includes the one of closing the database: data not written is a failure.
func serveFromFlags(cmd *cobra.Command, flags *emulatorFlags) (err error) {
	view := views.NewEmulator(stream(cmd), flags.jsonOut)
	cfg := flags.cfg
	creds, err := flags.credentials(&cfg)
	if err != nil {
		return err
	}
	view.Credentials(creds)
	holdCredentials(cmd, &cfg)
	cfg.Logger = view.Logger(flags.quiet)
	cfg.MaxBody = int64(flags.maxBody)
	srv, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	ln, err := net.Listen("tcp", flags.addr)
	if err != nil {
		return err
	}
	view.Listening("http://"+ln.Addr().String(), cfg.DataDir)
	return serveEmulator(cmd.Context(), srv, ln, view)
}

// credentials adds the tokens and admin keys of the flags and the
// credentials file to cfg, or the defaults when there are none. The view
// is told where they came from, never what they are.
func (e *emulatorFlags) credentials(cfg *emulator.Config) (views.EmulatorCredentials, error) {
	var creds views.EmulatorCredentials
	if e.configFile != "" {
		f, err := emulator.LoadCredentialsFile(e.configFile)
		if err != nil {
			return creds, err
		}
		cfg.GlowTokens = append(cfg.GlowTokens, f.GlowTokens...)
		cfg.GateflowAdminKeys = append(cfg.GateflowAdminKeys, f.GateflowAdminKeys...)
	}
	for _, s := range e.glowTokens {
		t, err := emulator.ParseGlowToken(s)
		if err != nil {
			return creds, err
		}
		cfg.GlowTokens = append(cfg.GlowTokens, t)
	}
	for _, s := range e.adminKeys {
		k, err := emulator.ParseAdminKey(s)
		if err != nil {
			return creds, err
		}
		cfg.GateflowAdminKeys = append(cfg.GateflowAdminKeys, k)
	}
	if len(cfg.GlowTokens) == 0 {
		tok, from := "glow-dev-token", "default"
		if v := os.Getenv("GLOW_TOKEN"); v != "" {
			tok, from = v, "GLOW_TOKEN"
		}
		cfg.GlowTokens = []emulator.GlowToken{{Token: tok, ActorName: "glow-user"}}
		creds.GlowSource = from
	}
	if len(cfg.GateflowAdminKeys) == 0 {
		key, from := "gw_admin_dev", "default"
		if v := os.Getenv("GATEFLOW_ADMIN_KEY"); v != "" {
			key, from = v, "GATEFLOW_ADMIN_KEY"
		}
		cfg.GateflowAdminKeys = []emulator.AdminKey{{Key: key}}
		creds.GateflowSource = from
	}
	creds.GlowCount, creds.GateflowCount = len(cfg.GlowTokens), len(cfg.GateflowAdminKeys)
	return creds, nil
}

// holdCredentials registers the tokens this emulator accepts as
// credentials the run holds, so that no output prints them; the dev
// defaults are meant to be read, so they stay visible.
func holdCredentials(cmd *cobra.Command, cfg *emulator.Config) {
	for _, tok := range cfg.GlowTokens {
		if tok.Token != "glow-dev-token" {
			credentials(cmd).Add("emulator glow token", sensitive.New(tok.Token))
		}
	}
	for _, k := range cfg.GateflowAdminKeys {
		if k.Key != "gw_admin_dev" {
			credentials(cmd).Add("emulator admin key", sensitive.New(k.Key))
		}
	}
}

// serveEmulator serves on ln until ctx ends, then shuts the server down,
// giving the calls under way ten seconds to finish, and says it stopped.
func serveEmulator(ctx context.Context, srv *emulator.Server, ln net.Listener, view views.Emulator) error {
	hs, limited := srv.HTTPServer(ln)
	// net/http's own messages (bad requests, TLS errors) go through the
	// redacting stderr too, not the log package's.
	hs.ErrorLog = view.ErrorLog()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(limited) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	view.Stopped()
	return err
}

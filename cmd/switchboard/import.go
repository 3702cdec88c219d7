package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/importer"
	"github.com/switchboard-hq/switchboard/planner/dump"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/redact"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

func init() { subcommands = append(subcommands, newImportCommand) }

type importFlags struct {
	glow, gateflow   bool
	departments      []string
	nameFilter       string
	out, vaultPrefix string
	force, migrate   bool
	yes              bool
	parallelism      int
	jsonOut          bool
	owner, env       string
}

func newImportCommand() *cobra.Command {
	var flags importFlags
	cmd := &cobra.Command{
		Use:   "import [--glow] [--gateflow] [--department ID]... [--name-filter TEXT] [-o DIR]",
		Short: "Write the configuration of an existing Glow and Gateflow installation",
		Long: `Import reads the providers of Glow and Gateflow (both unless --glow or
--gateflow chooses one) and writes their configuration to DIR (-o, default:
the current directory) as main.hcl, glow.hcl and gateflow.hcl. Each Glow
provider's block pins its id, so the next plan matches it exactly.

Connections come from the environment: GLOW_INSTANCE_URL, GLOW_TOKEN,
GATEFLOW_URL, GATEFLOW_ADMIN_KEY, and VAULT_ADDR with VAULT_TOKEN (optional
unless --migrate-keys-to-vault: with it, references are checked against
Vault).

No key or credential is read or written to a file. A Glow key that
Switchboard created names its Vault secret (or environment variable) and is
written as that reference. Every other key, and every Gateflow credential, is
written as vault("PREFIX/<address>/<key>", "value"), and import lists those
paths: they must exist before apply.

--migrate-keys-to-vault moves Glow keys into Vault for you: it decrypts each
key once (every decrypt is in Glow's audit log), stores it in Vault without
ever overwriting a secret, and replaces the key in Glow by an identical key
whose name records that origin, so that the next plan has no changes. It asks
for confirmation first, unless --yes. Gateflow credentials cannot be read by
anyone: store them yourself.

Import refuses to write into a directory that already has *.hcl files unless
--force, which replaces only the files import writes.

Output: the files written, the Vault paths that must exist before apply and
the report of what was imported, on standard output; with --json, one JSON
document (success, dir, files, glow_providers, gateflow_providers,
other_files, vault_error, secrets_to_store, not_imported, migration,
diagnostics), errors included. Exit status: 0 when the
configuration was written, 1 on error (nothing is written then).`,
		Example: `  switchboard import -o providers/
  switchboard import --glow --department cs --name-filter openai -o providers/
  switchboard import --migrate-keys-to-vault --vault-prefix secret/llm -o providers/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !flags.jsonOut {
				return runImport(cmd, flags, views.NewImport(stream(cmd)))
			}
			view := views.NewImportJSON(stream(cmd))
			err := runImport(cmd, flags, view)
			var ec exitCode
			if err != nil && !errors.As(err, &ec) {
				view.Error(err)
				return exitCode(1)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&flags.glow, "glow", false, "import Glow providers (default: both services)")
	f.BoolVar(&flags.gateflow, "gateflow", false, "import Gateflow providers (default: both services)")
	f.StringArrayVar(&flags.departments, "department", nil, "keep Glow providers in this department (repeatable: any of them)")
	f.StringVar(&flags.nameFilter, "name-filter", "", "keep Glow providers whose name or description contains TEXT (Glow's search)")
	f.StringVarP(&flags.out, "out", "o", ".", "write the configuration to DIR")
	f.BoolVar(&flags.force, "force", false, "replace main.hcl, glow.hcl and gateflow.hcl in a directory that has configuration files")
	f.StringVar(&flags.vaultPrefix, "vault-prefix", importer.DefaultVaultPrefix, "Vault path under which keys of unknown origin and Gateflow credentials are referenced")
	f.BoolVar(&flags.migrate, "migrate-keys-to-vault", false, "decrypt Glow keys of unknown origin once, store them in Vault and mark them in Glow")
	f.BoolVar(&flags.yes, "yes", false, "with --migrate-keys-to-vault: do not ask for confirmation")
	f.IntVar(&flags.parallelism, "parallelism", api.DefaultParallelism, "limit the number of concurrent API calls")
	f.StringVar(&flags.owner, "owner", "", "write this owner into the glow block, and import only the providers it owns or nobody owns (default: \"default\")")
	f.StringVar(&flags.env, "environment", "", "write this environment into the glow block (docs/environments.md): the providers of that owner in that environment are imported, those of its other environments are not")
	f.BoolVar(&flags.jsonOut, "json", false, "print the report as one JSON document (with --migrate-keys-to-vault, needs --yes)")
	return cmd
}

// services are the services and the glow block's owner and environment
// the flags ask import for, or why they do not fit together.
func (flags importFlags) services() (importer.Services, error) {
	svc := importer.Services{Glow: flags.glow, Gateflow: flags.gateflow}
	if !svc.Glow && !svc.Gateflow {
		svc = importer.Services{Glow: true, Gateflow: true}
	}
	for _, v := range []struct{ flag, value string }{{"--owner", flags.owner}, {"--environment", flags.env}} {
		if v.value != "" && !ownerNameRE.MatchString(v.value) {
			return svc, fmt.Errorf("%s %q: want 1 to 64 ASCII letters, digits, '-', '_' and '.'", v.flag, v.value)
		}
	}
	if (flags.owner != "" || flags.env != "") && !svc.Glow {
		return svc, errors.New("--owner and --environment are written into the glow block: they need Glow imported")
	}
	svc.Owner, svc.Environment = flags.owner, flags.env
	if (len(flags.departments) > 0 || flags.nameFilter != "") && !svc.Glow {
		return svc, errors.New("--department and --name-filter select Glow providers: they need --glow")
	}
	if flags.migrate && !svc.Glow {
		return svc, errors.New("--migrate-keys-to-vault moves Glow keys: it needs --glow")
	}
	return svc, nil
}

func runImport(cmd *cobra.Command, flags importFlags, view views.Import) error {
	ctx := cmd.Context()
	svc, err := flags.services()
	if err != nil {
		return err
	}
	// Refuse before reading anything: a migration must never run for files
	// that cannot be written.
	others, err := checkImportDir(flags.out, flags.force)
	if err != nil {
		return err
	}
	if flags.migrate && !flags.yes && flags.jsonOut {
		return errors.New("--migrate-keys-to-vault with --json needs --yes: nobody can answer the question in a JSON document")
	}
	if flags.migrate && !flags.yes && !stream(cmd).Interactive() {
		return errors.New("--migrate-keys-to-vault decrypts keys and changes Glow: run it on a terminal to confirm, or add --yes")
	}

	clients, err := importClients(ctx, svc)
	if err != nil {
		return err
	}
	vault, vaultErr := secrets.NewResolverFromEnv("")
	if vaultErr != nil && flags.migrate {
		return fmt.Errorf("--migrate-keys-to-vault writes to Vault: %w", vaultErr)
	}
	snap, err := importer.Read(ctx, clients, importer.Filter{Departments: flags.departments, Search: flags.nameFilter, Parallelism: flags.parallelism})
	if err != nil {
		return err
	}
	foreign := dropForeign(&snap, objects.OwnerIdentity(cmp.Or(flags.owner, config.DefaultOwner), flags.env))
	opts := importer.Options{VaultPrefix: flags.vaultPrefix}
	if vault != nil {
		opts.Vault = vault
	}
	im, err := importer.Build(ctx, snap, opts)
	if err != nil {
		return err
	}

	if flags.migrate {
		if err := migrateKeys(ctx, cmd, view, flags, im, clients.Glow, vault); err != nil {
			// What is done is consistent; the files still describe it.
			if werr := writeImport(credentials(cmd), flags.out, im, svc); werr != nil {
				return errors.Join(err, werr)
			}
			view.MigrationStopped(flags.out)
			return err
		}
	}
	if err := writeImport(credentials(cmd), flags.out, im, svc); err != nil {
		return err
	}
	view.Report(views.ImportReport{Dir: flags.out, Import: im, Services: svc, Others: others, VaultErr: vaultErr, Foreign: foreign})
	return nil
}

// dropForeign removes from snap the Glow providers whose marker names
// another configuration than identity, and describes them. The imported
// configuration has this owner: a provider another configuration owns is
// that configuration's, and pinning its id here would only make the next
// plan refuse it.
func dropForeign(snap *objects.Snapshot, identity string) []string {
	var foreign []string
	kept := snap.Glow[:0]
	for _, p := range snap.Glow {
		if p.Ownership.Unmarked() || p.Ownership.OwnedBy(identity) {
			kept = append(kept, p)
			continue
		}
		foreign = append(foreign, fmt.Sprintf("%s (%q, owned by %s)", p.ID, p.Name, p.Ownership.Describe()))
	}
	snap.Glow = kept
	return foreign
}

// importClients connects to the services the way a configuration without
// glow and gateflow blocks would: from the environment.
func importClients(ctx context.Context, svc importer.Services) (dump.Clients, error) {
	cfg := &config.Config{}
	if svc.Glow {
		cfg.Glow = &config.GlowSettings{URL: os.Getenv(glow.EnvURL), Token: envSecret(glow.EnvToken)}
	}
	if svc.Gateflow {
		cfg.Gateflow = &config.GateflowSettings{URL: os.Getenv(gateflow.EnvURL), AdminKey: envSecret(gateflow.EnvAdminKey)}
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return dump.Clients{}, err
	}
	return sess.clients, nil
}

func envSecret(name string) config.Secret {
	return config.Secret{Literal: sensitive.New(os.Getenv(name)), Source: "env:" + name}
}

// checkImportDir refuses a directory with configuration files unless force,
// and returns the ones import would not replace: they are read together
// with the imported files, so the user must hear about them.
func checkImportDir(dir string, force bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var existing, others []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, ".hcl.json")) {
			continue
		}
		existing = append(existing, n)
		if n != importer.FileMain && n != importer.FileGlow && n != importer.FileGateflow {
			others = append(others, n)
		}
	}
	if len(existing) > 0 && !force {
		return nil, fmt.Errorf("%s already has configuration files (%s): import does not overwrite them; choose another directory with -o, or use --force to replace %s, %s and %s",
			dir, strings.Join(existing, ", "), importer.FileMain, importer.FileGlow, importer.FileGateflow)
	}
	return others, nil
}

// writeImport writes each file through a temporary file and a rename, so
// that an interrupted import never leaves half a configuration. A file of a
// service that has nothing now (after --force) is removed, or the next plan
// would read blocks the live state no longer has.
func writeImport(creds *redact.Registry, dir string, im *importer.Import, svc importer.Services) error {
	files, err := importer.Render(im, svc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{importer.FileMain, importer.FileGlow, importer.FileGateflow} {
		src, ok := files[name]
		path := filepath.Join(dir, name)
		if !ok {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			continue
		}
		// An imported configuration holds no secret, but a live name or
		// value might quote a credential of this run.
		err := replaceFile(path, ".switchboard-import-*", 0o644, func(w *os.File) error {
			_, err := w.Write(creds.Redact(src))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func migrateKeys(ctx context.Context, cmd *cobra.Command, view views.Import, flags importFlags, im *importer.Import, g *glow.Client, vault *secrets.Resolver) error {
	mp := importer.PlanMigration(im)
	view.MigrationPlan(mp)
	if len(mp.Keys) == 0 {
		return nil
	}
	if !flags.yes {
		ok, err := stream(cmd).Confirm("Do you want to migrate these keys?", "add --yes")
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("migration cancelled: nothing was decrypted or written")
		}
	}
	view.MigrationStarted()
	if err := importer.Migrate(ctx, im, g, vault, view, credentials(cmd).Add); err != nil {
		return err
	}
	view.Migrated(len(mp.Keys))
	return nil
}

// ownerNameRE is what config accepts as an owner or environment.
var ownerNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

package views

import (
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/importer"
)

// Import is the view of import: the migration's question and progress
// (importer.MigrateHooks) and the closing report.
type Import interface {
	importer.MigrateHooks
	// MigrationPlan says what --migrate-keys-to-vault is about to do,
	// before the question; nothing to migrate when mp has no keys.
	MigrationPlan(mp importer.MigrationPlan)
	// MigrationStarted and Migrated frame the migration's progress.
	MigrationStarted()
	Migrated(keys int)
	// MigrationStopped says where the configuration was written after a
	// failed migration.
	MigrationStopped(dir string)
	// Report is the closing report.
	Report(ImportReport)
}

// ImportReport is what an import wrote and what is left to do.
type ImportReport struct {
	Dir      string
	Import   *importer.Import
	Services importer.Services
	// Others are configuration files in Dir that import did not replace.
	Others []string
	// VaultErr is why Vault was not checked.
	VaultErr error
	// Foreign are the Glow providers another configuration owns.
	Foreign []string
}

// NewImport returns import's human view.
func NewImport(s *Stream) Import { return &importHuman{stream: s} }

type importHuman struct{ stream *Stream }

func (v *importHuman) printf(format string, args ...any) {
	fmt.Fprintf(v.stream.Out, format+"\n", args...)
}

// Plural is "1 key", "2 keys".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func (v *importHuman) MigrationPlan(mp importer.MigrationPlan) {
	if len(mp.Keys) == 0 {
		v.printf("Every imported Glow key already names its origin: nothing to migrate.")
		return
	}
	v.printf("--migrate-keys-to-vault will, for %s of unknown origin on %s:\n",
		Plural(len(mp.Keys), "Glow key"), Plural(len(mp.Providers), "provider"))
	v.printf("  1. decrypt it once in Glow: every decrypt is written to Glow's audit log under your token's actor;")
	v.printf("  2. store it in Vault (check-and-set: an existing secret is never overwritten);")
	v.printf("  3. replace it on each provider by an identical key whose name records its Vault origin:")
	v.printf("     create the new key, swap it in with one update guarded by the provider's")
	v.printf("     version, then delete the old key once no provider uses it. Key ids change; names gain")
	v.printf("     a suffix such as \" (vault:PATH#value@v1)\". No provider is ever without its key.")
	v.printf("")
	for _, s := range mp.Keys {
		v.printf("  %s → %s", strings.TrimPrefix(s.Detail, "the value of "), s.Path)
	}
	v.printf("\nValues are never printed or written to a file.")
	if len(mp.Credentials) > 0 {
		v.printf("Gateflow never returns credentials, so %s cannot be migrated: store them yourself (listed at the end).",
			Plural(len(mp.Credentials), "credential"))
	}
}

func (v *importHuman) MigrationStarted() { v.printf("\nMigrating:") }

func (v *importHuman) KeyStored(keyID, path string, version int) {
	v.printf("  stored Glow key %s in Vault at %s (version %d)", keyID, path, version)
}

func (v *importHuman) KeysReplaced(address string, created, deleted []string, n, total int) {
	v.printf("  %s: keys replaced by marked copies (created %s; deleted %s) (%d of %d)", address, list(created), list(deleted), n, total)
}

func (v *importHuman) Migrated(keys int) { v.printf("Migrated %s.\n", Plural(keys, "key")) }

func (v *importHuman) MigrationStopped(dir string) {
	fmt.Fprintf(v.stream.Err, "The configuration was written to %s; running import again resumes the migration.\n", dir)
}

func (v *importHuman) Report(r ImportReport) {
	im := r.Import
	var written []string
	for _, n := range []string{importer.FileMain, importer.FileGlow, importer.FileGateflow} {
		if n == importer.FileMain || n == importer.FileGlow && len(im.Glow) > 0 || n == importer.FileGateflow && len(im.Gateflow) > 0 {
			written = append(written, n)
		}
	}
	v.printf("Imported %s and %s into %s (%s).",
		Plural(len(im.Glow), "Glow provider"), Plural(len(im.Gateflow), "Gateflow provider"), r.Dir, strings.Join(written, ", "))
	if len(r.Others) > 0 {
		v.printf("\nWarning: %s also has %s, which plan reads together with the imported files.", r.Dir, strings.Join(r.Others, ", "))
	}
	if r.VaultErr != nil && len(im.Secrets)+len(im.Glow) > 0 {
		v.printf("\nVault was not checked (%v): the references are written as recorded.", r.VaultErr)
	}
	v.secretsToStore(im)
	if len(r.Foreign) > 0 {
		v.printf("\nNot imported: %s that another configuration owns (docs/ownership.md):\n  %s",
			Plural(len(r.Foreign), "Glow provider"), strings.Join(r.Foreign, "\n  "))
	}
}

func (v *importHuman) secretsToStore(im *importer.Import) {
	var todo []importer.Secret
	for _, s := range im.Secrets {
		if s.State != importer.SecretPresent {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		v.printf("\nEvery Vault secret the configuration references exists. Run `switchboard plan` to check.")
		return
	}
	v.printf("\nThese Vault secrets must exist before apply (field %q):\n", importer.VaultField)
	for _, s := range todo {
		state := ""
		if s.State == importer.SecretUnchecked {
			state = " (not checked)"
		}
		v.printf("  %s%s\n      %s, for %s", s.Path, state, s.Detail, strings.Join(s.Users, ", "))
	}
	v.printf("\nStore each one without leaving it in your shell history, e.g.:\n\n    vault kv put %s %s=-", todo[0].Path, importer.VaultField)
	if slices.ContainsFunc(todo, func(s importer.Secret) bool { return s.GlowKey != "" }) {
		v.printf("\nA Glow key made outside Switchboard is replaced by a key from Vault on the first apply (plan says")
		v.printf("its origin is unknown); --migrate-keys-to-vault does this for you with no change left to plan.")
	}
	if slices.ContainsFunc(todo, func(s importer.Secret) bool { return s.GlowKey == "" }) {
		v.printf("\nGateflow never returns credentials: once stored, the next plan sends them to Gateflow once,")
		v.printf("since nothing can show that Gateflow already holds the same value.")
	}
}

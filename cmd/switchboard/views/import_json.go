package views

import (
	"encoding/json"
	"slices"

	"github.com/switchboard-hq/switchboard/importer"
)

// ImportDocument is what `import --json` prints: one JSON document, once
// import is done or has failed.
type ImportDocument struct {
	// Success is false when Diagnostics has an error.
	Success           bool     `json:"success"`
	Dir               string   `json:"dir,omitempty"`
	Files             []string `json:"files"`
	GlowProviders     int      `json:"glow_providers"`
	GateflowProviders int      `json:"gateflow_providers"`
	// OtherFiles are configuration files in Dir that plan reads too.
	OtherFiles []string `json:"other_files"`
	// VaultError is why Vault was not checked; empty when it was.
	VaultError     string          `json:"vault_error,omitempty"`
	SecretsToStore []SecretToStore `json:"secrets_to_store"`
	// NotImported are the Glow providers another configuration owns.
	NotImported []string          `json:"not_imported"`
	Migration   *MigrationJSON    `json:"migration,omitempty"`
	Diagnostics []ImportDiagnosis `json:"diagnostics"`
}

// SecretToStore is a Vault secret that must exist before apply.
type SecretToStore struct {
	Path    string   `json:"path"`
	Field   string   `json:"field"`
	Checked bool     `json:"checked"`
	Detail  string   `json:"detail"`
	Users   []string `json:"users"`
}

// MigrationJSON is what --migrate-keys-to-vault did.
type MigrationJSON struct {
	Keys     int              `json:"keys"`
	Stored   []StoredKey      `json:"stored"`
	Replaced []ReplacedKeysOf `json:"replaced"`
}

// StoredKey is a Glow key whose value is now in Vault.
type StoredKey struct {
	KeyID   string `json:"key_id"`
	Path    string `json:"path"`
	Version int    `json:"version"`
}

// ReplacedKeysOf is a provider whose keys were replaced by marked copies.
type ReplacedKeysOf struct {
	Address string   `json:"address"`
	Created []string `json:"created"`
	Deleted []string `json:"deleted"`
}

// ImportDiagnosis is an error or a warning of import.
type ImportDiagnosis struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
}

// NewImportJSON returns import's JSON view. Error writes the document with
// the error when import fails before its report.
func NewImportJSON(s *Stream) *ImportJSON {
	return &ImportJSON{stream: s, doc: ImportDocument{Files: []string{}, OtherFiles: []string{}, SecretsToStore: []SecretToStore{}, NotImported: []string{}, Diagnostics: []ImportDiagnosis{}}}
}

// ImportJSON is import's JSON view.
type ImportJSON struct {
	stream  *Stream
	doc     ImportDocument
	written bool
}

// MigrationPlan is told, before the confirmation, how many keys
// --migrate-keys-to-vault is about to move; the document then carries a
// migration object even when none is moved.
func (v *ImportJSON) MigrationPlan(mp importer.MigrationPlan) {
	v.doc.Migration = &MigrationJSON{Keys: len(mp.Keys), Stored: []StoredKey{}, Replaced: []ReplacedKeysOf{}}
}

// MigrationStarted marks the start of the key moves; a JSON document has
// no progress to show, only the result.
func (v *ImportJSON) MigrationStarted() {}

// KeyStored records a Glow key whose value was written to Vault, at the
// path and version Vault gave it.
func (v *ImportJSON) KeyStored(keyID, path string, version int) {
	v.doc.Migration.Stored = append(v.doc.Migration.Stored, StoredKey{KeyID: keyID, Path: path, Version: version})
}

// KeysReplaced records a provider whose keys were replaced in Glow by
// copies whose names mark their Vault origin; the progress counts are for
// the terminal only.
func (v *ImportJSON) KeysReplaced(address string, created, deleted []string, _, _ int) {
	v.doc.Migration.Replaced = append(v.doc.Migration.Replaced, ReplacedKeysOf{Address: address, Created: nonNil(created), Deleted: nonNil(deleted)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// Migrated marks the end of the key moves; the document already lists
// each one.
func (v *ImportJSON) Migrated(int) {}

// MigrationStopped records a migration that failed part way after the
// configuration was written to dir, as a warning that running import
// again resumes it.
func (v *ImportJSON) MigrationStopped(dir string) {
	v.doc.Dir = dir
	v.doc.Diagnostics = append(v.doc.Diagnostics, ImportDiagnosis{Severity: "warning", Summary: "the configuration was written to " + dir + "; running import again resumes the migration"})
}

// Report fills the document with what import wrote and what must be
// done before apply, and prints it: the one output of import --json.
func (v *ImportJSON) Report(r ImportReport) {
	im := r.Import
	v.doc.Dir = r.Dir
	for _, n := range []string{importer.FileMain, importer.FileGlow, importer.FileGateflow} {
		if n == importer.FileMain || n == importer.FileGlow && len(im.Glow) > 0 || n == importer.FileGateflow && len(im.Gateflow) > 0 {
			v.doc.Files = append(v.doc.Files, n)
		}
	}
	v.doc.GlowProviders, v.doc.GateflowProviders = len(im.Glow), len(im.Gateflow)
	v.doc.OtherFiles = append(v.doc.OtherFiles, r.Others...)
	if r.VaultErr != nil {
		v.doc.VaultError = r.VaultErr.Error()
	}
	for _, s := range im.Secrets {
		if s.State != importer.SecretPresent {
			v.doc.SecretsToStore = append(v.doc.SecretsToStore, SecretToStore{Path: s.Path, Field: importer.VaultField,
				Checked: s.State != importer.SecretUnchecked, Detail: s.Detail, Users: nonNil(s.Users)})
		}
	}
	v.doc.NotImported = append(v.doc.NotImported, r.Foreign...)
	v.write()
}

// Error writes the document with the error that ended import.
func (v *ImportJSON) Error(err error) {
	v.doc.Diagnostics = append(v.doc.Diagnostics, ImportDiagnosis{Severity: "error", Summary: err.Error()})
	v.write()
}

func (v *ImportJSON) write() {
	if v.written {
		return
	}
	v.written = true
	v.doc.Success = !slices.ContainsFunc(v.doc.Diagnostics, func(d ImportDiagnosis) bool { return d.Severity == "error" })
	b, err := json.MarshalIndent(v.doc, "", "  ")
	if err != nil {
		return
	}
	_, _ = v.stream.Out.Write(append(b, '\n'))
}

package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Config is the desired state a directory of configuration files describes.
// It holds only plain Go values, Secrets and source ranges: nothing of the
// HCL evaluation survives, so the planner can compare it with what the
// services report without knowing about cty.
type Config struct {
	// Dir is the directory the files were read from, as given to Load.
	Dir string
	// Prefix is where Dir is inside the tree Files are named in: empty,
	// unless a switchboard.root file above Dir lets modules beside it be
	// called (environments/staging calling ../../modules/team); Files are
	// then named relative to that root, and LoadOptions.Prefix takes this
	// back.
	Prefix string
	// Checksum is the hex sha256 of the configuration files (name and
	// content, sorted by name). Variable values and the files file() read
	// are not part of it: a plan records them separately.
	Checksum string
	// Files are every file the configuration read, sorted by name: the
	// configuration files and the files file() read. Loading them again
	// with LoadOptions.FS = MemFS(Files), the same dir and the recorded
	// variables gives the same Config.
	Files []SourceFile
	// Variables are the declared variables with their final values, in
	// declaration order.
	Variables []Variable

	// Glow is set when the configuration has a glow block or a
	// glow_provider; its fields fall back to GLOW_INSTANCE_URL and
	// GLOW_TOKEN.
	Glow *GlowSettings
	// Gateflow is set when the configuration has a gateflow block or a
	// gateflow_provider; its fields fall back to GATEFLOW_URL and
	// GATEFLOW_ADMIN_KEY.
	Gateflow *GateflowSettings
	// Vault is set when the configuration has a vault block or calls
	// vault(); Address falls back to VAULT_ADDR.
	Vault *secretref.VaultSettings

	// GlowProviders are in file order, then block order, then for_each key
	// order.
	GlowProviders []GlowProvider
	// GateflowProviders are ordered as GlowProviders.
	GateflowProviders []GateflowProvider
}

// Format prints the configuration with its settings dereferenced. Without
// it, a verb other than %v (%s, %q, %d) reaches the settings pointers
// through fmt's bad-verb path, which prints what they point to with every
// String and Format method switched off, secrets included.
func (c Config) Format(f fmt.State, verb rune) {
	v := "%v"
	if f.Flag('+') || f.Flag('#') {
		v = "%+v"
	}
	names := make([]string, len(c.Files))
	for i, sf := range c.Files {
		names[i] = sf.Name
	}
	// Files by name only: their content is the configuration itself, and
	// may be large.
	fmt.Fprintf(f, "{Dir:%s Checksum:%s Files:%v Variables:"+v+" Glow:"+v+" Gateflow:"+v+" Vault:"+v+" GlowProviders:"+v+" GateflowProviders:"+v+"}",
		c.Dir, c.Checksum, names, c.Variables, deref(c.Glow), deref(c.Gateflow), deref(c.Vault), c.GlowProviders, c.GateflowProviders)
}

// Variable is a declared variable and the value the configuration was
// evaluated with.
type Variable struct {
	Name      string
	Sensitive bool
	// Value is the value of a variable not declared sensitive, as JSON
	// with its type: {"value":["cs"],"type":["list","string"]} (go-cty's
	// JSON encodings of the value and of the type). LoadOptions.PlannedVars
	// takes it back unchanged. It is empty for a sensitive variable.
	Value string
	// Secret is a sensitive variable's value, in the form of Value.
	Secret sensitive.String
	// Source is where the value came from: "default", "planned"
	// (LoadOptions.PlannedVars), "env" (SWITCHBOARD_VAR_<name>),
	// "var-file" or "var".
	Source string
	// CredentialOnly reports that nothing the configuration evaluates
	// depends on the value except the glow token and the gateflow
	// admin_key: no provider, setting, for_each, local or other variable's
	// validation. Another value therefore gives the same desired state
	// with other credentials. An unused variable is CredentialOnly too.
	CredentialOnly bool
}

// deref returns *p, or nil, as an interface that fmt prints with methods.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// DefaultOwner is GlowSettings.Owner when the glow block sets no owner.
const DefaultOwner = "default"

// ReservedValuePrefix starts the Glow value keys that Switchboard keeps for
// its ownership marker; a configuration cannot set them.
const ReservedValuePrefix = "switchboard."

// GlowSettings is the glow block: where Glow is and how to authenticate.
type GlowSettings struct {
	URL   string
	Token Secret
	// Owner names who manages the Glow providers this configuration
	// declares, in the ownership marker: 1 to 64 ASCII letters, digits,
	// '-', '_' and '.'. It is DefaultOwner when the glow block does not
	// set it; OwnerSet tells the two apart.
	Owner    string
	OwnerSet bool
	// Environment names the environment this configuration manages
	// (docs/environments.md), with the rules of Owner; empty when unset.
	// The ownership markers record it next to the owner: the same owner
	// in another environment is another configuration.
	Environment string
	// PruneDepartments lists the departments in which Glow providers that
	// the configuration does not declare are destroyed. Empty means none:
	// pruning is never implied.
	PruneDepartments []string
	// DeclRange is the glow block's header, or empty when there is no block
	// and everything comes from the environment.
	DeclRange hcl.Range
}

// GateflowSettings is the gateflow block.
type GateflowSettings struct {
	URL      string
	AdminKey Secret
	// Prune removes the configuration of Gateflow providers that the
	// configuration does not declare.
	Prune     bool
	DeclRange hcl.Range
}

// maxVaultParallelism bounds vault { parallelism }: more requests at once
// than this would only queue in Vault (and open as many connections).
const maxVaultParallelism = 1024

// GlowProvider is one instance of a glow_provider block (one per for_each
// key).
type GlowProvider struct {
	Address Address
	// ID is the Glow provider_id when the configuration pins it (import
	// writes it). When set, the provider is matched by id; otherwise by
	// its address, which plans and the ownership marker record.
	ID          string
	Name        string
	Description string
	// Departments is empty for a global provider.
	Departments []string
	// Endpoints are absolute http or https URLs.
	Endpoints []string
	Values    map[string]string
	Keys      []Key
	// PreventDestroy is lifecycle.prevent_destroy.
	PreventDestroy bool
	// Adopt is the adopt argument (false when absent): whether Switchboard
	// may take over a matching provider that Glow already has and that no
	// ownership marker gives to this configuration. AdoptRange is the
	// argument, or zero when it is absent.
	Adopt      bool
	AdoptRange hcl.Range
	DeclRange  hcl.Range
}

// Key is a key block of a glow_provider.
type Key struct {
	Name  string
	Value Secret
	Range hcl.Range
}

// GateflowProvider is one instance of a gateflow_provider block.
type GateflowProvider struct {
	Address Address
	// ProviderID is one of catalogue.ProviderIDs: the provider_id argument,
	// or the block label when that is not set.
	ProviderID  string
	Enabled     bool
	Credentials map[string]Secret
	// Settings holds strings, bools, int64 (for whole numbers) and float64,
	// as Gateflow's settings are a flat object of those.
	Settings       map[string]any
	PreventDestroy bool
	DeclRange      hcl.Range
}

// Secret is a secret value as the configuration gives it: either a reference
// to Vault, resolved only when a command needs the value, or a value already
// read from the environment (env(), a sensitive variable, or an
// environment default such as GLOW_TOKEN). It is never a plain string, and
// formatting it with any verb shows only where it comes from.
type Secret struct {
	// Ref is set for vault(); Literal is then empty.
	Ref *secretref.VaultRef
	// Literal is the value read from the environment or a sensitive
	// variable.
	Literal sensitive.String
	// Source says where the value comes from, for messages: "vault",
	// "env:GLOW_TOKEN", "var.token". It never holds the value.
	Source string
	// Range is the expression that gave the secret; empty for an
	// environment default.
	Range hcl.Range
}

// IsZero reports whether no secret is set (neither a reference nor a value).
func (s Secret) IsZero() bool { return s.Ref == nil && s.Literal.IsZero() }

// String describes the secret without its value.
func (s Secret) String() string {
	switch {
	case s.Ref != nil:
		return s.Ref.String()
	case s.Source != "":
		return s.Source + " " + sensitive.Redacted
	case s.Literal.IsZero():
		return "(no secret)"
	default:
		return sensitive.Redacted
	}
}

// GoString keeps %#v from printing the Ref pointer's target field by field
// next to a Literal: the description is all a debugger needs.
func (s Secret) GoString() string { return "config.Secret{" + s.String() + "}" }

// Format covers every verb so that no formatting path reaches the fields.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// MarshalText describes the secret, so a JSON plan writer never needs to
// special-case it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// quoteList renders names for a message: "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

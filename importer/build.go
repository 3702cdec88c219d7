package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
)

// DefaultVaultPrefix is where import puts secrets it cannot point anywhere
// better: PREFIX/<type>.<name>/<key>, field "value".
const DefaultVaultPrefix = "secret/switchboard"

// VaultField is the field of the secrets import names.
const VaultField = "value"

// Origin says how import knows where a secret lives.
type Origin int

const (
	// OriginUnknown is a Glow key made outside Switchboard, or a Gateflow
	// credential. Its value is not in Vault until someone puts it there.
	OriginUnknown Origin = iota
	// OriginVault is a Glow key whose name records the Vault secret
	// Switchboard created it from.
	OriginVault
	// OriginEnv is a Glow key whose name records an environment variable.
	OriginEnv
)

// Ref is what the configuration writes for one secret: a vault() call or an
// env() call. It never holds a value.
type Ref struct {
	VaultPath, VaultKey string
	// Version pins vault(path, key, version); 0 writes no pin.
	Version int
	Env     string
}

func (r Ref) String() string {
	switch {
	case r.Env != "":
		return fmt.Sprintf("env(%q)", r.Env)
	default:
		return secretref.VaultCall(r.VaultPath, r.VaultKey, r.Version)
	}
}

// Key is one key of an imported Glow provider.
type Key struct {
	// Label is the key block's label: the key name without its origin
	// marker, as the planner reads it.
	Label  string
	KeyID  string
	Name   string
	Origin Origin
	Ref    Ref
	// Note explains Ref in the generated file.
	Note string
}

// GlowProvider is one glow_provider block.
type GlowProvider struct {
	// Name is the block label.
	Name string
	Live objects.GlowProvider
	Keys []Key
}

// Address is the provider's configuration address.
func (p *GlowProvider) Address() string { return objects.TypeGlowProvider + "." + p.Name }

// GateflowProvider is one gateflow_provider block.
type GateflowProvider struct {
	Name        string
	Live        objects.GateflowProvider
	Credentials map[string]Ref
}

// Address is the provider's configuration address.
func (p *GateflowProvider) Address() string { return objects.TypeGateflowProvider + "." + p.Name }

// SecretState is what import found at a secret's Vault path.
type SecretState int

const (
	// SecretUnchecked means there was no Vault to ask, or Vault did not
	// answer.
	SecretUnchecked SecretState = iota
	// SecretMissing means Vault has no secret at the path: it must be
	// written before apply.
	SecretMissing
	// SecretPresent means the value is in Vault already.
	SecretPresent
)

// Secret is a Vault secret the configuration names that Switchboard did not
// put there: it must exist before apply.
type Secret struct {
	Path, Key string
	// Users name what reads it: `glow_provider.x key "primary"`.
	Users []string
	State SecretState
	// GlowKey is the Glow key whose value belongs here (for
	// --migrate-keys-to-vault); empty for a Gateflow credential, which
	// cannot be read.
	GlowKey string
	// Detail is said next to the path when listing it.
	Detail string
}

// Import is the configuration import writes, before it is rendered.
type Import struct {
	Glow     []GlowProvider
	Gateflow []GateflowProvider
	// Secrets are sorted by path.
	Secrets []Secret
	// Notes are things the user should know that concern no single block.
	Notes []string
}

// MetadataReader is the Vault access import needs to check references:
// metadata only, never a value.
type MetadataReader interface {
	Metadata(ctx context.Context, ref secretref.VaultRef) (secrets.Metadata, error)
}

// Options shape Build.
type Options struct {
	// VaultPrefix is where secrets of unknown origin go; empty means
	// DefaultVaultPrefix.
	VaultPrefix string
	// Vault checks references; nil leaves them unchecked.
	Vault MetadataReader
}

// Build decides the addresses and the secret references of the live
// objects. The snapshot must be sorted by id (Read does it), since that
// order decides which of two providers with one name keeps the bare
// address.
func Build(ctx context.Context, snap objects.Snapshot, opts Options) (*Import, error) {
	prefix := strings.Trim(opts.VaultPrefix, "/")
	if prefix == "" {
		prefix = DefaultVaultPrefix
	}
	im := &Import{}
	names := make([]string, len(snap.Glow))
	for i, p := range snap.Glow {
		names[i] = p.Name
	}
	labels := uniqueNames(names, "provider")

	// A key shared by several providers is one value: one Vault path (the
	// first provider's, by id) and one decrypt when migrating.
	byKey := map[string]*Secret{}
	var unknown []*Secret
	for i, live := range snap.Glow {
		p := GlowProvider{Name: labels[i], Live: live}
		keyLabels := make([]string, len(live.Keys))
		for j, ks := range live.Keys {
			keyLabels[j] = ks.Label
		}
		segments := uniqueNames(keyLabels, "key")
		for j, ks := range live.Keys {
			label := ks.Label
			k := Key{Label: label, KeyID: ks.KeyID, Name: ks.Name}
			user := fmt.Sprintf("%s key %q", p.Address(), label)
			switch {
			case ks.Marked && ks.Source.Env != "":
				k.Origin, k.Ref = OriginEnv, Ref{Env: ks.Source.Env}
				k.Note = fmt.Sprintf("Created by Switchboard from $%s (Glow key %s); read again from it only when the key is replaced.", ks.Source.Env, ks.KeyID)
			case ks.Marked:
				k.Origin = OriginVault
				k.Ref, k.Note = markedRef(ctx, opts.Vault, ks)
			default:
				s := byKey[ks.KeyID]
				if s == nil {
					s = &Secret{
						Path:    prefix + "/" + p.Address() + "/" + segments[j],
						Key:     VaultField,
						GlowKey: ks.KeyID,
						Detail:  fmt.Sprintf("the value of Glow key %s (%q)", ks.KeyID, ks.Name),
					}
					byKey[ks.KeyID] = s
					unknown = append(unknown, s)
				}
				s.Users = append(s.Users, user)
				k.Ref = Ref{VaultPath: s.Path, VaultKey: VaultField}
				k.Note = fmt.Sprintf("Glow key %s (%q) was made outside Switchboard: its value must be stored at %s (field %q) before apply.", ks.KeyID, ks.Name, s.Path, VaultField)
				if len(s.Users) > 1 {
					k.Note += fmt.Sprintf(" The key is shared with %s.", strings.Join(s.Users[:len(s.Users)-1], ", "))
				}
			}
			p.Keys = append(p.Keys, k)
		}
		im.Glow = append(im.Glow, p)
	}

	for _, live := range snap.Gateflow {
		if !live.Configured {
			continue
		}
		p := GateflowProvider{Name: identifier(live.ProviderID, "gateflow"), Live: live}
		// Gateflow never says which credentials it holds; api_key is the
		// one every provider requires.
		s := &Secret{
			Path:   prefix + "/" + p.Address() + "/api_key",
			Key:    VaultField,
			Users:  []string{fmt.Sprintf("%s credential \"api_key\"", p.Address())},
			Detail: fmt.Sprintf("the api_key Gateflow holds for %s, which it never returns", live.ProviderID),
		}
		unknown = append(unknown, s)
		p.Credentials = map[string]Ref{"api_key": {VaultPath: s.Path, VaultKey: VaultField}}
		im.Gateflow = append(im.Gateflow, p)
	}

	for _, s := range unknown {
		s.State = check(ctx, opts.Vault, secretref.VaultRef{Path: s.Path, Key: s.Key})
		im.Secrets = append(im.Secrets, *s)
	}
	slices.SortFunc(im.Secrets, func(a, b Secret) int { return strings.Compare(a.Path, b.Path) })
	return im, nil
}

// markedRef turns a key's origin marker into the reference that makes the
// next plan empty. The planner compares the marker's version with the
// version the reference resolves to, so:
//
//   - when Vault's current version is the recorded one (or the mount is KV
//     v1, which has none), the reference is unpinned, as people write it:
//     the next version written to Vault is then rolled out by the next
//     apply, as if the configuration had always been in Git;
//   - when Vault has moved on, the configuration that created the key must
//     have pinned it (or a rotation was never applied), and the reference is
//     pinned to the recorded version: import describes what is live, and
//     rolling out the newer version is a decision for a reviewed change;
//   - when the recorded secret is gone, or Vault cannot be asked, the
//     reference is unpinned and the note says why; plan then reports it.
func markedRef(ctx context.Context, v MetadataReader, ks objects.KeyState) (Ref, string) {
	src := ks.Source
	ref := Ref{VaultPath: src.VaultPath, VaultKey: src.VaultKey}
	created := fmt.Sprintf("Created by Switchboard from %s (Glow key %s).", src, ks.KeyID)
	if v == nil {
		return ref, created + " Vault was not checked: no Vault token at import time."
	}
	md, err := v.Metadata(ctx, secretref.VaultRef{Path: src.VaultPath, Key: src.VaultKey})
	switch {
	case err != nil:
		return ref, created + " Vault could not confirm it at import time: " + err.Error()
	case src.Version == 0 || md.KVVersion == 1 || md.CurrentVersion == src.Version:
		return ref, created
	case md.CurrentVersion > src.Version:
		ref.Version = src.Version
		return ref, created + fmt.Sprintf(" Pinned to the version Glow holds: Vault's current version is %d. Remove the pin to roll it out.", md.CurrentVersion)
	default:
		return ref, created + fmt.Sprintf(" Vault's current version is %d, older than the recorded one: the secret was recreated.", md.CurrentVersion)
	}
}

func check(ctx context.Context, v MetadataReader, ref secretref.VaultRef) SecretState {
	if v == nil {
		return SecretUnchecked
	}
	_, err := v.Metadata(ctx, ref)
	switch {
	case err == nil:
		return SecretPresent
	case errors.Is(err, secrets.ErrNotFound):
		return SecretMissing
	default:
		return SecretUnchecked
	}
}

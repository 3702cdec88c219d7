package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// GlowKeyModel is one entry of `keys`, keyed by its label. Its value comes
// from Vault (Vault) or from the configuration (ValueWO, write-only: set
// only in the configuration Create and Update receive, null in plan and
// state).
type GlowKeyModel struct {
	Vault          types.Object `tfsdk:"vault"`
	ValueWO        types.String `tfsdk:"value_wo"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	VaultVersion   types.Int64  `tfsdk:"vault_version"`
	KeyID          types.String `tfsdk:"key_id"`
}

// VaultRefModel is a key's `vault` reference: a KV secret and one of its
// keys, optionally pinned to a version.
type VaultRefModel struct {
	Path    types.String `tfsdk:"path"`
	Key     types.String `tfsdk:"key"`
	Version types.Int64  `tfsdk:"version"`
}

var vaultRefTypes = map[string]attr.Type{"path": types.StringType, "key": types.StringType, "version": types.Int64Type}

var keyObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"vault":            types.ObjectType{AttrTypes: vaultRefTypes},
	"value_wo":         types.StringType,
	"value_wo_version": types.Int64Type,
	"vault_version":    types.Int64Type,
	"key_id":           types.StringType,
}}

// keysOf reads a `keys` map; ok is false when it (or a key) is unknown.
func keysOf(ctx context.Context, m types.Map, diags *diag.Diagnostics) (map[string]GlowKeyModel, bool) {
	if m.IsUnknown() {
		return nil, false
	}
	out := map[string]GlowKeyModel{}
	if m.IsNull() {
		return out, true
	}
	ok := true
	for label, v := range m.Elements() {
		o, isObj := v.(types.Object)
		if !isObj || o.IsUnknown() {
			ok = false
			continue
		}
		if o.IsNull() {
			continue
		}
		var k GlowKeyModel
		diags.Append(o.As(ctx, &k, basetypes.ObjectAsOptions{})...)
		out[label] = k
	}
	return out, ok
}

// keysValue is the `keys` map for state or plan: null when there are no
// keys and the configuration had none (asNull), so that a block without
// `keys` stays without.
func keysValue(ctx context.Context, keys map[string]GlowKeyModel, asNull bool, diags *diag.Diagnostics) types.Map {
	if len(keys) == 0 && asNull {
		return types.MapNull(keyObjectType)
	}
	m, d := types.MapValueFrom(ctx, keyObjectType, keys)
	diags.Append(d...)
	return m
}

func vaultRefOf(ctx context.Context, o types.Object, diags *diag.Diagnostics) (VaultRefModel, bool) {
	if o.IsNull() || o.IsUnknown() {
		return VaultRefModel{}, false
	}
	var v VaultRefModel
	diags.Append(o.As(ctx, &v, basetypes.ObjectAsOptions{})...)
	return v, true
}

func vaultRefValue(v VaultRefModel) types.Object {
	return types.ObjectValueMust(vaultRefTypes, map[string]attr.Value{"path": v.Path, "key": v.Key, "version": v.Version})
}

func (v VaultRefModel) known() bool {
	return !v.Path.IsUnknown() && !v.Key.IsUnknown() && !v.Version.IsUnknown()
}

func (v VaultRefModel) ref(version int64) secretref.VaultRef {
	return secretref.VaultRef{Path: v.Path.ValueString(), Key: v.Key.ValueString(), Version: int(version)}
}

// sameSecret reports whether a live key's marker names the secret v refers
// to (whatever version).
func (v VaultRefModel) sameSecret(src secretref.Source) bool {
	return src.VaultPath == v.Path.ValueString() && src.VaultKey == v.Key.ValueString()
}

// validateKey checks one key's arguments without reading anything: exactly
// one value source, and a version for a write-only value.
func validateKey(ctx context.Context, label string, k GlowKeyModel, diags *diag.Diagnostics) {
	p := path.Root("keys").AtMapKey(label)
	hasVault := !k.Vault.IsNull()
	hasWO := !k.ValueWO.IsNull() || !k.ValueWOVersion.IsNull()
	switch {
	case hasVault && hasWO:
		diags.AddAttributeError(p, "Key with two values",
			fmt.Sprintf("Key %q sets both vault and value_wo/value_wo_version. Set exactly one: vault = { path, key } to reference a Vault secret, "+
				"or value_wo with value_wo_version to pass the value yourself.", label))
	case !hasVault && !hasWO:
		diags.AddAttributeError(p, "Key without a value",
			fmt.Sprintf("Key %q sets neither vault nor value_wo. Set exactly one: vault = { path, key } to reference a Vault secret, "+
				"or value_wo with value_wo_version to pass the value yourself.", label))
	case !k.ValueWO.IsNull() && k.ValueWOVersion.IsNull():
		diags.AddAttributeError(p.AtName("value_wo_version"), "Missing value_wo_version",
			fmt.Sprintf("Key %q sets value_wo, so it needs value_wo_version: Terraform never stores a write-only value, "+
				"so the version is how it knows when to send a new one.", label))
	}
	if v, ok := vaultRefOf(ctx, k.Vault, diags); ok {
		if !v.Path.IsUnknown() && v.Path.ValueString() == "" {
			diags.AddAttributeError(p.AtName("vault").AtName("path"), "Empty Vault path", "vault.path must name a KV secret, e.g. \"secret/llm/openai\".")
		}
		if !v.Key.IsUnknown() && v.Key.ValueString() == "" {
			diags.AddAttributeError(p.AtName("vault").AtName("key"), "Empty Vault key", "vault.key must name a key of the secret, e.g. \"api_key\".")
		}
	}
}

// planKeys decides, for each planned key, whether its live key stays (its
// key_id is kept) or a new one is created (key_id unknown), and records in
// vault_version the Vault version the key will hold. For a Vault reference
// it reads only the secret's metadata, so a plan needs no read access to
// values: a new version in Vault shows as a change of vault_version and
// key_id, that is, a planned rotation. It reports whether any key changes.
func (r *GlowProviderResource) planKeys(ctx context.Context, plan, prior map[string]GlowKeyModel, cfg map[string]GlowKeyModel, diags *diag.Diagnostics) bool {
	changed := len(plan) != len(prior)
	for _, label := range slices.Sorted(maps.Keys(plan)) {
		k := plan[label]
		p := path.Root("keys").AtMapKey(label)
		old, hadOld := prior[label]
		keep := false
		k.ValueWO = types.StringNull()
		if v, ok := vaultRefOf(ctx, k.Vault, diags); ok {
			k.VaultVersion = types.Int64Unknown()
			if v.known() {
				md, err := r.vaultMetadata(ctx, v)
				if err != nil {
					diags.AddAttributeError(p.AtName("vault"), "Reading Vault metadata for key "+label, err.Error())
					continue
				}
				k.VaultVersion = versionValue(md.Version)
				if hadOld && !old.KeyID.IsNull() && !old.KeyID.IsUnknown() {
					ov, had := vaultRefOf(ctx, old.Vault, diags)
					keep = had && ov.Path.Equal(v.Path) && ov.Key.Equal(v.Key) && old.VaultVersion.Equal(k.VaultVersion)
				}
			}
		} else {
			k.VaultVersion = types.Int64Null()
			keep = hadOld && !old.KeyID.IsNull() && !old.KeyID.IsUnknown() && old.Vault.IsNull() &&
				!k.ValueWOVersion.IsUnknown() && old.ValueWOVersion.Equal(k.ValueWOVersion)
			if !keep && cfg != nil {
				// A new key needs its value; say so now, not after the
				// provider was half changed.
				if c, ok := cfg[label]; ok && c.ValueWO.IsNull() && !c.ValueWOVersion.IsNull() {
					diags.AddAttributeError(p.AtName("value_wo"), "Key value not set",
						fmt.Sprintf("Key %q needs a new Glow key (it is new, or its value_wo_version changed), so value_wo must be set. "+
							"A configuration written by terraform plan -generate-config-out has no value: set value_wo, or use vault instead.", label))
				}
			}
		}
		if keep {
			k.KeyID = old.KeyID
		} else {
			k.KeyID = types.StringUnknown()
			changed = true
		}
		plan[label] = k
	}
	return changed
}

func versionValue(v int) types.Int64 {
	if v <= 0 {
		return types.Int64Null() // KV v1 keeps no versions
	}
	return types.Int64Value(int64(v))
}

func (r *GlowProviderResource) vaultMetadata(ctx context.Context, v VaultRefModel) (secrets.Metadata, error) {
	if r.clients == nil || r.clients.Vault == nil {
		err := fmt.Errorf("no Vault is configured: set vault.address in the provider block or VAULT_ADDR")
		if r.clients != nil && r.clients.VaultErr != nil {
			err = r.clients.VaultErr
		}
		return secrets.Metadata{}, err
	}
	return r.clients.Vault.Metadata(ctx, v.ref(v.Version.ValueInt64()))
}

// newKeySource reads the value of a key that must be created: from Vault
// (once, at the version the plan showed), or from the configuration.
func (r *GlowProviderResource) newKeySource(ctx context.Context, label string, k GlowKeyModel, cfg map[string]GlowKeyModel, diags *diag.Diagnostics) (secretref.Source, sensitive.String, bool) {
	p := path.Root("keys").AtMapKey(label)
	if v, ok := vaultRefOf(ctx, k.Vault, diags); ok {
		if r.clients.Vault == nil {
			_, err := r.vaultMetadata(ctx, v)
			diags.AddAttributeError(p.AtName("vault"), "Vault is not configured", err.Error())
			return secretref.Source{}, sensitive.String{}, false
		}
		version := v.Version.ValueInt64()
		if !k.VaultVersion.IsNull() && !k.VaultVersion.IsUnknown() {
			// The version the plan showed, even if a newer one was written
			// since: apply does what the plan said.
			version = k.VaultVersion.ValueInt64()
		}
		val, md, err := r.clients.Vault.Value(ctx, v.ref(version))
		if err != nil {
			diags.AddAttributeError(p.AtName("vault"), "Reading key "+label+" from Vault", err.Error())
			return secretref.Source{}, sensitive.String{}, false
		}
		if val.IsZero() {
			diags.AddAttributeError(p.AtName("vault"), "Empty Vault value", fmt.Sprintf("Key %q: %s#%s is empty.", label, v.Path.ValueString(), v.Key.ValueString()))
			return secretref.Source{}, sensitive.String{}, false
		}
		return secretref.Source{VaultPath: v.Path.ValueString(), VaultKey: v.Key.ValueString(), Version: md.Version}, val, true
	}
	c := cfg[label]
	if c.ValueWO.IsUnknown() || c.ValueWO.IsNull() || c.ValueWO.ValueString() == "" {
		diags.AddAttributeError(p.AtName("value_wo"), "Key value not set",
			"value_wo must be a known, non-empty value when the key is created or rotated.")
		return secretref.Source{}, sensitive.String{}, false
	}
	return secretref.Source{TerraformVersion: k.ValueWOVersion.ValueInt64()}, sensitive.New(c.ValueWO.ValueString()), true
}

// keySourceOf is the source a kept key's marker records, from its model.
func keySourceOf(ctx context.Context, k GlowKeyModel, diags *diag.Diagnostics) secretref.Source {
	if v, ok := vaultRefOf(ctx, k.Vault, diags); ok {
		return secretref.Source{VaultPath: v.Path.ValueString(), VaultKey: v.Key.ValueString(), Version: int(k.VaultVersion.ValueInt64())}
	}
	return secretref.Source{TerraformVersion: k.ValueWOVersion.ValueInt64()}
}

// sameSource reports whether a live key's marker records exactly the value
// a planned key asks for, so that the live key can stay.
func sameSource(ctx context.Context, k GlowKeyModel, src secretref.Source, diags *diag.Diagnostics) bool {
	if v, ok := vaultRefOf(ctx, k.Vault, diags); ok {
		return v.sameSecret(src) && !k.VaultVersion.IsUnknown() && int64(src.Version) == k.VaultVersion.ValueInt64()
	}
	return src.VaultPath == "" && src.Env == "" && src.TerraformVersion > 0 && src.TerraformVersion == k.ValueWOVersion.ValueInt64()
}

// liveKeys turns a provider's live keys into `keys` entries, taking from
// prior what the live side cannot say: the pin of a Vault reference.
func liveKeys(ctx context.Context, views []glowKeyView, prior map[string]GlowKeyModel, diags *diag.Diagnostics) map[string]GlowKeyModel {
	out := make(map[string]GlowKeyModel, len(views))
	for _, kv := range views {
		label := kv.Label
		if _, dup := out[label]; dup {
			// Two live keys with one label (made by hand): the later ones
			// go by their full name and id, so that neither is hidden.
			label = kv.Name + " [" + kv.ID + "]"
		}
		m := GlowKeyModel{
			Vault:          types.ObjectNull(vaultRefTypes),
			ValueWO:        types.StringNull(),
			ValueWOVersion: types.Int64Null(),
			VaultVersion:   types.Int64Null(),
			KeyID:          types.StringValue(kv.ID),
		}
		switch {
		case kv.Source.VaultPath != "":
			ref := VaultRefModel{Path: types.StringValue(kv.Source.VaultPath), Key: types.StringValue(kv.Source.VaultKey), Version: types.Int64Null()}
			if p, ok := prior[label]; ok {
				if pv, ok := vaultRefOf(ctx, p.Vault, diags); ok && pv.sameSecret(kv.Source) {
					ref.Version = pv.Version
				}
			}
			m.Vault = vaultRefValue(ref)
			m.VaultVersion = versionValue(kv.Source.Version)
		case kv.Source.TerraformVersion > 0:
			m.ValueWOVersion = types.Int64Value(kv.Source.TerraformVersion)
		}
		out[label] = m
	}
	return out
}

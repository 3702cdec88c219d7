package provider

import (
	"context"
	"slices"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/secretref"
)

// glowKeyView is a live key as the provider shows it: the label from its
// name, and the value_wo_version its `(terraform:vN)` marker records (null
// when the key was not made by Terraform). Glow returns a key's value only
// through an audited decrypt, so the provider never reads a key back; reading
// the marker on refresh and import is what lets Terraform notice a key
// replaced outside it (the version goes missing) and know which version an
// imported key holds.
type glowKeyView struct {
	Label   string
	Name    string
	ID      string
	Version types.Int64
	// Source is what the key's marker records; zero for a key made by hand.
	Source secretref.Source
}

func glowKeyViews(keys []glow.Key) []glowKeyView {
	out := make([]glowKeyView, 0, len(keys))
	for _, k := range keys {
		// Keys the switchboard CLI made keep their label (their marker
		// records a Vault or env() source), and a key made by hand is
		// labelled by its whole name.
		label, src, _ := secretref.ParseKeyName(k.Name)
		kv := glowKeyView{Label: label, Name: k.Name, ID: k.ID, Version: types.Int64Null(), Source: src}
		if src.TerraformVersion > 0 {
			kv.Version = types.Int64Value(src.TerraformVersion)
		}
		out = append(out, kv)
	}
	// Glow's order is not meaningful; a stable one keeps refreshes quiet.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Label != out[j].Label {
			return out[i].Label < out[j].Label
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func endpointURLs(d *glow.ProviderDetail) []string {
	urls := make([]string, 0, len(d.Endpoints.Current))
	for _, e := range d.Endpoints.Current {
		urls = append(urls, e.URL)
	}
	slices.Sort(urls)
	return slices.Compact(urls)
}

func stringSet(elems []string, diags *diag.Diagnostics) types.Set {
	vals := make([]attr.Value, 0, len(elems))
	for _, e := range elems {
		vals = append(vals, types.StringValue(e))
	}
	s, d := types.SetValue(types.StringType, vals)
	diags.Append(d...)
	return s
}

func stringMap(in map[string]string, diags *diag.Diagnostics) types.Map {
	vals := make(map[string]attr.Value, len(in))
	for k, v := range in {
		vals[k] = types.StringValue(v)
	}
	m, d := types.MapValue(types.StringType, vals)
	diags.Append(d...)
	return m
}

func setStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	slices.Sort(out)
	return out
}

func mapStrings(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := map[string]string{}
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	return out
}

// glowFields maps Glow's error.field to the attribute that set it.
func glowFields(field string) (path.Path, bool) {
	head, rest := splitField(field)
	switch head {
	case "name", "description":
		return path.Root(head), true
	case "department_ids":
		return path.Root("departments"), true
	case "endpoint_ids", "url":
		return path.Root("endpoints"), true
	case "key_ids", "keys":
		return path.Root("keys"), true
	case "values":
		if rest != "" {
			return path.Root("values").AtMapKey(rest), true
		}
		return path.Root("values"), true
	}
	return path.Empty(), false
}

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Version 0 of the resource had its keys as a list of `key` blocks. A list
// is positional, so reordering the blocks planned spurious swaps, and a
// write-only value can't live in a set: version 1 keys them by label in
// the `keys` map.
type glowProviderModelV0 struct {
	ID              types.String     `tfsdk:"id"`
	Name            types.String     `tfsdk:"name"`
	Description     types.String     `tfsdk:"description"`
	Departments     types.Set        `tfsdk:"departments"`
	Endpoints       types.Set        `tfsdk:"endpoints"`
	Values          types.Map        `tfsdk:"values"`
	Keys            []glowKeyModelV0 `tfsdk:"key"`
	Version         types.Int64      `tfsdk:"version"`
	ModelUsageCount types.Int64      `tfsdk:"model_usage_count"`
}

type glowKeyModelV0 struct {
	Name           types.String `tfsdk:"name"`
	ValueWO        types.String `tfsdk:"value_wo"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	KeyID          types.String `tfsdk:"key_id"`
}

func glowProviderSchemaV0() *schema.Schema {
	return &schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":                schema.StringAttribute{Computed: true},
			"name":              schema.StringAttribute{Required: true},
			"description":       schema.StringAttribute{Optional: true, Computed: true},
			"departments":       schema.SetAttribute{ElementType: types.StringType, Optional: true, Computed: true},
			"endpoints":         schema.SetAttribute{ElementType: types.StringType, Optional: true, Computed: true},
			"values":            schema.MapAttribute{ElementType: types.StringType, Optional: true, Computed: true},
			"version":           schema.Int64Attribute{Computed: true},
			"model_usage_count": schema.Int64Attribute{Computed: true},
		},
		Blocks: map[string]schema.Block{
			"key": schema.ListNestedBlock{
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"name":             schema.StringAttribute{Required: true},
						"value_wo":         schema.StringAttribute{Required: true, Sensitive: true, WriteOnly: true},
						"value_wo_version": schema.Int64Attribute{Required: true},
						"key_id":           schema.StringAttribute{Computed: true},
					},
				},
			},
		},
	}
}

// UpgradeState reads the states earlier schema versions wrote.
func (r *GlowProviderResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {
			PriorSchema: glowProviderSchemaV0(),
			StateUpgrader: func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
				var old glowProviderModelV0
				resp.Diagnostics.Append(req.State.Get(ctx, &old)...)
				if resp.Diagnostics.HasError() {
					return
				}
				keys := make(map[string]GlowKeyModel, len(old.Keys))
				for _, k := range old.Keys {
					keys[k.Name.ValueString()] = GlowKeyModel{
						Vault:          types.ObjectNull(vaultRefTypes),
						ValueWO:        types.StringNull(),
						ValueWOVersion: k.ValueWOVersion,
						VaultVersion:   types.Int64Null(),
						KeyID:          k.KeyID,
					}
				}
				m := GlowProviderResourceModel{
					ID: old.ID, Name: old.Name, Description: old.Description, Departments: old.Departments,
					Endpoints: old.Endpoints, Values: old.Values, Version: old.Version, ModelUsageCount: old.ModelUsageCount,
				}
				m.Keys = keysValue(ctx, keys, len(old.Keys) == 0, &resp.Diagnostics)
				// Version 0 had no timeouts block: none is set.
				m.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutsBlock(ctx).Type().(timeouts.Type).AttrTypes)}
				resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
			},
		},
	}
}

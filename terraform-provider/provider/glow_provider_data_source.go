package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

var (
	_ datasource.DataSource                     = &GlowProviderDataSource{}
	_ datasource.DataSourceWithConfigure        = &GlowProviderDataSource{}
	_ datasource.DataSourceWithConfigValidators = &GlowProviderDataSource{}
)

// NewGlowProviderDataSource is the switchboard_glow_provider data source.
func NewGlowProviderDataSource() datasource.DataSource { return &GlowProviderDataSource{} }

// GlowProviderDataSource reads one Glow provider by id or by name.
type GlowProviderDataSource struct {
	clients *Clients
}

// GlowProviderDataSourceModel is the data source's data.
type GlowProviderDataSourceModel struct {
	ID              types.String       `tfsdk:"id"`
	Name            types.String       `tfsdk:"name"`
	Description     types.String       `tfsdk:"description"`
	Departments     types.Set          `tfsdk:"departments"`
	Endpoints       types.Set          `tfsdk:"endpoints"`
	Values          types.Map          `tfsdk:"values"`
	Keys            []GlowKeyDataModel `tfsdk:"keys"`
	Version         types.Int64        `tfsdk:"version"`
	ModelUsageCount types.Int64        `tfsdk:"model_usage_count"`
}

// GlowKeyDataModel is a key's metadata; Glow never returns values.
type GlowKeyDataModel struct {
	Name           types.String `tfsdk:"name"`
	GlowName       types.String `tfsdk:"glow_name"`
	KeyID          types.String `tfsdk:"key_id"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	VaultPath      types.String `tfsdk:"vault_path"`
	VaultKey       types.String `tfsdk:"vault_key"`
	VaultVersion   types.Int64  `tfsdk:"vault_version"`
}

// Metadata names the data source switchboard_glow_provider.
func (d *GlowProviderDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_glow_provider"
}

// Schema describes the data source for the reference page.
func (d *GlowProviderDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a Glow provider by `id` or by `name`. Key values are never read (Glow audits every decrypt).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Glow provider id. Set exactly one of `id` and `name`.",
				Optional:            true,
				Computed:            true,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Provider name. Names are unique per department, so a name that several providers have " +
					"(in departments that don't overlap) is an error; use `id` then.",
				Optional: true,
				Computed: true,
			},
			"description": schema.StringAttribute{MarkdownDescription: "Description.", Computed: true},
			"departments": schema.SetAttribute{
				MarkdownDescription: "Department ids.", ElementType: types.StringType, Computed: true,
			},
			"endpoints": schema.SetAttribute{
				MarkdownDescription: "Endpoint URLs.", ElementType: types.StringType, Computed: true,
			},
			"values": schema.MapAttribute{
				MarkdownDescription: "Configuration values.", ElementType: types.StringType, Computed: true,
			},
			"keys": schema.ListNestedAttribute{
				MarkdownDescription: "Keys attached to the provider, by label.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name":      schema.StringAttribute{MarkdownDescription: "Key label: the Glow name without its origin marker.", Computed: true},
						"glow_name": schema.StringAttribute{MarkdownDescription: "Full Glow key name, origin marker included.", Computed: true},
						"key_id":    schema.StringAttribute{MarkdownDescription: "Glow key id.", Computed: true},
						"value_wo_version": schema.Int64Attribute{
							MarkdownDescription: "The `value_wo_version` recorded in the name of a key Terraform made from `value_wo`; null otherwise.",
							Computed:            true,
						},
						"vault_path": schema.StringAttribute{
							MarkdownDescription: "The Vault secret path recorded in the name of a key made from a Vault reference (by Terraform or the CLI); null otherwise.",
							Computed:            true,
						},
						"vault_key":     schema.StringAttribute{MarkdownDescription: "The key within that Vault secret; null otherwise.", Computed: true},
						"vault_version": schema.Int64Attribute{MarkdownDescription: "The Vault version the key holds (null on KV v1 and for other keys).", Computed: true},
					},
				},
			},
			"version":           schema.Int64Attribute{MarkdownDescription: "Glow's version of the provider.", Computed: true},
			"model_usage_count": schema.Int64Attribute{MarkdownDescription: "Number of models that use the provider.", Computed: true},
		},
	}
}

// ConfigValidators require exactly one of id and name, the two ways to
// find a provider.
func (d *GlowProviderDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

// Configure takes the clients the provider block made.
func (d *GlowProviderDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *GlowProviderDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m GlowProviderDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.clients == nil || d.clients.Glow == nil {
		resp.Diagnostics.AddError("Glow is not configured",
			"Set glow_url and glow_token in the provider block, or $"+glow.EnvURL+" and $"+glow.EnvToken+".")
		return
	}
	c := d.clients.Glow
	id := m.ID.ValueString()
	if id == "" {
		name := m.Name.ValueString()
		var ids []string
		for p, err := range c.Search(ctx, glow.SearchRequest{Search: name}) {
			if err != nil {
				addAPIError(&resp.Diagnostics, "Searching Glow providers", err, nil)
				return
			}
			if p.Name == name {
				ids = append(ids, p.ID)
			}
		}
		switch len(ids) {
		case 0:
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Glow provider not found",
				fmt.Sprintf("No Glow provider the token can see is named %q.", name))
			return
		case 1:
			id = ids[0]
		default:
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Several Glow providers have this name",
				fmt.Sprintf("%d providers are named %q (in different departments): %v. Use id instead.", len(ids), name, ids))
			return
		}
	}
	det, err := c.GetProvider(ctx, id)
	if err != nil {
		if errors.Is(err, api.ErrNotFound) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Glow provider not found",
				fmt.Sprintf("No Glow provider with id %q exists, or the token's departments don't include it.", id))
			return
		}
		addAPIError(&resp.Diagnostics, "Reading Glow provider "+id, err, nil)
		return
	}
	p := det.Provider
	m.ID = types.StringValue(p.ID)
	m.Name = types.StringValue(p.Name)
	m.Description = types.StringValue(p.Description)
	m.Departments = stringSet(p.DepartmentIDs, &resp.Diagnostics)
	m.Endpoints = stringSet(endpointURLs(det), &resp.Diagnostics)
	values, _ := objects.SplitMarker(p.Values) // the ownership marker is not a value
	if values == nil {
		values = map[string]string{}
	}
	m.Values = stringMap(values, &resp.Diagnostics)
	m.Version = types.Int64Value(p.Version)
	m.ModelUsageCount = types.Int64Value(int64(p.ModelUsageCount))
	m.Keys = []GlowKeyDataModel{}
	for _, k := range glowKeyViews(det.Keys.Current) {
		dk := GlowKeyDataModel{
			Name: types.StringValue(k.Label), GlowName: types.StringValue(k.Name),
			KeyID: types.StringValue(k.ID), ValueWOVersion: k.Version,
			VaultPath: types.StringNull(), VaultKey: types.StringNull(), VaultVersion: types.Int64Null(),
		}
		if k.Source.VaultPath != "" {
			dk.VaultPath, dk.VaultKey = types.StringValue(k.Source.VaultPath), types.StringValue(k.Source.VaultKey)
			dk.VaultVersion = versionValue(k.Source.Version)
		}
		m.Keys = append(m.Keys, dk)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

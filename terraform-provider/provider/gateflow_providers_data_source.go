package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/switchboard-hq/switchboard/api/gateflow"
)

var (
	_ datasource.DataSource              = &GateflowProvidersDataSource{}
	_ datasource.DataSourceWithConfigure = &GateflowProvidersDataSource{}
)

// NewGateflowProvidersDataSource is the switchboard_gateflow_providers data
// source.
func NewGateflowProvidersDataSource() datasource.DataSource { return &GateflowProvidersDataSource{} }

// GateflowProvidersDataSource lists Gateflow's catalogue.
type GateflowProvidersDataSource struct {
	clients *Clients
}

// GateflowProvidersDataSourceModel is the data source's data.
type GateflowProvidersDataSourceModel struct {
	Providers []GateflowProviderSummaryModel `tfsdk:"providers"`
}

// GateflowProviderSummaryModel is one catalogue entry.
type GateflowProviderSummaryModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	Status       types.String `tfsdk:"status"`
	Configured   types.Bool   `tfsdk:"configured"`
	Models       []string     `tfsdk:"models"`
	HealthStatus types.String `tfsdk:"health_status"`
}

// Metadata names the data source switchboard_gateflow_providers.
func (d *GateflowProvidersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gateflow_providers"
}

// Schema describes the data source for the reference page.
func (d *GateflowProvidersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists Gateflow's provider catalogue: every supported provider, configured or not.",
		Attributes: map[string]schema.Attribute{
			"providers": schema.ListNestedAttribute{
				MarkdownDescription: "The catalogue, in Gateflow's order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id":         schema.StringAttribute{MarkdownDescription: "Provider id (`openai`, …).", Computed: true},
						"name":       schema.StringAttribute{MarkdownDescription: "Display name.", Computed: true},
						"status":     schema.StringAttribute{MarkdownDescription: "`active`, `disabled` or `inactive` (not configured).", Computed: true},
						"configured": schema.BoolAttribute{MarkdownDescription: "Whether the provider is configured.", Computed: true},
						"models": schema.ListAttribute{
							MarkdownDescription: "Model ids available through the provider; empty when it is not configured.",
							ElementType:         types.StringType, Computed: true,
						},
						"health_status": schema.StringAttribute{MarkdownDescription: "Last health check result; null when not configured.", Computed: true},
					},
				},
			},
		},
	}
}

// Configure takes the clients the provider block made.
func (d *GateflowProvidersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *GateflowProvidersDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.clients == nil || d.clients.Gateflow == nil {
		resp.Diagnostics.AddError("Gateflow is not configured",
			"Set gateflow_url and gateflow_admin_key in the provider block, or $"+gateflow.EnvURL+" and $"+gateflow.EnvAdminKey+".")
		return
	}
	list, err := d.clients.Gateflow.List(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Listing Gateflow providers", err, nil)
		return
	}
	m := GateflowProvidersDataSourceModel{Providers: []GateflowProviderSummaryModel{}}
	for _, p := range list {
		s := GateflowProviderSummaryModel{
			ID: types.StringValue(p.ID), Name: types.StringValue(p.Name), Status: types.StringValue(p.Status),
			Configured: types.BoolValue(p.Configured), Models: append([]string{}, p.Models...),
			HealthStatus: types.StringNull(),
		}
		if p.Health != nil {
			s.HealthStatus = types.StringValue(p.Health.Status)
		}
		m.Providers = append(m.Providers, s)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

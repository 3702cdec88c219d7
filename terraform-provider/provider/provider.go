// Package provider is the Terraform provider for Switchboard: Glow and
// Gateflow LLM providers as Terraform resources, over the same API clients
// and the same per-object operations (package applier/crud) as the
// switchboard CLI.
package provider

import (
	"context"
	"log/slog"
	"maps"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/secrets"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Address is the provider's registry address; dev_overrides in the
// Terraform CLI configuration name it too.
const Address = "registry.terraform.io/switchboard-hq/switchboard"

var _ provider.Provider = &SwitchboardProvider{}

// SwitchboardProvider configures the Glow and Gateflow clients that every
// resource and data source shares.
type SwitchboardProvider struct {
	version string
	// clientOptions are added to both clients' options; tests use them to
	// shorten retries.
	clientOptions []api.Option
}

// SwitchboardProviderModel is the provider block.
type SwitchboardProviderModel struct {
	GlowURL          types.String `tfsdk:"glow_url"`
	GlowToken        types.String `tfsdk:"glow_token"`
	GateflowURL      types.String `tfsdk:"gateflow_url"`
	GateflowAdminKey types.String `tfsdk:"gateflow_admin_key"`
	// Vault and Owner: see ownershipAttributes.
	Vault types.Object `tfsdk:"vault"`
	Owner types.String `tfsdk:"owner"`

	clientSettings
}

// Clients is what resources and data sources receive from Configure. A nil
// client means that service was not configured; only the resources of that
// service fail then, so a configuration that manages Gateflow alone needs no
// Glow credentials.
type Clients struct {
	Glow     *glow.Client
	Gateflow *gateflow.Client

	// Vault resolves the keys' `vault` references; nil with VaultErr saying
	// why when no Vault is configured.
	Vault    *secrets.Resolver
	VaultErr error
	// Owner is written into the ownership marker of created providers.
	Owner string

	glowShared
}

// New returns the provider factory providerserver.Serve expects.
func New(version string, opts ...api.Option) func() provider.Provider {
	return func() provider.Provider {
		return &SwitchboardProvider{version: version, clientOptions: opts}
	}
}

// Metadata names the provider "switchboard" and reports its version.
func (p *SwitchboardProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "switchboard"
	resp.Version = p.version
}

// Schema describes the provider block for the reference page.
func (p *SwitchboardProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages LLM providers in **Glow** (providers with endpoints, encrypted keys, values and departments, " +
			"changed by updates guarded by their version) and in the **Gateflow** LLM gateway (provider credentials, settings and state). " +
			"Every argument falls back to an environment variable, so the provider block may be empty. " +
			"A service whose URL is not set at all can't be used, but the other one still can.",
		Attributes: map[string]schema.Attribute{
			"glow_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Glow instance. Defaults to `$" + glow.EnvURL + "`.",
				Optional:            true,
			},
			"glow_token": schema.StringAttribute{
				MarkdownDescription: "Glow API token. Defaults to `$" + glow.EnvToken + "`. A department-scoped token can manage only providers in its departments.",
				Optional:            true,
				Sensitive:           true,
			},
			"gateflow_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Gateflow service (`https://api.gateflow.ai`). Defaults to `$" + gateflow.EnvURL + "`.",
				Optional:            true,
			},
			"gateflow_admin_key": schema.StringAttribute{
				MarkdownDescription: "Gateflow admin key (`gw_admin_…`). Defaults to `$" + gateflow.EnvAdminKey + "`.",
				Optional:            true,
				Sensitive:           true,
			},
		},
	}
	maps.Copy(resp.Schema.Attributes, ownershipAttributes())
	maps.Copy(resp.Schema.Attributes, clientSettingsAttributes())
}

// Configure makes the Glow, Gateflow and Vault clients the resources and
// data sources share, from the provider block and the environment.
func (p *SwitchboardProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg SwitchboardProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// A value another resource computes is unknown until apply, and a
	// client can't be made from it: say so instead of silently falling
	// back to the environment.
	for attr, v := range map[string]types.String{
		"glow_url": cfg.GlowURL, "glow_token": cfg.GlowToken,
		"gateflow_url": cfg.GateflowURL, "gateflow_admin_key": cfg.GateflowAdminKey,
	} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Unknown "+attr,
				"The provider can't be configured with a value that is known only after apply. "+
					"Set "+attr+" to a static value or use its environment variable.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// Every record of the clients goes to tflog, and every call names the
	// Terraform that made it.
	opts := []api.Option{api.WithLogger(slog.New(tflogHandler{})), terraformUserAgent(req.TerraformVersion)}
	opts = append(opts, p.clientOptions...)
	opts = append(opts, cfg.clientSettings.options(&resp.Diagnostics)...)
	if resp.Diagnostics.HasError() {
		return
	}

	clients := &Clients{}
	glowURL := orEnv(cfg.GlowURL, glow.EnvURL)
	glowToken := orEnv(cfg.GlowToken, glow.EnvToken)
	if glowURL != "" {
		if glowToken == "" {
			resp.Diagnostics.AddAttributeError(path.Root("glow_token"), "Missing Glow token",
				"glow_url is set, so a Glow token is needed: set glow_token or $"+glow.EnvToken+".")
		} else {
			c, err := glow.New(glowURL, sensitive.New(glowToken), opts...)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("glow_url"), "Invalid Glow configuration", err.Error())
			}
			clients.Glow = c
		}
	}
	gwURL := orEnv(cfg.GateflowURL, gateflow.EnvURL)
	gwKey := orEnv(cfg.GateflowAdminKey, gateflow.EnvAdminKey)
	if gwURL != "" {
		if gwKey == "" {
			resp.Diagnostics.AddAttributeError(path.Root("gateflow_admin_key"), "Missing Gateflow admin key",
				"gateflow_url is set, so an admin key is needed: set gateflow_admin_key or $"+gateflow.EnvAdminKey+".")
		} else {
			c, err := gateflow.New(gwURL, sensitive.New(gwKey), opts...)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("gateflow_url"), "Invalid Gateflow configuration", err.Error())
			}
			clients.Gateflow = c
		}
	}
	configureVault(ctx, cfg.Vault, cfg.Owner, clients, &resp.Diagnostics)
	// The URLs are not secret and say which instance a run talks to, which
	// is the first thing to check when a plan looks wrong.
	tflog.Debug(ctx, "configured switchboard provider", map[string]any{
		"glow_url": glowURL, "gateflow_url": gwURL,
	})
	resp.DataSourceData = clients
	resp.ResourceData = clients
}

func orEnv(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// Resources lists the resource types the provider serves.
func (p *SwitchboardProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewGlowProviderResource,
		NewGateflowProviderResource,
	}
}

// DataSources lists the data source types the provider serves.
func (p *SwitchboardProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewGlowProviderDataSource,
		NewGateflowProvidersDataSource,
	}
}

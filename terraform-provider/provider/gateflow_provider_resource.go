package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var (
	_ resource.Resource                = &GateflowProviderResource{}
	_ resource.ResourceWithConfigure   = &GateflowProviderResource{}
	_ resource.ResourceWithImportState = &GateflowProviderResource{}
	_ resource.ResourceWithModifyPlan  = &GateflowProviderResource{}
)

// NewGateflowProviderResource is the switchboard_gateflow_provider resource.
func NewGateflowProviderResource() resource.Resource { return &GateflowProviderResource{} }

// GateflowProviderResource configures one of Gateflow's catalogue providers.
type GateflowProviderResource struct {
	clients *Clients
}

// GateflowProviderResourceModel is the resource's data. CredentialsWO is
// write-only: it is set only while Terraform hands the configuration to
// Create and Update, and null everywhere else.
type GateflowProviderResourceModel struct {
	ID                   types.String `tfsdk:"id"`
	ProviderID           types.String `tfsdk:"provider_id"`
	Name                 types.String `tfsdk:"name"`
	Enabled              types.Bool   `tfsdk:"enabled"`
	Settings             types.Map    `tfsdk:"settings"`
	CredentialsWO        types.Map    `tfsdk:"credentials_wo"`
	CredentialsWOVersion types.Int64  `tfsdk:"credentials_wo_version"`
	Status               types.String `tfsdk:"status"`
	HealthStatus         types.String `tfsdk:"health_status"`
	ConfiguredAt         types.String `tfsdk:"configured_at"`
	CredentialsUpdatedAt types.String `tfsdk:"credentials_updated_at"`
}

func (r *GateflowProviderResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gateflow_provider"
}

func (r *GateflowProviderResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Configures one of Gateflow's catalogue providers: its credentials, settings and whether it is enabled. " +
			"Destroying the resource removes the configuration; the provider stays in Gateflow's catalogue as `inactive`.\n\n" +
			"Gateflow never returns credentials, so Terraform can't see a credential changed outside it. " +
			"The credentials are sent when the provider is configured and whenever `credentials_wo_version` changes.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Same as `provider_id`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"provider_id": schema.StringAttribute{
				MarkdownDescription: "Catalogue id of the provider: one of `" + strings.Join(gateflow.ProviderIDs, "`, `") + "`. Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(gateflow.ProviderIDs...)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name from Gateflow's catalogue (`OpenAI`, `Anthropic`, …).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether Gateflow routes calls to the provider. Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"settings": schema.MapAttribute{
				MarkdownDescription: "Provider settings. Accepted keys: `default_model`, `timeout_ms`, `max_retries`, `base_url` for every provider; " +
					"`organization_id` and `project_id` for `openai`; `region` for `google`; `default_voice` for `elevenlabs`. " +
					"Values are strings; `timeout_ms` and `max_retries` are sent as numbers. " +
					"Settings set outside Terraform are removed on the next apply.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			},
			"credentials_wo": schema.MapAttribute{
				MarkdownDescription: "Credentials, write-only (Terraform 1.11 or later): never stored in the plan or the state. " +
					"`api_key` is required (`sk-…` for `openai`, `sk-ant-…` for `anthropic`); `openai` also accepts `organization_id`. " +
					"Sent when the provider is configured and when `credentials_wo_version` changes.",
				ElementType: types.StringType,
				Required:    true,
				Sensitive:   true,
				WriteOnly:   true,
			},
			"credentials_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number; change it to send `credentials_wo` again (to rotate the credentials).",
				Optional:            true,
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "`active` or `disabled`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"health_status": schema.StringAttribute{
				MarkdownDescription: "Result of Gateflow's last health check (`healthy`, …).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"configured_at": schema.StringAttribute{
				MarkdownDescription: "When the provider was configured (RFC 3339).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"credentials_updated_at": schema.StringAttribute{
				MarkdownDescription: "When Gateflow last received credentials (RFC 3339).",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *GateflowProviderResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *GateflowProviderResource) client(diags *diag.Diagnostics) *gateflow.Client {
	if r.clients == nil || r.clients.Gateflow == nil {
		diags.AddError("Gateflow is not configured",
			"Set gateflow_url and gateflow_admin_key in the provider block, or $"+gateflow.EnvURL+" and $"+gateflow.EnvAdminKey+".")
		return nil
	}
	return r.clients.Gateflow
}

// ValidateConfig checks the numeric settings at plan time rather than
// letting Gateflow refuse them halfway through an apply.
func (r *GateflowProviderResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var settings types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("settings"), &settings)...)
	if settings.IsUnknown() || settings.IsNull() {
		return
	}
	for k, v := range settings.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() || !numericSettings[k] {
			continue // an unknown value is checked again at apply
		}
		if _, err := strconv.ParseInt(s.ValueString(), 10, 64); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("settings").AtMapKey(k), "Invalid setting",
				fmt.Sprintf("%s must be a whole number, got %q.", k, s.ValueString()))
		}
	}
}

// ModifyPlan marks what an update will change among the computed fields, so
// that Terraform does not expect their old values after apply.
func (r *GateflowProviderResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	changed := false
	if !plan.Enabled.Equal(state.Enabled) {
		plan.Status = types.StringUnknown()
		changed = true
	}
	if !plan.CredentialsWOVersion.Equal(state.CredentialsWOVersion) {
		plan.CredentialsUpdatedAt = types.StringUnknown()
		changed = true
	}
	if !plan.Settings.Equal(state.Settings) {
		changed = true
	}
	if changed {
		plan.HealthStatus = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

func (r *GateflowProviderResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	creds := credentialsFromConfig(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	settings := settingsToAPI(ctx, plan.Settings, &resp.Diagnostics)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := plan.ProviderID.ValueString()

	gw := crud.Gateway{Client: c}
	live, err := gw.Create(ctx, crud.GatewaySpec{
		ProviderID: id, Enabled: plan.Enabled.ValueBool(), Settings: settings, Credentials: creds,
	})
	if err != nil {
		if errors.Is(err, api.ErrConflict) {
			resp.Diagnostics.AddAttributeError(path.Root("provider_id"), "Gateflow provider already configured",
				fmt.Sprintf("%s is already configured in Gateflow. To manage it with Terraform, import it: "+
					"terraform import <address> %s (or an import block with id = %q).", id, id, id))
			return
		}
		addAPIError(&resp.Diagnostics, "Configuring Gateflow provider "+id, err, gateflowFields)
		var se *crud.StepError
		if !errors.As(err, &se) {
			return
		}
		// Configured, but a later step failed: keep it in the state so
		// that the next apply finishes the job instead of failing on
		// "already configured".
		if !r.readInto(ctx, c, id, &plan, &resp.Diagnostics) {
			return
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	fillGateflow(&plan, live, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *GateflowProviderResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if id == "" {
		id = state.ProviderID.ValueString()
	}
	if !r.readInto(ctx, c, id, &state, &resp.Diagnostics) {
		if !resp.Diagnostics.HasError() {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// readInto refreshes m from Gateflow. It reports false, without a
// diagnostic, when the provider is not configured (anymore).
func (r *GateflowProviderResource) readInto(ctx context.Context, c *gateflow.Client, id string, m *GateflowProviderResourceModel, diags *diag.Diagnostics) bool {
	p, err := c.Get(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		return false
	}
	if err != nil {
		addAPIError(diags, "Reading Gateflow provider "+id, err, nil)
		return false
	}
	if !p.Configured {
		return false
	}
	fillGateflow(m, p, diags)
	return true
}

// fillGateflow copies a configured provider into m.
func fillGateflow(m *GateflowProviderResourceModel, p *gateflow.Provider, diags *diag.Diagnostics) {
	m.ID = types.StringValue(p.ID)
	m.ProviderID = types.StringValue(p.ID)
	m.Name = types.StringValue(p.Name)
	m.Enabled = types.BoolValue(p.Status != gateflow.StatusDisabled)
	m.Status = types.StringValue(p.Status)
	m.Settings = settingsFromAPI(p.Settings, diags)
	m.HealthStatus = types.StringNull()
	if p.Health != nil {
		m.HealthStatus = types.StringValue(p.Health.Status)
	}
	m.ConfiguredAt = timeValue(p.ConfiguredAt)
	m.CredentialsUpdatedAt = timeValue(p.CredentialsUpdatedAt)
	m.CredentialsWO = types.MapNull(types.StringType)
}

func (r *GateflowProviderResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()

	u := crud.GatewayUpdate{ProviderID: id}
	if !plan.Settings.Equal(state.Settings) {
		// The state was just refreshed, so it holds settings set outside
		// Terraform too, and the patch removes them.
		u.LiveSettings = settingsToAPI(ctx, state.Settings, &resp.Diagnostics)
		desired := settingsToAPI(ctx, plan.Settings, &resp.Diagnostics)
		if desired == nil {
			desired = map[string]any{}
		}
		u.Settings = &desired
	}
	if !plan.CredentialsWOVersion.Equal(state.CredentialsWOVersion) {
		u.Credentials = credentialsFromConfig(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	}
	if !plan.Enabled.Equal(state.Enabled) {
		enabled := plan.Enabled.ValueBool()
		u.Enabled = &enabled
	}
	if resp.Diagnostics.HasError() {
		return
	}
	live, err := (&crud.Gateway{Client: c}).Update(ctx, u)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Updating Gateflow provider "+id, err, gateflowFields)
		return
	}
	fillGateflow(&plan, live, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *GateflowProviderResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if err := (&crud.Gateway{Client: c}).Delete(ctx, id); err != nil {
		addAPIError(&resp.Diagnostics, "Deleting Gateflow provider "+id, err, nil)
	}
}

func (r *GateflowProviderResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !gateflow.IsProviderID(req.ID) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not a Gateflow provider id; use one of %s.", req.ID, strings.Join(gateflow.ProviderIDs, ", ")))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("provider_id"), req.ID)...)
}

// numericSettings are the settings Gateflow types as numbers; the schema
// keeps every value a string so that one map type fits all providers.
var numericSettings = map[string]bool{"timeout_ms": true, "max_retries": true}

func settingsToAPI(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]any {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	var in map[string]string
	diags.Append(m.ElementsAs(ctx, &in, false)...)
	out := make(map[string]any, len(in))
	for k, v := range in {
		if numericSettings[k] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				diags.AddAttributeError(path.Root("settings").AtMapKey(k), "Invalid setting",
					fmt.Sprintf("%s must be a whole number, got %q.", k, v))
				continue
			}
			out[k] = n
			continue
		}
		out[k] = v
	}
	return out
}

func settingsFromAPI(in map[string]any, diags *diag.Diagnostics) types.Map {
	out := make(map[string]attr.Value, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = types.StringValue(v)
		case float64:
			out[k] = types.StringValue(strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			out[k] = types.StringValue(strconv.FormatBool(v))
		case nil:
		default:
			out[k] = types.StringValue(fmt.Sprint(v))
		}
	}
	m, d := types.MapValue(types.StringType, out)
	diags.Append(d...)
	return m
}

type getAttributeFunc func(context.Context, path.Path, any) diag.Diagnostics

// credentialsFromConfig reads the write-only credentials. They exist only
// in the configuration, never in the plan.
func credentialsFromConfig(ctx context.Context, get getAttributeFunc, diags *diag.Diagnostics) map[string]sensitive.String {
	var m types.Map
	diags.Append(get(ctx, path.Root("credentials_wo"), &m)...)
	if diags.HasError() {
		return nil
	}
	if m.IsUnknown() {
		diags.AddAttributeError(path.Root("credentials_wo"), "Credentials unknown",
			"credentials_wo must be known when the credentials are sent.")
		return nil
	}
	out := make(map[string]sensitive.String, len(m.Elements()))
	for k, v := range m.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			diags.AddAttributeError(path.Root("credentials_wo").AtMapKey(k), "Credential not set",
				"Every credential must have a known value.")
			continue
		}
		out[k] = sensitive.New(s.ValueString())
	}
	return out
}

func gateflowFields(field string) (path.Path, bool) {
	head, rest := splitField(field)
	switch head {
	case "credentials":
		if rest != "" {
			return path.Root("credentials_wo").AtMapKey(rest), true
		}
		return path.Root("credentials_wo"), true
	case "settings":
		if rest != "" {
			return path.Root("settings").AtMapKey(rest), true
		}
		return path.Root("settings"), true
	case "provider":
		return path.Root("provider_id"), true
	}
	return path.Empty(), false
}

func timeValue(t *time.Time) types.String {
	if t == nil || t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
	"github.com/switchboard-hq/switchboard/api/gateflow/catalogue"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var (
	_ resource.Resource                   = &GateflowProviderResource{}
	_ resource.ResourceWithConfigure      = &GateflowProviderResource{}
	_ resource.ResourceWithImportState    = &GateflowProviderResource{}
	_ resource.ResourceWithModifyPlan     = &GateflowProviderResource{}
	_ resource.ResourceWithValidateConfig = &GateflowProviderResource{}
)

// privateCredentialsSent is the private-state key under which the provider
// records Gateflow's credentials_updated_at as it was right after Terraform
// last sent the credentials. A refresh that finds a later one means someone
// replaced them outside Terraform.
const privateCredentialsSent = "credentials_sent_at"

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

	resourceTimeouts
}

// Metadata names the resource switchboard_gateflow_provider.
func (r *GateflowProviderResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gateflow_provider"
}

// Schema describes the resource; its descriptions are the reference page
// (make docs).
func (r *GateflowProviderResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Configures one of Gateflow's catalogue providers: its credentials, settings and whether it is enabled. " +
			"Destroying the resource removes the configuration; the provider stays in Gateflow's catalogue as `inactive`.\n\n" +
			"Gateflow never returns credentials, so Terraform can't see what they are. " +
			"The credentials are sent when the provider is configured and whenever `credentials_wo_version` changes. " +
			"When a refresh finds that Gateflow received credentials after Terraform last sent them (`credentials_updated_at` moved), " +
			"the plan sends `credentials_wo` again and warns why.\n\n" +
			"Settings and credentials are checked against Gateflow's catalogue at plan time, before anything is sent.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Same as `provider_id`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"provider_id": schema.StringAttribute{
				MarkdownDescription: "Catalogue id of the provider: one of `" + strings.Join(catalogue.ProviderIDs, "`, `") + "`. Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(catalogue.ProviderIDs...)},
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
				MarkdownDescription: "Provider settings. Accepted keys: " + settingsDoc() + ". " +
					"Values are strings; integer settings are sent as numbers and must be written in canonical form (`30000`, not `030000` or `+30000`). " +
					"Settings set outside Terraform are removed on the next apply.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			},
			"credentials_wo": schema.MapAttribute{
				MarkdownDescription: "Credentials, write-only (Terraform 1.11 or later): never stored in the plan or the state. " +
					"`api_key` is required (`sk-…` for `openai`, `sk-ant-…` for `anthropic`); `openai` also accepts `organization_id`. " +
					"Sent when the provider is configured, when `credentials_wo_version` changes, and when they were replaced outside Terraform.",
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
				MarkdownDescription: "`active` or `disabled`, following `enabled`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"health_status": schema.StringAttribute{
				MarkdownDescription: "Result of Gateflow's last health check (`healthy`, …), as of the last refresh. " +
					"Gateflow checks on its own schedule, so an update keeps the value the plan showed unless it sends new credentials.",
				Computed:      true,
				PlanModifiers: keep,
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
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
		},
	}
}

// Configure takes the clients the provider block made; a resource used
// before the provider is configured gets none and reports it when called.
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

// ValidateConfig checks settings and credentials against Gateflow's
// catalogue at plan time, rather than letting Gateflow refuse them halfway
// through an apply (or, for a number that is not in canonical form, letting
// Terraform refuse the value Gateflow reads back).
func (r *GateflowProviderResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var id types.String
	var settings, creds types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("provider_id"), &id)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("settings"), &settings)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("credentials_wo"), &creds)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// An unknown or unsupported provider_id (refused by its own validator)
	// leaves only the settings every provider accepts to check against.
	info, known := catalogue.ProviderInfo{}, false
	if !id.IsUnknown() && !id.IsNull() {
		info, known = catalogue.Lookup(id.ValueString())
	}
	if !settings.IsUnknown() && !settings.IsNull() {
		validateSettings(info, known, id.IsUnknown(), settings, &resp.Diagnostics)
	}
	if known && !creds.IsUnknown() && !creds.IsNull() {
		validateCredentials(info, creds, &resp.Diagnostics)
	}
}

// validateSettings checks each setting's name and known value against the
// provider's catalogue entry (info, when known), or against the settings
// some provider accepts. A name no provider accepts is reported only while
// provider_id is unknown: an unsupported one has its own error.
func validateSettings(info catalogue.ProviderInfo, known, idUnknown bool, settings types.Map, diags *diag.Diagnostics) {
	for k, v := range settings.Elements() {
		p := path.Root("settings").AtMapKey(k)
		si, ok := info.Setting(k)
		if !known {
			si, ok = anySetting(k)
		}
		if !ok {
			if known {
				diags.AddAttributeError(p, "Unknown Gateflow setting",
					fmt.Sprintf("%s does not accept the setting %q. Accepted settings: %s.", info.ID, k, strings.Join(info.SettingNames(), ", ")))
			} else if idUnknown {
				diags.AddAttributeError(p, "Unknown Gateflow setting", fmt.Sprintf("No Gateflow provider accepts the setting %q.", k))
			}
			continue
		}
		s, isString := v.(types.String)
		if !isString || s.IsUnknown() || s.IsNull() {
			continue // an unknown value is checked again at apply
		}
		if _, problem := settingValue(si, s.ValueString()); problem != "" {
			diags.AddAttributeError(p, "Invalid setting", problem)
		}
	}
}

// validateCredentials checks that every credential the provider requires
// is given (an unknown value may still be one) and that it accepts every
// credential given.
func validateCredentials(info catalogue.ProviderInfo, creds types.Map, diags *diag.Diagnostics) {
	elems := creds.Elements()
	for _, ci := range info.Credentials {
		v, present := elems[ci.Name]
		s, isString := v.(types.String)
		if ci.Required && (!present || (isString && !s.IsUnknown() && !s.IsNull() && s.ValueString() == "")) {
			diags.AddAttributeError(path.Root("credentials_wo"), "Missing credential",
				fmt.Sprintf("%s needs credentials_wo.%s: Gateflow refuses a configuration without it.", info.ID, ci.Name))
		}
	}
	for k := range elems {
		if _, ok := info.Credential(k); !ok {
			diags.AddAttributeError(path.Root("credentials_wo").AtMapKey(k), "Unknown credential",
				fmt.Sprintf("%s does not accept the credential %q. Accepted credentials: %s.", info.ID, k, strings.Join(info.CredentialNames(), ", ")))
		}
	}
}

// anySetting finds a setting that some provider accepts, for a provider_id
// not known yet.
func anySetting(name string) (catalogue.SettingInfo, bool) {
	for _, id := range catalogue.ProviderIDs {
		p, _ := catalogue.Lookup(id)
		if si, ok := p.Setting(name); ok {
			return si, true
		}
	}
	return catalogue.SettingInfo{}, false
}

// settingValue is the JSON value a setting's string stands for, or why it
// stands for none. A number must be written as Gateflow writes it back:
// "030000" would be sent as 30000 and read back as "30000", a change
// Terraform refuses after apply.
func settingValue(si catalogue.SettingInfo, s string) (v any, problem string) {
	wrong := fmt.Sprintf("%s must be %s, got %q.", si.Name, si.Expected(), s)
	var canonical string
	switch si.Type {
	case catalogue.TypeBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, wrong
		}
		v, canonical = b, strconv.FormatBool(b)
	case catalogue.TypeInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, wrong
		}
		v, canonical = n, strconv.FormatInt(n, 10)
	case catalogue.TypeNumber:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, wrong
		}
		v, canonical = f, strconv.FormatFloat(f, 'f', -1, 64)
	default:
		return s, ""
	}
	if !si.Accepts(v) {
		return nil, wrong
	}
	if s != canonical {
		return nil, fmt.Sprintf("Write %s as %q, not %q: Gateflow stores the %s and reads it back as %q, "+
			"which Terraform would report as an inconsistent result after apply.", si.Name, canonical, s, si.Type, canonical)
	}
	return v, ""
}

// settingsDoc lists the accepted settings for the schema description, from
// the catalogue.
func settingsDoc() string {
	common := map[string]int{}
	for _, id := range catalogue.ProviderIDs {
		p, _ := catalogue.Lookup(id)
		for _, n := range p.SettingNames() {
			common[n]++
		}
	}
	var all []string
	p0, _ := catalogue.Lookup(catalogue.ProviderIDs[0])
	for _, n := range p0.SettingNames() {
		if common[n] == len(catalogue.ProviderIDs) {
			all = append(all, "`"+n+"`")
		}
	}
	out := strings.Join(all, ", ") + " for every provider"
	for _, id := range catalogue.ProviderIDs {
		p, _ := catalogue.Lookup(id)
		var own []string
		for _, n := range p.SettingNames() {
			if common[n] != len(catalogue.ProviderIDs) {
				own = append(own, "`"+n+"`")
			}
		}
		if len(own) > 0 {
			out += "; " + strings.Join(own, " and ") + " for `" + id + "`"
		}
	}
	return out
}

// credentialsDue says why the credentials must be sent with this update: the
// version changed, or Gateflow received credentials after Terraform last
// sent them. rotatedAt is set in the second case.
func credentialsDue(ctx context.Context, plan, state *GateflowProviderResourceModel, private privateGetter) (due bool, rotatedAt string, diags diag.Diagnostics) {
	if !plan.CredentialsWOVersion.Equal(state.CredentialsWOVersion) {
		return true, "", nil
	}
	if private == nil {
		return false, "", nil
	}
	b, d := private.GetKey(ctx, privateCredentialsSent)
	diags.Append(d...)
	if len(b) == 0 {
		// Imported, or written by an older provider: Terraform doesn't
		// know what it sent.
		return false, "", diags
	}
	var sent string
	if err := json.Unmarshal(b, &sent); err != nil {
		return false, "", diags
	}
	sentAt, err1 := time.Parse(time.RFC3339Nano, sent)
	liveAt, err2 := time.Parse(time.RFC3339Nano, state.CredentialsUpdatedAt.ValueString())
	if err1 != nil || err2 != nil || !liveAt.After(sentAt) {
		return false, "", diags
	}
	return true, state.CredentialsUpdatedAt.ValueString(), diags
}

type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// recordCredentialsSent remembers the credentials_updated_at of the
// credentials Terraform just sent.
func recordCredentialsSent(ctx context.Context, private privateSetter, m *GateflowProviderResourceModel, diags *diag.Diagnostics) {
	if private == nil || m.CredentialsUpdatedAt.IsNull() || m.CredentialsUpdatedAt.IsUnknown() {
		return
	}
	b, _ := json.Marshal(m.CredentialsUpdatedAt.ValueString())
	diags.Append(private.SetKey(ctx, privateCredentialsSent, b)...)
}

// ModifyPlan plans the computed fields an update changes: status follows
// enabled, and the credential fields become unknown only when credentials
// are sent. Everything else keeps its state, so an unrelated change does
// not show them as (known after apply).
func (r *GateflowProviderResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.Enabled.IsUnknown() {
		plan.Status = types.StringValue(statusFor(plan.Enabled.ValueBool()))
	}
	if req.State.Raw.IsNull() {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	due, rotatedAt, d := credentialsDue(ctx, &plan, &state, req.Private)
	resp.Diagnostics.Append(d...)
	if due {
		plan.CredentialsUpdatedAt = types.StringUnknown()
		plan.HealthStatus = types.StringUnknown()
	}
	if rotatedAt != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("credentials_wo"), "Gateflow credentials were replaced outside Terraform",
			fmt.Sprintf("Gateflow received new credentials for %s at %s, after Terraform last sent them. "+
				"This plan sends credentials_wo again, so that Gateflow uses the configured credentials. "+
				"To keep the other credentials instead, put them in credentials_wo and change credentials_wo_version.",
				state.ID.ValueString(), rotatedAt))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func statusFor(enabled bool) string {
	if enabled {
		return gateflow.StatusActive
	}
	return gateflow.StatusDisabled
}

// Create configures the Gateflow provider through crud.Gateflow, so that it
// is created exactly as switchboard apply creates it. One already
// configured is refused with the import command to adopt it.
func (r *GateflowProviderResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := plan.ProviderID.ValueString()
	creds := credentialsFromConfig(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	settings := settingsToAPI(ctx, id, plan.Settings, true, &resp.Diagnostics)
	c := r.client(&resp.Diagnostics)
	outer := ctx
	ctx, cancel := plan.create(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	gw := crud.Gateflow{Client: c}
	live, err := gw.Create(ctx, crud.GateflowSpec{
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
		// "already configured". The step may have failed because the
		// timeout ran out or the run was interrupted, so the read gets a
		// context of its own.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(outer), readBackTimeout)
		defer rcancel()
		if !r.readInto(rctx, c, id, &plan, &resp.Diagnostics) {
			return
		}
		recordCredentialsSent(ctx, resp.Private, &plan, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	fillGateflow(&plan, live, &resp.Diagnostics)
	recordCredentialsSent(ctx, resp.Private, &plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// readBackTimeout bounds the read that records a half-made provider after
// its create failed.
const readBackTimeout = 30 * time.Second

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
	ctx, cancel := state.read(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
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

// Update sends only the settings and credentials that changed, each
// guarded by what the refreshed state read.
func (r *GateflowProviderResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	ctx, cancel := plan.update(ctx, &resp.Diagnostics)
	defer cancel()

	u := crud.GateflowUpdate{ProviderID: id}
	if !plan.Settings.Equal(state.Settings) {
		// The state was just refreshed, so it holds settings set outside
		// Terraform too, and the patch removes them.
		u.LiveSettings = settingsToAPI(ctx, id, state.Settings, false, &resp.Diagnostics)
		desired := settingsToAPI(ctx, id, plan.Settings, true, &resp.Diagnostics)
		if desired == nil {
			desired = map[string]any{}
		}
		u.Settings = &desired
	}
	// The same decision as the plan's: it read the same state and private
	// state.
	due, _, d := credentialsDue(ctx, &plan, &state, req.Private)
	resp.Diagnostics.Append(d...)
	if due {
		u.Credentials = credentialsFromConfig(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	}
	if !plan.Enabled.Equal(state.Enabled) {
		enabled := plan.Enabled.ValueBool()
		u.Enabled = &enabled
	}
	if resp.Diagnostics.HasError() {
		return
	}
	live, err := (&crud.Gateflow{Client: c}).Update(ctx, u)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Updating Gateflow provider "+id, err, gateflowFields)
		return
	}
	planned := plan.HealthStatus
	fillGateflow(&plan, live, &resp.Diagnostics)
	if !planned.IsUnknown() {
		// Gateflow checks health on its own schedule, not because of this
		// update: the value the plan showed stays until the next refresh
		// reads a newer one, rather than failing the apply as an
		// inconsistent result.
		plan.HealthStatus = planned
	}
	if due {
		recordCredentialsSent(ctx, resp.Private, &plan, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete unconfigures the Gateflow provider.
func (r *GateflowProviderResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state GateflowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	ctx, cancel := state.delete(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if err := (&crud.Gateflow{Client: c}).Delete(ctx, id); err != nil {
		addAPIError(&resp.Diagnostics, "Deleting Gateflow provider "+id, err, nil)
	}
}

// ImportState adopts a configured Gateflow provider by its provider id.
func (r *GateflowProviderResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !catalogue.IsProviderID(req.ID) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not a Gateflow provider id; use one of %s.", req.ID, strings.Join(catalogue.ProviderIDs, ", ")))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("provider_id"), req.ID)...)
}

// settingsToAPI turns the settings map into Gateflow's JSON values, typed
// by the catalogue. desired settings must all be valid (the plan checked
// them); the live ones of a refreshed state may hold a setting the catalogue
// doesn't know, which is kept as its string so that the patch can remove it.
func settingsToAPI(ctx context.Context, id string, m types.Map, desired bool, diags *diag.Diagnostics) map[string]any {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	var in map[string]string
	diags.Append(m.ElementsAs(ctx, &in, false)...)
	info, _ := catalogue.Lookup(id)
	out := make(map[string]any, len(in))
	for k, v := range in {
		si, ok := info.Setting(k)
		if !ok {
			if desired {
				diags.AddAttributeError(path.Root("settings").AtMapKey(k), "Unknown Gateflow setting",
					fmt.Sprintf("%s does not accept the setting %q. Accepted settings: %s.", id, k, strings.Join(info.SettingNames(), ", ")))
				continue
			}
			out[k] = v
			continue
		}
		val, problem := settingValue(si, v)
		if problem != "" {
			if desired {
				diags.AddAttributeError(path.Root("settings").AtMapKey(k), "Invalid setting", problem)
				continue
			}
			out[k] = v
			continue
		}
		out[k] = val
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

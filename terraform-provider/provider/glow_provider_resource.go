package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/applier/crud"
	"github.com/switchboard-hq/switchboard/planner/state"
	"github.com/switchboard-hq/switchboard/sensitive"
)

var (
	_ resource.Resource                   = &GlowProviderResource{}
	_ resource.ResourceWithConfigure      = &GlowProviderResource{}
	_ resource.ResourceWithImportState    = &GlowProviderResource{}
	_ resource.ResourceWithModifyPlan     = &GlowProviderResource{}
	_ resource.ResourceWithValidateConfig = &GlowProviderResource{}
)

// NewGlowProviderResource is the switchboard_glow_provider resource.
func NewGlowProviderResource() resource.Resource { return &GlowProviderResource{} }

// GlowProviderResource manages one Glow provider with its endpoints and
// keys. Every change goes through applier/crud, the same code the
// switchboard CLI applies with: one update guarded by the version
// Terraform read.
type GlowProviderResource struct {
	clients *Clients
}

// GlowProviderResourceModel is the resource's data.
type GlowProviderResourceModel struct {
	ID              types.String   `tfsdk:"id"`
	Name            types.String   `tfsdk:"name"`
	Description     types.String   `tfsdk:"description"`
	Departments     types.Set      `tfsdk:"departments"`
	Endpoints       types.Set      `tfsdk:"endpoints"`
	Values          types.Map      `tfsdk:"values"`
	Keys            []GlowKeyModel `tfsdk:"key"`
	Version         types.Int64    `tfsdk:"version"`
	ModelUsageCount types.Int64    `tfsdk:"model_usage_count"`

	resourceTimeouts
}

// GlowKeyModel is one key block. ValueWO is write-only: it is set only in
// the configuration Create and Update receive, and null in plan and state.
type GlowKeyModel struct {
	Name           types.String `tfsdk:"name"`
	ValueWO        types.String `tfsdk:"value_wo"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	KeyID          types.String `tfsdk:"key_id"`
}

func (r *GlowProviderResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_glow_provider"
}

func (r *GlowProviderResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	emptySet := types.SetValueMust(types.StringType, []attr.Value{})
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Glow provider with its endpoints, encrypted keys, values and departments.\n\n" +
			"Changes are made by one update guarded by the version Terraform read, exactly as `switchboard apply` makes them: " +
			"if someone changed the provider after Terraform read it, the apply stops with a conflict and overwrites nothing.\n\n" +
			"Key values are write-only (Terraform 1.11 or later) and never stored in the plan or the state. " +
			"Glow never returns them either, so Terraform sends a key's value when the key is created and when its `value_wo_version` changes. " +
			"The key's name in Glow records that version: `LABEL (terraform:vN)`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Glow provider id.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Provider name, unique among the providers that share one of its departments (or among global providers).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description. Defaults to empty.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
			},
			"departments": schema.SetAttribute{
				MarkdownDescription: "Department ids the provider belongs to. Empty makes it a global provider. " +
					"A department-scoped token must keep every department within its scope.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(emptySet),
			},
			"endpoints": schema.SetAttribute{
				MarkdownDescription: "Endpoint URLs (absolute `http` or `https`). An existing Glow endpoint with the same URL is reused; a new URL creates one.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             setdefault.StaticValue(emptySet),
			},
			"values": schema.MapAttribute{
				MarkdownDescription: "Configuration values (strings).",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			},
			"version": schema.Int64Attribute{
				MarkdownDescription: "Glow's version of the provider; it grows on every change. Updates are guarded by it.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"model_usage_count": schema.Int64Attribute{
				MarkdownDescription: "Number of Glow models that use the provider. Destroying a provider in use breaks those models.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx),
			"key": schema.ListNestedBlock{
				MarkdownDescription: "An API key attached to the provider. Keys are matched by `name`. " +
					"Keys attached to the provider outside Terraform are detached and deleted on the next apply.",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							MarkdownDescription: "Key label, unique within the provider. The Glow key is named `NAME (terraform:vVERSION)`.",
							Required:            true,
							Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
						},
						"value_wo": schema.StringAttribute{
							MarkdownDescription: "The key's value, write-only: never stored in the plan or the state. " +
								"Sent when the key is created and when `value_wo_version` changes. Pass it from an ephemeral variable or an ephemeral resource.",
							Required:  true,
							Sensitive: true,
							WriteOnly: true,
						},
						"value_wo_version": schema.Int64Attribute{
							MarkdownDescription: "Version of `value_wo`, at least 1. Changing it rotates the key: a new Glow key is created and attached " +
								"by the same update that detaches the old one, which is then deleted.",
							Required:   true,
							Validators: []validator.Int64{int64validator.AtLeast(1)},
						},
						"key_id": schema.StringAttribute{
							MarkdownDescription: "Glow key id.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (r *GlowProviderResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *GlowProviderResource) crud(ctx context.Context, diags *diag.Diagnostics) *crud.Glow {
	if r.clients == nil || r.clients.Glow == nil {
		diags.AddError("Glow is not configured",
			"Set glow_url and glow_token in the provider block, or $"+glow.EnvURL+" and $"+glow.EnvToken+".")
		return nil
	}
	c := r.clients.Glow
	// The endpoint list lets crud reuse an endpoint that already has a URL,
	// as the CLI does, instead of making a duplicate.
	known := map[string]string{}
	for ep, err := range c.ListEndpoints(ctx) {
		if err != nil {
			addAPIError(diags, "Listing Glow endpoints", err, nil)
			return nil
		}
		known[ep.ID] = ep.URL
	}
	return crud.NewGlow(c, known)
}

func (r *GlowProviderResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var keys []GlowKeyModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("key"), &keys)...)
	seen := map[string]bool{}
	for i, k := range keys {
		if k.Name.IsUnknown() || k.Name.IsNull() {
			continue
		}
		if seen[k.Name.ValueString()] {
			resp.Diagnostics.AddAttributeError(path.Root("key").AtListIndex(i).AtName("name"), "Duplicate key name",
				fmt.Sprintf("Another key block is named %q; key names must be unique within a provider.", k.Name.ValueString()))
		}
		seen[k.Name.ValueString()] = true
	}
}

// ModifyPlan keeps the key ids of keys that stay as they are, marks the
// ones that will be created, and marks the version as changing when an
// update will be made. It also warns before destroying a provider models
// still use.
func (r *GlowProviderResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		var state GlowProviderResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if n := state.ModelUsageCount.ValueInt64(); n > 0 {
			resp.Diagnostics.AddWarning("Glow provider in use",
				fmt.Sprintf("%d Glow model(s) use provider %q; destroying it leaves them pointing at a provider that no longer exists.",
					n, state.Name.ValueString()))
		}
		return
	}
	var plan GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		for i := range plan.Keys {
			plan.Keys[i].KeyID = types.StringUnknown()
		}
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var state GlowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keysChange := false
	for i := range plan.Keys {
		plan.Keys[i].KeyID = types.StringUnknown()
		if prior := findKey(state.Keys, plan.Keys[i].Name); prior != nil && prior.ValueWOVersion.Equal(plan.Keys[i].ValueWOVersion) &&
			!prior.KeyID.IsNull() {
			plan.Keys[i].KeyID = prior.KeyID
		} else {
			keysChange = true
		}
	}
	if len(plan.Keys) != len(state.Keys) {
		keysChange = true
	}
	if keysChange || !plan.Name.Equal(state.Name) || !plan.Description.Equal(state.Description) ||
		!plan.Departments.Equal(state.Departments) || !plan.Endpoints.Equal(state.Endpoints) || !plan.Values.Equal(state.Values) {
		plan.Version = types.Int64Unknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func findKey(keys []GlowKeyModel, name types.String) *GlowKeyModel {
	for i := range keys {
		if keys[i].Name.Equal(name) {
			return &keys[i]
		}
	}
	return nil
}

// keyValues reads the write-only key values from the configuration, the
// only place they exist.
func keyValues(ctx context.Context, get getAttributeFunc, diags *diag.Diagnostics) map[string]sensitive.String {
	var keys []GlowKeyModel
	diags.Append(get(ctx, path.Root("key"), &keys)...)
	out := make(map[string]sensitive.String, len(keys))
	for i, k := range keys {
		if k.ValueWO.IsUnknown() || k.ValueWO.IsNull() || k.ValueWO.ValueString() == "" {
			diags.AddAttributeError(path.Root("key").AtListIndex(i).AtName("value_wo"), "Key value not set",
				"value_wo must be a known, non-empty value when the key is created or rotated.")
			continue
		}
		out[k.Name.ValueString()] = sensitive.New(k.ValueWO.ValueString())
	}
	return out
}

func (r *GlowProviderResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	values := keyValues(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	ctx, cancel := plan.create(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	g := r.crud(ctx, &resp.Diagnostics)
	if g == nil {
		return
	}
	spec := crud.ProviderSpec{
		Name:        plan.Name.ValueString(),
		Description: plan.Description.ValueString(),
		Departments: setStrings(ctx, plan.Departments, &resp.Diagnostics),
		Endpoints:   setStrings(ctx, plan.Endpoints, &resp.Diagnostics),
		Values:      mapStrings(ctx, plan.Values, &resp.Diagnostics),
	}
	for _, k := range plan.Keys {
		spec.Keys = append(spec.Keys, newKey(k, values))
	}
	applied, err := g.Create(ctx, spec)
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Creating Glow provider %q", spec.Name), err, glowFields)
		if applied == nil || applied.Provider.ID == "" {
			return
		}
		// The provider exists but a later step failed. Keeping it in the
		// state lets the next plan turn the rest into an update instead of
		// failing on the name.
	}
	r.refresh(ctx, applied.Provider.ID, &plan, &resp.Diagnostics)
	if plan.ID.IsNull() || plan.ID.IsUnknown() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// keySource is the origin a key block's Glow key records: crud names a new
// key state.KeyName(Label, Source), that is `LABEL (terraform:vN)` with N the
// block's value_wo_version.
func keySource(k GlowKeyModel) state.SecretSource {
	return state.SecretSource{TerraformVersion: k.ValueWOVersion.ValueInt64()}
}

// newKey is the crud key for a key block that needs a new Glow key.
func newKey(k GlowKeyModel, values map[string]sensitive.String) crud.Key {
	return crud.Key{
		Label:  k.Name.ValueString(),
		Source: keySource(k),
		Value:  values[k.Name.ValueString()],
	}
}

// refresh reads the provider into m, keeping m's key order. m.ID is null
// afterwards when the provider does not exist.
func (r *GlowProviderResource) refresh(ctx context.Context, id string, m *GlowProviderResourceModel, diags *diag.Diagnostics) {
	d, err := r.clients.Glow.GetProvider(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		m.ID = types.StringNull()
		return
	}
	if err != nil {
		addAPIError(diags, "Reading Glow provider "+id, err, nil)
		m.ID = types.StringNull()
		return
	}
	p := d.Provider
	m.ID = types.StringValue(p.ID)
	m.Name = types.StringValue(p.Name)
	m.Description = types.StringValue(p.Description)
	m.Departments = stringSet(p.DepartmentIDs, diags)
	m.Endpoints = stringSet(endpointURLs(d), diags)
	values := p.Values
	if values == nil {
		values = map[string]string{}
	}
	m.Values = stringMap(values, diags)
	m.Version = types.Int64Value(p.Version)
	m.ModelUsageCount = types.Int64Value(int64(p.ModelUsageCount))

	prior := make([]string, 0, len(m.Keys))
	for _, k := range m.Keys {
		prior = append(prior, k.Name.ValueString())
	}
	live := orderKeys(glowKeyViews(d.Keys.Current), prior)
	m.Keys = make([]GlowKeyModel, 0, len(live))
	for _, k := range live {
		m.Keys = append(m.Keys, GlowKeyModel{
			Name:           types.StringValue(k.Label),
			ValueWO:        types.StringNull(),
			ValueWOVersion: k.Version,
			KeyID:          types.StringValue(k.ID),
		})
	}
}

func (r *GlowProviderResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state GlowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := state.read(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if r.clients == nil || r.clients.Glow == nil {
		r.crud(ctx, &resp.Diagnostics) // reports that Glow is not configured
		return
	}
	r.refresh(ctx, state.ID.ValueString(), &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.ID.IsNull() {
		// Deleted outside Terraform: forgetting it makes the next plan
		// create it again.
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *GlowProviderResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := plan.update(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	g := r.crud(ctx, &resp.Diagnostics)
	if g == nil {
		return
	}
	u := crud.Update{
		ID:              state.ID.ValueString(),
		Name:            state.Name.ValueString(),
		ExpectedVersion: state.Version.ValueInt64(),
	}
	if !plan.Name.Equal(state.Name) {
		n := plan.Name.ValueString()
		u.NewName = &n
	}
	if !plan.Description.Equal(state.Description) {
		d := plan.Description.ValueString()
		u.Description = &d
	}
	if !plan.Departments.Equal(state.Departments) {
		d := setStrings(ctx, plan.Departments, &resp.Diagnostics)
		if d == nil {
			d = []string{}
		}
		u.Departments = &d
	}
	if !plan.Endpoints.Equal(state.Endpoints) {
		e := setStrings(ctx, plan.Endpoints, &resp.Diagnostics)
		if e == nil {
			e = []string{}
		}
		u.Endpoints = &e
	}
	if !plan.Values.Equal(state.Values) {
		v := maps.Clone(mapStrings(ctx, plan.Values, &resp.Diagnostics))
		if v == nil {
			v = map[string]string{}
		}
		u.Values = &v
	}
	if keysChanged(plan.Keys, state.Keys) {
		values := keyValues(ctx, req.Config.GetAttribute, &resp.Diagnostics)
		keys := make([]crud.Key, 0, len(plan.Keys))
		for _, k := range plan.Keys {
			if !k.KeyID.IsUnknown() && !k.KeyID.IsNull() {
				keys = append(keys, crud.Key{
					Label:  k.Name.ValueString(),
					Source: keySource(k),
					ID:     k.KeyID.ValueString(),
				})
				continue
			}
			keys = append(keys, newKey(k, values))
		}
		u.Keys = &keys
		for _, k := range state.Keys {
			u.PreviousKeyIDs = append(u.PreviousKeyIDs, k.KeyID.ValueString())
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	_, err := g.Update(ctx, u)
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Updating Glow provider %q", u.Name), err, glowFields)
		var se *crud.StepError
		if !errors.As(err, &se) {
			return
		}
		// Something was done (a key created, an update made): record
		// what is live now, so that the next plan shows only the rest.
	}
	r.refresh(ctx, u.ID, &plan, &resp.Diagnostics)
	if plan.ID.IsNull() {
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddError("Glow provider disappeared",
				fmt.Sprintf("Glow provider %s was deleted while Terraform updated it. Run terraform apply again to create it.", u.ID))
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func keysChanged(plan, state []GlowKeyModel) bool {
	if len(plan) != len(state) {
		return true
	}
	for _, k := range plan {
		if k.KeyID.IsUnknown() || k.KeyID.IsNull() {
			return true
		}
	}
	return false
}

func (r *GlowProviderResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state GlowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := state.delete(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if r.clients == nil || r.clients.Glow == nil {
		r.crud(ctx, &resp.Diagnostics)
		return
	}
	g := crud.NewGlow(r.clients.Glow, nil)
	id := state.ID.ValueString()
	if err := g.DeleteProviders(ctx, []string{id})[id]; err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Deleting Glow provider %q", state.Name.ValueString()), err, nil)
		return
	}
	// The keys held values only this provider used; leaving them would
	// keep secrets in Glow that nothing refers to. A key another provider
	// also uses is left in place (Glow answers in_use).
	var keyIDs []string
	for _, k := range state.Keys {
		if !k.KeyID.IsNull() && k.KeyID.ValueString() != "" {
			keyIDs = append(keyIDs, k.KeyID.ValueString())
		}
	}
	if len(keyIDs) > 0 {
		if _, _, err := g.DeleteKeys(ctx, keyIDs); err != nil {
			resp.Diagnostics.AddWarning("Glow keys not deleted",
				fmt.Sprintf("The provider was deleted, but deleting its keys failed: %v", err))
		}
	}
}

func (r *GlowProviderResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

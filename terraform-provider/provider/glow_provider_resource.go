package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
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
	"github.com/switchboard-hq/switchboard/planner/objects"
)

var (
	_ resource.Resource                   = &GlowProviderResource{}
	_ resource.ResourceWithConfigure      = &GlowProviderResource{}
	_ resource.ResourceWithImportState    = &GlowProviderResource{}
	_ resource.ResourceWithModifyPlan     = &GlowProviderResource{}
	_ resource.ResourceWithValidateConfig = &GlowProviderResource{}
	_ resource.ResourceWithUpgradeState   = &GlowProviderResource{}
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

// GlowProviderResourceModel is the resource's data. Keys is a map of
// GlowKeyModel by label.
type GlowProviderResourceModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	Description     types.String `tfsdk:"description"`
	Departments     types.Set    `tfsdk:"departments"`
	Endpoints       types.Set    `tfsdk:"endpoints"`
	Values          types.Map    `tfsdk:"values"`
	Keys            types.Map    `tfsdk:"keys"`
	Version         types.Int64  `tfsdk:"version"`
	ModelUsageCount types.Int64  `tfsdk:"model_usage_count"`

	resourceTimeouts
}

// markerAddressPrefix starts the address in the ownership marker of the
// providers this resource creates. The CLI's addresses start with
// `glow_provider.`, so the two never take each other's providers.
const markerAddressPrefix = "switchboard_glow_provider."

// writeBudget bounds the calls that finish a create or record its result
// after Terraform was interrupted: stopping between the key and the
// provider, or before the state is written, is what leaves objects behind.
const writeBudget = 2 * time.Minute

// Metadata names the resource switchboard_glow_provider.
func (r *GlowProviderResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_glow_provider"
}

// Schema describes the resource; its descriptions are the reference page
// (make docs).
func (r *GlowProviderResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	emptySet := types.SetValueMust(types.StringType, []attr.Value{})
	resp.Schema = schema.Schema{
		Version: 1,
		MarkdownDescription: "A Glow provider with its endpoints, encrypted keys, values and departments.\n\n" +
			"Changes are made by one update guarded by the version Terraform read, exactly as `switchboard apply` makes them: " +
			"if someone changed the provider after Terraform read it, the apply stops with a conflict and overwrites nothing.\n\n" +
			"A key's value comes from Vault (`vault`, read only as metadata at plan time, so a plan needs no access to values) " +
			"or from a write-only argument (`value_wo`, Terraform 1.11 or later). Neither is ever stored in the plan or the state, " +
			"and Glow never returns it. The key's name in Glow records where its value came from, as the CLI's keys do: " +
			"`LABEL (vault:PATH#KEY@vN)` or `LABEL (terraform:vN)`.",
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
				Validators:  []validator.Set{setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"endpoints": schema.SetAttribute{
				MarkdownDescription: "Endpoint URLs (absolute `http` or `https`). An existing Glow endpoint with the same URL is reused, " +
					"also by providers created in parallel; a new URL creates one.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(emptySet),
				Validators:  []validator.Set{setvalidator.ValueStringsAre(endpointURLValidator{})},
			},
			"values": schema.MapAttribute{
				MarkdownDescription: "Configuration values (strings). Keys starting with `switchboard.` are reserved for the ownership marker.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
				Validators:          []validator.Map{mapvalidator.KeysAre(reservedValueKeyValidator{})},
			},
			"keys": schema.MapNestedAttribute{
				MarkdownDescription: "API keys attached to the provider, by label (unique within the provider). " +
					"Keys attached to the provider outside Terraform are detached and deleted on the next apply; " +
					"removing the last entry detaches the last key.",
				Optional:   true,
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.LengthAtLeast(1))},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"vault": schema.SingleNestedAttribute{
							MarkdownDescription: "The key's value is the `key` field of the Vault KV secret at `path` (as `vault kv get` " +
								"takes it: `secret/llm/openai`, KV v1 or v2). A plan reads only the secret's metadata; writing a new " +
								"version in Vault shows as a planned rotation. Apply reads the value once, at the version the plan showed. " +
								"Set `version` to pin one. Set either `vault` or `value_wo`.",
							Optional: true,
							Attributes: map[string]schema.Attribute{
								"path": schema.StringAttribute{MarkdownDescription: "Secret path, with its mount.", Required: true},
								"key":  schema.StringAttribute{MarkdownDescription: "Key within the secret.", Required: true},
								"version": schema.Int64Attribute{
									MarkdownDescription: "KV v2 version to use; unset follows the current version.",
									Optional:            true,
									Validators:          []validator.Int64{int64validator.AtLeast(1)},
								},
							},
						},
						"value_wo": schema.StringAttribute{
							MarkdownDescription: "The key's value, write-only: never stored in the plan or the state. " +
								"Sent when the key is created and when `value_wo_version` changes. Pass it from an ephemeral variable or an ephemeral resource. " +
								"Needs `value_wo_version`.",
							Optional:   true,
							Sensitive:  true,
							WriteOnly:  true,
							Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
						},
						"value_wo_version": schema.Int64Attribute{
							MarkdownDescription: "Version of `value_wo`, at least 1. Changing it rotates the key: a new Glow key is created and attached " +
								"by the same update that detaches the old one, which is then deleted. Without `value_wo` (as in a generated " +
								"configuration) it keeps the key that has this version.",
							Optional:   true,
							Validators: []validator.Int64{int64validator.AtLeast(1)},
						},
						"vault_version": schema.Int64Attribute{
							MarkdownDescription: "The Vault version the key holds (null for `value_wo` and KV v1).",
							Computed:            true,
						},
						"key_id": schema.StringAttribute{
							MarkdownDescription: "Glow key id.",
							Computed:            true,
						},
					},
				},
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
		},
	}
}

// Configure takes the clients the provider block made.
func (r *GlowProviderResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// glowConfigured reports, with a diagnostic, a Glow that has no URL or
// token at all, at plan time rather than after a part of the apply ran.
func (r *GlowProviderResource) glowConfigured(diags *diag.Diagnostics) bool {
	if r.clients == nil || r.clients.Glow == nil {
		diags.AddError("Glow is not configured",
			"This configuration has a switchboard_glow_provider, so the provider needs Glow: set glow_url and glow_token in the provider block, or $"+
				glow.EnvURL+" and $"+glow.EnvToken+".")
		return false
	}
	return true
}

// glowFor is the crud.Glow for one operation: the endpoints of urls
// resolved through the provider instance's shared cache (listed only on a
// miss), so crud neither lists nor creates endpoints itself.
//
// The caller calls release once the create or update that sends the
// endpoints is done, so that a destroy running meanwhile keeps them.
func (r *GlowProviderResource) glowFor(ctx context.Context, urls []string, diags *diag.Diagnostics) (g *crud.Glow, release func()) {
	known := map[string]string{}
	if len(urls) > 0 {
		var err error
		known, err = r.clients.endpointIDs(ctx, urls)
		if err != nil {
			addAPIError(diags, "Resolving Glow endpoints", err, nil)
			return nil, func() {}
		}
	}
	return crud.NewGlow(r.clients.Glow, known), func() { r.clients.releaseEndpoints(slices.Collect(maps.Values(known))) }
}

// ValidateConfig checks each key at plan time, so that a key Glow cannot
// be given fails before the apply.
func (r *GlowProviderResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	// A types.Map, not a Go map: with `keys = var.keys` in a module the
	// map, or some of its entries, is unknown during validation.
	var m types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("keys"), &m)...)
	if resp.Diagnostics.HasError() || m.IsNull() || m.IsUnknown() {
		return
	}
	keys, _ := keysOf(ctx, m, &resp.Diagnostics)
	for _, label := range slices.Sorted(maps.Keys(keys)) {
		validateKey(ctx, label, keys[label], &resp.Diagnostics)
	}
}

// ModifyPlan keeps the key ids of keys that stay as they are, marks the
// ones that will be created, and marks the version as changing when an
// update will be made. It also warns before destroying a provider models
// still use.
func (r *GlowProviderResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.clients == nil {
		return // the provider's own configuration is not known yet
	}
	if !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	if req.Plan.Raw.IsNull() {
		var st GlowProviderResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
		if n := st.ModelUsageCount.ValueInt64(); n > 0 {
			resp.Diagnostics.AddWarning("Glow provider in use",
				fmt.Sprintf("%d Glow model(s) use provider %q; destroying it leaves them pointing at a provider that no longer exists.",
					n, st.Name.ValueString()))
		}
		return
	}
	var plan, prior GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	}
	var cfgKeys types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("keys"), &cfgKeys)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keysChange := true
	if keys, ok := keysOf(ctx, plan.Keys, &resp.Diagnostics); ok {
		priorKeys := map[string]GlowKeyModel{}
		if !creating {
			priorKeys, _ = keysOf(ctx, prior.Keys, &resp.Diagnostics)
		}
		cfg, _ := keysOf(ctx, cfgKeys, &resp.Diagnostics)
		keysChange = r.planKeys(ctx, keys, priorKeys, cfg, &resp.Diagnostics)
		plan.Keys = keysValue(ctx, keys, plan.Keys.IsNull(), &resp.Diagnostics)
		if !creating && !keysChange && prior.Keys.IsNull() != plan.Keys.IsNull() {
			keysChange = true
		}
	}
	if creating {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if keysChange || !plan.Name.Equal(prior.Name) || !plan.Description.Equal(prior.Description) ||
		!plan.Departments.Equal(prior.Departments) || !plan.Endpoints.Equal(prior.Endpoints) || !plan.Values.Equal(prior.Values) {
		plan.Version = types.Int64Unknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// configKeys reads the keys from the configuration, the only place the
// write-only values exist.
func configKeys(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, diags *diag.Diagnostics) map[string]GlowKeyModel {
	var m types.Map
	diags.Append(get(ctx, path.Root("keys"), &m)...)
	keys, _ := keysOf(ctx, m, diags)
	return keys
}

// newMarker is the ownership marker a create writes: this provider's owner
// and an address no other create uses, so that the answer of a create that
// was lost can be found exactly, and a later apply can tell a provider an
// interrupted create left behind from one made by hand.
func (r *GlowProviderResource) newMarker() *objects.OwnerMarker {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &objects.OwnerMarker{Owner: r.clients.Owner, Address: objects.Address(markerAddressPrefix + "new-" + hex.EncodeToString(b))}
}

// detached is ctx without its cancellation, bounded by writeBudget: what a
// Ctrl-C must not cut short.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeBudget)
}

// Create creates the Glow provider with its endpoints, keys and ownership
// marker through crud.Glow, as switchboard apply creates one.
func (r *GlowProviderResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	cfg := configKeys(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	ctx, cancel := plan.create(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	keys, _ := keysOf(ctx, plan.Keys, &resp.Diagnostics)
	spec := crud.ProviderSpec{
		Name:        plan.Name.ValueString(),
		Description: plan.Description.ValueString(),
		Departments: setStrings(ctx, plan.Departments, &resp.Diagnostics),
		Endpoints:   setStrings(ctx, plan.Endpoints, &resp.Diagnostics),
		Values:      mapStrings(ctx, plan.Values, &resp.Diagnostics),
		Marker:      r.newMarker(),
	}
	newKeys := map[string]crud.Key{}
	for _, label := range slices.Sorted(maps.Keys(keys)) {
		src, val, ok := r.newKeySource(ctx, label, keys[label], cfg, &resp.Diagnostics)
		if ok {
			newKeys[label] = crud.Key{Label: label, Source: src, Value: val}
			spec.Keys = append(spec.Keys, newKeys[label])
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// From the first write on, an interrupt must not stop the create
	// halfway nor keep its result out of the state.
	wctx, cancel := detached(ctx)
	defer cancel()
	g, release := r.glowFor(wctx, spec.Endpoints, &resp.Diagnostics)
	if g == nil {
		return
	}
	applied, err := g.Create(wctx, spec)
	release()
	if staleEndpoint(err) {
		r.clients.forgetEndpoints(spec.Endpoints)
	}
	var holder string
	if err != nil && (applied == nil || applied.Provider.ID == "") && isNameConflict(err) {
		var id string
		var ok bool
		if id, holder, ok = r.leftBehind(wctx, spec, &resp.Diagnostics); ok {
			r.adopt(wctx, id, &plan, newKeys, cfg, resp)
			return
		}
	}
	if err != nil && holder != "" {
		// Whose provider has the name is what tells a mistake (two
		// provider configurations on one Glow) from a name to change.
		resp.Diagnostics.AddError(fmt.Sprintf("Creating Glow provider %q", spec.Name), fmt.Sprintf("%v\n\n%s, not to this provider "+
			"block's owner %q, so Terraform does not take it over. If two provider configurations (staging and prod) point at the same Glow "+
			"by mistake, check their glow_url; to manage that provider from here, import it.", err, holder, r.clients.Owner))
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Creating Glow provider %q", spec.Name), err, glowFields)
		if applied == nil || applied.Provider.ID == "" {
			return
		}
		// The provider exists but a later step failed. Keeping it in the
		// state lets the next plan turn the rest into an update instead of
		// failing on the name.
	}
	fallback := appliedModel(ctx, plan, applied, newKeys, &resp.Diagnostics)
	found, rerr := r.refresh(wctx, applied.Provider.ID, &plan, &resp.Diagnostics)
	if rerr != nil || !found {
		// The provider was created; the read-back failed. Record it as
		// the create answered, and let the next refresh fill in the rest.
		plan = fallback
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func isNameConflict(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == api.CodeNameConflict
}

// leftBehind looks, after a create failed on its name, for the provider an
// interrupted create of this owner left outside the state: the same name in
// the same department scope, carrying the marker a create of this owner
// wrote, and used by no model. A provider made by hand or by another owner
// is never taken; the name conflict stands, and other says whose provider
// has the name when that is another owner or nobody.
func (r *GlowProviderResource) leftBehind(ctx context.Context, spec crud.ProviderSpec, diags *diag.Diagnostics) (id, other string, ok bool) {
	want := objects.NewSet(spec.Departments...)
	var found []glow.Provider
	for p, err := range r.clients.Glow.Search(ctx, glow.SearchRequest{Search: spec.Name, FilterDepartmentIDs: spec.Departments}) {
		if err != nil {
			return "", "", false
		}
		if p.Name != spec.Name || !objects.SameNameScope(want, objects.NewSet(p.DepartmentIDs...)) {
			continue
		}
		// Only what a create left as it made it: the marker of a create
		// (a state that knows the provider rewrites it with the id on its
		// first values update), and no model using it yet.
		_, own := objects.SplitMarker(p.Values)
		if own.OwnedBy(r.clients.Owner) && strings.HasPrefix(string(own.Marker.Address), markerAddressPrefix+"new-") && p.ModelUsageCount == 0 {
			found = append(found, p)
		} else if !own.OwnedBy(r.clients.Owner) && other == "" {
			other = fmt.Sprintf("Glow provider %s has this name and belongs to %s", p.ID, own.Describe())
		}
	}
	if len(found) != 1 {
		return "", other, false
	}
	diags.AddWarning("Glow provider recorded after an interrupted apply",
		fmt.Sprintf("Glow provider %s (%q) carries this provider's ownership marker (owner %q) but was in no state: an earlier apply "+
			"created it and was interrupted before recording it. Terraform takes it over and updates it to this configuration instead of failing on its name.",
			found[0].ID, spec.Name, r.clients.Owner))
	return found[0].ID, "", true
}

// adopt takes over the provider id (left behind by an interrupted create)
// and updates it to plan, reusing the values newKeys already read.
func (r *GlowProviderResource) adopt(ctx context.Context, id string, plan *GlowProviderResourceModel, newKeys map[string]crud.Key, cfg map[string]GlowKeyModel, resp *resource.CreateResponse) {
	live := GlowProviderResourceModel{Keys: types.MapNull(keyObjectType)}
	if found, err := r.refresh(ctx, id, &live, &resp.Diagnostics); err != nil || !found {
		return
	}
	m := r.update(ctx, *plan, live, cfg, newKeys, &resp.Diagnostics)
	if m != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
	}
}

// appliedModel is the state as the create answered, for when the read-back
// fails.
func appliedModel(ctx context.Context, plan GlowProviderResourceModel, a *crud.Applied, newKeys map[string]crud.Key, diags *diag.Diagnostics) GlowProviderResourceModel {
	m := plan
	if a == nil {
		return m
	}
	m.ID = types.StringValue(a.Provider.ID)
	m.Version = types.Int64Value(a.Provider.Version)
	m.ModelUsageCount = types.Int64Value(0)
	keys, _ := keysOf(ctx, plan.Keys, diags)
	for label, k := range keys {
		id, ok := a.Keys[label]
		if !ok || id == "" {
			delete(keys, label)
			continue
		}
		k.KeyID = types.StringValue(id)
		if nk, ok := newKeys[label]; ok && nk.Source.VaultPath != "" {
			k.VaultVersion = versionValue(nk.Source.Version)
		} else if k.VaultVersion.IsUnknown() {
			k.VaultVersion = types.Int64Null()
		}
		keys[label] = k
	}
	m.Keys = keysValue(ctx, keys, plan.Keys.IsNull(), diags)
	return m
}

// refresh reads the provider into m, taking from m what the live side
// cannot say (whether there were keys at all, a Vault pin). found is false
// when the provider does not exist, or the token cannot see it.
func (r *GlowProviderResource) refresh(ctx context.Context, id string, m *GlowProviderResourceModel, diags *diag.Diagnostics) (found bool, err error) {
	d, err := r.clients.Glow.GetProvider(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		addAPIError(diags, "Reading Glow provider "+id, err, nil)
		return false, err
	}
	p := d.Provider
	m.ID = types.StringValue(p.ID)
	m.Name = types.StringValue(p.Name)
	m.Description = types.StringValue(p.Description)
	m.Departments = stringSet(p.DepartmentIDs, diags)
	m.Endpoints = stringSet(endpointURLs(d), diags)
	// The ownership marker is Switchboard's, not a value the configuration
	// sets: the plan never shows it.
	values, _ := objects.SplitMarker(p.Values)
	if values == nil {
		values = map[string]string{}
	}
	m.Values = stringMap(values, diags)
	m.Version = types.Int64Value(p.Version)
	m.ModelUsageCount = types.Int64Value(int64(p.ModelUsageCount))
	prior, _ := keysOf(ctx, m.Keys, diags)
	m.Keys = keysValue(ctx, liveKeys(ctx, glowKeyViews(d.Keys.Current), prior, diags), m.Keys.IsNull(), diags)
	return true, nil
}

func (r *GlowProviderResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var st GlowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	ctx, cancel := st.read(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	id := st.ID.ValueString()
	found, err := r.refresh(ctx, id, &st, &resp.Diagnostics)
	if err != nil {
		return
	}
	if !found {
		if r.hiddenByScope(ctx, id, &resp.Diagnostics) {
			return
		}
		// Deleted outside Terraform: forgetting it makes the next plan
		// create it again.
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &st)...)
}

// hiddenByScope reports, with an error, a provider that a
// department-scoped token no longer sees. Glow answers 404 both for a
// deleted provider and for one moved out of the token's departments
// (docs/api.md, "Department scoping"), so with a scoped token the two
// can't be told apart; forgetting the provider would make the next apply
// create a duplicate of one that may still exist, so Terraform stops and
// says so instead.
func (r *GlowProviderResource) hiddenByScope(ctx context.Context, id string, diags *diag.Diagnostics) bool {
	info, known, err := r.clients.tokenScope(ctx)
	if err != nil {
		addAPIError(diags, "Reading Glow provider "+id, fmt.Errorf("the provider is not found, and describing the token failed: %w", err), nil)
		return true
	}
	if !known || !info.Scoped {
		return false
	}
	diags.AddError("Glow provider not visible to this token",
		fmt.Sprintf("Glow provider %s is no longer visible to this department-scoped token (departments %s). It was deleted, or moved "+
			"out of these departments by someone with a wider token; Glow answers the same for both. Terraform keeps it in the state "+
			"rather than create a duplicate.\n\nIf it was moved, manage it with a token that can see it. If it was deleted, "+
			"remove it from the state (terraform state rm ADDRESS) and apply again to create it.",
			id, strings.Join(info.DepartmentIDs, ", ")))
	return true
}

// Update changes the live provider in one update guarded by its version;
// a key whose value changed is rotated.
func (r *GlowProviderResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, st GlowProviderResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	cfg := configKeys(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	ctx, cancel := plan.update(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	if m := r.update(ctx, plan, st, cfg, nil, &resp.Diagnostics); m != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
	}
}

// update changes the live provider st describes to plan, in one guarded
// update, and returns the state to record (nil for none). read holds key
// values already read, by label.
func (r *GlowProviderResource) update(ctx context.Context, plan, st GlowProviderResourceModel, cfg map[string]GlowKeyModel, read map[string]crud.Key, diags *diag.Diagnostics) *GlowProviderResourceModel {
	u, urls := r.updateOf(ctx, plan, st, diags)
	planKeys, _ := keysOf(ctx, plan.Keys, diags)
	liveKeys, _ := keysOf(ctx, st.Keys, diags)
	if keysChanged(planKeys, liveKeys) || plan.Keys.IsNull() != st.Keys.IsNull() {
		keys := r.updateKeys(ctx, planKeys, liveKeys, cfg, read, diags)
		u.Keys = &keys
		for _, k := range liveKeys {
			if !k.KeyID.IsNull() && !k.KeyID.IsUnknown() {
				u.PreviousKeyIDs = append(u.PreviousKeyIDs, k.KeyID.ValueString())
			}
		}
	}
	if diags.HasError() {
		return nil
	}
	return r.sendUpdate(ctx, plan, st, u, urls, diags)
}

// updateOf is the update of every attribute but the keys that plan changes
// from st, and the endpoint URLs the update uses (nil when it leaves them).
func (r *GlowProviderResource) updateOf(ctx context.Context, plan, st GlowProviderResourceModel, diags *diag.Diagnostics) (crud.Update, []string) {
	u := crud.Update{
		ID:              st.ID.ValueString(),
		Name:            st.Name.ValueString(),
		ExpectedVersion: st.Version.ValueInt64(),
	}
	if !plan.Name.Equal(st.Name) {
		n := plan.Name.ValueString()
		u.NewName = &n
	}
	if !plan.Description.Equal(st.Description) {
		d := plan.Description.ValueString()
		u.Description = &d
	}
	if !plan.Departments.Equal(st.Departments) {
		d := setStrings(ctx, plan.Departments, diags)
		if d == nil {
			d = []string{}
		}
		u.Departments = &d
	}
	var urls []string
	if !plan.Endpoints.Equal(st.Endpoints) {
		e := setStrings(ctx, plan.Endpoints, diags)
		if e == nil {
			e = []string{}
		}
		u.Endpoints = &e
		urls = e
	}
	if !plan.Values.Equal(st.Values) {
		v := maps.Clone(mapStrings(ctx, plan.Values, diags))
		if v == nil {
			v = map[string]string{}
		}
		u.Values = &v
		// Glow replaces values whole; the marker goes with them.
		u.Marker = &objects.OwnerMarker{Owner: r.clients.Owner, Address: objects.Address(markerAddressPrefix + u.ID)}
	}
	return u, urls
}

// updateKeys are the keys the provider is to hold, by label: a key id the
// plan knows, a live key that already holds the value, a key value already
// read, or a new key from its source.
func (r *GlowProviderResource) updateKeys(ctx context.Context, planKeys, liveKeys map[string]GlowKeyModel, cfg map[string]GlowKeyModel, read map[string]crud.Key, diags *diag.Diagnostics) []crud.Key {
	keys := make([]crud.Key, 0, len(planKeys))
	for _, label := range slices.Sorted(maps.Keys(planKeys)) {
		k := planKeys[label]
		if !k.KeyID.IsUnknown() && !k.KeyID.IsNull() {
			keys = append(keys, crud.Key{Label: label, Source: keySourceOf(ctx, k, diags), ID: k.KeyID.ValueString()})
			continue
		}
		// A live key that already holds exactly this value (left by
		// an interrupted apply) serves as well as a new one.
		if lk, ok := liveKeys[label]; ok && !lk.KeyID.IsNull() {
			if src := keySourceOf(ctx, lk, diags); sameSource(ctx, k, src, diags) {
				keys = append(keys, crud.Key{Label: label, Source: src, ID: lk.KeyID.ValueString()})
				continue
			}
		}
		if nk, ok := read[label]; ok {
			keys = append(keys, nk)
			continue
		}
		src, val, ok := r.newKeySource(ctx, label, k, cfg, diags)
		if ok {
			keys = append(keys, crud.Key{Label: label, Source: src, Value: val})
		}
	}
	return keys
}

// sendUpdate sends u and returns plan refreshed from what is live after
// it, or nil when there is nothing to record.
func (r *GlowProviderResource) sendUpdate(ctx context.Context, plan, st GlowProviderResourceModel, u crud.Update, urls []string, diags *diag.Diagnostics) *GlowProviderResourceModel {
	wctx, cancel := detached(ctx)
	defer cancel()
	g, release := r.glowFor(wctx, urls, diags)
	if g == nil {
		return nil
	}
	_, err := g.Update(wctx, u)
	release()
	if err == nil && u.Endpoints != nil {
		// The endpoints it stopped using may be used by nobody now.
		r.dropEndpoints(wctx, setStrings(ctx, st.Endpoints, diags), *u.Endpoints, diags)
	}
	if staleEndpoint(err) {
		r.clients.forgetEndpoints(urls)
	}
	if err != nil {
		addAPIError(diags, fmt.Sprintf("Updating Glow provider %q", u.Name), err, glowFields)
		var se *crud.StepError
		if !errors.As(err, &se) {
			return nil
		}
		// Something was done (a key created, an update made): record
		// what is live now, so that the next plan shows only the rest.
	}
	found, rerr := r.refresh(wctx, u.ID, &plan, diags)
	if rerr != nil {
		return nil
	}
	if !found {
		if !diags.HasError() {
			diags.AddError("Glow provider disappeared",
				fmt.Sprintf("Glow provider %s was deleted while Terraform updated it. Run terraform apply again to create it.", u.ID))
		}
		return nil
	}
	return &plan
}

func keysChanged(plan, live map[string]GlowKeyModel) bool {
	if len(plan) != len(live) {
		return true
	}
	for label, k := range plan {
		if _, ok := live[label]; !ok || k.KeyID.IsUnknown() || k.KeyID.IsNull() {
			return true
		}
	}
	return false
}

// Delete deletes the Glow provider and the keys only it used.
func (r *GlowProviderResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var st GlowProviderResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	ctx, cancel := st.delete(ctx, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	g := crud.NewGlow(r.clients.Glow, nil)
	id := st.ID.ValueString()
	if err := g.DeleteProviders(ctx, []string{id})[id]; err != nil {
		addAPIError(&resp.Diagnostics, fmt.Sprintf("Deleting Glow provider %q", st.Name.ValueString()), err, nil)
		return
	}
	// The keys held values only this provider used; leaving them would
	// keep secrets in Glow that nothing refers to. A key another provider
	// also uses is left in place (Glow answers in_use).
	keys, _ := keysOf(ctx, st.Keys, &resp.Diagnostics)
	var keyIDs []string
	for _, k := range keys {
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
	r.dropEndpoints(ctx, setStrings(ctx, st.Endpoints, &resp.Diagnostics), nil, &resp.Diagnostics)
}

// dropEndpoints deletes this owner's endpoints of the URLs in old but not
// in kept that no provider uses any more; failing to is a warning, since
// the provider's own change was made.
func (r *GlowProviderResource) dropEndpoints(ctx context.Context, old, kept []string, diags *diag.Diagnostics) {
	var gone []string
	for _, u := range old {
		if !slices.Contains(kept, u) {
			gone = append(gone, u)
		}
	}
	if err := r.clients.dropEndpoints(ctx, gone); err != nil {
		diags.AddWarning("Glow endpoints not deleted",
			fmt.Sprintf("No provider uses them any more, but deleting them failed: %v. The next destroy or endpoint change tries again.", err))
	}
}

// ImportState takes a provider id or, failing that, a provider name. A
// name that several providers have (in departments that don't overlap) is
// refused with their ids.
func (r *GlowProviderResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.glowConfigured(&resp.Diagnostics) {
		return
	}
	_, err := r.clients.Glow.GetProvider(ctx, req.ID)
	switch {
	case err == nil:
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
		return
	case !errors.Is(err, api.ErrNotFound):
		addAPIError(&resp.Diagnostics, "Importing Glow provider "+req.ID, err, nil)
		return
	}
	var matches []glow.Provider
	for p, err := range r.clients.Glow.Search(ctx, glow.SearchRequest{Search: req.ID}) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Importing Glow provider "+req.ID, err, nil)
			return
		}
		if p.Name == req.ID {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), matches[0].ID)...)
	case 0:
		resp.Diagnostics.AddError("Glow provider not found",
			fmt.Sprintf("No Glow provider visible to this token has the id or the name %q.", req.ID))
	default:
		var ids []string
		for _, p := range matches {
			ids = append(ids, fmt.Sprintf("%s (departments %s)", p.ID, strings.Join(p.DepartmentIDs, ", ")))
		}
		resp.Diagnostics.AddError("Ambiguous Glow provider name",
			fmt.Sprintf("%d Glow providers are named %q, in departments that don't overlap: %s. Import one by its id.",
				len(matches), req.ID, strings.Join(ids, "; ")))
	}
}

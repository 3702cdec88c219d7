package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secrets"
)

// DefaultOwner is the owner a provider block without `owner` writes into
// the ownership marker of the Glow providers it creates.
const DefaultOwner = "terraform"

// vaultSettingsModel is the provider block's `vault` attribute. Every field
// falls back to the environment the Vault CLI and the switchboard CLI read
// (VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT,
// …), so one shell configures all three.
type vaultSettingsModel struct {
	Address   types.String `tfsdk:"address"`
	Token     types.String `tfsdk:"token"`
	Namespace types.String `tfsdk:"namespace"`
}

// ownershipAttributes are the provider block's settings for Vault
// references and ownership markers, kept apart from the service settings.
func ownershipAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"vault": schema.SingleNestedAttribute{
			MarkdownDescription: "Vault for the `vault` references of `switchboard_glow_provider` keys. " +
				"A plan reads only secret metadata (`<mount>/metadata/<path>`), so a plan token needs no read access to values; " +
				"an apply reads each value it sends once. Unset fields fall back to the Vault CLI's environment " +
				"(`VAULT_ADDR`, `VAULT_TOKEN` or `~/.vault-token`, `VAULT_NAMESPACE`, `VAULT_CACERT`, …), as `switchboard plan` does.",
			Optional: true,
			Attributes: map[string]schema.Attribute{
				"address": schema.StringAttribute{
					MarkdownDescription: "Vault address. Defaults to `$VAULT_ADDR`. Without either, keys can't use `vault`.",
					Optional:            true,
				},
				"token": schema.StringAttribute{
					MarkdownDescription: "Vault token. Defaults to `$VAULT_TOKEN`, then `~/.vault-token`. Best left to the environment.",
					Optional:            true,
					Sensitive:           true,
				},
				"namespace": schema.StringAttribute{
					MarkdownDescription: "Vault Enterprise namespace. Defaults to `$VAULT_NAMESPACE`.",
					Optional:            true,
				},
			},
		},
		"owner": schema.StringAttribute{
			MarkdownDescription: "Owner identity written into the ownership marker (docs/ownership.md) of every Glow provider this " +
				"provider creates. A create interrupted before Terraform recorded it is found again by this marker on the next apply. " +
				"Give every Terraform state that manages the same Glow its own owner. Defaults to `" + DefaultOwner + "`.",
			Optional: true,
			Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(ownerPattern),
				"must be 1 to 64 letters, digits, '-', '_' or '.'")},
		},
	}
}

// configureVault sets the Vault resolver and the owner. A Vault that is not
// configured is not an error here: only a key with a `vault` reference
// needs one, and it is told so at plan time.
func configureVault(ctx context.Context, v types.Object, owner types.String, c *Clients, diags *diag.Diagnostics) {
	c.Owner = DefaultOwner
	if !owner.IsNull() && !owner.IsUnknown() {
		c.Owner = owner.ValueString()
	}
	var s vaultSettingsModel
	if !v.IsNull() && !v.IsUnknown() {
		diags.Append(v.As(ctx, &s, basetypes.ObjectAsOptions{})...)
	}
	for name, val := range map[string]types.String{"address": s.Address, "token": s.Token, "namespace": s.Namespace} {
		if val.IsUnknown() {
			diags.AddAttributeError(path.Root("vault").AtName(name), "Unknown vault."+name,
				"The provider can't be configured with a value that is known only after apply. Set it to a static value or use its environment variable.")
		}
	}
	if v.IsUnknown() {
		diags.AddAttributeError(path.Root("vault"), "Unknown vault", "The provider's vault settings must be known at plan time.")
	}
	if diags.HasError() {
		return
	}
	addr := orEnv(s.Address, "VAULT_ADDR")
	if addr == "" {
		c.VaultErr = errors.New("no Vault is configured: set vault.address in the provider block or VAULT_ADDR")
		return
	}
	r, err := newResolver(addr, s.Token.ValueString(), s.Namespace.ValueString())
	if err != nil {
		c.VaultErr = fmt.Errorf("vault at %s: %w", addr, err)
		return
	}
	c.Vault = r
}

// newResolver is secrets.NewResolverFromEnv with the provider block's token
// and namespace, when set, in place of the environment's.
func newResolver(addr, token, namespace string) (*secrets.Resolver, error) {
	if token == "" && namespace == "" {
		return secrets.NewResolverFromEnv(addr)
	}
	cfg := vaultapi.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client configuration: %w", cfg.Error)
	}
	cfg.Address = addr
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	if namespace != "" {
		client.SetNamespace(namespace)
	}
	if token == "" {
		// Keep the environment's token (or ~/.vault-token) with a namespace
		// from the block.
		r, err := secrets.NewResolverFromEnv(addr)
		if err != nil {
			return nil, err
		}
		client.SetToken(r.Token().Reveal())
	} else {
		client.SetToken(token)
	}
	return secrets.NewResolver(client), nil
}

// ownerPattern is what an owner may be (the CLI's config accepts the same),
// so that it needs no escaping inside a marker.
const ownerPattern = `^[A-Za-z0-9_.-]{1,64}$`

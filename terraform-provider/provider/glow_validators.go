package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/switchboard-hq/switchboard/config"
)

// endpointURLValidator accepts what Glow accepts as an endpoint URL, as the
// CLI's validate does: absolute http or https, with a host and no user
// info. Caught at plan time, a bad URL never gets as far as a created
// provider.
type endpointURLValidator struct{}

func (endpointURLValidator) Description(context.Context) string {
	return "must be an absolute http or https URL"
}

func (v endpointURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (endpointURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid endpoint URL",
			fmt.Sprintf("%q is not an absolute http or https URL (for example https://api.openai.com/v1).", s))
	}
}

// reservedValueKeyValidator refuses the value keys Switchboard keeps for
// its ownership marker, which Glow would otherwise store and the next
// refresh hide.
type reservedValueKeyValidator struct{}

func (reservedValueKeyValidator) Description(context.Context) string {
	return "must not start with " + config.ReservedValuePrefix
}

func (v reservedValueKeyValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (reservedValueKeyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if strings.HasPrefix(req.ConfigValue.ValueString(), config.ReservedValuePrefix) {
		resp.Diagnostics.AddAttributeError(req.Path, "Reserved value key",
			fmt.Sprintf("Value keys starting with %q are reserved for Switchboard's ownership marker (docs/ownership.md).", config.ReservedValuePrefix))
	}
}

package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/applier/crud"
)

// conflictDetail is what a user needs after a 409: nothing was overwritten,
// and a fresh plan shows the other change.
const conflictDetail = "Someone changed this provider since Terraform read it, so nothing was overwritten. " +
	"Run terraform apply again to see the change and decide."

// fieldPaths maps the API's error.field (its JSON path) to the attribute
// that set it, so that Terraform points at the right line.
type fieldPaths func(field string) (path.Path, bool)

// addAPIError turns a client or crud error into a diagnostic. The errors'
// text never holds a secret (the transport scrubs known secrets from
// server text), so it is shown as is.
func addAPIError(diags *diag.Diagnostics, summary string, err error, fields fieldPaths) {
	var ce *crud.ConflictError
	if errors.As(err, &ce) || isVersionConflict(err) {
		// crud's own text ends with the CLI's advice ("run plan again"); a
		// Terraform user gets one instruction, conflictDetail's.
		what := err.Error()
		if ce != nil {
			what = ce.Object + " was changed by someone else since it was read"
			if ce.Detail != "" {
				what += " (" + ce.Detail + ")"
			}
		}
		diags.AddError(summary+": conflict", conflictDetail+"\n\n"+what)
		return
	}
	detail := err.Error()
	var ae *api.Error
	if errors.As(err, &ae) {
		switch {
		case errors.Is(err, api.ErrUnauthorized):
			detail += "\n\nCheck the token or admin key in the provider configuration (or its environment variable)."
		case errors.Is(err, api.ErrOutcomeUnknown):
			detail += "\n\nRun terraform plan to see what was applied."
		}
		if ae.Field != "" && fields != nil {
			if p, ok := fields(ae.Field); ok {
				diags.AddAttributeError(p, summary, detail)
				return
			}
		}
	}
	diags.AddError(summary, detail)
}

func isVersionConflict(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && errors.Is(err, api.ErrConflict) && ae.Code == api.CodeVersionConflict
}

// splitField splits an error.field such as "providers[0].name" or
// "credentials.api_key" into its first segment and the rest; that is all the
// attribute mapping needs.
func splitField(field string) (head, rest string) {
	field = strings.TrimPrefix(field, "providers[0].")
	head, rest, _ = strings.Cut(field, ".")
	if i := strings.IndexByte(head, '['); i >= 0 {
		head = head[:i]
	}
	return head, rest
}

func clientsFrom(data any, diags *diag.Diagnostics) *Clients {
	if data == nil {
		return nil // ValidateResourceConfig runs before the provider is configured
	}
	c, ok := data.(*Clients)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *provider.Clients, got %T; this is a bug in the provider", data))
		return nil
	}
	return c
}

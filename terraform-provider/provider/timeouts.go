package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// resourceTimeouts is the timeouts block both resources take; their models
// embed it. Each operation runs under its timeout, retries and waits for
// rate limits included.
type resourceTimeouts struct {
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func timeoutsBlock(ctx context.Context) schema.Block {
	return timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: "How long creating may take, as a duration (`30s`, `10m`). Defaults to `" + durationDoc(defaultCreateTimeout) + "`.",
		ReadDescription:   "How long a refresh may take. Defaults to `" + durationDoc(defaultReadTimeout) + "`.",
		UpdateDescription: "How long an update may take. Defaults to `" + durationDoc(defaultUpdateTimeout) + "`.",
		DeleteDescription: "How long destroying may take. Defaults to `" + durationDoc(defaultDeleteTimeout) + "`.",
	})
}

type timeoutOf func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// within derives the context of one operation from its timeout.
func (t resourceTimeouts) within(ctx context.Context, of timeoutOf, def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	d, more := of(t.Timeouts, ctx, def)
	diags.Append(more...)
	return context.WithTimeout(ctx, d)
}

func (t resourceTimeouts) create(ctx context.Context, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	return t.within(ctx, timeouts.Value.Create, defaultCreateTimeout, diags)
}

func (t resourceTimeouts) read(ctx context.Context, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	return t.within(ctx, timeouts.Value.Read, defaultReadTimeout, diags)
}

func (t resourceTimeouts) update(ctx context.Context, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	return t.within(ctx, timeouts.Value.Update, defaultUpdateTimeout, diags)
}

func (t resourceTimeouts) delete(ctx context.Context, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	return t.within(ctx, timeouts.Value.Delete, defaultDeleteTimeout, diags)
}

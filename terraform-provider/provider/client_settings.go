package provider

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/switchboard-hq/switchboard/api"
)

// Operation timeouts of the resources' timeouts blocks, when a block does
// not set one. A call's own retries are bounded by retry_timeout within it.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// maxRetriesLimit keeps a typo ("max_retries = 1000") from turning an
// outage into an apply that never ends.
const maxRetriesLimit = 100

// clientSettings are the provider block's retry and timeout arguments, which
// both API clients share. The model embeds them.
type clientSettings struct {
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RetryTimeout   types.String `tfsdk:"retry_timeout"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
}

func clientSettingsAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"max_retries": schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("How many times one API call is retried after a failure the retry can cure "+
				"(429, 503, a lost connection; 502 and 504 only for calls that are safe to repeat). Defaults to `%d`; `0` disables retries. "+
				"A create whose answer was lost is never repeated, whatever this says: the apply stops and says the outcome is unknown.",
				api.DefaultRetryMax),
			Optional:   true,
			Validators: []validator.Int64{int64validator.Between(0, maxRetriesLimit)},
		},
		"retry_timeout": schema.StringAttribute{
			MarkdownDescription: "How long one API call may keep retrying, waits included, counted from its first attempt, as a duration (`90s`, `5m`). " +
				"A retry whose wait (the server's `Retry-After`, or the backoff) would end later is not made, and the call fails with the last answer. " +
				"Defaults to `" + durationDoc(api.DefaultRetryBudget) + "`. The operation's `timeouts` bound it too.",
			Optional:   true,
			Validators: []validator.String{durationValidator{allowZero: true}},
		},
		"request_timeout": schema.StringAttribute{
			MarkdownDescription: "How long one attempt of an API call may take (connecting, sending, reading the whole answer), as a duration. " +
				"Defaults to `" + durationDoc(api.DefaultTimeout) + "`.",
			Optional:   true,
			Validators: []validator.String{durationValidator{}},
		},
	}
}

// options turns the settings into client options. Invalid values were
// refused by the validators; a value unknown at configure time is refused
// here.
func (s clientSettings) options(diags *diag.Diagnostics) []api.Option {
	var opts []api.Option
	if s.MaxRetries.IsUnknown() {
		diags.AddAttributeError(path.Root("max_retries"), "Unknown max_retries", "max_retries must be known when the provider is configured.")
	} else if !s.MaxRetries.IsNull() {
		opts = append(opts, api.WithRetryMax(int(s.MaxRetries.ValueInt64())))
	}
	for _, d := range []struct {
		name string
		v    types.String
		opt  func(time.Duration) api.Option
	}{
		{"retry_timeout", s.RetryTimeout, api.WithRetryBudget},
		{"request_timeout", s.RequestTimeout, api.WithTimeout},
	} {
		switch {
		case d.v.IsUnknown():
			diags.AddAttributeError(path.Root(d.name), "Unknown "+d.name, d.name+" must be known when the provider is configured.")
		case !d.v.IsNull():
			v, err := time.ParseDuration(d.v.ValueString())
			if err != nil {
				diags.AddAttributeError(path.Root(d.name), "Invalid "+d.name, err.Error())
				continue
			}
			opts = append(opts, d.opt(v))
		}
	}
	return opts
}

// terraformUserAgent names the Terraform that runs the provider in the
// User-Agent, as providers do, so that the services' logs tell a Terraform
// run from the switchboard CLI.
func terraformUserAgent(version string) api.Option {
	if version == "" {
		return nil
	}
	return api.WithUserAgent("terraform/" + version)
}

// durationDoc writes a duration as a user would ("1m", not "1m0s").
func durationDoc(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// durationValidator accepts a Go duration ("30s", "5m"), positive unless
// allowZero.
type durationValidator struct{ allowZero bool }

func (v durationValidator) Description(context.Context) string {
	if v.allowZero {
		return "a duration of 0 or more, such as 90s or 5m"
	}
	return "a positive duration, such as 30s or 2m"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err == nil && (d > 0 || (v.allowZero && d == 0)) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
		fmt.Sprintf("%q is not %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
}

// tflogHandler sends the API clients' log records to tflog, so that TF_LOG
// (DEBUG shows each request, answer, 429, retry and wait; TRACE adds the
// headers that carry no secret) shows them among Terraform's own. The
// records go to the logger of the context they are made with: the one of
// the RPC whose call they describe.
type tflogHandler struct {
	attrs []slog.Attr
	group string
}

func (h tflogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h tflogHandler) Handle(ctx context.Context, r slog.Record) error {
	fields := make(map[string]any, len(h.attrs)+r.NumAttrs()+1)
	fields["component"] = "switchboard http"
	add := func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		v := a.Value.Resolve()
		switch v.Kind() {
		case slog.KindDuration:
			// Read by people: "1.2s", not nanoseconds.
			fields[key] = v.Duration().String()
		case slog.KindTime:
			fields[key] = v.Time().Format(time.RFC3339Nano)
		default:
			fields[key] = v.Any()
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	msg := "HTTP " + r.Message
	switch {
	case r.Level < slog.LevelDebug:
		tflog.Trace(ctx, msg, fields)
	case r.Level < slog.LevelInfo:
		tflog.Debug(ctx, msg, fields)
	case r.Level < slog.LevelWarn:
		tflog.Info(ctx, msg, fields)
	case r.Level < slog.LevelError:
		tflog.Warn(ctx, msg, fields)
	default:
		tflog.Error(ctx, msg, fields)
	}
	return nil
}

func (h tflogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return tflogHandler{attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...), group: h.group}
}

func (h tflogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return tflogHandler{attrs: h.attrs, group: strings.TrimPrefix(h.group+"."+name, ".")}
}

package crud

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/gateflow"
	"github.com/switchboard-hq/switchboard/planner/state"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Gateway performs operations on Gateflow providers. Gateflow has no
// versions to guard a write with, so the caller's stale check (updated_at,
// settings) is the only protection against a concurrent change; every write
// here is a merge or a replacement that is safe to repeat.
type Gateway struct {
	Client *gateflow.Client
}

// GatewaySpec is a Gateflow provider to configure.
type GatewaySpec struct {
	ProviderID  string
	Enabled     bool
	Settings    map[string]any
	Credentials map[string]sensitive.String
}

// GatewayUpdate changes a configured Gateflow provider. Nil fields are left
// as they are.
type GatewayUpdate struct {
	ProviderID string
	// LiveSettings are the settings the caller read, to know which ones to
	// remove.
	LiveSettings map[string]any
	// Settings is the complete desired set: missing ones are removed.
	Settings *map[string]any
	// Credentials replace all credentials at once (Gateflow's semantics).
	Credentials map[string]sensitive.String
	Enabled     *bool
}

func gatewayObject(id string) string { return "gateway provider " + id }

// SettingsPatch is the PATCH body that turns live into desired: changed and
// new settings with their value, settings absent from desired with null.
// Numbers compare as float64, as Gateflow's JSON decodes them.
func SettingsPatch(live, desired map[string]any) (map[string]any, error) {
	l, err := state.NormalizeSettings(live)
	if err != nil {
		return nil, err
	}
	d, err := state.NormalizeSettings(desired)
	if err != nil {
		return nil, err
	}
	patch := map[string]any{}
	for k, v := range d {
		if lv, ok := l[k]; !ok || !reflect.DeepEqual(lv, v) {
			patch[k] = desired[k]
		}
	}
	for k := range l {
		if _, ok := d[k]; !ok {
			patch[k] = nil
		}
	}
	return patch, nil
}

// Create configures a provider that is not configured. A lost configure
// answer is resolved by reading the provider: still unconfigured, it is
// configured again; configured, the credentials and settings are sent again
// (both are replays that leave the same state), so that what is live is
// certainly what was asked for. A provider someone configured since it was
// read is a *ConflictError.
func (g *Gateway) Create(ctx context.Context, spec GatewaySpec) (*gateflow.Provider, error) {
	obj := gatewayObject(spec.ProviderID)
	_, err := g.Client.Configure(ctx, spec.ProviderID, spec.Credentials, spec.Settings)
	switch {
	case err == nil:
	case errors.Is(err, api.ErrConflict):
		return nil, &ConflictError{Object: obj, Detail: "it is configured already", Err: err}
	case errors.Is(err, api.ErrOutcomeUnknown):
		p, gerr := g.Client.Get(ctx, spec.ProviderID)
		if gerr != nil {
			return nil, errors.Join(err, fmt.Errorf("reading the provider to find out: %w", gerr))
		}
		if !p.Configured {
			if _, err := g.Client.Configure(ctx, spec.ProviderID, spec.Credentials, spec.Settings); err != nil {
				return nil, err
			}
			break
		}
		if _, err := g.Client.UpdateCredentials(ctx, spec.ProviderID, spec.Credentials); err != nil {
			return nil, &StepError{Object: obj, Step: "setting credentials after a lost configure answer", Err: err}
		}
		patch, err := SettingsPatch(p.Settings, spec.Settings)
		if err != nil {
			return nil, err
		}
		if len(patch) > 0 {
			if _, err := g.Client.UpdateSettings(ctx, spec.ProviderID, patch); err != nil {
				return nil, &StepError{Object: obj, Step: "setting settings after a lost configure answer", Err: err}
			}
		}
	default:
		return nil, err
	}
	if !spec.Enabled {
		if _, err := g.Client.Disable(ctx, spec.ProviderID); err != nil {
			return nil, &StepError{Object: obj, Step: "disabling", Done: []string{"configured"}, Err: err}
		}
	}
	return g.Client.Get(ctx, spec.ProviderID)
}

// Update changes a configured provider. A provider being disabled is
// disabled first and one being enabled is enabled last, so that traffic
// never reaches a half-changed configuration.
func (g *Gateway) Update(ctx context.Context, u GatewayUpdate) (*gateflow.Provider, error) {
	obj := gatewayObject(u.ProviderID)
	var done []string
	fail := func(step string, err error) (*gateflow.Provider, error) {
		if errors.Is(err, api.ErrNotFound) {
			err = &ConflictError{Object: obj, Detail: "it is no longer configured", Err: err}
		}
		return nil, &StepError{Object: obj, Step: step, Done: done, Err: err}
	}
	if u.Enabled != nil && !*u.Enabled {
		if _, err := g.Client.Disable(ctx, u.ProviderID); err != nil {
			return fail("disabling", err)
		}
		done = append(done, "disabled")
	}
	if u.Credentials != nil {
		if _, err := g.Client.UpdateCredentials(ctx, u.ProviderID, u.Credentials); err != nil {
			return fail("setting credentials", err)
		}
		done = append(done, "set credentials")
	}
	if u.Settings != nil {
		patch, err := SettingsPatch(u.LiveSettings, *u.Settings)
		if err != nil {
			return fail("computing settings", err)
		}
		if len(patch) > 0 {
			if _, err := g.Client.UpdateSettings(ctx, u.ProviderID, patch); err != nil {
				return fail("updating settings", err)
			}
			done = append(done, "updated settings")
		}
	}
	if u.Enabled != nil && *u.Enabled {
		if _, err := g.Client.Enable(ctx, u.ProviderID); err != nil {
			return fail("enabling", err)
		}
	}
	return g.Client.Get(ctx, u.ProviderID)
}

// Delete removes a provider's configuration. A provider that is already
// unconfigured (404) counts as deleted.
func (g *Gateway) Delete(ctx context.Context, id string) error {
	err := g.Client.Delete(ctx, id)
	if err != nil && errors.Is(err, api.ErrNotFound) && gateflow.IsProviderID(id) {
		return nil
	}
	return err
}

// Verify tests the connection (apply --verify). A failing test is an error
// naming the provider; it carries Gateflow's message, which never holds a
// credential.
func (g *Gateway) Verify(ctx context.Context, id string) (*gateflow.TestResult, error) {
	r, err := g.Client.Test(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.TestResult != "success" {
		msg := r.Error
		if msg == "" {
			msg = r.TestResult
		}
		return r, fmt.Errorf("%s: connection test failed: %s", gatewayObject(id), msg)
	}
	return r, nil
}
